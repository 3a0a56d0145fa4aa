"""Part 4 (optional task): drawing flowers from a trained generator, at a temperature, with three choices of
batch-norm statistics.

The generator's batch norms need a mean and variance per channel. ``batch`` uses each batch's own, as in
training; a common scale of z then cancels in the first batch norm, so the temperature does nothing.
``running`` uses the averages collected during training, which lag behind the final weights (paler images).
``standing`` (BigGAN's "standing statistics") estimates them again for the final weights, from train-mode passes
of z ~ N(0, I); each image then depends on its own z only, and the temperature acts.
"""
import copy
import os

import torch

from lib.model_gan import Generator
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.errors import UserError

SAMPLING_MODES = ("standing", "running", "batch")


def find_newest_generator(results_dir="results_gan"):
    """The most recently written ``run_*/generator.pth`` under ``results_dir``."""
    paths = [os.path.join(results_dir, name, "generator.pth") for name in
             (os.listdir(results_dir) if os.path.isdir(results_dir) else []) if name.startswith("run_")]
    paths = [path for path in paths if os.path.isfile(path)]
    if not paths:
        raise UserError("no trained generator under {}/; train one with `python run_gan_training.py`, or pass a "
                        "generator file with --checkpoint".format(results_dir))
    return max(paths, key=os.path.getmtime)


def load_generator(path, device="cpu"):
    """A :class:`Generator` from ``generator.pth``, ``generator_ema.pth``, a run's ``checkpoint.pth`` or the
    course's ``gan_model_g_2500_epochs.pth``; its sizes (ngf, nz) are read from the weights."""
    state = load_checkpoint(path, "pass a generator file or a run folder of run_gan_training.py to --checkpoint")
    if isinstance(state, dict) and isinstance(state.get("generator"), dict):
        state = state["generator"]  # a run's checkpoint.pth
    first = state.get("layers.0.weight") if isinstance(state, dict) else None  # (nz, ngf * 8, 4, 4)
    if first is None or first.dim() != 4:
        raise UserError("{} holds no DCGAN generator weights; pass a generator file written by "
                        "run_gan_training.py".format(path))
    generator = Generator(first.shape[1] // 8, 3, first.shape[0])
    return load_state_dict_checked(generator, state, path).to(device)


def latent_vectors(count, nz=64, temperature=1.0, seed=0, device="cpu"):
    """``count`` latent vectors ``(count, nz, 1, 1)`` from N(0, T I), T = ``temperature`` (variance, not the
    standard deviation), seeded."""
    z = torch.randn(count, nz, 1, 1, generator=torch.Generator().manual_seed(seed))
    return (z * temperature ** 0.5).to(device)


@torch.no_grad()
def draw(generator, noise, mode="standing", batch_size=128):
    """Images ``(n, 3, 32, 32)`` in [-1, 1] for the latent vectors ``noise`` ``(n, nz, 1, 1)``, with the batch
    norms' statistics of ``mode`` (see the module's docstring). ``generator`` is left as it was."""
    if mode == "batch":
        return samples_in_train_mode(generator, noise)
    model = with_standing_statistics(generator) if mode == "standing" else copy.deepcopy(generator)
    return torch.cat([model.eval()(chunk).float() for chunk in noise.split(batch_size)])


@torch.no_grad()
def with_standing_statistics(generator, batches=20, batch_size=128, seed=12345):
    """A copy of ``generator`` whose batch norms hold the plain average of the batch statistics of ``batches``
    train-mode passes of z ~ N(0, I) (its own seed, so they never depend on the images' seed)."""
    model = copy.deepcopy(generator).train()
    norms = [layer for layer in model.modules() if isinstance(layer, torch.nn.BatchNorm2d)]
    for layer in norms:
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average instead of an exponential one
    random = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    nz = model.layers[0].in_channels
    for _ in range(batches):
        model(torch.randn(batch_size, nz, 1, 1, generator=random).to(device))
    for layer, original in zip(norms, (m for m in generator.modules() if isinstance(m, torch.nn.BatchNorm2d))):
        layer.momentum = original.momentum
    return model.eval()


@torch.no_grad()
def samples_in_train_mode(generator, noise):
    """``generator(noise)`` normalised with the batch's own statistics, as in training; the running statistics
    are put back afterwards, so drawing samples never changes the model."""
    saved = copy.deepcopy(generator.state_dict())
    training = generator.training
    images = generator.train()(noise).float()
    generator.load_state_dict(saved)
    generator.train(training)
    return images
