"""Three ways to sample a trained DCGAN generator, which differ only in the statistics its batch norms use.

- ``standing`` (BigGAN's "standing statistics"): the batch-norm statistics are re-estimated for the final weights
  as cumulative averages over many train-mode passes of z ~ N(0, I), then images are drawn in eval mode. Each
  image depends on its own z only, so the temperature acts.
- ``running``: eval mode with the running statistics collected during training. They average the batches of the
  last few dozen updates, made with earlier weights, so they lag the final weights (paler images, measured).
- ``batch``: train mode, every batch normalised with its own statistics, as in training and samples_final.png. A
  common scale of z cancels in the first batch norm, so the temperature has no effect.
"""
import copy

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
    from lib.train_gan import sample_images
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
