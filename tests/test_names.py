"""Names on the title page: characters the PDF's font lacks are refused before any work, never silently dropped."""
import os

import pytest
from pypdf import PdfReader

import make_submission
from lib.pdf_document import Document, missing_glyphs
from lib.utils import run_main

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


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
