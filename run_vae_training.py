"""Part 3: train the VAE on MNIST into results_kl{W}/ (or resume an interrupted run with --resume RUN_DIR)."""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import glob
import os
import sys

from lib.utils.arguments import add_common_arguments, non_negative_float, nonempty_path, positive_float, positive_int, \
    seed
from lib.utils.errors import UserError, run_main, shell_quote

# Training settings a resumed run must keep; None as the parser default tells "not given" from "given".
DEFAULTS = {"kl_loss_weight": 1.0, "epochs": 15, "batch_size": 128, "lr": 1e-3, "seed": 0, "hidden_size": 100,
            "latent_size": 2}
FIXED_ON_RESUME = ("kl_loss_weight", "batch_size", "lr", "seed", "hidden_size", "latent_size")


def default_run_dir(kl_loss_weight):
    """The run folder of the exercise sheet: results_kl1.0, results_kl30.0, results_kl0.0, ..."""
    return "results_kl{}".format(float(kl_loss_weight))


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kl_loss_weight", type=non_negative_float, default=None,
                        help="weight of the KL term in the loss (default 1.0; 0 gives a plain autoencoder)")
    parser.add_argument("--epochs", type=positive_int, default=None, help="epochs in total (default 15)")
    parser.add_argument("--batch_size", type=positive_int, default=None, help="images per batch (default 128)")
    parser.add_argument("--lr", type=positive_float, default=None, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--seed", type=seed, default=None,
                        help="seed of the initialisation, the shuffling and the sampling noise (default 0); "
                             "the same seed repeats a CPU run bit for bit")
    parser.add_argument("--hidden_size", type=positive_int, default=None, help="hidden units per side (default 100)")
    parser.add_argument("--latent_size", type=positive_int, default=None,
                        help="latent dimensions (default 2; plot_latent_space.py needs 2)")
    parser.add_argument("--data_dir", type=nonempty_path, default=None,
                        help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data)")
    parser.add_argument("--output_dir", type=nonempty_path, default=None,
                        help="run folder (default results_kl{W}, e.g. results_kl1.0)")
    parser.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path, default=None,
                        help="continue the interrupted run in RUN_DIR from its checkpoint.pth")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run even where --output_dir holds one (its files are deleted first)")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="CPU threads for torch (default 1: this small model gains at most about 25 %% from a "
                             "second one, and loses many times that when another job shares the cores)")
    parser.add_argument("--per_sample_loader", action="store_true",
                        help="load MNIST with torchvision's per-image ToTensor DataLoader (slower; for comparison)")
    add_common_arguments(parser)
    return parser


def run_files(output_dir):
    """The files a training run (and plot_latent_space.py, which writes beside it) left in ``output_dir``."""
    from lib.evaluation import PRIOR_QUALITY_NAME
    from lib.explore_latent_space import LATENT_CODES_NAME, LATENT_SPACE_NAME, LATENT_STATS_NAME, \
        PRIOR_SAMPLES_NAME
    from lib.train_vae import LOSSES_NAME, MODEL_NAME
    from lib.training_run import CHECKPOINT_NAME
    names = [CHECKPOINT_NAME, MODEL_NAME, LOSSES_NAME, "loss_curve.png", "training_samples.png",
             LATENT_SPACE_NAME, LATENT_STATS_NAME, LATENT_CODES_NAME, PRIOR_SAMPLES_NAME, PRIOR_QUALITY_NAME]
    paths = [os.path.join(output_dir, name) for name in names]
    paths += sorted(glob.glob(os.path.join(glob.escape(output_dir), "reconstruction_*.png")))
    return [path for path in paths if os.path.isfile(path)]


def resolve_settings(args, checkpoint):
    """Fill the training settings from the defaults, or from the checkpoint of the run being resumed."""
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    if checkpoint is None:
        settings = dict(DEFAULTS, **given)
        settings["output_dir"] = args.output_dir or default_run_dir(settings["kl_loss_weight"])
        return settings
    saved = dict({"kl_loss_weight": checkpoint.get("kl_loss_weight"), "lr": checkpoint.get("lr"),
                  "epochs": checkpoint.get("num_epochs")}, **(checkpoint.get("args") or {}))
    saved = {key: value for key, value in saved.items() if value is not None}
    settings = {key: saved.get(key, DEFAULTS[key]) for key in DEFAULTS}
    for key in FIXED_ON_RESUME:
        if key in given and given[key] != settings[key]:
            raise UserError("--{} {} differs from the run in {} ({}); leave it out when resuming, or start a new "
                            "run in another --output_dir".format(key, given[key], args.resume, settings[key]))
    settings["epochs"] = given.get("epochs", settings["epochs"])
    if checkpoint["epoch"] >= settings["epochs"]:
        raise UserError("the run in {} has already finished {} epochs; pass --epochs N with N larger to train "
                        "further".format(args.resume, checkpoint["epoch"]))
    if args.output_dir and os.path.abspath(args.output_dir) != os.path.abspath(args.resume):
        raise UserError("--output_dir and --resume name different folders; a resumed run continues in its own "
                        "folder, so leave --output_dir out")
    settings["output_dir"] = args.resume
    return settings


def load_resume_checkpoint(run_dir):
    from lib.train_vae import CHECKPOINT_FORMAT
    from lib.training_run import CHECKPOINT_NAME
    from lib.utils.checkpoints import load_checkpoint
    path = os.path.join(run_dir, CHECKPOINT_NAME)
    checkpoint = load_checkpoint(path, "there is nothing to resume there; start a run with "
                                       "`python run_vae_training.py --kl_loss_weight W`")
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise UserError("{} is not a checkpoint written by run_vae_training.py; pass the folder of an interrupted "
                        "VAE run to --resume".format(path))
    return checkpoint


def main(argv=None):
    args = build_parser().parse_args(argv)
    from lib.utils.files import configure_matplotlib
    configure_matplotlib(args.show)
    import torch
    from lib.model_vae import VAE
    from lib.train_vae import TrainingInterrupted, setup_mnist_dataloader, train_vae
    from lib.training_run import CHECKPOINT_NAME, LastCheckpoint, resume_command, stopped_at_once_error
    from lib.utils.checkpoints import load_state_dict_checked
    from lib.utils.devices import pick_device, seed_everything
    from lib.utils.files import prepare_output_dir

    checkpoint = load_resume_checkpoint(args.resume) if args.resume else None
    settings = resolve_settings(args, checkpoint)
    device = pick_device(args.device)
    output_dir = settings["output_dir"]
    old_files = run_files(output_dir) if checkpoint is None and os.path.isdir(output_dir) else []
    if old_files and not args.overwrite:
        resumable = os.path.join(output_dir, CHECKPOINT_NAME) in old_files
        raise UserError("{} already holds a training run ({}); {}choose another --output_dir, or pass --overwrite "
                        "to replace it".format(
                            output_dir, ", ".join(os.path.basename(path) for path in old_files[:3]) +
                            (", ..." if len(old_files) > 3 else ""),
                            "continue it with `{} --epochs N`, ".format(
                                resume_command("run_vae_training.py", output_dir)) if resumable else ""))
    try:
        seed_everything(settings["seed"])
        train_loader, test_loader = setup_mnist_dataloader(  # before any folder is made: the data may be missing
            settings["batch_size"], args.data_dir, device, args.per_sample_loader,
            shuffle_seed=settings["seed"])
        prepare_output_dir(output_dir)
        for path in old_files:  # --overwrite: nothing of the old run may mix with the new one
            os.remove(path)
        model = VAE(hidden_size=settings["hidden_size"], latent_size=settings["latent_size"])
        if checkpoint is not None:
            load_state_dict_checked(model, checkpoint["model"], os.path.join(args.resume, CHECKPOINT_NAME))
            print("resuming {} after {} epoch(s){}".format(
                output_dir, checkpoint["epoch"], " and {} batches".format(checkpoint["step"]) if checkpoint["step"]
                else ""))
        run_args = dict(vars(args), **settings)
        # One thread by default: on a 2-core machine shared with another job, two OpenMP threads that wait for each
        # other made an epoch 10 to 20 times slower (measured: 14-26 s instead of 1.4 s); alone they save 0.1-0.3 s.
        torch.set_num_threads(args.threads)
        where = str(device) if device.type != "cpu" else "cpu ({} thread{})".format(
            args.threads, "" if args.threads == 1 else "s")
        print("training the VAE (KL weight {}, {} epoch{}, batch size {}, lr {}, seed {}) on {} into {}".format(
            settings["kl_loss_weight"], settings["epochs"], "" if settings["epochs"] == 1 else "s",
            settings["batch_size"], settings["lr"], settings["seed"], where, output_dir), flush=True)
        history = train_vae(model, train_loader, test_loader, num_epochs=settings["epochs"], lr=settings["lr"],
                            kl_loss_weight=settings["kl_loss_weight"], device=device, output_dir=output_dir,
                            quiet=args.quiet, checkpoint=checkpoint, run_args=run_args)
    except TrainingInterrupted as stop:
        print("{}; {} holds that state; resume with `{}`".format(
            stop, stop.checkpoint_path, resume_command("run_vae_training.py", output_dir)), file=sys.stderr)
        sys.exit(128 + stop.signal_number)  # 130 after Ctrl-C, 143 after SIGTERM
    except KeyboardInterrupt:  # Ctrl-C outside train_vae (while loading the data): a resumed run's checkpoint is kept
        last = LastCheckpoint.of_run(os.path.join(output_dir, CHECKPOINT_NAME), checkpoint)
        raise stopped_at_once_error("run_vae_training.py", output_dir, last) from None  # run_main: status 130
    print("wrote {}: model.pth, checkpoint.pth, losses.json, loss_curve.png, training_samples.png, "
          "reconstruction_1..{}.png".format(output_dir, settings["epochs"]))
    print("next: python plot_latent_space.py --kl_loss_weight {}{}".format(
        settings["kl_loss_weight"], "" if output_dir == default_run_dir(settings["kl_loss_weight"])
        else " --model_dir {}".format(shell_quote(output_dir))))
    if args.show:
        import matplotlib.pyplot as plt
        from lib.train_vae import plot_losses
        plot_losses(history)
        plt.show()


if __name__ == "__main__":
    run_main(main)
