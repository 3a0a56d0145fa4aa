"""Sheet task 2.2: normal samples made from uniform ones (means of 1024 draws of U(-b, b), b = sqrt(3 * 1024)),
beside numpy's normal samples."""
import argparse
import os

from lib.utils.errors import add_common_arguments, nonempty_path, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", type=nonempty_path, default="results_distributions",
                        help="where normal.png goes")
    add_common_arguments(parser, device=False)
    args = parser.parse_args(argv)
    from lib.utils.files import configure_matplotlib, prepare_output_dir, save_figure, show_images
    configure_matplotlib(args.show)
    import numpy as np
    from lib.distributions import plot_normal

    path = os.path.join(prepare_output_dir(args.output_dir), "normal.png")
    np.random.seed(0)  # the same figure on every run
    save_figure(plot_normal(), path)
    print("wrote {}".format(path))
    if args.show:
        show_images([path])


if __name__ == "__main__":
    run_main(main)
