"""A flowing A4 document written with the PDF library fpdf2: headings, paragraphs, tables, rows of images, footers.

:class:`Document` places its content top to bottom as it is added and starts a new page where the next block does
not fit; fpdf2 wraps and draws the text (DejaVu Sans, embedded from matplotlib's own font folder, so that every
machine has it and Greek letters, superscripts and arrows come out; the text can be selected and searched),
draws the tables and embeds the PNGs with their own pixels. Sizes are in inches, font sizes in points.
"""
import collections
import os

import matplotlib
import numpy as np
from fpdf import FPDF
from fpdf.fonts import FontFace

from lib.utils.files import atomic_path

# Page geometry (inches) and fonts
PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait; landscape pages swap the two
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.85, 0.8, 0.85
FOOTER_Y = 0.4  # the footer's baseline, inches above the bottom edge
SANS, MONO = "DejaVu Sans", "DejaVu Sans Mono"
FONT_FILES = {(SANS, ""): "DejaVuSans.ttf", (SANS, "B"): "DejaVuSans-Bold.ttf",
              (MONO, ""): "DejaVuSansMono.ttf", (MONO, "B"): "DejaVuSansMono-Bold.ttf"}
BODY_SIZE, SMALL_SIZE, TABLE_SIZE, FOOTER_SIZE = 10, 8.5, 8.5, 7.5
HEADING_SIZES = {0: 20, 1: 15, 2: 12}
LINE_SPACING = 1.4  # line height / font size
TABLE_PADDING = (0.025, 0.06)  # inches above/below and left/right of a cell's text
TABLE_HEADER_FILL = (225, 229, 236)  # RGB of the header row


def read_image(path):
    """A PNG as a float array (H, W, C) in [0, 1], alpha dropped; grey images get C = 1."""
    import matplotlib.image
    image = np.asarray(matplotlib.image.imread(path), dtype=float)
    if image.ndim == 2:
        image = image[:, :, None]
    return image[:, :, :3]


def _rgb(color):
    """Any matplotlib colour ('red', '#b00000', '0.35') as an (r, g, b) tuple of 0-255 integers."""
    from matplotlib.colors import to_rgb
    return tuple(int(round(255 * c)) for c in to_rgb(color))


def _pdf_image(path):
    """The PNG at ``path`` as a PIL image without alpha channel (grey stays grey), as the PDF shows it."""
    from PIL import Image
    with Image.open(path) as image:
        return image.convert("L" if image.mode in ("1", "L", "LA") else "RGB")


def font_path(family=SANS, style=""):
    """The TrueType file of ``family`` ('DejaVu Sans' or 'DejaVu Sans Mono') in ``style`` ('' or 'B'), from
    matplotlib's font folder."""
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", FONT_FILES[(family, style)])


def missing_glyphs(text, family=SANS, style=""):
    """The characters of ``text`` the font has no glyph for, each once, in order (whitespace is never counted).

    fpdf2 leaves such characters out of the page with only a warning, so "Zoë, 李雷" would print as "Zoë, ".
    """
    from fontTools.ttLib import TTFont
    font = TTFont(font_path(family, style), lazy=True)
    try:
        covered = font.getBestCmap()
    finally:
        font.close()
    missing = [char for char in text if not char.isspace() and ord(char) not in covered]
    return "".join(sorted(set(missing), key=missing.index))


class _Pages(FPDF):
    """fpdf2's document with the DejaVu fonts, our margins and a footer '<footer>  |  page N of M' on each page."""

    def __init__(self, footer, page_texts):
        super().__init__(orientation="portrait", unit="in", format="A4")
        self.footer_text, self.page_texts = footer, page_texts
        for family, style in FONT_FILES:
            self.add_font(family, style, font_path(family, style))
        self.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        self.set_auto_page_break(True, MARGIN_BOTTOM)  # only a safety net: Document breaks pages itself
        self.c_margin = 0  # text starts exactly at the margin or indent
        self.alias_nb_pages("{nb}")  # replaced by the page count when the file is written

    def footer(self):
        """Called by fpdf2 as each page is finished."""
        line = "{}  |  page {} of {{nb}}".format(self.footer_text, self.page_no())
        self.page_texts[self.page_no()].append(line)
        self.set_y(-FOOTER_Y - FOOTER_SIZE / 72 * 0.5)
        self.set_font(SANS, "", FOOTER_SIZE)
        self.set_text_color(*_rgb("0.35"))
        self.cell(0, FOOTER_SIZE / 72, line, align="C")


class Document:
    """Content added top to bottom onto A4 pages; :meth:`save` writes the PDF.

    Args:
        footer: text of the footer line of every page, followed by '|  page N of M'.
    """

    def __init__(self, footer=""):
        self.page_texts = collections.defaultdict(list)  # page number -> the text placed on it, in order
        self.pdf = _Pages(footer, self.page_texts)
        self.pending = "portrait"  # orientation of the next page, added when content first goes on it
        self.pending_space = 0.0  # space() on a page that does not exist yet

    # -- pages -------------------------------------------------------------------------------------------------
    def new_page(self, landscape=False):
        """Start a page; a landscape page gives wide figures room, following pages are portrait again.

        The page is added when content first goes on it, so a page is never left blank."""
        self.pending, self.pending_space = ("landscape" if landscape else "portrait"), 0.0

    def _page(self):
        """Add the pending page, if any, before content is placed."""
        if self.pending:
            self.pdf.add_page(orientation=self.pending)
            self.pdf.set_y(MARGIN_TOP + self.pending_space)
            self.pending, self.pending_space = None, 0.0

    @property
    def text_w(self):
        """Width of the text column in inches (of the page content goes on next)."""
        if self.pending:
            return (PAGE_H if self.pending == "landscape" else PAGE_W) - 2 * MARGIN_X
        return self.pdf.epw

    def _at_top(self):
        """Whether nothing is on the current page yet (a pending page counts as empty)."""
        return self.pending is not None or self.pdf.y <= MARGIN_TOP + 1e-6

    def _fits(self, height):
        """Start a new page unless ``height`` inches still fit on this one (an empty page always takes it)."""
        self._page()
        if self.pdf.y + height > self.pdf.page_break_trigger and not self._at_top():
            self.new_page(self.pdf.cur_orientation == "L")
            self._page()

    def _used(self):
        """Share of the current page's text height already used (0 for a page not started)."""
        if self.pending:
            return 0.0
        return (self.pdf.y - MARGIN_TOP) / (self.pdf.page_break_trigger - MARGIN_TOP)

    def section_break(self, max_used=0.25):
        """A new page for a section, unless little of this one is used (say, a paragraph left over)."""
        if self._used() > max_used:
            self.new_page()
        else:
            self.space(0.25)

    def space(self, inches):
        """Vertical space; at the top of a page not yet started it is kept for that page."""
        if self.pending:
            self.pending_space += inches
        else:
            self.pdf.set_y(self.pdf.y + inches)

    # -- text --------------------------------------------------------------------------------------------------
    def _font(self, size, bold=False, mono=False, color="black"):
        self.pdf.set_font(MONO if mono else SANS, "B" if bold else "", size)
        self.pdf.set_text_color(*_rgb(color))

    def _wrap(self, text, width):
        """``text`` split into lines no wider than ``width`` inches in the current font; newlines are kept."""
        self.pdf.set_auto_page_break(False)  # a dry run near the foot of a page would otherwise add a page
        try:
            return self.pdf.multi_cell(width, text=text, dry_run=True, output="LINES", align="L")
        finally:
            self.pdf.set_auto_page_break(True, MARGIN_BOTTOM)

    def _lines(self, lines, x, line_h, bullet=None):
        """Draw ``lines`` from ``x``, one per ``line_h`` inches, continuing on the next page where needed."""
        self._fits(min(2, len(lines)) * line_h)  # no first line alone at the foot of a page
        for i, line in enumerate(lines):
            self._fits(line_h)
            y = self.pdf.y
            if bullet and i == 0:  # hangs left of the first line
                self.pdf.set_xy(x - 0.18, y)
                self.pdf.cell(0.18, line_h, bullet)
            self.pdf.set_xy(x, y)
            self.pdf.cell(self.pdf.w - MARGIN_X - x, line_h, line)
            self.page_texts[self.pdf.page_no()].append(bullet + " " + line if bullet and i == 0 else line)
            self.pdf.set_y(y + line_h)

    def heading(self, text, level=1, keep=0.0):
        """A bold heading, kept on one page with the next ``keep`` inches (at least four lines of text)."""
        size = HEADING_SIZES[level]
        self._page()
        self._font(size, bold=True)
        lines = self._wrap(text, self.text_w)
        line_h = size / 72 * 1.25
        above = 0.0 if self._at_top() or level == 0 else size / 72 * 0.5
        self._fits(above + len(lines) * line_h + size / 72 * 0.4 + max(keep, 4 * BODY_SIZE / 72 * LINE_SPACING))
        if not self._at_top():  # no space above a heading that opens a page
            self.space(above)
        self._lines(lines, MARGIN_X, line_h)
        self.space(size / 72 * 0.4)

    def paragraph(self, text, size=BODY_SIZE, indent=0.0, bullet=None, mono=False, after=0.06, weight="normal",
                  color="black"):
        """Wrapped text; ``bullet`` (e.g. '-') hangs left of the first line. Lines may continue on the next page.

        Args:
            text: the paragraph; newlines start new lines.
            size: font size in points.
            indent: left indent in inches.
            after: space below the paragraph in inches.
            weight: 'normal' or 'bold'.
            color: any matplotlib colour name or '#rrggbb'.
        """
        self._page()
        self._font(size, bold=weight == "bold", mono=mono, color=color)
        lines = self._wrap(text, self.text_w - indent)
        self._lines(lines, MARGIN_X + indent, size / 72 * LINE_SPACING, bullet)
        self.space(after)

    # -- tables and images -------------------------------------------------------------------------------------
    def table(self, header, rows, size=TABLE_SIZE, align=None):
        """A table with a shaded header row, kept on one page; columns as wide as their longest entry.

        Args:
            header: column titles.
            rows: list of rows, each a list of cell texts (one per column).
            size: font size in points.
            align: 'L', 'C' or 'R' per column; default: the first column left, the others right (numbers).
        """
        self._page()
        align = align or ["L"] + ["R"] * (len(header) - 1)
        cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
        pad_y, pad_x = TABLE_PADDING
        widths = []
        for j in range(len(header)):
            self._font(size, bold=True)
            w = self.pdf.get_string_width(cells[0][j])
            self._font(size)
            widths.append(max([w] + [self.pdf.get_string_width(row[j]) for row in cells[1:]]) + 2 * pad_x + 0.01)
        width = min(sum(widths), self.text_w)  # a table wider than the page wraps its cells
        line_h = size / 72 * 1.3
        self._fits(len(cells) * (line_h + 2 * pad_y) + 0.1)
        self.pdf.set_draw_color(*_rgb("0.55"))
        self.pdf.set_line_width(0.007)
        with self.pdf.table(width=width, col_widths=widths, align="LEFT", text_align=tuple(align),
                            line_height=line_h, padding=(pad_y, pad_x), borders_layout="HORIZONTAL_LINES",
                            headings_style=FontFace(emphasis="BOLD", fill_color=TABLE_HEADER_FILL)) as table:
            for row in cells:
                table.row(row)
        self.page_texts[self.pdf.page_no()].extend("  ".join(row) for row in cells)
        self.space(0.12)

    def images(self, items, height):
        """A row of images side by side, each scaled to ``height`` inches (or narrower to fit the row).

        Args:
            items: list of (path or None, caption); a missing path leaves a framed gap saying so.
            height: wanted image height in inches.
        """
        gap = 0.2
        pictures = [_pdf_image(path) if path else None for path, _ in items]
        aspects = [p.width / p.height if p is not None else 1.0 for p in pictures]
        scale = min(1.0, (self.text_w - gap * (len(items) - 1)) / (height * sum(aspects)))
        h = height * scale
        self._page()
        self._font(SMALL_SIZE)
        captions = [self._wrap(caption, h * aspect) for (_, caption), aspect in zip(items, aspects)]
        line_h = SMALL_SIZE / 72 * LINE_SPACING
        self._fits(0.05 + h + max(len(c) for c in captions) * line_h + 0.1)
        x = self.pdf.l_margin + (self.pdf.epw - h * sum(aspects) - gap * (len(items) - 1)) / 2
        top = self.pdf.y + 0.05
        for picture, aspect, caption in zip(pictures, aspects, captions):
            w = h * aspect
            if picture is None:
                self.pdf.set_draw_color(0)
                self.pdf.rect(x, top, w, h)
                self._font(BODY_SIZE, color="red")
                self.pdf.set_xy(x, top + h / 2 - line_h / 2)
                self.pdf.cell(w, line_h, "(missing)", align="C")
                self.page_texts[self.pdf.page_no()].append("(missing)")
                self._font(SMALL_SIZE)
            else:
                self.pdf.image(picture, x, top, w, h)
            for k, line in enumerate(caption):
                self.pdf.set_xy(x, top + h + k * line_h)
                self.pdf.cell(w, line_h, line, align="C")
                self.page_texts[self.pdf.page_no()].append(line)
            x += w + gap
        self.pdf.set_y(top + h + max(len(c) for c in captions) * line_h + 0.15)

    def save(self, path, metadata):
        """Write the PDF to ``path`` (atomically); return the text of each page, in drawing order.

        Args:
            metadata: dict with the document's 'Title', 'Author' and 'Subject'.
        """
        self._page()
        pdf = self.pdf
        pdf.set_title(metadata.get("Title", ""))
        pdf.set_author(metadata.get("Author", ""))
        pdf.set_subject(metadata.get("Subject", ""))
        pdf.set_creator("make_submission.py with fpdf2")
        with atomic_path(path) as tmp:
            pdf.output(tmp)  # draws the last page's footer
        total = str(pdf.page_no())  # the footers' {nb}, as fpdf2 wrote it into the file
        return ["\n".join(self.page_texts[n]).replace("{nb}", total) for n in sorted(self.page_texts)]
