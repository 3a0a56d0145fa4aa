"""The title page and the file: names with characters the PDF's font lacks, dates that do not exist and a file name
that is only a suffix are refused before any work, never silently dropped or written."""
import os
import sys

import pytest
from pypdf import PdfReader

import make_submission
from lib.report.document import Document, missing_glyphs
from lib.utils.errors import run_main

LATIN_GREEK_CYRILLIC = "Zoë Ł. Müller, Ελένη Παπαδοπούλου, Жанна Иванова"


def test_the_font_covers_latin_greek_and_cyrillic_names_but_not_chinese():
    assert missing_glyphs(LATIN_GREEK_CYRILLIC) == ""
    assert missing_glyphs("Zoë Ł. Müller, 李雷, 李明") == "李雷明"
    assert missing_glyphs(" \t\n") == ""


def test_a_name_the_font_covers_comes_out_whole_in_the_pdf(tmp_path):
    doc = Document(footer="test")
    doc.paragraph("Names: " + LATIN_GREEK_CYRILLIC)
    path = str(tmp_path / "names.pdf")
    doc.save(path, {"Title": "t", "Author": LATIN_GREEK_CYRILLIC})
    assert LATIN_GREEK_CYRILLIC in PdfReader(path).pages[0].extract_text()


def test_make_submission_refuses_chinese_names_in_one_sentence_before_any_work(tmp_path, capsys):
    output = tmp_path / "submission.pdf"
    with pytest.raises(SystemExit) as stopped:  # the results folder is empty: the names are checked first
        run_main(make_submission.main, ["--names", "Zoë Ł. Müller, 李雷", "--results_root", str(tmp_path),
                                        "--output", str(output)])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "error: --names 'Zoë Ł. Müller, 李雷' has characters the PDF's font (DejaVu Sans) cannot show, so they "
        "would be missing from the title page: 李 雷; write them in Latin letters (e.g. a transliteration such as "
        "Li Lei)\n")
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("argv, message", [
    (["--date", "yesterday"], "error: argument --date: 'yesterday' is not a date written YYYY-MM-DD, e.g. "),
    (["--date", "2022-13-45"], "error: argument --date: '2022-13-45' is not a date written YYYY-MM-DD, e.g. "),
    (["--output", "{}/.pdf"], "error: --output {}/.pdf is only a file type; give it a file name, e.g. --output "
                              "name.pdf"),
    (["--text_output", "{}/.md"], "error: --text_output {}/.md is only a file type; give it a file name, e.g. "
                                  "--text_output name.md")])
def test_make_submission_refuses_a_date_that_is_none_and_a_bare_suffix(tmp_path, capsys, argv, message):
    argv = [argv[0], argv[1].format(tmp_path / "out")]
    with pytest.raises(SystemExit) as stopped:  # the results folder is empty: the arguments are checked first
        run_main(make_submission.main, ["--results_root", str(tmp_path)] + argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message.format(tmp_path / "out") in err.splitlines()[-1] and "Traceback" not in err  # after argparse's prog
    assert os.listdir(str(tmp_path)) == []  # no folder made, no hidden .pdf written


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
