"""The training loops that benchmark.py times: each model's loop as the PyTorch tutorials feed it (a torchvision
data set with per-image transforms in a ``DataLoader``) and as this project runs it, both calling the same course
functions. Each function trains a fresh model from its own seed and returns the last epoch's mean losses."""
import tempfile

import torch

from lib.flowers import flowers_dataset, per_image_transform
from lib.loss_vae import VAELoss
from lib.mnist import TensorLoader, load_mnist
from lib.model_gan import Discriminator, Generator, weights_init
from lib.model_vae import VAE
from lib.train_gan import IMAGE_SIZE, train_gan, update_discriminator, update_generator
from lib.train_vae import train_epoch
from lib.utils.devices import seed_everything

VAE_BATCH_SIZE, VAE_LR = 128, 1e-3  # run_vae_training.py's defaults


def gan_tutorial(args):
    """The DCGAN tutorial's loop on the settings ``args`` of run_gan_training.py: ``ImageFolder`` with the course's
    per-image transforms in a ``DataLoader`` with 2 worker processes, the default memory format, a ``.item()``
    per loss and step. Returns ``[loss_D, loss_G]``, the last epoch's means."""
    device = torch.device(args.device)
    seed_everything(args.seed)
    generator, discriminator = Generator(args.ngf, 3, args.nz), Discriminator(args.ndf, 3)
    for model in (generator, discriminator):
        model.apply(weights_init)
        model.to(device)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(args.beta1, args.beta2))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(args.beta1, args.beta2))
    loader = torch.utils.data.DataLoader(flowers_dataset(args.data_dir, per_image_transform(IMAGE_SIZE)),
                                         batch_size=args.batch_size, shuffle=True, num_workers=2)
    for _ in range(args.epochs):
        losses = []
        for real, _ in loader:
            real = real.to(device)
            label = torch.ones(len(real), device=device)
            noise = torch.randn(len(real), args.nz, 1, 1, device=device)
            errD_real, _, errD_fake, _, fake = update_discriminator(discriminator, generator, real, noise, label,
                                                                    optimizer_d)
            errG, _ = update_generator(discriminator, generator, fake, label, optimizer_g)
            losses.append([errD_real.item() + errD_fake.item(), errG.item()])
    return torch.tensor(losses).mean(0).tolist()


def gan_project(args):
    """``lib.train_gan.train_gan(args)`` as run_gan_training.py calls it, into a temporary run folder that it fills
    as a user's (sample grids, checkpoint, loss plot, GIF). Returns ``[loss_D, loss_G]`` of the last epoch."""
    with tempfile.TemporaryDirectory() as run_dir:
        history = train_gan(args, run_dir).history
    return [history["loss_d"][-1], history["loss_g"][-1]]


def vae_tutorial(epochs, data_dir, device, seed=0):
    """pytorch/examples' VAE loop: torchvision's ``MNIST`` with a per-image ``ToTensor`` in a ``DataLoader``,
    the course's :class:`VAELoss`. Returns the last epoch's mean loss per image (nats)."""
    from torchvision import datasets, transforms
    seed_everything(seed)
    model = VAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=VAE_LR)
    criterion = VAELoss(1.0)
    loader = torch.utils.data.DataLoader(datasets.MNIST(data_dir, train=True, transform=transforms.ToTensor()),
                                         batch_size=VAE_BATCH_SIZE, shuffle=True)
    for _ in range(epochs):
        model.train()
        total = 0.0
        for x, _ in loader:
            x = x.to(device)
            x_reconstructed, mu, logvar = model(x)
            loss = criterion(x_reconstructed, x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
    return total / len(loader.dataset)


def vae_project(epochs, data_dir, device, seed=0):
    """``lib.train_vae.train_epoch`` on a :class:`TensorLoader` over MNIST decoded once onto ``device``, as
    run_vae_training.py trains. Returns the last epoch's mean loss per image (nats)."""
    seed_everything(seed)
    model = VAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=VAE_LR)
    loader = TensorLoader(*load_mnist(data_dir, True, device), VAE_BATCH_SIZE, shuffle=True,
                          generator=torch.Generator().manual_seed(seed))
    for epoch in range(1, epochs + 1):
        loss = train_epoch(model, loader, VAELoss(1.0), optimizer, epoch, epochs, quiet=True)
    return loss
