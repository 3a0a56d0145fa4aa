"""Sheet tasks 3.2 and 3.3: plot the latent space of the VAE in results_kl{W}/ (trained by run_vae_training.py).

Writes latent_space.png (digits decoded on a grid by sample_on_grid, with each digit's mean code from
get_mu_logvar) and latent_stats.json (those numbers, the grid's step size, and measured facts: the KL of each
latent dimension, how well the digits' codes separate, how many lie in the prior's bulk); and, beyond the sheet,
latent_codes.png (the test set's codes) and prior_samples.png (digits decoded from z ~ N(0, I)). Seconds.
"""
import argparse
import json
import os

from lib.utils.errors import UserError, add_common_arguments, non_negative_float, nonempty_path, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kl_loss_weight", type=non_negative_float, default=1.0,
                        help="KL weight W of the run to plot, in results_kl{W}/ (default 1)")
    parser.add_argument("--model_dir", type=nonempty_path, help="the run's folder instead (default results_kl{W})")
    parser.add_argument("--data_dir", type=nonempty_path, default="data", help="folder holding MNIST/raw/")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    from lib.utils.files import configure_matplotlib, vae_run_dir
    configure_matplotlib(args.show)
    from lib.explore_latent_space import plot_codes_and_prior, plot_latent_space
    from lib.model_vae import VAE
    from lib.train_vae import setup_mnist_dataloader
    from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
    from lib.utils.devices import pick_device

    model_dir = args.model_dir or vae_run_dir(args.kl_loss_weight)
    path = os.path.join(model_dir, "model.pth")
    state = load_checkpoint(path, "train it first with `python run_vae_training.py --kl_loss_weight {:g}{}`{}".format(
        args.kl_loss_weight, " --output_dir {}".format(model_dir) if args.model_dir else "",
        " (a stopped run: --resume {})".format(model_dir) if os.path.isfile(os.path.join(model_dir, "checkpoint.pth"))
        else ""))
    latent_size, hidden_size = state["fc21.weight"].shape if "fc21.weight" in state else (2, 100)
    if latent_size != 2:
        raise UserError("the model in {} has {} latent dimensions, but the plot needs 2; train one with "
                        "--latent_size 2 (the default)".format(path, latent_size))
    model = load_state_dict_checked(VAE(hidden_size=hidden_size), state, path)
    device = pick_device(args.device)
    _, test_loader = setup_mnist_dataloader(data_dir=args.data_dir, device=device)
    weight = args.kl_loss_weight
    if os.path.isfile(os.path.join(model_dir, "losses.json")):  # the weight the run was trained with
        with open(os.path.join(model_dir, "losses.json")) as handle:
            weight = json.load(handle).get("kl_loss_weight", weight)
    title = "KL weight {:g}".format(weight)
    plot_latent_space(model, test_loader, device, model_dir, title=title)
    plot_codes_and_prior(model, test_loader, device, model_dir, title=title)
    print("wrote latent_space.png, latent_stats.json, latent_codes.png and prior_samples.png into {}".format(
        model_dir))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(model_dir, name) for name in ("latent_space.png", "latent_codes.png")])


if __name__ == "__main__":
    run_main(main)
