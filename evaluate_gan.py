"""Part 4 (beyond the sheet): a sample-quality number for DCGAN generators, FD and KID against the real flowers.

Prints one row per generator and sampling mode, and the real-image floor (two disjoint halves of the real images
against each other), each as mean ± standard deviation over the sampling seeds. The features come from a small
classifier trained on the flowers' train split on first use and cached in --cache_dir (see lib/evaluation/gan.py).
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import json
import os

from lib.utils.arguments import add_common_arguments, nonempty_path, positive_int
from lib.utils.errors import run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=nonempty_path, action="append", default=None, metavar="PATH",
                        help="generator.pth, generator_ema.pth, checkpoint.pth, the course's generator file, or a run "
                             "folder (its generator.pth and generator_ema.pth); repeat for more (default: the "
                             "newest run under --results_dir)")
    parser.add_argument("--results_dir", type=nonempty_path, default="results_gan",
                        help="where to look for the newest run")
    parser.add_argument("--data_dir", type=nonempty_path, default=None,
                        help="the flowers folder with train/, val/, test/ (default: $FLOWERS_ROOT or "
                             "dataset_flowers_64px/)")
    parser.add_argument("--cache_dir", type=nonempty_path, default="results_eval",
                        help="where the feature classifier is cached")
    parser.add_argument("--seeds", type=positive_int, default=3, help="sampling seeds 0 .. N-1 (default 3)")
    parser.add_argument("--modes", nargs="+", default=None, choices=("standing", "running", "batch"),
                        help="sampling modes to measure (default: all three)")
    parser.add_argument("--output", type=nonempty_path, default=None, help="also write the numbers to this JSON file")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    from lib.evaluation.gan import evaluate_generators, format_table
    from lib.flowers import default_flowers_dir
    from lib.gan_sampling import SAMPLING_MODES, find_newest_generator
    from lib.utils.devices import pick_device
    from lib.utils.files import prepare_output_file, save_text

    device = pick_device(args.device)
    paths = args.checkpoint or [os.path.dirname(find_newest_generator(args.results_dir))]
    if args.output:
        prepare_output_file(args.output)
    result = evaluate_generators(paths, args.data_dir or default_flowers_dir(), args.cache_dir, args.seeds,
                                 args.modes or SAMPLING_MODES, device, args.quiet)
    classifier = result["classifier"]
    print("feature classifier: accuracy {:.1%} on the {} val+test images ({})".format(
        classifier["accuracy_val_test"], classifier["val_test_images"],
        "cached in {}".format(args.cache_dir) if classifier["reused"] else "trained now, cached in {}".format(
            args.cache_dir)))
    print("FD and KID of {} generated vs {} real images (KID: subsets of {}, {} of them); mean ± standard "
          "deviation over {} sampling seeds; lower is better".format(
              result["images_per_side"], result["images_per_side"], result["kid_subset"], result["kid_subsets"],
              result["seeds"]))
    print(format_table(result))
    if args.output:
        save_text(json.dumps(result, indent=1), args.output)
        print("wrote {}".format(args.output))


if __name__ == "__main__":
    run_main(main)
