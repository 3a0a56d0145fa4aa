"""Part 3.2/3.3: plot the latent space of the VAE trained by run_vae_training.py (results_kl{W}/model.pth).

Writes latent_space.png (decoded grid with the class means), latent_stats.json, latent_codes.png (the test set's
codes coloured by digit) and prior_samples.png (100 digits decoded from z ~ N(0, I)).
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import json
import os
import sys

from lib.utils.arguments import add_common_arguments, non_negative_float, nonempty_path, positive_int
from lib.utils.errors import UserError, run_main, shell_quote


def main(argv=None):
    try:
        plot(argv)
    except KeyboardInterrupt:
        print("interrupted; nothing was changed (figures are written atomically)", file=sys.stderr)
        sys.exit(130)


def plot(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kl_loss_weight", type=non_negative_float, default=1.0,
                        help="KL weight of the training run; selects results_kl{W}/ (default 1.0)")
    parser.add_argument("--model_dir", type=nonempty_path, default=None,
                        help="run folder holding model.pth (default results_kl{W})")
    parser.add_argument("--output_dir", type=nonempty_path, default=None,
                        help="where latent_space.png goes (default: --model_dir)")
    parser.add_argument("--data_dir", type=nonempty_path, default=None,
                        help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data)")
    parser.add_argument("--hidden_size", type=positive_int, default=None,
                        help="hidden units of the trained model (default: read from model.pth)")
    parser.add_argument("--latent_size", type=positive_int, default=2,
                        help="latent dimensions of the trained model (the grid plot needs 2)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    from lib.utils.files import configure_matplotlib
    configure_matplotlib(args.show)
    import matplotlib.pyplot as plt
    from lib.explore_latent_space import LATENT_CODES_NAME, LATENT_SPACE_NAME, LATENT_STATS_NAME, \
        PRIOR_SAMPLES_NAME, plot_codes_and_prior, plot_latent_space
    from lib.model_vae import VAE
    from lib.train_vae import MODEL_NAME, setup_mnist_dataloader
    from lib.training_run import CHECKPOINT_NAME
    from lib.training_run import resume_command
    from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
    from lib.utils.devices import pick_device
    from lib.utils.files import prepare_output_dir

    weight = args.kl_loss_weight
    model_dir = args.model_dir or "results_kl{}".format(weight)
    train_command = "python run_vae_training.py --kl_loss_weight {}{}".format(
        weight, " --output_dir {}".format(shell_quote(model_dir)) if args.model_dir else "")
    model_path = os.path.join(model_dir, MODEL_NAME)
    if not os.path.isfile(model_path) and os.path.isfile(os.path.join(model_dir, CHECKPOINT_NAME)):
        raise UserError("the training run in {} has not finished (there is a checkpoint.pth but no model.pth); "
                        "finish it first with `{}`".format(model_dir, resume_command("run_vae_training.py", model_dir)))
    if args.latent_size != 2:
        raise UserError("the latent-space plot needs a 2-dimensional latent space, so --latent_size must be 2 "
                        "(train such a model with run_vae_training.py --latent_size 2, the default)")
    state_dict = load_checkpoint(model_path, "train the model first with `{}`".format(train_command))
    mu_weight = state_dict.get("fc21.weight") if isinstance(state_dict, dict) else None  # (latent, hidden)
    if mu_weight is not None and hasattr(mu_weight, "shape") and mu_weight.shape[0] != 2:
        raise UserError("the latent-space plot needs a 2-dimensional latent space, but the model in {} has {} "
                        "latent dimensions; train one with --latent_size 2 (the default)".format(
                            model_path, mu_weight.shape[0]))
    hidden_weight = state_dict.get("fc1.weight") if isinstance(state_dict, dict) else None  # (hidden, pixels)
    hidden_size = args.hidden_size or (hidden_weight.shape[0] if hasattr(hidden_weight, "shape") else 100)
    device = pick_device(args.device)
    model = load_state_dict_checked(VAE(hidden_size=hidden_size, latent_size=args.latent_size), state_dict,
                                    model_path)
    _, test_loader = setup_mnist_dataloader(data_dir=args.data_dir, device=device)
    output_dir = prepare_output_dir(args.output_dir or model_dir)  # after the data: a failed start makes no folder
    try:  # the weight the model was trained with, when --model_dir picked the run (only for the title)
        with open(os.path.join(model_dir, "losses.json")) as handle:
            weight = json.load(handle).get("kl_loss_weight", weight)
    except (OSError, ValueError, AttributeError):  # missing or damaged: the title takes --kl_loss_weight
        pass
    fig = plot_latent_space(model.eval(), test_loader, device=device, output_dir=output_dir,
                            title="VAE latent space, KL weight {} ({}): 20 x 20 decoded grid,\ntest-set class means "
                                  "of $\\mu$ ± mean $\\sigma$".format(weight, os.path.normpath(model_dir)))
    plot_codes_and_prior(model, test_loader, device, output_dir, ", KL weight {}".format(weight))
    print("wrote {}, {}, {} and {}".format(os.path.join(output_dir, LATENT_SPACE_NAME), LATENT_STATS_NAME,
                                           LATENT_CODES_NAME, PRIOR_SAMPLES_NAME))
    if args.show:
        plt.show()
    plt.close(fig)


if __name__ == "__main__":
    run_main(main)
