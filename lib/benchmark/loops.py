"""Tutorial-style training loops next to the project's, timed in one process for ``benchmark.py``.

The tutorial loops are what the course's notebooks do: a torchvision data set with per-image transforms in a
``DataLoader`` (worker processes for the flowers), eager PyTorch in the default memory format, the default Adam,
and a ``.item()`` per step for the logged losses. The project's loops are ``train_gan`` and ``train_vae`` as the
scripts run them. Each function trains a fresh model for the same number of epochs (so the same number of
updates) and returns the wall time of each epoch and the per-epoch mean losses, so both the speed and the
learning curves can be compared.
"""
import contextlib
import io
import tempfile
import time

import torch

from lib.model_vae import VAE
from lib.utils.devices import seed_everything


def _synchronize(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


# ----------------------------------------------------------------------------------------------------------------
# GAN

def gan_tutorial(args):
    """The DCGAN tutorial's loop with the course's update functions, on ``args`` of run_gan_training.py.

    Returns ``{"epoch_seconds": [...], "loss_d": [...], "loss_g": [...]}``, one entry per epoch (epoch means).
    """
    from lib.flowers import per_image_loader
    from lib.train_gan import IMAGE_SIZE, build_models, build_optimizers, update_discriminator, update_generator
    device = torch.device(args.device)
    seed_everything(args.seed)
    generator, discriminator = build_models(args.nz, args.ngf, args.ndf, device)
    optimizer_g, optimizer_d = build_optimizers(generator, discriminator, args.lr, args.beta1, args.beta2)
    loader = per_image_loader(args.data_dir, IMAGE_SIZE, args.batch_size, args.num_workers)
    result = {"epoch_seconds": [], "loss_d": [], "loss_g": []}
    for _ in range(args.epochs):
        started = time.perf_counter()
        losses_d, losses_g = [], []
        for real, _ in loader:
            real = real.to(device)
            label = torch.ones(real.shape[0], device=device)
            noise = torch.randn(real.shape[0], args.nz, 1, 1, device=device)
            errD_real, _, errD_fake, _, fake = update_discriminator(discriminator, generator, real, noise, label,
                                                                    optimizer_d)
            errG, _ = update_generator(discriminator, generator, fake, label, optimizer_g)
            losses_d.append((errD_real + errD_fake).item())
            losses_g.append(errG.item())
        _synchronize(device)
        result["epoch_seconds"].append(time.perf_counter() - started)
        result["loss_d"].append(sum(losses_d) / len(losses_d))
        result["loss_g"].append(sum(losses_g) / len(losses_g))
    return result


def gan_project(args):
    """``train_gan`` as run_gan_training.py runs it, writing nothing; same return value as :func:`gan_tutorial`."""
    from lib.train_gan import train_gan
    result = train_gan(args, run_dir=None)
    return {"epoch_seconds": result["epoch_seconds"], "loss_d": result["history"]["loss_d"],
            "loss_g": result["history"]["loss_g"]}


# ----------------------------------------------------------------------------------------------------------------
# VAE

def vae_tutorial(epochs, data_dir=None, device="cpu", seed=0, batch_size=128, lr=1e-3):
    """pytorch/examples' VAE loop: torchvision MNIST with per-image ``ToTensor``, a test pass after each epoch.

    Returns ``{"epoch_seconds": [...], "train_loss": [...], "test_loss": [...]}`` (losses per image).
    """
    from lib.mnist import mnist_loaders
    device = torch.device(device)
    seed_everything(seed)
    model = VAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_loader, test_loader = mnist_loaders(batch_size, data_dir, device, per_sample=True, shuffle_seed=seed,
                                              download=False)
    result = {"epoch_seconds": [], "train_loss": [], "test_loss": []}
    for _ in range(epochs):
        started = time.perf_counter()
        model.train()
        train_loss = 0.0
        for x, _ in train_loader:
            x = x.to(device)
            optimizer.zero_grad()
            reconstruction, mu, logvar = model(x)
            loss = _tutorial_vae_loss(reconstruction, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for x, _ in test_loader:
                x = x.to(device)
                reconstruction, mu, logvar = model(x)
                test_loss += _tutorial_vae_loss(reconstruction, x, mu, logvar).item()
        _synchronize(device)
        result["epoch_seconds"].append(time.perf_counter() - started)
        result["train_loss"].append(train_loss / len(train_loader.dataset))
        result["test_loss"].append(test_loss / len(test_loader.dataset))
    return result


def _tutorial_vae_loss(reconstruction, x, mu, logvar):
    """pytorch/examples' VAE loss: summed binary cross-entropy plus the closed-form KL to N(0, I)."""
    reconstruction_term = torch.nn.functional.binary_cross_entropy(reconstruction, x, reduction="sum")
    return reconstruction_term - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def vae_project(epochs, data_dir=None, device="cpu", seed=0, batch_size=128, lr=1e-3):
    """``train_vae`` on the in-memory loader as run_vae_training.py runs it (its files go to a temporary folder).

    ``epoch_seconds`` holds the mean over the run (train_vae does not time single epochs), so the checkpoint
    written after every epoch is included in the time.
    """
    from lib.train_vae import setup_mnist_dataloader, train_vae
    device = torch.device(device)
    seed_everything(seed)
    model = VAE()
    train_loader, test_loader = setup_mnist_dataloader(batch_size, data_dir, device, shuffle_seed=seed,
                                                       download=False)
    with tempfile.TemporaryDirectory() as output_dir, contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        history = train_vae(model, train_loader, test_loader, epochs, lr, 1.0, save_images=False, device=device,
                            output_dir=output_dir, quiet=True)
        _synchronize(device)
        seconds = time.perf_counter() - started
    return {"epoch_seconds": [seconds / epochs] * epochs, "train_loss": history["train_loss"],
            "test_loss": history["test_loss"]}
