"""Part 4 (optional task): drawing flowers from a trained generator at temperatures, with three choices of
batch-norm statistics, and the measures of what is drawn.

The generator's batch norms need a mean and variance per channel. ``running`` (the default, the sheet's recipe)
uses the generator as saved: eval mode with the averages collected during training, which lag a little behind the
final weights. ``batch`` uses each batch's own, as in training; a common scale of z then cancels in the first
batch norm, so the temperature does nothing. ``standing`` (BigGAN's "standing statistics") estimates them again
for the final weights, from train-mode passes of z ~ N(0, I).
"""
import copy
import os

import torch

from lib.model_gan import Generator
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.errors import UserError
from lib.utils.files import COURSE_GENERATOR, atomic_path, save_figure

SAMPLING_MODES = ("standing", "running", "batch")
DEFAULT_SAMPLING = "running"  # the generator as saved, as the sheet's optional task uses it
TEMPERATURE_SERIES = (0.25, 0.5, 1.0, 2.0)  # generate_gan_images.py --temperatures without values
# The generator files a run folder may hold: run_gan_training.py's final and averaged weights, the course loop's.
RUN_GENERATORS = ("generator.pth", "generator_ema.pth", "model_g.pth")


def run_generators(folder):
    """The generator files of :data:`RUN_GENERATORS` that the run folder ``folder`` holds (at least one)."""
    paths = [os.path.join(folder, name) for name in RUN_GENERATORS if os.path.isfile(os.path.join(folder, name))]
    return paths or [folder_generator(folder)]  # none: folder_generator's error


def generator_kind(path):
    """Which generator the file ``path`` holds, by its name: ``"course"`` (the course's 2500-epoch file),
    ``"course_loop"`` (``model_g.pth`` of the course's training loop), ``"ema"`` (a run's moving average) or
    ``"raw"`` (a run's final weights)."""
    name = os.path.basename(path)
    return ("course" if name == COURSE_GENERATOR else "course_loop" if name == "model_g.pth"
            else "ema" if "ema" in name else "raw")


def folder_generator(folder):
    """The generator a run folder stands for: its ``generator.pth`` (run_gan_training.py), else its
    ``model_g.pth`` (the course's loop)."""
    for name in ("generator.pth", "model_g.pth"):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise UserError("{} holds no generator.pth (written by run_gan_training.py) and no model_g.pth (by the course's "
                    "loop); pass a run folder that does, or a generator file".format(folder))


def find_newest_generator(results_dir="results_gan"):
    """The generator (:func:`folder_generator`) of the most recently written run folder ``run_*`` under
    ``results_dir``."""
    names = os.listdir(results_dir) if os.path.isdir(results_dir) else []
    paths = [os.path.join(results_dir, name, file) for name in names if name.startswith("run_")
             for file in ("generator.pth", "model_g.pth") if os.path.isfile(os.path.join(results_dir, name, file))]
    if not paths:
        raise UserError("no trained generator under {}/; train one with `python run_gan_training.py`, or pass a "
                        "generator file with --checkpoint".format(results_dir))
    return folder_generator(os.path.dirname(max(paths, key=os.path.getmtime)))


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
def draw(generator, noise, mode=DEFAULT_SAMPLING, batch_size=128):
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


def imsave(image, path):
    """``plt.imsave`` of the numpy image ``image`` ``(H, W, 3)`` in [0, 1] to ``path`` (PNG, or JPEG for .jpg and
    .jpeg), atomically."""
    import matplotlib.pyplot as plt
    with atomic_path(path) as tmp:
        plt.imsave(tmp, image.clip(0, 1), format="jpeg" if path.lower().endswith((".jpg", ".jpeg")) else "png")


def grid_measures(images):
    """Measures of images ``(n, 3, H, W)`` in [-1, 1], each on a 0..1 scale: colour saturation (the largest
    minus the smallest of a pixel's R, G, B) and contrast (the standard deviation of the brightness within an
    image), both averaged over pixels and images, and variety (the standard deviation of a pixel across the
    images, averaged over pixels)."""
    pixels = (images.double().cpu() + 1) / 2                                # (n, 3, H, W) in [0, 1]
    return {"saturation": float((pixels.max(1)[0] - pixels.min(1)[0]).mean()),
            "contrast": float(pixels.mean(1).flatten(1).std(1, unbiased=False).mean()),
            "variety": float(pixels.std(0, unbiased=False).mean())}


def paired_difference(a, b):
    """How alike two sets of images ``(n, 3, H, W)`` in [-1, 1] drawn from the same latent directions are: the
    mean absolute pixel difference (0..1 scale) of ``a[i]`` and ``b[i]`` (``paired``), against the same of
    ``a[i]`` and ``b[i + 1]`` (``unpaired``, images of different directions: the baseline)."""
    a, b = a.double().cpu(), b.double().cpu()
    return {"paired": float((a - b).abs().mean() / 2), "unpaired": float((a - b.roll(1, 0)).abs().mean() / 2)}


@torch.no_grad()
def draw_temperatures(generator, temperatures, count=64, seed=0, mode=DEFAULT_SAMPLING):
    """Images ``(count, 3, 32, 32)`` in [-1, 1] per temperature T, all from the same latent directions (seed
    ``seed``): z = sqrt(T) z_1, z_1 ~ N(0, I). Returns the list of image tensors and the measures:
    ``{"grids": [{"temperature", **grid_measures}], "neighbours": [{"temperatures": [T_k, T_k+1],
    "paired_difference", "unpaired_difference"}]}`` (see :func:`paired_difference`)."""
    device = next(generator.parameters()).device
    nz = generator.layers[0].in_channels
    images = [draw(generator, latent_vectors(count, nz, t, seed, device), mode) for t in temperatures]
    grids = [dict(temperature=t, **grid_measures(x)) for t, x in zip(temperatures, images)]
    neighbours = []
    for k in range(len(temperatures) - 1):
        difference = paired_difference(images[k], images[k + 1])
        neighbours.append({"temperatures": [temperatures[k], temperatures[k + 1]],
                           "paired_difference": difference["paired"], "unpaired_difference": difference["unpaired"]})
    return images, {"grids": grids, "neighbours": neighbours}


def plot_temperatures(grids, temperatures, path, title=""):
    """One figure of image grids ``grids`` (numpy ``(H, W, 3)`` in [0, 1], as batch_images_to_numpy makes them),
    one panel per temperature, at most 4 panels a row (one row for the default series: a short figure in the
    hand-in), its text large enough to print at 7 pt or more across a page, saved as the PNG ``path``."""
    import matplotlib.pyplot as plt
    rows = -(-len(grids) // 4)
    cols = -(-len(grids) // rows)
    height, width = grids[0].shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cols * (width + 20) / 100, rows * (height + 45) / 100 + 0.5),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, grid, temperature in zip(axes.flat, grids, temperatures):
        ax.imshow(grid, interpolation="nearest")
        ax.set_title("T = {:g}".format(temperature), fontsize=13)
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
