"""Sheet tasks 3.1 and 3.3: train the VAE on MNIST into results_kl{W}/, W being --kl_loss_weight.

python run_vae_training.py --kl_loss_weight 30     # writes results_kl30.0/
python run_vae_training.py --resume results_kl30.0 # continues a run that was stopped (Ctrl-C, SIGTERM)
"""
import argparse
import glob
import os
import shlex

from lib.utils.errors import HelpFormatter, UserError, add_common_arguments, non_negative_float, nonempty_path, \
    plural, positive_float, positive_int, run_main, seed
from lib.utils.files import vae_run_dir

RUN_FILES = ("checkpoint.pth", "model.pth", "losses.json", "loss_curve.png", "training_samples.png",
             "reconstruction_*.png", "latent_space.png", "latent_stats.json", "latent_codes.png",
             "prior_samples.png", "prior_quality.json")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    sheet = parser.add_argument_group("the sheet's settings")
    sheet.add_argument("--kl_loss_weight", type=non_negative_float, default=1.0, help="weight W of the KL term")
    sheet.add_argument("--epochs", type=positive_int, default=15, help="epochs in total")
    sheet.add_argument("--batch_size", type=positive_int, default=128, help="images per Adam step")
    sheet.add_argument("--lr", type=positive_float, default=1e-3, help="Adam's learning rate")
    sheet.add_argument("--seed", type=seed, default=0, help="seed of the initialisation, shuffling and noise")
    sheet.add_argument("--hidden_size", type=positive_int, default=100, help="hidden units on each side")
    sheet.add_argument("--latent_size", type=positive_int, default=2, help="latent dimensions")
    sheet.add_argument("--data_dir", type=nonempty_path, default="data", help="folder holding MNIST/raw/")
    sheet.add_argument("--output_dir", type=nonempty_path, help="run folder (default: results_kl{W})")
    resuming = parser.add_argument_group("resuming")
    resuming.add_argument("--resume", metavar="RUN_DIR", type=nonempty_path,
                          help="continue the run in RUN_DIR (its settings are kept; --epochs may raise the total)")
    resuming.add_argument("--overwrite", action="store_true", help="replace a run that --output_dir already holds")
    add_common_arguments(parser.add_argument_group("speed, hardware and output"))
    return parser


def main(argv=None):
    from lib.utils.runs import claimed_folder, parse_settings
    args, checkpoint = parse_settings(build_parser(), argv, "run_vae_training.py", ("model", "optimizer",
                                      "history", "rng", "args"), "epochs", ("device", "quiet", "show"))
    from lib.utils.files import configure_matplotlib
    configure_matplotlib(args.show)
    from lib.model_vae import VAE
    from lib.train_vae import setup_mnist_dataloader, train_vae
    from lib.utils.devices import pick_device, seed_everything

    output_dir = args.resume or args.output_dir or vae_run_dir(args.kl_loss_weight)
    with claimed_folder(output_dir) as output_dir:
        old_files = [] if checkpoint else [path for name in RUN_FILES for path in glob.glob(os.path.join(
            glob.escape(output_dir), name))]
        if old_files and not args.overwrite:
            has_checkpoint = os.path.isfile(os.path.join(output_dir, "checkpoint.pth"))
            raise UserError("{} already holds {}; {}start over with --overwrite".format(
                shlex.quote(output_dir), "a run" if has_checkpoint else "files of a run stopped before its first "
                "checkpoint", "continue it with `python run_vae_training.py --resume {}` (add --epochs N to train "
                "a finished one further), or ".format(shlex.quote(output_dir)) if has_checkpoint else ""))
        device = pick_device(args.device)
        seed_everything(args.seed)
        train_loader, test_loader = setup_mnist_dataloader(args.batch_size, args.data_dir, device, args.seed)
        for path in old_files:
            os.remove(path)
        model = VAE(hidden_size=args.hidden_size, latent_size=args.latent_size)
        print("training the VAE with KL weight {:g} for {} into {}".format(
            args.kl_loss_weight, plural(args.epochs, "epoch"), output_dir))
        train_vae(model, train_loader, test_loader, args.epochs, args.lr, args.kl_loss_weight, device=device,
                  output_dir=output_dir, checkpoint=checkpoint, run_args=dict(vars(args), output_dir=output_dir),
                  quiet=args.quiet)
    print("wrote {}; next: python plot_latent_space.py --kl_loss_weight {:g}{}".format(
        output_dir, args.kl_loss_weight, "" if os.path.normpath(output_dir) == vae_run_dir(args.kl_loss_weight)
        else " --model_dir " + shlex.quote(output_dir)))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(output_dir, "loss_curve.png")])


if __name__ == "__main__":
    run_main(main)
