"""Lay out the filled-in Markdown on A4 pages: fpdf2 draws the HTML that the Markdown library makes of it, and
each paragraph of images becomes a row of figures with its caption.

A row of figures that does not fit below the text waits for the top of the next page while the text goes on
(as figures float in LaTeX), so no page ends in a gap. Sizes are in inches, font sizes in points. The text is
set in DejaVu Sans from matplotlib's font folder, embedded: every machine has it, names with accents print, and
the PDF's text can be selected and searched.
"""
import html
import os
import re

PAGE_WIDTH, MARGIN, TOP, BOTTOM = 8.27, 0.75, 0.6, 0.7  # A4; MARGIN left and right
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
GAP = 0.2  # between the figures of a row
BODY_PT, CAPTION_PT, FOOTER_PT = 9, 7.5, 7.5
LINE_HEIGHT = 1.25  # times the font size
PARAGRAPH_GAP = 0.06  # above a paragraph
KEEP_WITH_HEADING = 1.5  # a heading starts a new page unless this much room is left below it
FONT, MONO = "DejaVu", "DejaVuMono"
FONT_FILES = {(FONT, ""): "DejaVuSans.ttf", (FONT, "B"): "DejaVuSans-Bold.ttf", (FONT, "I"): "DejaVuSans-Oblique.ttf",
              (FONT, "BI"): "DejaVuSans-BoldOblique.ttf", (MONO, ""): "DejaVuSansMono.ttf"}
# The blocks laid out by hand: headings (kept with what follows), tables (kept whole), figure rows, --- (new page).
BLOCKS = re.compile(r"(<h\d>.*?</h\d>|<table>.*?</table>|<p><img .*?</p>|<hr />)", re.S)
CREATOR = "make_submission.py"  # the PDF's Creator entry: how make_submission.py knows a PDF it may replace


def figure_width(count):
    """The printed width in inches of each figure in a row of ``count`` figures."""
    return (TEXT_WIDTH - GAP * (count - 1)) / count


def font_path(family=FONT, style=""):
    """The TrueType file of ``family`` and ``style`` in matplotlib's font folder."""
    import matplotlib
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", FONT_FILES[(family, style)])


def missing_glyphs(text):
    """The characters of ``text`` the body font cannot print (fpdf2 would leave them out with only a warning)."""
    from fontTools.ttLib import TTFont
    font = TTFont(font_path(), lazy=True)
    try:
        covered = font.getBestCmap()
    finally:
        font.close()
    return sorted({char for char in text if not char.isspace() and ord(char) not in covered})


def has_marker(path):
    """Whether the PDF ``path`` carries write_pdf's Creator entry (a damaged or foreign PDF does not)."""
    from pypdf import PdfReader
    try:
        return (PdfReader(path).metadata or {}).get("/Creator") == CREATOR
    except Exception:  # pypdf raises many kinds of errors on a file that is no PDF
        return False


def markdown_to_html(text):
    """HTML as fpdf2's write_html reads it: lines spaced LINE_HEIGHT, display equations (written as quotes, "> ...")
    centred, and each table's alignment and column widths as attributes."""
    import markdown
    body = markdown.markdown(text, extensions=["tables"])
    body = re.sub(r"<blockquote>(.*?)</blockquote>", lambda quote: quote.group(1).replace("<p>", '<p align="center">'),
                  body, flags=re.S)
    body = re.sub(r"<table>.*?</table>", lambda table: with_column_widths(table.group(0)), body, flags=re.S)
    body = re.sub(r' style="text-align: (\w+);"', r' align="\1"', body)
    spaced = '<p line-height="{}">'.format(LINE_HEIGHT)
    return body.replace("<p>", spaced).replace(spaced + "<img ", "<p><img ")


def with_column_widths(table):
    """The HTML ``table`` with widths on its header cells in proportion to the longest text in each column: a
    header counts with its longest word, set in bold (it may wrap), a cell with at most 30 characters (a longer one
    wraps rather than squeeze the other columns)."""
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    lengths = [max([1.2 * len(word) for word in rows[0][k].split()] + [min(len(row[k]), 30) for row in rows[1:]]) + 2
               for k in range(len(rows[0]))]
    widths = iter(round(100 * length / sum(lengths)) for length in lengths)  # whole numbers for fpdf2 2.8.3
    return re.sub(r"<th\b", lambda cell: '<th width="{}%"'.format(next(widths)), table)


def write_pdf(text, base_dir, path, footer=""):
    """Write the Markdown ``text`` (its images relative to ``base_dir``) as a PDF to ``path``, atomically;
    ``footer`` goes before the page number at the bottom of every page. Returns the number of pages."""
    pdf = new_pdf(footer)
    for block in BLOCKS.split(markdown_to_html(text)):  # text, a block laid out by hand, text, block, ..., text
        if block.startswith("<p><img "):
            pdf.waiting.append(figure_parts(block, base_dir))
            place_waiting_figures(pdf)
        elif block == "<hr />":
            pdf.add_page()
        elif block.startswith("<h"):  # keep it with what follows
            if pdf.get_y() + KEEP_WITH_HEADING > pdf.page_break_trigger:
                pdf.add_page()
            write_html(pdf, block)
        elif block.startswith("<table>"):
            with pdf.offset_rendering() as trial:
                write_html(trial, block)
            if trial.page_break_triggered:
                pdf.add_page()
            write_html(pdf, block)
        elif block.strip():
            write_html(pdf, block)
    while pdf.waiting:
        pdf.add_page()  # its header places them
    from lib.utils.files import atomic_path
    with atomic_path(path) as tmp:
        pdf.output(tmp)
    return pdf.pages_count


def new_pdf(footer):
    """An empty A4 document with the DejaVu fonts, a footer "``footer``  page N of M" on every page, and the
    figures waiting for room placed at the top of each new page (in ``pdf.waiting``)."""
    from fpdf import FPDF

    class Pages(FPDF):
        def header(self):
            place_waiting_figures(self, page_top=True)

        def footer(self):
            self.set_y(-0.5)
            self.set_font(FONT, "", FOOTER_PT)
            self.set_text_color(90)
            self.cell(0, 0.2, "{}page {} of {{nb}}".format(footer + "  |  " if footer else "", self.page_no()),
                      align="C")
            self.set_text_color(0)

    pdf = Pages(unit="in", format="A4")
    pdf.set_creator(CREATOR)
    pdf.waiting = []  # figures that did not fit where they came, in order: [(paths, caption), ...]
    for family, style in FONT_FILES:
        pdf.add_font(family, style, font_path(family, style))
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.set_auto_page_break(True, BOTTOM)
    pdf.add_page()
    return pdf


def write_html(pdf, body):
    """Draw the HTML ``body`` at the current position in the body font, headings in bold."""
    from fpdf.fonts import FontFace, TextStyle

    def heading(size, space):
        return TextStyle(font_family=FONT, font_style="B", font_size_pt=size, color="#1f3a68", t_margin=space,
                         b_margin=0.06)

    pdf.set_font(FONT, "", BODY_PT)
    pdf.write_html(body, font_family=FONT, ul_bullet_char="\u2022", li_prefix_color=(31, 58, 104),
                   tag_styles={"h1": heading(17, 0), "h2": heading(13, 0.2), "h3": heading(11, 0.12),
                               "code": FontFace(family=MONO), "li": TextStyle(l_margin=0.15, t_margin=0.04),
                               "p": TextStyle(t_margin=PARAGRAPH_GAP, b_margin=0)})


def figure_parts(block, base_dir):
    """The image paths (joined to ``base_dir``) and the caption text of a figure paragraph ``block`` (HTML)."""
    sources = re.findall(r'<img [^>]*src="([^"]*)"', block)
    caption = " ".join(html.unescape(re.sub(r"<[^>]*>", "", block)).split())
    return [os.path.join(base_dir, html.unescape(src)) for src in sources], caption


def image_sizes(paths):
    """``[(width, height), ...]`` in pixels of the images ``paths``."""
    from PIL import Image
    sizes = []
    for path in paths:
        with Image.open(path) as image:
            sizes.append(image.size)
    return sizes


def figure_height(pdf, paths, caption):
    """The height in inches that figure_row needs for ``paths`` and ``caption``."""
    width, y = figure_width(len(paths)), pdf.get_y()
    pdf.set_font(FONT, "", CAPTION_PT)
    pdf.set_y(TOP)  # at the page's top: even a dry run breaks the page where the text would not fit
    line = CAPTION_PT / 72 * LINE_HEIGHT
    text = pdf.multi_cell(TEXT_WIDTH, line, caption, dry_run=True, output="HEIGHT") if caption else 0
    pdf.set_y(y)
    return 0.25 + max(width * h / w for w, h in image_sizes(paths)) + text


def place_waiting_figures(pdf, page_top=False):
    """Draw the waiting figures, in order, as long as they fit on this page (at its top, any figure fits)."""
    while pdf.waiting and (page_top or pdf.get_y() + figure_height(pdf, *pdf.waiting[0]) <= pdf.page_break_trigger):
        figure_row(pdf, *pdf.waiting.pop(0))
        page_top = False


def figure_row(pdf, paths, caption):
    """Draw the PNGs ``paths`` side by side across the text width at the current position, ``caption`` below."""
    width, top = figure_width(len(paths)), pdf.get_y() + 0.1
    heights = [width * h / w for w, h in image_sizes(paths)]
    for k, (path, height) in enumerate(zip(paths, heights)):
        pdf.image(path, x=MARGIN + k * (width + GAP), y=top + (max(heights) - height) / 2, w=width)
    pdf.set_y(top + max(heights) + 0.05)
    if caption:
        pdf.set_font(FONT, "", CAPTION_PT)
        pdf.set_text_color(60)
        pdf.multi_cell(TEXT_WIDTH, CAPTION_PT / 72 * LINE_HEIGHT, caption, align="C")
        pdf.set_text_color(0)
    pdf.ln(0.1)
