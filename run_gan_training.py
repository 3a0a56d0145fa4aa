"""Sheet task 4: train the DCGAN on the flowers (the course's settings) into results_gan/run_<settings>_<time>/.

Ctrl-C (or SIGTERM, as Slurm sends before a time limit) ends the epoch, writes a checkpoint and prints the
command that continues the run: --resume RUN_DIR, on this device or another one.
"""
import argparse
import os
import time

from lib.utils.errors import UserError, add_common_arguments, below_one, between_zero_and_one, nonempty_path, \
    plural, positive_float, positive_int, run_main, seed

# Flags that say how to run, not what to learn: a resumed run takes them from its new command line.
HOW_TO_RUN = ("device", "channels_last", "compile", "checkpoint_every", "quiet", "show")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """--help with every flag's default, and the description's lines as written."""


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--data_dir", type=nonempty_path, default="dataset_flowers_64px", help="the flowers")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_gan", help="where run folders go")
    parser.add_argument("--epochs", type=positive_int, default=500, help="passes over the 800 photos")
    parser.add_argument("--batch_size", type=positive_int, default=128, help="images per update")
    parser.add_argument("--nz", type=positive_int, default=64, help="size of the latent vector z")
    parser.add_argument("--ngf", type=positive_int, default=32, help="feature maps of the generator (multiplier)")
    parser.add_argument("--ndf", type=positive_int, default=32, help="feature maps of the discriminator (multiplier)")
    parser.add_argument("--lr", type=positive_float, default=2e-4, help="Adam's learning rate")
    parser.add_argument("--beta1", type=below_one, default=0.5, help="Adam's beta1")
    parser.add_argument("--beta2", type=below_one, default=0.999, help="Adam's beta2")
    parser.add_argument("--seed", type=seed, default=999, help="random seed (a CPU run repeats bit for bit)")
    parser.add_argument("--ema_decay", type=between_zero_and_one, default=0.99,
                        help="decay of the moving average of G's weights (generator_ema.pth), kept beside training")
    parser.add_argument("--bf16", action="store_true",
                        help="forward passes in bfloat16 (GPUs of compute capability 8.0+, CPUs with AVX-512 BF16)")
    parser.add_argument("--channels_last", choices=("auto", "yes", "no"), default="auto",
                        help="channels-last memory format (auto: on the CPU, where it is faster)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the two networks")
    parser.add_argument("--checkpoint_every", type=positive_int, default=25,
                        help="write the checkpoint, the weights and losses.png every this many epochs")
    parser.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path,
                        help="continue the run in RUN_DIR (its settings are kept; --epochs may raise the total)")
    add_common_arguments(parser)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from lib.utils.files import configure_matplotlib, prepare_output_dir
    configure_matplotlib(args.show)
    from lib.train_gan import train_gan
    from lib.utils.checkpoints import CHECKPOINT_NAME, load_checkpoint
    from lib.utils.devices import pick_device
    from lib.utils.errors import Interrupted

    checkpoint = None
    if args.resume:
        run_dir = args.resume
        checkpoint = load_checkpoint(os.path.join(run_dir, CHECKPOINT_NAME), "pass a run folder of "
                                     "run_gan_training.py that holds one to --resume")
        if not isinstance(checkpoint, dict) or not {"epoch", "generator", "args"} <= set(checkpoint):
            raise UserError("{} holds no run of run_gan_training.py; pass such a run folder to --resume".format(
                run_dir))
        parser.set_defaults(**dict.fromkeys(vars(args)))  # the flags given on this command line, even at a default
        given = {key: value for key, value in vars(parser.parse_args(argv)).items() if value is not None}
        settings = dict(checkpoint["args"], **{key: getattr(args, key) for key in HOW_TO_RUN})
        for key, value in given.items():
            if key not in HOW_TO_RUN + ("resume", "epochs", "data_dir") and value != settings.get(key):
                raise UserError("--{} {} differs from the run in {} ({}); leave it out to continue that run, or "
                                "start a new one".format(key, value, run_dir, settings.get(key)))
        settings.update({key: given[key] for key in ("epochs", "data_dir") if key in given})
        args = argparse.Namespace(**settings)
        if checkpoint["epoch"] >= args.epochs:
            raise UserError("the run in {} has already trained {}; pass a larger --epochs to go on".format(
                run_dir, plural(checkpoint["epoch"], "epoch")))
    else:
        run_dir = os.path.join(args.output_dir, "run_ep{}_bs{}_lr{:g}_nz{}_ngf{}_ndf{}_seed{}{}_{}".format(
            args.epochs, args.batch_size, args.lr, args.nz, args.ngf, args.ndf, args.seed,
            "_bf16" if args.bf16 else "", time.strftime("%Y%m%d-%H%M%S")))
    device = pick_device(args.device)
    args.channels_last = args.channels_last == "yes" or (args.channels_last == "auto" and device.type == "cpu")
    prepare_output_dir(run_dir)
    started = time.time()
    try:
        run = train_gan(args, run_dir, checkpoint)
    except Interrupted as stop:
        raise Interrupted("{}: continue with `python run_gan_training.py --resume {}`".format(stop, run_dir),
                          stop.exit_status) from None
    finally:
        if not os.listdir(run_dir):
            os.rmdir(run_dir)  # a run that failed before writing anything leaves no empty folder
    trained = run.epoch - (checkpoint["epoch"] if checkpoint else 0)
    print("trained {} in {:.0f} s; results in {}".format(plural(trained, "epoch"), time.time() - started, run_dir))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(run_dir, "samples_final.png"), os.path.join(run_dir, "losses.png")])


def batch_images_to_numpy(image_batch, max_images=64, padding=2, normalize=True):
    """The first ``max_images`` images of ``image_batch`` ``(B, C, H, W)`` tiled into one grid (rows of 8,
    ``padding`` black pixels around each), as a numpy image ``(H', W', 3)`` with values in [0, 1], ready for
    ``plt.imsave``. ``normalize`` maps the batch's smallest to largest value onto [0, 1], as torchvision's
    ``make_grid`` does; without it the values must lie in [0, 1] already."""
    from torchvision.utils import make_grid
    grid = make_grid(image_batch[:max_images].detach().float().cpu(), padding=padding, normalize=normalize)
    return grid.permute(1, 2, 0).numpy()  # (3, H', W') -> (H', W', 3)


if __name__ == "__main__":
    run_main(main)
