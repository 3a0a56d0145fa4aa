"""Part 2: the central limit theorem, and a normal distribution built from uniform samples only."""
import numpy as np
import matplotlib.pyplot as plt

# Number of uniform draws averaged into one approximately normal sample.
N_UNIFORM_PER_SAMPLE = 1024

# Half-width b of U(-b, b) such that the mean of N_UNIFORM_PER_SAMPLE draws has variance 1:
#   Var U(-b, b) = (2b)^2 / 12 = b^2 / 3
#   Var of the mean of n_u draws = b^2 / (3 n_u)  (CLT, independent draws)
#   b^2 / (3 n_u) = 1   =>   b = sqrt(3 n_u) = sqrt(3072) ~ 55.43 for n_u = 1024
UNIFORM_HALF_WIDTH = np.sqrt(3 * N_UNIFORM_PER_SAMPLE)

# The two distributions of the CLT plot, in column order: (title, sampler(size) -> array). Both have mean 1
# and variance 1, so the mean of n draws follows N(1, 1/n) for large n.
CLT_DISTRIBUTIONS = (
    ("exponential, $\\lambda=1$", lambda size: np.random.exponential(1, size)),
    ("normal, $\\mu=1, \\sigma=1$", lambda size: np.random.normal(1, 1, size)),
)
CLT_MEAN, CLT_VARIANCE = 1.0, 1.0


def plot_clt(n_repetitions=1024, sample_sizes=(1, 16, 64, 1024), plot=True):
    """Draw ``n_repetitions`` sample means for every (sample size n, distribution) pair.

    Rows of the figure are sample sizes, columns the distributions of ``CLT_DISTRIBUTIONS``. Each panel shows a
    density histogram of the means with the pdf of N(1, 1/n) that the CLT predicts.

    Args:
        n_repetitions: how many means to draw per pair.
        sample_sizes: the values of n, the number of samples averaged into one mean.
        plot: draw the figure (the current pyplot figure) when True; draw nothing when False.

    Returns:
        (all_samples, all_means): lists in row-major (n, distribution) order; ``all_samples[k]`` has shape
        ``(n_repetitions, n)`` and ``all_means[k]`` shape ``(n_repetitions,)``.
    """
    np.random.seed(1337)  # a fixed seed: the same figure, and the same numbers in the PDF, on every run
    all_samples, all_means = [], []
    if plot:
        fig, axes = plt.subplots(len(sample_sizes), len(CLT_DISTRIBUTIONS), squeeze=False,
                                 figsize=(4.5 * len(CLT_DISTRIBUTIONS), 2.6 * len(sample_sizes)))
    for row, n in enumerate(sample_sizes):
        for col, (name, sampler) in enumerate(CLT_DISTRIBUTIONS):
            samples = sampler((n_repetitions, n))  # (n_repetitions, n)
            means = samples.mean(axis=1)  # (n_repetitions,)
            all_samples.append(samples)
            all_means.append(means)
            if plot:
                ax = axes[row, col]
                ax.hist(means, bins=50, density=True, alpha=0.6, label="sample means")
                std = np.sqrt(CLT_VARIANCE / n)
                x = np.linspace(CLT_MEAN - 4 * std, CLT_MEAN + 4 * std, 200)
                ax.plot(x, normal_pdf(x, CLT_MEAN, std), "r", label="$\\mathcal{{N}}(1, 1/{})$".format(n))
                ax.set_title("{}, n = {}".format(name, n))
                ax.set_xlabel("mean of n samples")
                ax.set_ylabel("density")
                ax.legend(fontsize="small")
    if plot:
        fig.tight_layout()
    return all_samples, all_means


def normal_pdf(x, loc=0.0, scale=1.0):
    """Density of N(loc, scale^2) at ``x`` (any shape): exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))."""
    return np.exp(-0.5 * ((x - loc) / scale) ** 2) / (scale * np.sqrt(2 * np.pi))


def std_normal(n_samples=1):
    """Approximate N(0, 1) samples using uniform draws only (CLT; see ``UNIFORM_HALF_WIDTH``).

    Returns:
        array of shape ``(n_samples,)``.
    """
    b = UNIFORM_HALF_WIDTH
    uniform = np.random.uniform(-b, b, size=(n_samples, N_UNIFORM_PER_SAMPLE))  # (n_samples, 1024)
    return uniform.mean(axis=1)


def normal(loc=0.0, scale=1.0, n_samples=1):
    """Approximate N(loc, scale^2) samples: shift and scale :func:`std_normal`. Returns shape ``(n_samples,)``."""
    return loc + scale * std_normal(n_samples)


def normal_panels(n_samples=10000):
    """The samples :func:`plot_normal` draws from numpy's global generator, in its order: a list of
    ``(name, ours (n_samples,), numpy's (n_samples,))`` for N(0, 1) and N(-10, 3^2)."""
    return [
        ("N(0, 1)", std_normal(n_samples), np.random.normal(0, 1, n_samples)),
        ("N(-10, 3$^2$)", normal(-10, 3, n_samples), np.random.normal(-10, 3, n_samples)),
    ]


def plot_normal(n_samples=10000, bins=40):
    """Compare the uniform-based approximations with numpy's normal sampler in two panels of a new figure."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    panels = normal_panels(n_samples)
    for ax, (name, ours, reference) in zip(axes, panels):
        ax.hist(ours, bins=bins, density=True, alpha=0.5, label="mean of {} uniforms".format(N_UNIFORM_PER_SAMPLE))
        ax.hist(reference, bins=bins, density=True, alpha=0.5, label="np.random.normal")
        ax.set_title("{}: {} samples each".format(name, n_samples))
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


# The settings each figure was drawn with, written beside it (results_distributions/clt.json, normal.json) so
# that the PDF's numbers are those of the figures it shows. Defaults: the scripts' own.
FIGURE_DEFAULTS = {"clt": {"n_repetitions": 1024, "sample_sizes": [1, 16, 64, 1024]},
                   "normal": {"n_samples": 10000, "bins": 40, "seed": 0}}


def figure_settings(folder, figure):
    """``(settings, recorded)``: the settings ``folder/<figure>.json`` records for ``figure`` ("clt" or "normal"),
    or the defaults and False when there is no readable record."""
    import json
    import os
    settings = dict(FIGURE_DEFAULTS[figure])
    try:
        with open(os.path.join(folder, figure + ".json")) as handle:
            recorded = json.load(handle)
        settings.update({key: recorded[key] for key in settings})
        return settings, True
    except (OSError, ValueError, KeyError, TypeError):
        return settings, False
