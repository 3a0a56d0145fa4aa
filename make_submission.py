"""Build submission.pdf, the hand-in, and submission.md beside it: the answers in lib/report/templates/ filled in
with the numbers and figures of the results folders (run ./run_all.sh first). The course's reference images
(vae_output_15_epochs.png, gan_output_500_epochs.png, gan_output_2500_epochs.png) are compared where they lie in
the folder it runs in."""
import argparse
import os
import shlex
import sys

from lib.utils.errors import UserError, nonempty_path, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results_root", type=nonempty_path, default=".",
                        help="folder holding results_distributions/, results_kl{W}/ and results_gan/ (default .)")
    parser.add_argument("--gan_run", type=nonempty_path,
                        help="GAN run folder to show (default: the run under RESULTS_ROOT/results_gan whose "
                             "checkpoint.pth was written last)")
    parser.add_argument("--output", type=nonempty_path,
                        help="PDF to write (default RESULTS_ROOT/submission.pdf); the .md goes beside it. A PDF or .md "
                             "there that make_submission.py did not write is never replaced")
    parser.add_argument("--names", default="",
                        help="the submitters for the title page, one line of plain text, e.g. \"A. B, C. D\"")
    parser.add_argument("--quick", action="store_true",
                        help="the results are those of ./run_all.sh --quick: mark the PDF as a smoke run")
    parser.add_argument("--quiet", action="store_true", help="print warnings only")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.results_root):
        raise UserError("the results folder {} does not exist; make the results with ./run_all.sh, or pass their "
                        "folder to --results_root".format(args.results_root))
    output = args.output or os.path.normpath(os.path.join(args.results_root, "submission.pdf"))
    if os.path.splitext(output)[1].lower() != ".pdf":
        parser.error("--output must end in .pdf")
    if len(args.names.splitlines()) > 1:
        raise UserError("--names holds a line break, but the title page has one line for the names; write them on "
                        "one line, separated by commas")
    from lib.report.document import missing_glyphs
    missing = missing_glyphs(args.names)
    if missing:
        raise UserError("--names holds characters the PDF's font (DejaVu Sans) cannot print, {}, so they would be "
                        "left out of the title page; write the names in Latin letters".format(" ".join(missing)))
    from lib.utils.files import configure_matplotlib, prepare_output_dir
    configure_matplotlib(False)
    from lib.report.build import build_submission

    prepare_output_dir(os.path.dirname(os.path.abspath(output)), "--output")
    markdown, pages = build_submission(args.results_root, output, args.gan_run, args.names, args.quick)
    if not args.quiet:
        print("wrote {} ({} pages) and {}".format(output, pages, markdown))
    if not args.names.strip() and not args.quick:  # the sheet wants the names; a smoke run is never handed in
        flags = [(flag, value) for flag, value in (("--results_root", args.results_root), ("--gan_run", args.gan_run),
                                                   ("--output", args.output)) if value not in (None, ".")]
        command = " ".join(["python make_submission.py"] + ["{} {}".format(f, shlex.quote(v)) for f, v in flags])
        print("warning: the names line of {} is blank; fill it in with `{} --names \"A. B, C. D\"`".format(
            output, command), file=sys.stderr)


if __name__ == "__main__":
    run_main(main)
