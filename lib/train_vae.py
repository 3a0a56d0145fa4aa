"""Part 3: train the VAE on MNIST; after every epoch the test loss, a reconstruction figure and a checkpoint."""
import json
import os

import torch
from tqdm import tqdm

from lib.loss_vae import VAELoss, binary_cross_entropy, kl_divergence
from lib.mnist import TensorLoader, load_mnist
from lib.utils.checkpoints import CHECKPOINT_NAME, load_optimizer_state, random_state, restore_random_state
from lib.utils.files import save_curves, save_image_grid, save_text, save_torch
from lib.utils.runs import StopRequest, check_finite

TEST_DRAWS = 5  # samples z ~ q(z|x) per test image in the test loss's Monte Carlo mean


def setup_mnist_dataloader(batch_size=128, data_dir="data", device="cpu", seed=0):
    """``(train_loader, test_loader)`` over MNIST, batches ``(images (B, 1, 28, 28) in [0, 1], labels (B,))``
    on ``device``; the train loader reshuffles every epoch (seeded by ``seed``), the test loader keeps its order."""
    generator = torch.Generator().manual_seed(seed)
    train = TensorLoader(*load_mnist(data_dir, True, device), batch_size, shuffle=True, generator=generator)
    return train, TensorLoader(*load_mnist(data_dir, False, device), batch_size)


def train_vae(model, train_loader, test_loader, num_epochs=15, lr=1e-3, kl_loss_weight=1., save_images=True,
              device="cpu", output_dir="results", checkpoint=None, run_args=None, quiet=False):
    """Sheet task 3.1: train ``model`` with Adam on :class:`VAELoss` into ``output_dir``; returns the history.

    First ``training_samples.png`` (16 training images); after every epoch the losses printed and added to
    ``losses.json``, ``reconstruction_{epoch}.png`` (8 test digits above their reconstructions), ``checkpoint.pth``
    (with ``run_args``, the script's settings); at the end ``model.pth``, ``loss_curve.png``, the last checkpoint.
    ``checkpoint``, a loaded one, continues its run. Ctrl-C or SIGTERM ends the epoch and raises ``Interrupted``."""
    device = torch.device(device)  # "cpu" too: the random state saved with a checkpoint depends on the device type
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = VAELoss(kl_loss_weight)
    history = {"kl_loss_weight": kl_loss_weight, "test_draws": TEST_DRAWS, "epochs": [], "train_loss": [],
               "test_loss": [], "test_reconstruction": [], "test_kl": []}
    data_generator = getattr(train_loader, "generator", None)  # the shuffle order, saved for an exact resume
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        load_optimizer_state(optimizer, checkpoint["optimizer"])
        history = checkpoint["history"]
        restore_random_state(checkpoint["rng"], data_generator, device)
    epoch = len(history["epochs"])
    if save_images and epoch == 0:
        save_image_grid(torch.stack([train_loader.dataset[i][0] for i in range(16)]),
                        os.path.join(output_dir, "training_samples.png"), nrow=16)

    def save_checkpoint():
        save_torch({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history,
                    "rng": random_state(data_generator, device), "args": run_args or {}},
                   os.path.join(output_dir, CHECKPOINT_NAME))
        save_text(json.dumps(history, indent=1), os.path.join(output_dir, "losses.json"))

    with StopRequest(output_dir, "run_vae_training.py", tqdm.write) as stop:
        for epoch in stop.epochs(epoch + 1, num_epochs):
            train_loss = train_epoch(model, train_loader, criterion, optimizer, epoch, num_epochs, quiet)
            test = test_loss(model, test_loader, kl_loss_weight)
            check_finite((train_loss,) + test, epoch, output_dir, {"lr": (lr, 1e-3), "kl_loss_weight": (
                kl_loss_weight, 1.0)})
            for key, value in zip(("epochs", "train_loss", "test_loss", "test_reconstruction", "test_kl"),
                                  (epoch, train_loss) + test):
                history[key].append(value)
            print("epoch {}/{}: train loss {:.2f}, test loss {:.2f} = reconstruction {:.2f} + {:g} x KL {:.2f} "
                  "(per image, nats)".format(epoch, num_epochs, train_loss, test[0], test[1], kl_loss_weight,
                                             test[2]), flush=True)
            if save_images:
                save_reconstructions(model, test_loader, os.path.join(output_dir, "reconstruction_{}.png".format(
                    epoch)))
            if epoch < num_epochs:  # the last epoch's checkpoint comes after the final files: then it is finished
                save_checkpoint()
        save_torch(model.state_dict(), os.path.join(output_dir, "model.pth"))
        if save_images:
            plot_losses(history, os.path.join(output_dir, "loss_curve.png"))
        save_checkpoint()
    return history


def train_epoch(model, train_loader, criterion, optimizer, epoch, num_epochs, quiet=False):
    """One pass of Adam steps over ``train_loader``, as the VAE tutorials write it; returns the mean loss per
    image (nats)."""
    model.train()
    total = 0.0
    for x, _ in tqdm(train_loader, desc="epoch {}/{}".format(epoch, num_epochs), leave=False, disable=quiet):
        x_reconstructed, mu, logvar = model(x)
        loss = criterion(x_reconstructed, x, mu, logvar)  # summed over the batch
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(train_loader.dataset)


@torch.no_grad()
def test_loss(model, test_loader, kl_loss_weight, draws=TEST_DRAWS, seed=0):
    """The loss per test image defined as in training: ``(loss, reconstruction, KL)`` in nats, where the
    reconstruction term is a Monte Carlo mean over ``draws`` samples z ~ q(z|x) per image and the KL term is
    exact. With ``kl_loss_weight`` 1 the loss is the negative ELBO. The samples come from a generator of their
    own (``seed``): every epoch is measured with the same noise, and training's random stream is not touched."""
    model.eval()
    generator = None
    reconstruction = kl = 0.0
    for x, _ in test_loader:
        mu, logvar = model.encode(x)  # (B, latent) each
        if generator is None:
            generator = torch.Generator(mu.device).manual_seed(seed)
        eps = torch.randn((draws,) + mu.shape, generator=generator, device=mu.device)  # (draws, B, latent)
        z = mu + torch.exp(0.5 * logvar) * eps
        x_reconstructed = model.decode(z.flatten(0, 1))  # (draws * B, C, H, W)
        reconstruction += binary_cross_entropy(x_reconstructed, x.repeat(draws, 1, 1, 1), reduction="sum").item()
        kl += kl_divergence(mu, logvar).item()
    n = len(test_loader.dataset)
    reconstruction, kl = reconstruction / (draws * n), kl / n
    return reconstruction + kl_loss_weight * kl, reconstruction, kl


@torch.no_grad()
def save_reconstructions(model, loader, path, count=8):
    """The first ``count`` images of ``loader`` above their reconstructions from z = mu (eval mode)."""
    model.eval()
    x, _ = next(iter(loader))
    save_image_grid(torch.cat([x[:count], model(x[:count])[0]]), path, nrow=count)


def plot_losses(history, path):
    """The train and test loss per image over the epochs, and the test loss's two terms."""
    save_curves(path, history["epochs"], (10, 3.8), [
        ([(history["train_loss"], "o-", "train"), (history["test_loss"], "s-", "test")],
         dict(title="loss, KL weight {:g}".format(history["kl_loss_weight"]), ylabel="loss per image (nats)")),
        ([(history["test_reconstruction"], "s-", "reconstruction"), (history["test_kl"], "^-", "KL (unweighted)")],
         dict(title="test loss terms", ylabel="nats per image", yscale="log"))])
