"""Build submission.pdf: the answers to every pen-and-paper question, written from this run's results."""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import os
import sys

from lib.utils.arguments import iso_date, nonempty_path
from lib.utils.errors import run_main
from lib.utils.files import configure_matplotlib

ROOT = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REFERENCE = os.path.join(ROOT, "..", "shared", "reference")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results_root", type=nonempty_path, default=".",
                        help="folder holding results_distributions/, results_kl{W}/ and results_gan/ (default .)")
    parser.add_argument("--output", type=nonempty_path, default=None,
                        help="PDF to write (default: submission.pdf in --results_root, so a quick run's results "
                             "never replace the full run's PDF)")
    parser.add_argument("--names", default="", help="the team's names for the title page, e.g. \"A. B, C. D\"")
    parser.add_argument("--date", type=iso_date, default=None,
                        help="date on the title page, YYYY-MM-DD (default: today)")
    parser.add_argument("--quick", action="store_true", help="mark every page as a quick smoke run")
    parser.add_argument("--gan_run", type=nonempty_path, default=None,
                        help="GAN run folder to show (default: newest finished results_gan/run_* under the root)")
    parser.add_argument("--reference_dir", type=nonempty_path, default=DEFAULT_REFERENCE,
                        help="the course's reference images, only measured to compare in words, never put into "
                             "the PDF (default ../shared/reference; skipped when absent)")
    parser.add_argument("--allow_missing", action="store_true",
                        help="leave marked gaps for missing results instead of stopping")
    parser.add_argument("--text_output", type=nonempty_path, default=None,
                        help="also write the PDF's text to this file")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    configure_matplotlib(False)
    from lib.report.build import build_submission
    from lib.report.document import SANS, missing_glyphs
    from lib.utils.errors import UserError, shell_quote
    from lib.utils.files import prepare_output_file, save_text

    missing = missing_glyphs(args.names)
    if missing:  # fpdf2 would leave them out of the title page with only a warning
        raise UserError("--names {} has characters the PDF's font ({}) cannot show, so they would be missing from the "
                        "title page: {}; write them in Latin letters (e.g. a transliteration such as Li Lei)"
                        .format(shell_quote(args.names), SANS, " ".join(missing)))

    output = os.path.join(args.results_root, "submission.pdf")  # written only once the results were found
    if args.output is not None:
        output = prepare_output_file(args.output, "--output", suffixes=(".pdf",))
    if os.path.isfile(output):
        with open(output, "rb") as handle:
            if handle.read(5) != b"%PDF-":
                raise UserError("{} exists and is not a PDF, so it is not replaced; choose another --output".format(
                    output))
    if args.text_output:
        prepare_output_file(args.text_output, "--text_output", suffixes=(".txt", ".md"))
    result = build_submission(args.results_root, output, names=args.names, date=args.date, quick=args.quick,
                              reference_dir=args.reference_dir, gan_run=args.gan_run,
                              allow_missing=args.allow_missing)
    if args.text_output:
        save_text(result.text, args.text_output)
    for item in result.missing:
        print("warning: missing {}".format(item), file=sys.stderr)
    print("wrote {} ({} pages{})".format(result.path, result.pages, ", quick run" if args.quick else ""))
    if not args.names.strip() and not args.quick:  # the sheet requires the names; a quick run is never handed in
        again = "python make_submission.py"
        for flag, value in (("--results_root", args.results_root), ("--output", args.output)):
            if value not in (None, "."):
                again += " {} {}".format(flag, shell_quote(value))
        print("warning: {} has a blank Names line, but the PDF must name its submitters; add them with `{} --names "
              "\"A. B, C. D\"`".format(result.path, again), file=sys.stderr)
    return result


if __name__ == "__main__":
    run_main(main)
