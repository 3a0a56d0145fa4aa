"""Sampling a trained DCGAN generator: finding and loading it, its latent vectors, and three ways to draw images.

The three sampling modes differ only in the statistics the generator's batch norms use:

- ``standing`` (BigGAN's "standing statistics"): the batch-norm statistics are re-estimated for the final weights
  as cumulative averages over many train-mode passes of z ~ N(0, I), then images are drawn in eval mode. Each
  image depends on its own z only, so the temperature acts.
- ``running``: eval mode with the running statistics collected during training. They average the batches of the
  last few dozen updates, made with earlier weights, so they lag the final weights (paler images, measured).
- ``batch``: train mode, every batch normalised with its own statistics, as in training and samples_final.png. A
  common scale of z cancels in the first batch norm, so the temperature has no effect.

torch is imported inside the functions: the scripts read :data:`SAMPLING_MODES` for their ``--help`` without it.
"""
import copy
import math
import os

from lib.utils.errors import UserError

SAMPLING_MODES = ("standing", "running", "batch")
DEFAULT_SAMPLING = "standing"  # the best of the three by FD/KID for our generator and the course's (README)
STANDING_BATCHES = 100  # batches of z for the standing statistics: 12,800 draws
STANDING_BATCH_SIZE = 128  # the training batch size
STANDING_SEED = 12345  # its own seed, so the statistics never depend on the seed of the images


def batch_norms(model):
    """The batch-norm layers of ``model``."""
    from torch import nn
    return [layer for layer in model.modules() if isinstance(layer, nn.modules.batchnorm._BatchNorm)]


def with_standing_statistics(generator, nz, batches=STANDING_BATCHES, batch_size=STANDING_BATCH_SIZE,
                             seed=STANDING_SEED):
    """A copy of ``generator`` in eval mode whose batch-norm statistics are re-estimated at temperature 1.

    ``batches`` train-mode passes over ``batch_size`` latent vectors z ~ N(0, I) each ``(batch_size, nz, 1, 1)``;
    with ``momentum=None`` a batch norm keeps the plain average of the batch means and (unbiased) variances. The
    weights are not changed; ``generator`` itself is left as it is.
    """
    import torch
    model = copy.deepcopy(generator)
    device = next(model.parameters()).device
    layers = batch_norms(model)
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average instead of an exponential one
    random = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch_size, nz, 1, 1, generator=random).to(device))
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum
    return model.eval()


def draw(generator, noise, mode="standing", nz=None, batch_size=STANDING_BATCH_SIZE):
    """Images ``(n, C, 32, 32)`` in [-1, 1] for latent vectors ``noise`` ``(n, nz, 1, 1)`` in sampling ``mode``.

    ``batch`` normalises each of ceil(n / ``batch_size``) near-equal chunks with its own statistics (the model's
    buffers are restored afterwards); ``standing`` re-estimates the statistics first
    (:func:`with_standing_statistics`).
    """
    import torch
    if mode not in SAMPLING_MODES:
        raise ValueError("unknown sampling mode {!r}; use one of {}".format(mode, ", ".join(SAMPLING_MODES)))
    if mode == "batch":
        training = generator.training
        generator.train()
        chunks = torch.tensor_split(noise, -(-len(noise) // batch_size))  # near-equal: no tiny last batch
        images = torch.cat([sample_images(generator, chunk) for chunk in chunks])
        generator.train(training)
        return images
    model = with_standing_statistics(generator, nz or noise.shape[1]) if mode == "standing" else generator.eval()
    with torch.no_grad():
        return torch.cat([model(chunk).float() for chunk in torch.split(noise, batch_size)])


def sample_images(generator, noise):
    """``generator(noise)`` ``(n, C, 32, 32)`` with the batch statistics of ``noise``, as during training.

    The batch-norm running statistics are put back afterwards, so drawing samples never changes the model.
    """
    import torch
    saved = [buffer.clone() for buffer in generator.buffers()]
    with torch.no_grad():
        images = generator(noise).float()
    with torch.no_grad():
        for buffer, value in zip(generator.buffers(), saved):
            buffer.copy_(value)
    return images


# ----------------------------------------------------------------------------------------------------------------
# The generator of a finished run, and the latent vectors to feed it

def find_newest_generator(output_dir="results_gan"):
    """The most recently written ``run_*/generator.pth`` under ``output_dir``; UserError when there is none."""
    candidates = []
    if os.path.isdir(output_dir):
        for name in os.listdir(output_dir):
            path = os.path.join(output_dir, name, "generator.pth")
            if name.startswith("run_") and os.path.isfile(path):
                candidates.append((os.path.getmtime(path), path))
    if not candidates:
        raise UserError("no trained generator found under {}/; train one first with python run_gan_training.py, "
                        "or pass a generator file with --checkpoint".format(output_dir.rstrip("/\\")))
    return max(candidates)[1]


def load_generator(path, ngf=32, nz=64, device="cpu"):
    """A Generator in eval mode from a plain state dict (generator.pth, the course's file) or a checkpoint.pth.

    Eval mode uses the batch-norm running statistics, so an image depends on its own z only, and the temperature
    matters: with batch statistics the first batch norm would divide out any common scale of z.
    """
    from lib.model_gan import Generator
    from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
    state = load_checkpoint(path, "pass a generator.pth or checkpoint.pth written by run_gan_training.py, or "
                                  "the course's gan_model_g_2500_epochs.pth, to --checkpoint")
    if isinstance(state, dict) and "generator" in state and isinstance(state["generator"], dict):
        state = state["generator"]  # a resumable checkpoint.pth
    generator = Generator(ngf, 3, nz)
    load_state_dict_checked(generator, state, path)
    return generator.to(device).eval()


def run_settings(path):
    """``args`` stored in the run folder of ``path`` (its checkpoint.pth), or {} when there is none."""
    from lib.training_run import CHECKPOINT_NAME
    from lib.utils.checkpoints import load_checkpoint
    checkpoint_path = os.path.join(os.path.dirname(os.path.abspath(path)), CHECKPOINT_NAME)
    if not os.path.isfile(checkpoint_path):
        return {}
    try:
        checkpoint = load_checkpoint(checkpoint_path, "")
    except UserError:
        return {}
    return checkpoint.get("args", {}) if isinstance(checkpoint, dict) else {}


def latent_vectors(num, nz=64, temperature=1.0, seed=0, device="cpu"):
    """``num`` latent vectors ``(num, nz, 1, 1)`` from N(0, temperature): variance T, standard deviation sqrt(T)."""
    import torch
    generator = torch.Generator()
    generator.manual_seed(seed)
    return (torch.randn(num, nz, 1, 1, generator=generator) * math.sqrt(temperature)).to(device)


def interpolate_latents(start, end, steps):
    """``steps`` vectors walking linearly from ``start`` to ``end`` (both ``(nz, 1, 1)``) -> ``(steps, nz, 1, 1)``."""
    import torch
    weights = torch.linspace(0, 1, steps, device=start.device).view(-1, 1, 1, 1)
    return (1 - weights) * start + weights * end
