"""Part 3: the 2-d latent space of a trained VAE: the test set's codes, digits decoded on a grid, and measured
facts of that space (KL per dimension, how well the digits' codes separate, how many lie in the prior's bulk)."""
import json
import math
import os

import numpy as np
import torch

from lib.loss_vae import kl_divergence
from lib.utils.files import save_figure, save_image_grid, save_text

PRIOR_BULK = 0.95  # the share of N(0, I) inside the circle that inside_prior_bulk counts codes in
PRIOR_SAMPLES, PRIOR_SEED = 100, 0  # prior_samples.png: how many digits, drawn with which seed


@torch.no_grad()
def get_mu_logvar(model, test_loader, device="cpu"):
    """Sheet task 3.2: encode every image of ``test_loader``; returns CPU tensors ``(mus, logvars)``, each
    ``(N, latent_size)``."""
    model.to(device).eval()
    codes = [model.encode(x.to(device)) for x, _ in test_loader]
    return tuple(torch.cat([batch[k].cpu() for batch in codes]) for k in range(2))


def labels_of(loader):
    """The labels ``(N,)`` of every batch ``(images, labels)`` of ``loader``, on the CPU, in its order."""
    return torch.cat([y.cpu() for _, y in loader])


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


def latent_facts(mus, logvars, labels):
    """Measured facts of the codes ``mus``, ``logvars`` ``(N, 2)`` of images with digit ``labels`` ``(N,)``:

    - ``kl_per_dim``: per latent dimension the mean over the images of its KL term (nats); a dimension whose KL
      is near 0 carries no information about the image (it collapsed onto the prior);
    - ``nearest_mean_accuracy``: the share of images whose mu is nearest (Euclidean) to its own digit's mean mu,
      and ``per_digit_accuracy`` the same per digit (10 floats, digits 0..9);
    - ``inside_prior_bulk``: the share of codes mu inside the circle that holds :data:`PRIOR_BULK` of N(0, I)
      (radius sqrt(-2 ln 0.05) = 2.448 in 2-d), and ``digit_radius_median``: per digit the median |mu|.
    """
    mus, logvars = mus.double(), logvars.double()
    class_mu = torch.from_numpy(class_statistics(mus, logvars, labels)[0])      # (10, 2)
    nearest = torch.cdist(mus, class_mu).argmin(1)                              # (N,)
    right = (nearest == labels).double()
    one_hot = torch.nn.functional.one_hot(labels, 10).double()                  # (N, 10)
    radius = mus.norm(dim=1)                                                    # (N,)
    return {"kl_per_dim": [float(kl_divergence(mus[:, k], logvars[:, k])) / len(mus) for k in range(mus.shape[1])],
            "nearest_mean_accuracy": float(right.mean()),
            "per_digit_accuracy": ((one_hot.T @ right) / one_hot.sum(0)).tolist(),
            "inside_prior_bulk": float((radius < math.sqrt(-2 * math.log(1 - PRIOR_BULK))).double().mean()),
            "digit_radius_median": [float(radius[labels == digit].median()) if (labels == digit).any()
                                    else float("nan") for digit in range(10)]}


def place_labels(ax, points, texts, colors, radii=(14, 26, 38, 50), angles=12, gap=1.0):
    """Write ``texts[k]`` near ``points[k]`` (data coordinates, ``(K, 2)``), each at the first offset (rings of
    ``radii`` points, ``angles`` directions each) where its coloured box stays ``gap`` points clear of every
    label placed before and inside the axes; a label beyond the first ring gets a thin line to its point.
    Returns the annotations. Call it once the layout is final: tight_layout moves the axes, and the points."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pad = 0.15  # the box's padding, in font sizes
    offsets = [(r * np.cos(a), r * np.sin(a)) for ring, r in enumerate(radii)
               for a in 2 * np.pi * (np.arange(angles) + 0.5 * (ring % 2)) / angles]  # rings staggered
    style = dict(textcoords="offset points", ha="center", va="center", fontweight="bold")
    placed, boxes = [], []
    for point, text, color in zip(points, texts, colors):
        probe = ax.annotate(text, point, xytext=offsets[0], **style)
        # Half the distance two texts keep: the box's padding and half the gap, in pixels.
        margin = (pad * probe.get_fontsize() + gap / 2) * ax.figure.dpi / 72
        for offset in offsets:  # the first free place; the last one if none is free
            probe.xyann = offset
            box = probe.get_window_extent(renderer).padded(margin)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in boxes):
                break
        probe.remove()
        line = dict(arrowstyle="-", color=color, linewidth=0.8, shrinkA=0, shrinkB=0)
        label = ax.annotate(text, point, xytext=offset, arrowprops=line if np.hypot(*offset) > radii[0] else None,
                            bbox=dict(boxstyle="round,pad={}".format(pad), facecolor=color, linewidth=0), **style)
        boxes.append(box)  # the text's, without the line
        placed.append(label)
    return placed


def plot_latent_space(model, test_loader, device="cpu", output_dir="results", grid_size=20, title=""):
    """Sheet task 3.2: ``latent_space.png``, a ``grid_size`` x ``grid_size`` grid of decoded digits around the
    digits' mean codes (per dimension: the mean codes mu -/+ 2 mean sigma, as the course asks), with each digit's
    mean code and mean sigma drawn on it; and the numbers drawn, with the facts of :func:`latent_facts`, in
    ``latent_stats.json``."""
    import matplotlib.pyplot as plt
    mus, logvars = get_mu_logvar(model, test_loader, device)
    labels = labels_of(test_loader)
    class_mu, class_std = class_statistics(mus, logvars, labels)
    low, high = (class_mu - 2 * class_std).min(0), (class_mu + 2 * class_std).max(0)
    decoded, step_size = sample_on_grid(model, low[0], high[0], low[1], high[1], grid_size, device)
    # One image, latent 0 growing to the right and latent 1 upwards; pixel centres sit on the grid points, which
    # lie step_size * G / (G - 1) apart (the course's step is the range over G, the points' spacing over G - 1).
    g, channels, height, width = grid_size, *decoded.shape[2:]
    image = decoded[:, ::-1].transpose(1, 3, 0, 4, 2).reshape(g * height, g * width, channels)[:, :, 0]
    half = step_size * g / max(g - 1, 1) / 2
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, aspect="auto",
              extent=(low[0] - half[0], high[0] + half[0], low[1] - half[1], high[1] + half[1]))
    colors = [plt.get_cmap("tab10")(digit) for digit in range(10)]
    for digit in range(10):
        ax.errorbar(*class_mu[digit], xerr=class_std[digit, 0], yerr=class_std[digit, 1], fmt="x",
                    color=colors[digit], markeredgewidth=2, elinewidth=1.5, capsize=3)
    ax.set(xlabel="$z_0$", ylabel="$z_1$", title=title or "latent space")
    fig.tight_layout()
    place_labels(ax, class_mu, [str(digit) for digit in range(10)], colors)
    save_figure(fig, os.path.join(output_dir, "latent_space.png"), dpi=150)
    stats = {"class_mu": class_mu.tolist(), "class_std": class_std.tolist(), "grid_low": low.tolist(),
             "grid_high": high.tolist(), "grid_size": grid_size, "step_size": step_size.tolist()}
    stats.update(latent_facts(mus, logvars, labels))
    save_text(json.dumps(stats, indent=1), os.path.join(output_dir, "latent_stats.json"))


@torch.no_grad()
def decode_prior_samples(model, count=PRIOR_SAMPLES, seed=PRIOR_SEED, device="cpu"):
    """``count`` digits ``(count, C, H, W)`` decoded from z ~ N(0, I) drawn with ``seed``: those of
    ``prior_samples.png`` with the defaults."""
    z = torch.randn(count, model.latent_size, generator=torch.Generator().manual_seed(seed))  # (count, latent)
    return model.to(device).eval().decode(z.to(device))


def plot_codes_and_prior(model, test_loader, device="cpu", output_dir="results", title=""):
    """Beyond the sheet: ``latent_codes.png``, the test set's codes (mu) coloured by digit, and
    ``prior_samples.png``, the digits of :func:`decode_prior_samples` in rows of 10."""
    import matplotlib.pyplot as plt
    mus, _ = get_mu_logvar(model, test_loader, device)
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    points = ax.scatter(mus[:, 0], mus[:, 1], c=labels_of(test_loader), cmap="tab10", vmin=-0.5, vmax=9.5, s=1.5,
                        linewidths=0)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set(xlabel="$\\mu_0$", ylabel="$\\mu_1$", title=title or "test-set codes")
    fig.tight_layout()
    save_figure(fig, os.path.join(output_dir, "latent_codes.png"), dpi=150)
    save_image_grid(decode_prior_samples(model, device=device), os.path.join(output_dir, "prior_samples.png"),
                    nrow=10)
