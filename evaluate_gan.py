"""Part 4 (beyond the sheet): how well DCGAN generators draw flowers, as FD and KID of 400 generated against 400 real
photos, per batch-norm sampling mode (standing, running, batch; see generate_gan_images.py); and whether they
copy their training photos: each sample's distance to its nearest training photo, against a real val photo's.

A floor row compares two disjoint halves of the real photos with each other: no generator can be expected below
it. Every number is a mean ± standard deviation over the sampling seeds. The features come from a small classifier
trained on the flowers' train split on first use and cached in --cache_dir (docs/sample_quality.md). The
nearest-neighbour figures (samples above their nearest training photos) go into --figure_dir.
"""
import argparse
import json
import os

from lib.utils.errors import add_common_arguments, nonempty_path, positive_int, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=nonempty_path, action="append", metavar="PATH",
                        help="a generator file (generator.pth, generator_ema.pth, checkpoint.pth, the course's "
                             "gan_model_g_2500_epochs.pth) or a run folder (its generator.pth and generator_ema.pth);"
                             " repeat for more (default: the newest run under results_gan/)")
    parser.add_argument("--data_dir", type=nonempty_path, default="dataset_flowers_64px",
                        help="the flowers, as train/, val/ and test/ folders of class folders")
    parser.add_argument("--cache_dir", type=nonempty_path, default="results_eval",
                        help="where the feature classifier is cached")
    parser.add_argument("--seeds", type=positive_int, default=3, help="sampling seeds 0 .. N-1 (default 3)")
    parser.add_argument("--figure_dir", type=nonempty_path, default="results_eval",
                        help="where the nearest-neighbour figures go, nearest_<generator>.png")
    parser.add_argument("--output", type=nonempty_path, help="also write the numbers into this JSON file")
    add_common_arguments(parser, show=False)
    args = parser.parse_args(argv)
    from lib.evaluation import NOTE, evaluate_generators, mean_std, table
    from lib.sample_gan import find_newest_generator
    from lib.utils.devices import pick_device
    from lib.utils.files import prepare_output_dir, save_text

    device = pick_device(args.device)
    paths = args.checkpoint or [os.path.dirname(find_newest_generator())]
    if args.output:
        prepare_output_dir(os.path.dirname(os.path.abspath(args.output)), "--output")
    result = evaluate_generators(paths, args.data_dir, args.cache_dir, args.seeds, device, args.quiet,
                                 figure_dir=args.figure_dir)
    classifier, n = result["classifier"], result["images_per_side"]
    print("feature classifier: {:.1%} of the {} val and test photos right ({} in {})".format(
        classifier["held_out_accuracy"], classifier["held_out_images"],
        "cached" if classifier["cached"] else "trained now", args.cache_dir))
    print("FD and KID of {} generated against {} real photos, mean ± standard deviation over {} sampling seeds; "
          "lower is better. {}.".format(n, n, args.seeds, NOTE))
    print(table(["generator", "sampling", "FD", "KID x 1000"], [
        [row["label"], row["sampling"], mean_std(row["fd"]), mean_std(row["kid"], 1000)] for row in result["rows"]]))
    nearest = result["nearest"]
    print("\nDistance to the nearest of {} views (3 crops, each mirrored) of the train photos: RMS pixel difference "
          "(0..1) and feature distance, median (5th percentile); and the share of samples nearer than the 5th "
          "percentile of the {} val photos: about 5 % for images as new as real photos, more for copies.".format(
              nearest["reference_views"], nearest["val_photos"]))
    rows = [["val photos (real, not in train/)", "{median:.3f} ({p05:.3f})".format(**nearest["pixels"]),
             "{median:.2f} ({p05:.2f})".format(**nearest["features"]), "", ""]]
    rows += [[row["label"] + " ({} samples)".format(row["samples"]), "{median:.3f} ({p05:.3f})".format(**row["pixels"]),
              "{median:.2f} ({p05:.2f})".format(**row["features"]),
              "{:.1%}".format(row["pixels"]["share_below_val_p05"]),
              "{:.1%}".format(row["features"]["share_below_val_p05"])] for row in nearest["generators"]]
    print(table(["images", "pixels", "features", "below val p05: pixels", "features"], rows))
    print("figures: {}".format(", ".join(row["figure"] for row in nearest["generators"])))
    if args.output:
        save_text(json.dumps(dict(result, seeds=args.seeds, note=NOTE), indent=1), args.output)
        print("wrote {}".format(args.output))


if __name__ == "__main__":
    run_main(main)
