"""Part 3.2: the 2-D latent space of a trained VAE: codes of the test set, and digits decoded on a grid."""
import json
import os

import numpy as np
import torch

from lib.utils.errors import UserError
from lib.utils.files import save_figure, save_text

GRID_SIZE = 20
LATENT_STATS_NAME = "latent_stats.json"
LATENT_SPACE_NAME = "latent_space.png"
LATENT_CODES_NAME = "latent_codes.png"
PRIOR_SAMPLES_NAME = "prior_samples.png"
PRIOR_GRID = 10  # prior_samples.png shows PRIOR_GRID x PRIOR_GRID digits


def _check_two_dimensional(model):
    latent_size = getattr(model, "latent_size", 2)
    if latent_size != 2:
        raise UserError("the latent-space grid needs a 2-dimensional latent space but this model has {} dimensions; "
                        "train one with --latent_size 2 (the default)".format(latent_size))


@torch.no_grad()
def encode_loader(model, loader, device="cpu"):
    """``(mus, logvars, labels)`` on the CPU for every image of ``loader``: ``(N, latent)``, twice, and ``(N,)``."""
    model.to(device)
    mus, logvars, labels = [], [], []
    for x, y in loader:
        mu, logvar = model.encode(x.to(device))
        mus.append(mu)
        logvars.append(logvar)
        labels.append(y)
    return torch.cat(mus).cpu(), torch.cat(logvars).cpu(), torch.cat(labels).cpu()


def get_mu_logvar(model, test_loader, device="cpu"):
    """Encode every image of ``test_loader``: returns CPU tensors ``(mus, logvars)``, each ``(N, latent_size)``.

    The course's API; the plots use :func:`encode_loader`, which returns the labels too.
    """
    mus, logvars, _ = encode_loader(model, test_loader, device)
    return mus, logvars


@torch.no_grad()
def sample_on_grid(model, latent0_min, latent0_max, latent1_min, latent1_max, grid_size, device="cpu"):
    """Decode the codes of a ``grid_size`` x ``grid_size`` grid spanning the given latent ranges.

    Returns ``(decoded, step_size)``: numpy arrays ``(grid_size, grid_size, C, H, W)``, where
    ``decoded[i, j]`` is the image of ``z = (linspace0[i], linspace1[j])`` (first axis = latent dimension 0), and
    ``[(latent0_max - latent0_min) / grid_size, (latent1_max - latent1_min) / grid_size]``: the range over
    ``grid_size``, as the course's API and test define it, not the spacing of the grid points (``grid_size - 1``
    intervals of linspace).
    """
    _check_two_dimensional(model)
    z0 = torch.linspace(float(latent0_min), float(latent0_max), grid_size)
    z1 = torch.linspace(float(latent1_min), float(latent1_max), grid_size)
    grid = torch.stack(torch.meshgrid(z0, z1, indexing="ij"), dim=-1).reshape(-1, 2)  # (G*G, 2), z0 varies slowest
    decoded = model.to(device).decode(grid.to(device)).cpu()                           # (G*G, C, H, W)
    decoded = decoded.reshape((grid_size, grid_size) + tuple(decoded.shape[1:])).numpy()
    step_size = np.array([(latent0_max - latent0_min) / grid_size, (latent1_max - latent1_min) / grid_size],
                         dtype=np.float64)
    return decoded, step_size


def class_statistics(mus, logvars, labels):
    """Per class: the mean of mu and the mean standard deviation, ``(K, latent)`` each, and the class labels."""
    classes, index = torch.unique(labels, return_inverse=True)
    one_hot = torch.nn.functional.one_hot(index, len(classes)).double()  # (N, K)
    counts = one_hot.sum(0).unsqueeze(1)                                  # (K, 1)
    class_mu = one_hot.T @ mus.double() / counts                          # (K, latent)
    class_std = one_hot.T @ torch.exp(0.5 * logvars.double()) / counts    # (K, latent)
    return class_mu.numpy(), class_std.numpy(), classes.numpy()


def tile_grid(decoded):
    """``(G0, G1, C, H, W)`` grid -> one image ``(G1*H, G0*W)`` (or ``(..., C)``) with latent 0 growing to the right
    and latent 1 growing upwards, as on a plot's axes."""
    g0, g1, channels, height, width = decoded.shape
    image = decoded[:, ::-1].transpose(1, 3, 0, 4, 2).reshape(g1 * height, g0 * width, channels)
    return image[:, :, 0] if channels == 1 else image


def plot_latent_space(model, test_loader, device="cpu", output_dir="results", grid_size=GRID_SIZE, title=None):
    """Draw the decoded ``grid_size`` x ``grid_size`` grid over the region the test set occupies, with each class's
    mean code and mean standard deviation as error bars; save it as ``<output_dir>/latent_space.png`` and the
    class statistics as ``<output_dir>/latent_stats.json``.

    The grid spans, per latent dimension, the class means -/+ 2 mean standard deviations. Returns the figure.
    """
    import matplotlib.pyplot as plt
    _check_two_dimensional(model)
    mus, logvars, labels = encode_loader(model, test_loader, device)
    class_mu, class_std, classes = class_statistics(mus, logvars, labels)
    low, high = (class_mu - 2 * class_std).min(0), (class_mu + 2 * class_std).max(0)
    decoded, _ = sample_on_grid(model, low[0], high[0], low[1], high[1], grid_size, device)
    half_tile = (high - low) / (grid_size - 1) / 2  # grid points are tile centres, linspace-spaced

    fig, ax = plt.subplots(figsize=(9.5, 8))
    ax.imshow(tile_grid(decoded), cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest",
              extent=(low[0] - half_tile[0], high[0] + half_tile[0], low[1] - half_tile[1], high[1] + half_tile[1]))
    colors = plt.get_cmap("tab10")
    for k, digit in enumerate(classes):
        ax.errorbar(class_mu[k, 0], class_mu[k, 1], xerr=class_std[k, 0], yerr=class_std[k, 1], fmt="x",
                    color=colors(k % 10), markersize=9, markeredgewidth=2.5, elinewidth=2, capsize=4,
                    label="{}: ({:.2f}, {:.2f}) ± ({:.2f}, {:.2f})".format(
                        digit, class_mu[k, 0], class_mu[k, 1], class_std[k, 0], class_std[k, 1]))
        # Labels sit on a circle around their mean, each class in its own direction, so that they stay readable
        # where the means crowd together (a large KL weight pulls them all to the origin).
        angle = 2 * np.pi * (k + 0.5) / len(classes)
        ax.annotate(str(digit), (class_mu[k, 0], class_mu[k, 1]), xytext=(20 * np.cos(angle), 20 * np.sin(angle)),
                    zorder=5, textcoords="offset points", ha="center", va="center", color="black", fontsize=11,
                    fontweight="bold", arrowprops=dict(arrowstyle="-", color=colors(k % 10), linewidth=1.5),
                    bbox=dict(boxstyle="round,pad=0.15", facecolor=colors(k % 10), alpha=0.9, linewidth=0))
    ax.set_xlabel("latent dimension 0 ($z_0$)")
    ax.set_ylabel("latent dimension 1 ($z_1$)")
    ax.set_title(title or "VAE latent space: {0} x {0} decoded grid, test-set class means of $\\mu$ "
                 "± mean $\\sigma$".format(grid_size), fontsize=11)
    ax.legend(title="digit: mean of $\\mu$ ± mean $\\sigma$", loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8, title_fontsize=9, borderaxespad=0)
    fig.tight_layout()
    os.makedirs(output_dir, exist_ok=True)
    save_figure(fig, os.path.join(output_dir, LATENT_SPACE_NAME), dpi=120)
    # The numbers drawn, for the write-up (lib/report/results.py reads them).
    save_text(json.dumps({"classes": classes.tolist(), "class_mu": class_mu.tolist(), "class_std": class_std.tolist(),
                          "grid_low": low.tolist(), "grid_high": high.tolist()}, indent=1),
              os.path.join(output_dir, LATENT_STATS_NAME))
    return fig


def plot_latent_codes(mus, labels, path, title=None):
    """Scatter the test set's codes ``mus`` ``(N, 2)`` coloured by digit ``labels`` ``(N,)``; written to ``path``."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    points = ax.scatter(mus[:, 0].numpy(), mus[:, 1].numpy(), c=labels.numpy(), cmap="tab10", vmin=-0.5, vmax=9.5,
                        s=2, alpha=0.6, linewidths=0)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set(xlabel="latent dimension 0 ($\\mu_0$)", ylabel="latent dimension 1 ($\\mu_1$)",
           title=title or "test-set codes (mean of q(z|x)) by digit")
    ax.set_aspect("equal", adjustable="datalim")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)


@torch.no_grad()
def plot_prior_samples(model, path, grid=PRIOR_GRID, seed=0, device="cpu"):
    """Decode ``grid * grid`` codes z ~ N(0, I) (seeded) and save them as one image grid at ``path``."""
    from lib.utils.files import save_image_grid
    z = torch.randn(grid * grid, getattr(model, "latent_size", 2), generator=torch.Generator().manual_seed(seed))
    save_image_grid(model.to(device).decode(z.to(device)), path, nrow=grid, padding=2)


def plot_codes_and_prior(model, test_loader, device="cpu", output_dir="results", title=""):
    """``latent_codes.png`` and ``prior_samples.png`` in ``output_dir``; ``title`` names the run in the scatter."""
    mus, _, labels = encode_loader(model, test_loader, device)
    plot_latent_codes(mus, labels, os.path.join(output_dir, LATENT_CODES_NAME),
                      "test-set codes (mean of q(z|x)) by digit{}".format(title))
    plot_prior_samples(model, os.path.join(output_dir, PRIOR_SAMPLES_NAME), device=device)
