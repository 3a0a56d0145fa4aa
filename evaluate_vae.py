"""Part 3 (beyond the sheet): FD and KID of 10,000 samples from the prior N(0, I) of each trained VAE.

Decodes the prior samples of results_kl{W}/model.pth for each KL weight and compares them with the MNIST test set
in the features of a small classifier (trained on the training set on first use, cached in --cache_dir). Prints a
table and writes results_kl{W}/prior_quality.json, which make_submission.py reads.
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import os

from lib.utils.arguments import add_common_arguments, non_negative_float, nonempty_path, positive_int
from lib.utils.errors import run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kl_loss_weights", type=non_negative_float, nargs="+", default=[1.0, 30.0, 0.0],
                        help="KL weights of the runs to measure (default: the sheet's 1 30 0)")
    parser.add_argument("--results_root", type=nonempty_path, default=".",
                        help="folder holding the results_kl{W}/ folders")
    parser.add_argument("--data_dir", type=nonempty_path, default=None,
                        help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data)")
    parser.add_argument("--cache_dir", type=nonempty_path, default="results_eval",
                        help="where the feature classifier is cached")
    parser.add_argument("--seeds", type=positive_int, default=3, help="sampling seeds 0 .. N-1 (default 3)")
    add_common_arguments(parser, device=False)
    args = parser.parse_args(argv)
    from lib.evaluation import PRIOR_QUALITY_NAME
    from lib.evaluation.vae import evaluate_vae_runs, format_table, write_run_files

    folders = [os.path.join(args.results_root, "results_kl{}".format(weight)) for weight in args.kl_loss_weights]
    result = evaluate_vae_runs(folders, args.data_dir, args.cache_dir, args.seeds, args.quiet)
    write_run_files(result)
    classifier = result["classifier"]
    print("feature classifier: accuracy {:.1%} on the {} test digits ({} {})".format(
        classifier["accuracy_test"], classifier["test_images"], "cached in" if classifier["reused"] else
        "trained now, cached in", args.cache_dir))
    print("FD and KID of {} decoded prior samples vs the test set (KID: subsets of {}, {} of them); mean ± "
          "standard deviation over {} sampling seeds; lower is better".format(
              result["samples"], result["kid_subset"], result["kid_subsets"], args.seeds))
    print(format_table(result))
    print("wrote {} into each run folder".format(PRIOR_QUALITY_NAME))


if __name__ == "__main__":
    run_main(main)
