"""Sheet tasks 3.1 and 3.3: train the VAE on MNIST into results_kl{W}/, W being --kl_loss_weight.

python run_vae_training.py --kl_loss_weight 30     # writes results_kl30.0/
python run_vae_training.py --resume results_kl30.0 # continues a run that was stopped (Ctrl-C, SIGTERM)
"""
import argparse
import glob
import os

from lib.utils.errors import Interrupted, UserError, add_common_arguments, non_negative_float, nonempty_path, \
    plural, positive_float, positive_int, run_main, seed
from lib.utils.files import vae_run_dir

# The settings a run trains with; a resumed run takes its own from its checkpoint.
DEFAULTS = {"kl_loss_weight": 1.0, "epochs": 15, "batch_size": 128, "lr": 1e-3, "seed": 0, "hidden_size": 100,
            "latent_size": 2}
RUN_FILES = ("checkpoint.pth", "model.pth", "losses.json", "loss_curve.png", "training_samples.png",
             "reconstruction_*.png", "latent_space.png", "latent_stats.json", "latent_codes.png",
             "prior_samples.png", "prior_quality.json")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kl_loss_weight", type=non_negative_float, help="weight W of the KL term (default 1)")
    parser.add_argument("--epochs", type=positive_int, help="epochs in total (default 15)")
    parser.add_argument("--batch_size", type=positive_int, help="images per Adam step (default 128)")
    parser.add_argument("--lr", type=positive_float, help="Adam's learning rate (default 0.001)")
    parser.add_argument("--seed", type=seed, help="seed of the initialisation, shuffling and noise (default 0)")
    parser.add_argument("--hidden_size", type=positive_int, help="hidden units on each side (default 100)")
    parser.add_argument("--latent_size", type=positive_int, help="latent dimensions (default 2)")
    parser.add_argument("--data_dir", type=nonempty_path, default="data", help="folder holding MNIST/raw/")
    parser.add_argument("--output_dir", type=nonempty_path, help="run folder (default results_kl{W})")
    parser.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path, help="continue the run in RUN_DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace a run that --output_dir already holds")
    add_common_arguments(parser)
    return parser.parse_args(argv)


def run_settings(args, checkpoint):
    """The settings to train with: the flags over the defaults, or a resumed run's own (only --epochs may grow)."""
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    if checkpoint is None:
        settings = dict(DEFAULTS, **given)
        settings["output_dir"] = args.output_dir or vae_run_dir(settings["kl_loss_weight"])
        return settings
    if not isinstance(checkpoint, dict) or "kl_loss_weight" not in checkpoint.get("history", ()):
        raise UserError("{} holds no checkpoint of run_vae_training.py (a GAN run's, or bare weights?); pass the "
                        "folder of a VAE run to --resume".format(args.resume))
    settings = dict(DEFAULTS, **checkpoint["args"])
    for key, value in given.items():
        if key != "epochs" and value != settings[key]:
            raise UserError("--{} {} differs from the run in {} ({}); leave it out to continue that run, or start a "
                            "new one".format(key, value, args.resume, settings[key]))
    settings["epochs"] = given.get("epochs", settings["epochs"])
    trained = len(checkpoint["history"]["epochs"])
    if trained >= settings["epochs"]:
        raise UserError("the run in {} has already trained {}; pass a larger --epochs to go on".format(
            args.resume, plural(trained, "epoch")))
    settings["output_dir"] = args.resume
    return settings


def main(argv=None):
    args = parse_args(argv)
    from lib.utils.files import configure_matplotlib, prepare_output_dir
    configure_matplotlib(args.show)
    from lib.model_vae import VAE
    from lib.train_vae import setup_mnist_dataloader, train_vae
    from lib.utils.checkpoints import CHECKPOINT_NAME, load_checkpoint
    from lib.utils.devices import pick_device, seed_everything

    checkpoint = None
    if args.resume:
        checkpoint = load_checkpoint(os.path.join(args.resume, CHECKPOINT_NAME), "there is no run to continue")
    settings = run_settings(args, checkpoint)
    output_dir = settings["output_dir"]
    old_files = [] if checkpoint else [path for name in RUN_FILES for path in glob.glob(os.path.join(
        glob.escape(output_dir), name))]
    if old_files and not args.overwrite:
        raise UserError("{} already holds a run; continue it with `python run_vae_training.py --resume {}` (add "
                        "--epochs N to train a finished one further), or start over with --overwrite".format(
                            output_dir, output_dir))
    device = pick_device(args.device)
    seed_everything(settings["seed"])
    train_loader, test_loader = setup_mnist_dataloader(settings["batch_size"], args.data_dir, device,
                                                       settings["seed"])
    prepare_output_dir(output_dir)
    for path in old_files:
        os.remove(path)
    model = VAE(hidden_size=settings["hidden_size"], latent_size=settings["latent_size"])
    print("training the VAE with KL weight {:g} for {} into {}".format(
        settings["kl_loss_weight"], plural(settings["epochs"], "epoch"), output_dir))
    try:
        train_vae(model, train_loader, test_loader, settings["epochs"], settings["lr"], settings["kl_loss_weight"],
                  device=device, output_dir=output_dir, checkpoint=checkpoint, run_args=settings, quiet=args.quiet)
    except Interrupted as stop:
        raise Interrupted("{}: continue with `python run_vae_training.py --resume {}`".format(stop, output_dir),
                          stop.exit_status) from None
    default_dir = vae_run_dir(settings["kl_loss_weight"])  # where plot_latent_space.py looks
    print("wrote {}; next: python plot_latent_space.py --kl_loss_weight {:g}{}".format(
        output_dir, settings["kl_loss_weight"], "" if os.path.normpath(output_dir) == default_dir
        else " --model_dir {}".format(output_dir)))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(output_dir, "loss_curve.png")])


if __name__ == "__main__":
    run_main(main)
