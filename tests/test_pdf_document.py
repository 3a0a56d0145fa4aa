"""The PDF layout of lib.report.document, read back from the file with pypdf: pages, footers, tables, text, images."""
import re
import sys

import matplotlib.image
import numpy as np
import pypdf
import pytest

from lib.report import document
from lib.report.document import Document

LONG = " ".join("word{}".format(k) for k in range(1200))  # more than two pages of body text


def text_positions(page):
    """Where each piece of text of a pypdf page starts, as (x, y) in points, in drawing order (read from the
    page's drawing operators, so that it does not depend on how a pypdf version joins text)."""
    positions, start = [], None
    for operands, operator in pypdf.generic.ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Td":
            start = (float(operands[0]), float(operands[1]))
        elif operator == b"Tj":
            positions.append(start)
    return positions


def test_pages_footers_and_the_text_of_each_page(tmp_path):
    doc = Document("my footer")
    doc.new_page()  # still empty: replaced, never a blank page
    doc.heading("Part A", 1)
    doc.paragraph(LONG, bullet="-", indent=0.25)
    doc.new_page(landscape=True)
    doc.new_page(landscape=True)
    doc.paragraph("on a wide page")
    doc.new_page()
    doc.paragraph("back to portrait", weight="bold", color="#b00000")
    texts = doc.save(str(tmp_path / "a.pdf"), {"Title": "T", "Author": "A. B", "Subject": "S"})
    reader = pypdf.PdfReader(str(tmp_path / "a.pdf"))
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    pages = len(texts)
    assert len(sizes) == pages >= 4  # the long paragraph goes on over two pages or more
    assert sizes == [(595, 842)] * (pages - 2) + [(842, 595), (595, 842)]  # A4; the wide page only where asked
    assert reader.metadata["/Title"] == "T" and reader.metadata["/Author"] == "A. B"
    for number, (page, text) in enumerate(zip(reader.pages, texts), 1):
        footer = "my footer  |  page {} of {}".format(number, pages)
        assert text.splitlines()[-1] == footer
        assert footer in page.extract_text()
        # each page's text is what that page shows: the wrapped lines of the paragraph land where they are drawn
        shown = " ".join(page.extract_text().split())
        assert all(" ".join(line.split()) in shown for line in text.splitlines()[:-1])
    words = " ".join(texts[:-2]).split()
    assert [w for w in words if w.startswith("word")] == LONG.split()  # every word once, in order
    assert texts[0].startswith("Part A\n- word0 word1")  # the bullet hangs before the first line
    assert texts[-2].startswith("on a wide page") and texts[-1].startswith("back to portrait")


def test_table_cells_are_placed_in_columns_with_numbers_right_aligned(tmp_path):
    doc = Document()
    doc.table(["quantity", "value"], [["a", "1.5"], ["long name", "123.25"]])
    doc.save(str(tmp_path / "t.pdf"), {})
    page = pypdf.PdfReader(str(tmp_path / "t.pdf")).pages[0]
    cells = ["quantity", "value", "a", "1.5", "long name", "123.25"]  # drawn row by row
    where = dict(zip(cells, text_positions(page)))
    # one text run per cell, each row on its own baseline
    assert where["quantity"][1] == where["value"][1] > where["a"][1] == where["1.5"][1] > where["long name"][1]
    assert where["quantity"][0] == where["a"][0] == where["long name"][0]  # the first column: left-aligned
    doc.pdf.set_font(document.SANS, "", document.TABLE_SIZE)
    right_edges = [where[t][0] + 72 * doc.pdf.get_string_width(t) for t in ("1.5", "123.25")]
    assert right_edges[0] == pytest.approx(right_edges[1], abs=0.05)  # numbers: right-aligned
    assert where["1.5"][0] > where["long name"][0] + 72 * doc.pdf.get_string_width("long name")
    # the header row is shaded and rows are ruled: filled rectangles and lines in the drawing
    content = page.get_contents().get_data()
    assert b"0.8824 0.898 0.9255 rg" in content and len(re.findall(rb" re f\b", content)) == 2
    assert len(re.findall(rb" l S\b", content)) >= 4


def test_unicode_text_is_embedded_and_selectable(tmp_path):
    doc = Document()
    symbols = "σ² μ – − √3072 ≈ 55.43 ⇒ b = √(3 n_u) · λ"
    doc.paragraph(symbols)
    doc.paragraph("mono ≈ 1", mono=True)
    doc.save(str(tmp_path / "u.pdf"), {})
    text = pypdf.PdfReader(str(tmp_path / "u.pdf")).pages[0].extract_text()
    assert symbols in text and "mono ≈ 1" in text
    with open(str(tmp_path / "u.pdf"), "rb") as handle:
        data = handle.read()
    assert b"DejaVuSans" in data and b"DejaVuSansMono" in data and b"/FontFile2" in data  # embedded TrueType


def test_images_in_a_row_with_captions_and_a_gap_for_a_missing_one(tmp_path):
    rgba = np.random.default_rng(0).random((20, 40, 4))
    rgba[..., 3] = 1.0
    matplotlib.image.imsave(str(tmp_path / "wide.png"), rgba)
    grey = np.linspace(0, 1, 100).reshape(10, 10)
    matplotlib.image.imsave(str(tmp_path / "grey.png"), grey, cmap="gray")
    doc = Document()
    doc.images([(str(tmp_path / "wide.png"), "a wide figure"), (None, "not there"),
                (str(tmp_path / "grey.png"), "grey")], height=2.0)
    texts = doc.save(str(tmp_path / "i.pdf"), {})
    page = pypdf.PdfReader(str(tmp_path / "i.pdf")).pages[0]
    images = sorted(page.images, key=lambda image: image.image.width)
    assert [image.image.size for image in images] == [(10, 10), (40, 20)]
    assert images[1].image.mode == "RGB"  # the alpha channel is dropped: no soft mask beside the image
    written = np.round(255 * document.read_image(str(tmp_path / "wide.png"))).astype(np.uint8)
    assert np.array_equal(np.asarray(images[1].image), written)  # the PNG's own pixels, not resampled
    where = dict(zip(["a wide figure", "(missing)", "not there", "grey"], text_positions(page)))
    assert where["a wide figure"][1] == where["not there"][1] == where["grey"][1]  # captions side by side
    assert where["a wide figure"][0] < where["(missing)"][0] < where["grey"][0]
    assert texts[0].splitlines()[:3] == ["a wide figure", "(missing)", "not there"]


def test_headings_keep_with_what_follows_and_sections_start_pages(tmp_path):
    doc = Document()
    doc.paragraph("\n".join("line {}".format(k) for k in range(47)))  # 0.9 inches left
    doc.heading("Kept with its text", 2, keep=1.0)  # does not fit with 1 inch below it: next page
    doc.paragraph("short")
    doc.section_break()  # little of the page used: no new page
    doc.heading("Next section")
    texts = doc.save(str(tmp_path / "h.pdf"), {})
    assert len(texts) == 2
    assert texts[1].splitlines()[:3] == ["Kept with its text", "short", "Next section"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
