"""Fill the answers' Markdown templates with a run's results, and write submission.md and submission.pdf."""
import html
import os
import re

from lib.utils.errors import UserError

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FIRST_LINE = ("<!-- Written by make_submission.py from the templates in lib/report/templates/: edit those, not this "
              "file. -->")  # how build_submission knows a Markdown file it may replace


def fixed(value, digits=2, sign=False):
    """A template filter: ``value`` with ``digits`` decimals, thousands separators, a minus sign (not a hyphen) and,
    with ``sign``, a plus sign: 1,000,000, 0.50, −2.1, +0.3."""
    return ("{:+,.{}f}" if sign else "{:,.{}f}").format(value, digits).replace("-", "\u2212")


def percent(share, digits=0):
    """A template filter: the share ``share`` (0 to 1) in per cent: 0.5714 -> "57 %"."""
    return fixed(100 * share, digits) + "\u2009%"


def nats(value):
    """A template filter: ``value`` (>= 0) to two significant digits: 52.7 -> "53", 0.057 -> "0.057", and
    "under 0.001" below 0.001 (no exponents in the text)."""
    return "{:.2g}".format(value) if value >= 0.001 else "under 0.001"


def words(items, pattern="{}"):
    """A template filter: ``items`` as a list in words, each written with ``pattern`` (a tuple or a dict fills its
    fields): [1, 4, 9] -> "1, 4 and 9"; [(2, 8)] with "the {} is read as {}" -> "the 2 is read as 8"."""
    items = [pattern.format(**item) if isinstance(item, dict) else
             pattern.format(*item) if isinstance(item, (tuple, list)) else pattern.format(item) for item in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def capitalize_first(text):
    """A template filter: ``text`` with its first letter in upper case (str.capitalize lowers the rest)."""
    return text[:1].upper() + text[1:]


def plain(text):
    """A template filter: ``text`` escaped so that Markdown and HTML print exactly its characters."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", html.escape(text, quote=False))


def render(context, name="submission.md.j2"):
    """The template ``name`` (with the templates it includes) filled with the dict ``context``."""
    import jinja2
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(fixed=fixed, nats=nats, percent=percent, words=words, plain=plain,
                               capitalize_first=capitalize_first)
    return environment.get_template(name).render(context, first_line=FIRST_LINE)


def written_here(path):
    """Whether ``path`` is missing or a file that build_submission wrote (a PDF with its marker, a Markdown
    file starting with its first line), so that it may be replaced."""
    if not os.path.exists(path):
        return True
    if path.lower().endswith(".pdf"):
        from lib.report.document import has_marker
        return has_marker(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.readline().rstrip("\n") == FIRST_LINE


def build_submission(results_root, output, gan_run=None, names="", quick=False):
    """Write ``output`` (a PDF) and the Markdown it is made of beside it (same name, .md), from the results
    under ``results_root``. Returns ``(markdown path, number of pages)``. A file at either path that this
    function did not write is never replaced (the sheet allows a PDF written by hand)."""
    from lib.report.document import write_pdf
    from lib.report.results import load_results
    from lib.utils.files import save_text
    markdown_path = os.path.splitext(output)[0] + ".md"
    for path in (output, markdown_path):
        if not written_here(path):
            raise UserError("{} exists and was not written by make_submission.py, so it is not replaced; move it "
                            "away or choose another --output".format(path))
    out_dir = os.path.dirname(os.path.abspath(output))
    context = load_results(results_root, out_dir, gan_run)
    context.update(names=names.strip(), quick=quick)
    text = render(context)
    pages = write_pdf(text, out_dir, output, footer="smoke run" if quick else "")
    save_text(text, markdown_path)
    return markdown_path, pages
