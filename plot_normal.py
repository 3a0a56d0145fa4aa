"""Part 2.2: normal samples built from uniform samples only, compared with numpy's normal sampler."""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import json
import os

from lib.utils.arguments import add_common_arguments, nonempty_path, positive_int, seed
from lib.utils.errors import run_main
from lib.utils.files import configure_matplotlib, prepare_output_dir, save_figure, save_text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n_samples", type=positive_int, default=10000, help="samples per histogram")
    parser.add_argument("--bins", type=positive_int, default=40, help="histogram bins")
    parser.add_argument("--seed", type=seed, default=0, help="numpy random seed")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_distributions",
                        help="folder for normal.png")
    add_common_arguments(parser, device=False)
    args = parser.parse_args(argv)
    configure_matplotlib(args.show)
    import matplotlib.pyplot as plt
    import numpy as np
    from lib.distributions import plot_normal

    prepare_output_dir(args.output_dir)
    np.random.seed(args.seed)
    fig = plot_normal(args.n_samples, args.bins)
    path = os.path.join(args.output_dir, "normal.png")
    save_figure(fig, path, dpi=120)
    save_text(json.dumps({"n_samples": args.n_samples, "bins": args.bins, "seed": args.seed}),
              os.path.join(args.output_dir, "normal.json"))  # what make_submission.py recomputes its numbers with
    print("wrote {}".format(path))
    if args.show:
        plt.show()


if __name__ == "__main__":
    run_main(main)
