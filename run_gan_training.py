"""Sheet task 4: train the DCGAN on the flowers (the course's settings) into results_gan/run_<settings>_<time>/.

Ctrl-C (or SIGTERM, as Slurm sends before a time limit) ends the epoch, writes a checkpoint and prints the
command that continues the run: --resume RUN_DIR, on this device or another one.
"""
import argparse
import os
import time

from lib.utils.errors import HelpFormatter, add_common_arguments, below_one, between_zero_and_one, nonempty_path, \
    plural, positive_float, positive_int, run_main, seed

# Flags that say how to run, not what to learn: a resumed run takes them from its new command line.
HOW_TO_RUN = ("device", "channels_last", "compile", "checkpoint_every", "quiet", "show")
CHECKPOINT_KEYS = ("generator", "discriminator", "optimizer_g", "optimizer_d", "ema", "fixed_noise", "history",
                   "iteration", "epoch", "rng", "args")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    sheet = parser.add_argument_group("the sheet's settings")
    sheet.add_argument("--data_dir", type=nonempty_path, default="dataset_flowers_64px", help="the flowers")
    sheet.add_argument("--output_dir", type=nonempty_path, default="results_gan", help="where run folders go")
    sheet.add_argument("--epochs", type=positive_int, default=500, help="passes over the 800 photos")
    sheet.add_argument("--batch_size", type=positive_int, default=128, help="images per update")
    sheet.add_argument("--nz", type=positive_int, default=64, help="size of the latent vector z")
    sheet.add_argument("--ngf", type=positive_int, default=32, help="feature maps of the generator (multiplier)")
    sheet.add_argument("--ndf", type=positive_int, default=32, help="feature maps of the discriminator (multiplier)")
    sheet.add_argument("--lr", type=positive_float, default=2e-4, help="Adam's learning rate")
    sheet.add_argument("--beta1", type=below_one, default=0.5, help="Adam's beta1")
    sheet.add_argument("--beta2", type=below_one, default=0.999, help="Adam's beta2")
    sheet.add_argument("--seed", type=seed, default=999, help="random seed (a CPU run repeats bit for bit)")
    sheet.add_argument("--ema_decay", type=between_zero_and_one, default=0.99,
                       help="decay of the moving average of G's weights (generator_ema.pth), kept beside training")
    resuming = parser.add_argument_group("resuming")
    resuming.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path,
                          help="continue the run in RUN_DIR (its settings are kept; --epochs may raise the total)")
    resuming.add_argument("--checkpoint_every", type=positive_int, default=25,
                          help="write the checkpoint, the weights and losses.png every this many epochs")
    speed = parser.add_argument_group("speed, hardware and output")
    speed.add_argument("--bf16", action="store_true",
                       help="forward passes in bfloat16 (GPUs of compute capability 8.0+, CPUs with AVX-512 BF16)")
    speed.add_argument("--channels_last", choices=("auto", "yes", "no"), default="auto",
                       help="channels-last memory format (auto: on the CPU, where it is faster)")
    speed.add_argument("--compile", action="store_true", help="torch.compile the two networks")
    add_common_arguments(speed)
    return parser


def new_run_dir(args, parser):
    """results_gan/run_<settings>_<time>: the epochs and sizes, and every other setting off its default."""
    others = "".join("_{}{:g}".format(key, getattr(args, key)) for key in ("beta1", "beta2", "ema_decay")
                     if getattr(args, key) != parser.get_default(key))
    return os.path.join(args.output_dir, "run_ep{}_bs{}_lr{:g}_nz{}_ngf{}_ndf{}_seed{}{}{}_{}".format(
        args.epochs, args.batch_size, args.lr, args.nz, args.ngf, args.ndf, args.seed, others,
        "_bf16" if args.bf16 else "", time.strftime("%Y%m%d-%H%M%S")))


def main(argv=None):
    from lib.utils.runs import claimed_folder, parse_settings
    parser = build_parser()
    args, checkpoint = parse_settings(parser, argv, "run_gan_training.py", CHECKPOINT_KEYS, "epoch", HOW_TO_RUN)
    from lib.utils.files import configure_matplotlib
    configure_matplotlib(args.show)
    from lib.train_gan import train_gan
    from lib.utils.devices import pick_device

    device = pick_device(args.device)
    args.device = str(device)  # picked once: train_gan takes it as it is
    args.channels_last = args.channels_last == "yes" or (args.channels_last == "auto" and device.type == "cpu")
    started = time.time()
    with claimed_folder(args.resume or new_run_dir(args, parser), None if args.resume else "--output_dir",
                        new=not args.resume) as run_dir:
        run = train_gan(args, run_dir, checkpoint)
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
