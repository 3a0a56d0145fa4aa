"""Part 4: train the DCGAN on the flowers set (course defaults) and write results_gan/run_<settings>_<time>/.

Ctrl-C (or SIGTERM, as Slurm sends before a time limit) finishes the current epoch, writes a checkpoint and
prints the command that resumes the run; ``--resume RUN_DIR`` continues it to the same number of updates as an
uninterrupted run, on this device or another.
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import os
import sys
import time

from lib.gan_settings import TRAINING_DEFAULTS
from lib.utils.arguments import add_common_arguments, below_one, non_negative_int, nonempty_path, open_unit_interval, \
    positive_float, positive_int, seed
from lib.utils.errors import plural, run_main
from lib.utils.files import configure_matplotlib, prepare_output_dir


# What a run learns with; --resume keeps the run's own values and refuses others.
FIXED_ON_RESUME = ("seed", "batch_size", "image_size", "nz", "ngf", "ndf", "lr", "beta1", "beta2", "bf16",
                   "per_image_loader", "ema_decay")
# How to run, not what to learn: --resume takes these from its own command line (auto resolved for its device).
FROM_COMMAND_LINE = ("device", "quiet", "show", "channels_last", "compile", "num_workers", "checkpoint_every",
                     "plot_every")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data_dir", type=nonempty_path, default=None,
                        help="the flowers folder (default: $FLOWERS_ROOT or dataset_flowers_64px/)")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_gan",
                        help="folder that receives the run folders")
    parser.add_argument("--seed", type=seed, default=TRAINING_DEFAULTS["seed"],
                        help="random seed; the same seed repeats a run bit for bit on the same CPU, also across "
                             "--resume; GPU runs are not bit-reproducible (cuDNN's algorithm choice, TF32, fused "
                             "kernels and atomic adds round differently from run to run)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="passes over the 800 images (default 500; with --resume the run's own number)")
    parser.add_argument("--batch_size", type=positive_int, default=TRAINING_DEFAULTS["batch_size"],
                        help="images per update")
    parser.add_argument("--image_size", type=positive_int, default=TRAINING_DEFAULTS["image_size"],
                        help="side of the training images in pixels (the networks need 32)")
    parser.add_argument("--nz", type=positive_int, default=TRAINING_DEFAULTS["nz"], help="size of the latent vector z")
    parser.add_argument("--ngf", type=positive_int, default=TRAINING_DEFAULTS["ngf"],
                        help="feature maps of the generator (multiplier)")
    parser.add_argument("--ndf", type=positive_int, default=TRAINING_DEFAULTS["ndf"],
                        help="feature maps of the discriminator (multiplier)")
    parser.add_argument("--lr", type=positive_float, default=TRAINING_DEFAULTS["lr"], help="Adam learning rate")
    parser.add_argument("--beta1", type=below_one, default=TRAINING_DEFAULTS["beta1"], help="Adam beta1, in [0, 1)")
    parser.add_argument("--beta2", type=below_one, default=TRAINING_DEFAULTS["beta2"], help="Adam beta2, in [0, 1)")
    parser.add_argument("--ema_decay", type=open_unit_interval, default=TRAINING_DEFAULTS["ema_decay"],
                        help="decay of the moving average of the generator's weights kept beside training "
                             "(generator_ema.pth; it does not change the training; default %(default)s)")
    parser.add_argument("--bf16", action="store_true",
                        help="bfloat16 autocast for the forward passes (faster on CPUs with AVX-512 BF16 and on "
                             "GPUs, refused where the hardware has no bfloat16 arithmetic; weights, optimizer and "
                             "losses stay float32)")
    parser.add_argument("--channels_last", choices=("auto", "yes", "no"), default="auto",
                        help="channels-last memory format (auto: on the CPU, where it is faster)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the two networks (opt-in)")
    parser.add_argument("--per_image_loader", action="store_true",
                        help="the tutorial's data path: ImageFolder + per-image PIL transforms + DataLoader "
                             "workers, instead of augmenting batches of in-memory tensors")
    parser.add_argument("--num_workers", type=non_negative_int, default=2,
                        help="DataLoader worker processes for --per_image_loader")
    parser.add_argument("--checkpoint_every", type=positive_int, default=25,
                        help="write checkpoint.pth every this many epochs")
    parser.add_argument("--plot_every", type=positive_int, default=50, help="redraw losses.png every this many epochs")
    parser.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path, default=None,
                        help="continue the run in RUN_DIR from its checkpoint.pth (its settings are kept; "
                             "--epochs may raise the total)")
    add_common_arguments(parser)
    return parser


def parse_training_args(argv=None):
    """The command line with the defaults filled in (what train_gan needs for a new run; benchmark.py uses it).

    ``--epochs`` and ``--data_dir`` stay None when ``--resume`` is given without them (the run's own values).
    """
    from lib.flowers import default_flowers_dir
    from lib.utils.devices import pick_device
    args = build_parser().parse_args(argv)
    device = pick_device(args.device)  # fail early on --device cuda without CUDA
    if args.resume is None:
        args.epochs = 500 if args.epochs is None else args.epochs
        args.data_dir = default_flowers_dir() if args.data_dir is None else args.data_dir
    args.channels_last = args.channels_last == "yes" or (args.channels_last == "auto" and device.type == "cpu")
    return args


def main(argv=None):
    args = parse_training_args(argv)
    configure_matplotlib(args.show)
    from lib.gan_run_folder import load_run_checkpoint, run_name
    from lib.train_gan import check_settings, train_gan
    from lib.training_run import CHECKPOINT_NAME, resume_command
    from lib.utils.devices import pick_device
    from lib.utils.errors import UserError

    checkpoint = None
    if args.resume is not None:
        run_dir = args.resume.rstrip("/\\") or args.resume
        if os.path.basename(run_dir) == CHECKPOINT_NAME and os.path.isfile(run_dir):
            run_dir = os.path.dirname(run_dir) or "."  # the file inside the run folder
        checkpoint = load_run_checkpoint(run_dir)
        stored = dict(checkpoint["args"])
        defaults = build_parser().parse_args([])
        if args.output_dir != defaults.output_dir:
            raise UserError("--output_dir and --resume both given; a resumed run continues in its own folder {}, "
                            "so leave --output_dir out".format(run_dir))
        for key in FIXED_ON_RESUME:
            value = getattr(args, key)
            if value != getattr(defaults, key) and value != stored.get(key, value):
                raise UserError("--{} {} differs from the run in {} ({}); leave it out when resuming, or start a "
                                "new run".format(key, value, run_dir, stored[key]))
        for key in FROM_COMMAND_LINE:
            stored[key] = getattr(args, key)
        if args.data_dir is not None:
            stored["data_dir"] = args.data_dir
        if args.epochs is not None:
            stored["epochs"] = args.epochs
        stored["resume"] = None
        args = argparse.Namespace(**stored)
        if checkpoint["epoch"] >= args.epochs:
            raise UserError("the run in {} has already trained all {} epochs; pass a larger --epochs to train "
                            "it further".format(run_dir, args.epochs))
    check_settings(args, pick_device(args.device))  # before any folder is made
    if checkpoint is not None:
        prepare_output_dir(run_dir, "--resume")
    else:
        prepare_output_dir(args.output_dir)
        run_dir = os.path.join(args.output_dir, run_name(args))
        prepare_output_dir(run_dir)

    started = time.time()
    try:
        result = train_gan(args, run_dir, checkpoint)
    except KeyboardInterrupt:  # a Ctrl-C outside the training loop (while loading data)
        print("\ninterrupted before training started", file=sys.stderr)
        sys.exit(130)
    finally:
        if checkpoint is None and os.path.isdir(run_dir) and not os.listdir(run_dir):
            os.rmdir(run_dir)  # a run that failed before writing anything leaves no empty folder
    if result["status"] == "interrupted":
        print("interrupted after epoch {} ({} updates); checkpoint written. Resume with:\n  {}".format(
            result["epoch"], result["iteration"], resume_command("run_gan_training.py", run_dir)), flush=True)
        sys.exit(128 + result["signal"])  # 130 after Ctrl-C, 143 after SIGTERM
    trained = result["epoch_seconds"]
    print("trained {} in {:.0f} s ({:.3f} s per epoch); the run has {}, {}; results in {}".format(
        plural(len(trained), "epoch"), time.time() - started, sum(trained) / max(len(trained), 1),
        plural(result["epoch"], "epoch"), plural(result["iteration"], "update"), run_dir))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(run_dir, "samples_final.png"), os.path.join(run_dir, "losses.png")])


if __name__ == "__main__":
    run_main(main)
