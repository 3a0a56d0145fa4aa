"""Fill the answers' Markdown templates with a run's results, and write submission.md and submission.pdf."""
import datetime
import os

from lib.utils.errors import UserError

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def fixed(value, digits=2, sign=False):
    """A template filter: ``value`` with ``digits`` decimals, thousands separators, a minus sign (not a hyphen) and,
    with ``sign``, a plus sign: 1,000,000, 0.50, −2.1, +0.3."""
    return ("{:+,.{}f}" if sign else "{:,.{}f}").format(value, digits).replace("-", "\u2212")


def render(context, name="submission.md.j2"):
    """The template ``name`` (with the templates it includes) filled with the dict ``context``."""
    import jinja2
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters["fixed"] = fixed
    return environment.get_template(name).render(context)


def build_submission(results_root, output, gan_run=None, names="", quick=False):
    """Write ``output`` (a PDF) and the Markdown it is made of beside it (same name, .md), from the results
    under ``results_root``. Returns ``(markdown path, number of pages)``."""
    from lib.report.document import write_pdf
    from lib.report.results import load_results
    from lib.utils.files import save_text
    out_dir = os.path.dirname(os.path.abspath(output))
    context = load_results(results_root, out_dir, gan_run)
    context.update(names=names.strip(), quick=quick, date=datetime.date.today().isoformat())
    text = render(context)
    markdown_path = os.path.splitext(output)[0] + ".md"
    if os.path.isfile(markdown_path):  # e.g. --output README.pdf: never replace a file this script did not write
        with open(markdown_path, encoding="utf-8") as handle:
            if handle.readline().rstrip("\n") != text.split("\n", 1)[0]:
                raise UserError("{} exists and was not written by make_submission.py, so it is not replaced; "
                                "choose another --output".format(markdown_path))
    pages = write_pdf(text, out_dir, output, footer="smoke run" if quick else "")
    save_text(text, markdown_path)
    return markdown_path, pages
