"""Part 3 (beyond the sheet): how well each VAE generates digits, as FD and KID of 10,000 digits decoded from its
prior z ~ N(0, I) against the 10,000 MNIST test digits; and the digits the classifier behind them reads in the
figures: the 100 prior samples of prior_samples.png and the 8 reconstructions of the last reconstruction figure.

Reads results_kl{1.0,30.0,0.0}/model.pth under --results_root, prints a table (mean ± standard deviation over the
sampling seeds, and the floor: 10,000 training digits against the test digits) and writes prior_quality.json into
each of those folders (with prior_sample_digits and reconstruction_digits). The features come from a small
classifier trained on the MNIST training set on first use and cached in --cache_dir (docs/sample_quality.md).
"""
import argparse
import json
import os

from lib.utils.errors import add_common_arguments, nonempty_path, positive_int, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results_root", type=nonempty_path, default=".",
                        help="the folder holding results_kl1.0/, results_kl30.0/ and results_kl0.0/")
    parser.add_argument("--data_dir", type=nonempty_path, default="data", help="folder holding MNIST/raw/")
    parser.add_argument("--cache_dir", type=nonempty_path, default="results_eval",
                        help="where the feature classifier is cached")
    parser.add_argument("--seeds", type=positive_int, default=3, help="sampling seeds 0 .. N-1 (default 3)")
    add_common_arguments(parser, show=False)
    args = parser.parse_args(argv)
    from lib.evaluation import NOTE, evaluate_vae, mean_std, table
    from lib.utils.devices import pick_device
    from lib.utils.files import KL_WEIGHTS, save_text, vae_run_dir

    runs = {weight: vae_run_dir(weight, args.results_root) for weight in KL_WEIGHTS}
    result = evaluate_vae(runs, args.data_dir, args.cache_dir, args.seeds, pick_device(args.device), args.quiet)
    classifier, n = result["classifier"], result["samples"]
    for weight, folder in runs.items():
        save_text(json.dumps(dict(result["runs"][weight], kl_loss_weight=weight, samples=n, floor=result["floor"],
                                  classifier=classifier, note=NOTE), indent=1),
                  os.path.join(folder, "prior_quality.json"))
    print("feature classifier: {:.1%} of the {} test digits right ({} in {})".format(
        classifier["test_accuracy"], classifier["test_images"], "cached" if classifier["cached"] else "trained now",
        args.cache_dir))
    print("FD and KID of {} decoded prior samples against the {} test digits, mean ± standard deviation over {} "
          "sampling seeds; lower is better. {}.".format(n, n, args.seeds, NOTE))
    rows = [["prior samples, KL weight {:g}".format(weight), mean_std(scores["fd"]), mean_std(scores["kid"], 1000)]
            for weight, scores in result["runs"].items()]
    rows.append(["floor: {} training digits".format(n), mean_std(result["floor"]["fd"]),
                 mean_std(result["floor"]["kid"], 1000)])
    print(table(["samples", "FD", "KID x 1000"], rows))
    for weight, run in result["runs"].items():
        print("KL weight {:g}: the classifier reads the 100 prior samples as digits 0..9 {}, and the reconstructions "
              "of the test digits {} as {}".format(weight, run["prior_sample_digits"],
                                                   "".join(map(str, run["reconstruction_digits"]["true"])),
                                                   "".join(map(str, run["reconstruction_digits"]["read"]))))
    print("wrote prior_quality.json into {}".format(", ".join(runs.values())))


if __name__ == "__main__":
    run_main(main)
