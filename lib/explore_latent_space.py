"""Part 3: the 2-d latent space of a trained VAE: the test set's codes, and digits decoded on a grid."""
import json
import os

import numpy as np
import torch

from lib.utils.files import save_figure, save_image_grid, save_text


@torch.no_grad()
def get_mu_logvar(model, test_loader, device="cpu"):
    """Sheet task 3.2: encode every image of ``test_loader``; returns CPU tensors ``(mus, logvars)``, each
    ``(N, latent_size)``."""
    mus, logvars, _ = encode_all(model, test_loader, device)
    return mus, logvars


@torch.no_grad()
def encode_all(model, loader, device="cpu"):
    """``(mus, logvars, labels)`` on the CPU for every image of ``loader``: ``(N, latent)`` twice and ``(N,)``."""
    model.to(device).eval()
    codes = [model.encode(x.to(device)) + (y,) for x, y in loader]
    return tuple(torch.cat([batch[k].cpu() for batch in codes]) for k in range(3))


@torch.no_grad()
def sample_on_grid(model, latent0_min, latent0_max, latent1_min, latent1_max, grid_size, device="cpu"):
    """Sheet task 3.2: decode a ``grid_size`` x ``grid_size`` grid of codes spanning the given ranges.

    Returns ``(decoded, step_size)``: ``decoded[i, j]`` (numpy, ``(grid_size, grid_size, C, H, W)``) is the
    image of z = (linspace0[i], linspace1[j]), and ``step_size`` is the course's [(latent0_max - latent0_min) /
    grid_size, (latent1_max - latent1_min) / grid_size] (numpy; not the spacing of the linspace points).
    """
    z0 = torch.linspace(float(latent0_min), float(latent0_max), grid_size)
    z1 = torch.linspace(float(latent1_min), float(latent1_max), grid_size)
    grid = torch.stack(torch.meshgrid(z0, z1, indexing="ij"), dim=-1).reshape(-1, 2)  # (G*G, 2), z0 slowest
    decoded = model.to(device).eval().decode(grid.to(device)).cpu().numpy()            # (G*G, C, H, W)
    step_size = np.array([(latent0_max - latent0_min) / grid_size, (latent1_max - latent1_min) / grid_size])
    return decoded.reshape((grid_size, grid_size) + decoded.shape[1:]), step_size


def class_statistics(mus, logvars, labels):
    """Per digit: the mean of mu and the mean standard deviation sigma, ``(10, latent)`` each, as numpy."""
    one_hot = torch.nn.functional.one_hot(labels, 10).double()  # (N, 10)
    counts = one_hot.sum(0)[:, None]                             # (10, 1)
    sigmas = torch.exp(0.5 * logvars.double())                   # (N, latent)
    return ((one_hot.T @ mus.double()) / counts).numpy(), ((one_hot.T @ sigmas) / counts).numpy()


def plot_latent_space(model, test_loader, device="cpu", output_dir="results", grid_size=20, title=""):
    """Sheet task 3.2: ``latent_space.png``, a ``grid_size`` x ``grid_size`` grid of decoded digits around the
    digits' mean codes (per dimension: the mean codes mu -/+ 2 mean sigma, as the course asks), with each digit's
    mean code and mean sigma drawn on it; and the numbers drawn, in ``latent_stats.json``."""
    import matplotlib.pyplot as plt
    class_mu, class_std = class_statistics(*encode_all(model, test_loader, device))
    low, high = (class_mu - 2 * class_std).min(0), (class_mu + 2 * class_std).max(0)
    decoded, _ = sample_on_grid(model, low[0], high[0], low[1], high[1], grid_size, device)
    # One image, latent 0 growing to the right and latent 1 upwards; pixel centres sit on the grid points.
    g, channels, height, width = grid_size, *decoded.shape[2:]
    image = decoded[:, ::-1].transpose(1, 3, 0, 4, 2).reshape(g * height, g * width, channels)[:, :, 0]
    half = (high - low) / (g - 1) / 2
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, aspect="auto",
              extent=(low[0] - half[0], high[0] + half[0], low[1] - half[1], high[1] + half[1]))
    colors = plt.get_cmap("tab10")
    for digit in range(10):
        ax.errorbar(*class_mu[digit], xerr=class_std[digit, 0], yerr=class_std[digit, 1], fmt="x",
                    color=colors(digit), markeredgewidth=2, elinewidth=1.5, capsize=3)
        angle = 2 * np.pi * (digit + 0.5) / 10  # labels around their mean, readable where the means crowd
        ax.annotate(str(digit), class_mu[digit], xytext=(14 * np.cos(angle), 14 * np.sin(angle)),
                    textcoords="offset points", ha="center", va="center", fontweight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor=colors(digit), linewidth=0))
    ax.set(xlabel="$z_0$", ylabel="$z_1$", title=title or "latent space")
    fig.tight_layout()
    save_figure(fig, os.path.join(output_dir, "latent_space.png"), dpi=150)
    save_text(json.dumps({"class_mu": class_mu.tolist(), "class_std": class_std.tolist(), "grid_low": low.tolist(),
                          "grid_high": high.tolist(), "grid_size": grid_size}, indent=1),
              os.path.join(output_dir, "latent_stats.json"))


def plot_codes_and_prior(model, test_loader, device="cpu", output_dir="results", title=""):
    """Beyond the sheet: ``latent_codes.png``, the test set's codes (mu) coloured by digit, and
    ``prior_samples.png``, 100 digits decoded from z ~ N(0, I) (seed 0)."""
    import matplotlib.pyplot as plt
    mus, _, labels = encode_all(model, test_loader, device)
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    points = ax.scatter(mus[:, 0], mus[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=1.5, linewidths=0)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set(xlabel="$\\mu_0$", ylabel="$\\mu_1$", title=title or "test-set codes")
    fig.tight_layout()
    save_figure(fig, os.path.join(output_dir, "latent_codes.png"), dpi=150)
    z = torch.randn(100, model.latent_size, generator=torch.Generator().manual_seed(0)).to(device)
    with torch.no_grad():
        save_image_grid(model.decode(z), os.path.join(output_dir, "prior_samples.png"), nrow=10)
