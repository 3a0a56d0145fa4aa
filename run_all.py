"""The whole exercise in one command, in the sheet's order: the part 2 figures, the VAE and its latent space for
the KL weights 1, 30 and 0, the GAN, samples at four temperatures, and submission.pdf built from all of it.

Run again, it reuses what is finished and continues a training that was stopped, so after a failure or a Ctrl-C
the same command goes on where it stopped. ./run_all.sh and run_all.bat call this script.
"""
import argparse
import glob
import json
import os

from lib.utils.errors import Interrupted, UserError, add_device_argument, nonempty_path, plural, run_main
from lib.utils.files import COURSE_GENERATOR, KL_WEIGHTS, prepare_output_dir, save_text, vae_run_dir

RECORD = "gan_run.json"  # in results_gan/: the GAN run run_all trains, continues and hands to the report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run in under a minute (1 VAE epoch, 2 GAN epochs, no FD/KID) into "
                             "results_quick/, with a PDF marked as such")
    parser.add_argument("--force", action="store_true", help="train and draw everything again")
    parser.add_argument("--names", default="", help="the submitters' names for the PDF's title page")
    parser.add_argument("--reference_generator", type=nonempty_path, default=COURSE_GENERATOR,
                        help="the course's 2500-epoch generator, sampled for the optional task when it is there "
                             "(default: {} in this folder)".format(COURSE_GENERATOR))
    add_device_argument(parser)
    args = parser.parse_args(argv)
    root = "results_quick" if args.quick else "."
    vae_epochs, gan_epochs = (1, 2) if args.quick else (15, 500)
    import importlib
    from lib.sample_gan import TEMPERATURE_SERIES
    import matplotlib
    matplotlib.use("Agg")
    prepare_output_dir(root, None)  # a read-only clone: said before any step

    def step(title, done, script, *arguments):
        """Run the root script ``script``'s main in this process, unless ``done``; on --device, if it has one."""
        print("\n== {}".format(title), flush=True)
        if done and not args.force:
            print("already done (--force does it again)")
            return
        try:
            device = [] if script in ("plot_clt", "plot_normal", "make_submission") else ["--device", args.device]
            importlib.import_module(script).main([str(argument) for argument in arguments] + device + ["--quiet"])
        except Interrupted as err:
            raise Interrupted("{}\nrun_all: run the same command again to go on from there".format(err),
                              err.exit_status) from None
        except UserError as err:
            raise UserError("{} (in the step \"{}\"; the steps before it are kept)".format(err, title)) from None

    figures = os.path.join(root, "results_distributions")
    step("part 2: the central limit theorem", has(figures, "clt.png"), "plot_clt", "--output_dir", figures)
    step("part 2: normal samples from uniform ones", has(figures, "normal.png"), "plot_normal", "--output_dir", figures)
    vae_trained = False
    for weight in KL_WEIGHTS:
        folder = vae_run_dir(weight, root)
        trained = 0 if args.force else trained_epochs(folder, "epochs")
        how = [] if trained >= vae_epochs else ["--resume", folder] if trained else [
            "--kl_loss_weight", weight, "--output_dir", folder, "--overwrite"]
        vae_trained = vae_trained or bool(how)
        step("part 3: the VAE with KL weight {:g}, {}".format(weight, plural(vae_epochs, "epoch")), not how,
             "run_vae_training", *how + ["--epochs", vae_epochs])
        step("part 3: its latent space", has(folder, "latent_space.png", "prior_samples.png") and not how,
             "plot_latent_space", "--model_dir", folder, "--kl_loss_weight", weight)
    if not args.quick:
        evaluated = all(has(vae_run_dir(w, root), "prior_quality.json") for w in KL_WEIGHTS)
        step("part 3: FD/KID of the VAEs' prior samples", evaluated and not vae_trained, "evaluate_vae",
             "--results_root", root)

    results = os.path.join(root, "results_gan")
    run = None if args.force else sheet_gan_run(results)
    how = [] if run and trained_epochs(run, "epoch") >= gan_epochs else ["--resume", run] if run else [
        "--output_dir", results]
    before = set(glob.glob(os.path.join(glob.escape(results), "run_*")))
    try:
        step("part 4: the GAN, {}".format(plural(gan_epochs, "epoch")), not how, "run_gan_training",
             *how + ["--epochs", gan_epochs])
    finally:  # the run this step started, stopped or not, is the one to continue
        started = set(glob.glob(os.path.join(glob.escape(results), "run_*"))) - before
        run = started.pop() if len(started) == 1 else run
        if run:
            save_text(json.dumps({"gan_run": os.path.basename(run)}), os.path.join(results, RECORD))
    checkpoints = [run] + ([args.reference_generator] if os.path.isfile(args.reference_generator) else [])
    if not args.quick:
        step("part 4: FD/KID of the generators", has(run, "sample_quality.json"), "evaluate_gan",
             *sum((["--checkpoint", path] for path in checkpoints), []), "--output",
             os.path.join(run, "sample_quality.json"))
    generator = checkpoints[-1] if len(checkpoints) > 1 else os.path.join(run, "generator_ema.pth")
    output = os.path.join(root, "results_gan", "temperatures.png")
    step("part 4: samples at temperatures {}".format(", ".join("{:g}".format(t) for t in TEMPERATURE_SERIES)),
         drawn_by(output) == generator and not how, "generate_gan_images", "--checkpoint", generator,
         "--temperatures", *TEMPERATURE_SERIES + ("--output", output))
    step("the hand-in: submission.pdf", False, "make_submission", "--results_root", root, "--gan_run", run,
         "--names", args.names, *(["--quick"] if args.quick else []))
    print("\nrun_all: done; the hand-in is {}".format(os.path.join(root, "submission.pdf")))


def has(folder, *names):
    """Whether ``folder`` (None: no folder) holds every one of the files ``names``."""
    return folder is not None and all(os.path.isfile(os.path.join(folder, name)) for name in names)


def drawn_by(grid):
    """The generator file that drew the image ``grid``, by the .json generate_gan_images.py wrote beside it."""
    return read_json(os.path.splitext(grid)[0] + ".json").get("checkpoint")


def read_json(path):
    """The dict the JSON file ``path`` holds, {} when it is missing or damaged."""
    try:
        with open(path) as handle:
            content = json.load(handle)
        return content if isinstance(content, dict) else {}
    except (OSError, ValueError):
        return {}


def trained_epochs(folder, history_key):
    """How many epochs the checkpoint of the run in ``folder`` holds (0 without one)."""
    from lib.utils.checkpoints import load_checkpoint
    path = os.path.join(folder, "checkpoint.pth")
    return len(load_checkpoint(path, "")["history"][history_key]) if os.path.isfile(path) else 0


def sheet_gan_run(results):
    """The GAN run run_all trains in ``results``: the one recorded there, else the newest whose settings are all
    the sheet's (a run of an older version), or None. A run with other settings is never taken."""
    recorded = os.path.join(results, str(read_json(os.path.join(results, RECORD)).get("gan_run")))
    if os.path.isfile(os.path.join(recorded, "checkpoint.pth")):
        return recorded
    from lib.utils.checkpoints import load_checkpoint
    from run_gan_training import HOW_TO_RUN, build_parser
    sheet = {key: value for key, value in vars(build_parser().parse_args([])).items()
             if key not in HOW_TO_RUN + ("data_dir", "output_dir", "epochs", "resume")}
    for path in sorted(glob.glob(os.path.join(glob.escape(results), "run_*", "checkpoint.pth")),
                       key=os.path.getmtime, reverse=True):
        if all(load_checkpoint(path, "").get("args", {}).get(key) == value for key, value in sheet.items()):
            return os.path.dirname(path)
    return None


if __name__ == "__main__":
    run_main(main)
