"""A small flowing-document layout on A4 pages, drawn with matplotlib's PDF backend (no TeX needed).

:class:`Document` collects headings, paragraphs, monospaced tables and rows of images top to bottom and breaks
pages where needed; :meth:`Document.save` draws one matplotlib figure per page, with text placed by
``fig.text`` in an embedded TrueType font (so it can be selected and searched) and images by ``imshow``.
"""
import numpy as np

from lib.utils import atomic_path

# Page geometry (inches) and fonts
PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait; landscape pages swap the two
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.85, 0.8, 0.85
SANS, MONO = "DejaVu Sans", "DejaVu Sans Mono"  # shipped with matplotlib, so every machine has them
BODY_SIZE, SMALL_SIZE, TABLE_SIZE = 10, 8.5, 8.5
LINE_SPACING = 1.4


def read_image(path):
    """A PNG as a float array (H, W, C) in [0, 1], alpha dropped; grey images get C = 1."""
    import matplotlib.image
    image = np.asarray(matplotlib.image.imread(path), dtype=float)
    if image.ndim == 2:
        image = image[:, :, None]
    return image[:, :, :3]


class Document:
    """Collects page content top to bottom, breaking pages where needed; :meth:`save` draws and writes the PDF."""

    def __init__(self):
        self.pages = []  # per page: ((width, height) in inches, list of drawing operations)
        self.new_page()

    def new_page(self, landscape=False):
        """Start a page; a landscape page gives wide figures room, following pages are portrait again."""
        size = (PAGE_H, PAGE_W) if landscape else (PAGE_W, PAGE_H)
        if self.pages and not self.pages[-1][1]:
            self.pages.pop()  # an empty page is replaced, never left blank
        self.pages.append((size, []))
        self.text_w = size[0] - 2 * MARGIN_X
        self.y = size[1] - MARGIN_TOP  # baseline cursor, inches from the bottom

    def section_break(self, max_used=0.25):
        """A new page for a section, unless little of this one is used (say, a paragraph left over)."""
        top, bottom = self.pages[-1][0][1] - MARGIN_TOP, MARGIN_BOTTOM
        if (top - self.y) / (top - bottom) > max_used:
            self.new_page()
        else:
            self.space(0.25)

    def _fits(self, height):
        """Start a new page unless ``height`` inches still fit on this one (an empty page always takes it)."""
        if self.y - height < MARGIN_BOTTOM and self.pages[-1][1]:
            self.new_page()

    def _text(self, x, text, size, **style):
        self.pages[-1][1].append(("text", (x, self.y, text, size, style)))

    def space(self, inches):
        self.y -= inches

    def heading(self, text, level=1, keep=0.0):
        """A bold heading, kept on one page with the next ``keep`` inches (at least four lines of text)."""
        size = {0: 20, 1: 15, 2: 12}[level]
        lines = wrap_text(text, self.text_w, size, bold=True)
        line_h = size / 72 * 1.25
        self._fits(size / 72 * 2.1 + len(lines) * line_h + max(keep, 4 * BODY_SIZE / 72 * LINE_SPACING))
        self.y -= size / 72 * (1.5 if level else 1.0) - line_h
        for line in lines:
            self.y -= line_h
            self._text(MARGIN_X, line, size, weight="bold")
        self.y -= size / 72 * 0.6

    def paragraph(self, text, size=BODY_SIZE, indent=0.0, bullet=None, mono=False, after=0.06, **style):
        """Wrapped text; ``bullet`` (e.g. '-') hangs left of the first line. Lines may continue on the next page."""
        x = MARGIN_X + indent
        lines = wrap_text(text, self.text_w - indent, size, mono=mono, bold=style.get("weight") == "bold")
        for i, line in enumerate(lines):
            self._fits(size / 72 * LINE_SPACING)
            self.y -= size / 72 * LINE_SPACING
            self._text(x, line, size, family=MONO if mono else SANS, bullet=bullet if i == 0 else None, **style)
        self.y -= after

    def table(self, header, rows, size=TABLE_SIZE):
        """A monospaced table; columns are right-aligned except the first. Kept on one page."""
        cells = [list(header)] + [list(row) for row in rows]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
        lines = []
        for k, row in enumerate(cells):
            parts = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(parts))
            if k == 0:
                lines.append("-" * len(lines[0]))
        height = len(lines) * size / 72 * LINE_SPACING
        self._fits(height)
        for k, line in enumerate(lines):
            self.y -= size / 72 * LINE_SPACING
            self._text(MARGIN_X + 0.1, line, size, family=MONO, weight="bold" if k == 0 else "normal")
        self.y -= 0.12

    def images(self, items, height):
        """A row of images side by side, each scaled to ``height`` inches (or narrower to fit the row).

        Args:
            items: list of (path or None, caption); a missing path leaves a framed gap saying so.
            height: wanted image height in inches.
        """
        gap = 0.2
        arrays = [read_image(path) if path else None for path, _ in items]
        aspects = [a.shape[1] / a.shape[0] if a is not None else 1.0 for a in arrays]
        scale = min(1.0, (self.text_w - gap * (len(items) - 1)) / (height * sum(aspects)))
        h = height * scale
        captions = [wrap_text(caption, h * aspect, SMALL_SIZE) for (_, caption), aspect in zip(items, aspects)]
        caption_h = max(len(c) for c in captions) * SMALL_SIZE / 72 * LINE_SPACING
        self._fits(h + caption_h + 0.1)
        total_w = h * sum(aspects) + gap * (len(items) - 1)
        x = MARGIN_X + (self.text_w - total_w) / 2
        top = self.y - 0.05
        for array, aspect, caption, (path, _) in zip(arrays, aspects, captions, items):
            w = h * aspect
            self.pages[-1][1].append(("image", (x, top - h, w, h, array)))
            y = top - h
            for line in caption:
                y -= SMALL_SIZE / 72 * LINE_SPACING
                self.pages[-1][1].append(("text", (x + w / 2, y, line, SMALL_SIZE, {"ha": "center"})))
            x += w + gap
        self.y = top - h - caption_h - 0.15

    def save(self, path, footer, metadata):
        """Draw every page into ``path`` (atomically); return the text of each page, in drawing order."""
        import matplotlib
        from matplotlib.backends.backend_pdf import PdfPages
        from matplotlib.figure import Figure

        page_texts = []
        with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType: selectable, searchable text
            with atomic_path(path) as tmp:
                with PdfPages(tmp, metadata=metadata) as pdf:
                    for number, (size, ops) in enumerate(self.pages, 1):
                        fig = Figure(figsize=size)
                        texts = [_draw(fig, size, kind, args) for kind, args in ops]
                        footer_line = "{}  |  page {} of {}".format(footer, number, len(self.pages))
                        fig.text(0.5, 0.4 / size[1], footer_line, ha="center", fontsize=7.5, color="0.35",
                                 family=SANS)
                        page_texts.append("\n".join([t for t in texts if t] + [footer_line]))
                        pdf.savefig(fig)
        return page_texts


def _draw(fig, size, kind, args):
    """Draw one layout operation on ``fig`` of ``size`` (inches); return the text it placed (None for images)."""
    page_w, page_h = size
    if kind == "text":
        x, y, text, font_size, style = args
        style = dict(style)
        style.setdefault("family", SANS)
        bullet = style.pop("bullet", None)
        fig.text(x / page_w, y / page_h, text, fontsize=font_size, va="baseline", **style)
        if bullet:  # hangs left of the first line of a paragraph
            fig.text((x - 0.18) / page_w, y / page_h, bullet, fontsize=font_size, va="baseline", **style)
            return bullet + " " + text
        return text
    x, y, w, h, array = args
    ax = fig.add_axes([x / page_w, y / page_h, w / page_w, h / page_h])
    ax.set_xticks([])
    ax.set_yticks([])
    if array is None:
        ax.text(0.5, 0.5, "(missing)", ha="center", va="center", transform=ax.transAxes, color="red")
        return None
    if array.shape[2] == 1:
        ax.imshow(array[:, :, 0], cmap="gray", vmin=0, vmax=1, interpolation="none")
    else:
        # "none" embeds the PNG's own pixels in the PDF instead of resampling them at a fixed dpi
        ax.imshow(array, interpolation="none")
    for spine in ax.spines.values():
        spine.set_visible(False)
    return None


def wrap_text(text, width, size, mono=False, bold=False):
    """Split ``text`` into lines no wider than ``width`` inches at font ``size``; explicit newlines are kept."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=MONO if mono else SANS, size=size, weight="bold" if bold else "normal")
    measure = TextToPath()

    def points(s):
        return measure.get_text_width_height_descent(s, prop, ismath=False)[0]

    limit = width * 72 * 0.98  # kerning is not measured word by word: keep a little slack
    space = points("a a") - points("aa")
    lines = []
    for block in text.split("\n"):
        line, line_w = [], 0.0
        for word in block.split(" "):
            w = points(word) if word else 0.0
            if line and line_w + space + w > limit:
                lines.append(" ".join(line))
                line, line_w = [], 0.0
            line_w += (space if line else 0.0) + w
            line.append(word)
        lines.append(" ".join(line))
    return lines
