"""Part 2.1: histograms of sample means next to the normal distribution the central limit theorem predicts."""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import json
import os

from lib.utils.arguments import add_common_arguments, nonempty_path, positive_int
from lib.utils.errors import run_main
from lib.utils.files import configure_matplotlib, prepare_output_dir, save_figure, save_text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n_repetitions", type=positive_int, default=1024, help="sample means per panel")
    parser.add_argument("--sample_sizes", type=positive_int, nargs="+", default=[1, 16, 64, 1024],
                        help="numbers of samples averaged into one mean, one figure row each")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_distributions", help="folder for clt.png")
    add_common_arguments(parser, device=False)
    args = parser.parse_args(argv)
    configure_matplotlib(args.show)
    import matplotlib.pyplot as plt
    from lib.distributions import plot_clt

    prepare_output_dir(args.output_dir)
    plot_clt(args.n_repetitions, tuple(args.sample_sizes), plot=True)
    path = os.path.join(args.output_dir, "clt.png")
    save_figure(plt.gcf(), path, dpi=120)
    save_text(json.dumps({"n_repetitions": args.n_repetitions, "sample_sizes": args.sample_sizes}),
              os.path.join(args.output_dir, "clt.json"))  # what make_submission.py recomputes its numbers with
    print("wrote {}".format(path))
    if args.show:
        plt.show()


if __name__ == "__main__":
    run_main(main)
