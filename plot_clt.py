"""Sheet task 2.1: histograms of sample means beside the normal distribution the central limit theorem predicts."""
import argparse
import os

from lib.utils.errors import add_common_arguments, nonempty_path, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", type=nonempty_path, default="results_distributions", help="where clt.png goes")
    add_common_arguments(parser, device=False)
    args = parser.parse_args(argv)
    from lib.utils.files import configure_matplotlib, prepare_output_dir, save_figure, show_images
    configure_matplotlib(args.show)
    import matplotlib.pyplot as plt
    from lib.distributions import plot_clt

    path = os.path.join(prepare_output_dir(args.output_dir), "clt.png")
    plot_clt()
    save_figure(plt.gcf(), path)
    print("wrote {}".format(path))
    if args.show:
        show_images([path])


if __name__ == "__main__":
    run_main(main)
