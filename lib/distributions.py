"""Part 2: the central limit theorem (task 2.1), and normal samples made from uniform ones only (task 2.2)."""
import numpy as np
import matplotlib.pyplot as plt

# Task 2.2: the mean of N_UNIFORM draws from U(-b, b) has mean 0 and, by the CLT, is close to normal with
#   variance Var U(-b, b) / N_UNIFORM = (2b)^2 / 12 / N_UNIFORM = b^2 / (3 N_UNIFORM).
# A standard normal needs that variance to be 1:  b = sqrt(3 N_UNIFORM) = sqrt(3072) ~ 55.43.
N_UNIFORM = 1024
UNIFORM_HALF_WIDTH = np.sqrt(3 * N_UNIFORM)

# Task 2.1's two distributions, one figure column each, both with mean 1 and variance 1.
CLT_DISTRIBUTIONS = (("exponential, $\\lambda = 1$", lambda size: np.random.exponential(1, size)),
                     ("normal, $\\mu = 1, \\sigma = 1$", lambda size: np.random.normal(1, 1, size)))


def plot_clt(n_repetitions=1024, sample_sizes=(1, 16, 64, 1024), plot=True):
    """Sheet task 2.1: draw ``n_repetitions`` means of n samples for every n of ``sample_sizes`` and both
    distributions, and (if ``plot``) a density histogram of each set of means under the pdf of N(1, 1/n).

    Returns ``(all_samples, all_means)``, lists in (n, distribution) row-major order of arrays
    ``(n_repetitions, n)`` and ``(n_repetitions,)``. Seeded (1337): the same figure on every run.
    """
    np.random.seed(1337)
    all_samples, all_means = [], []
    if plot:
        fig, axes = plt.subplots(len(sample_sizes), 2, squeeze=False, figsize=(9, 2.4 * len(sample_sizes)))
    for row, n in enumerate(sample_sizes):
        for col, (name, sampler) in enumerate(CLT_DISTRIBUTIONS):
            samples = sampler((n_repetitions, n))  # (n_repetitions, n)
            means = samples.mean(axis=1)           # (n_repetitions,)
            all_samples.append(samples)
            all_means.append(means)
            if plot:
                std = np.sqrt(1 / n)  # the CLT: the mean of n draws of variance 1 has variance 1/n
                x = np.linspace(1 - 4 * std, 1 + 4 * std, 200)
                ax = axes[row, col]
                ax.hist(means, bins=50, density=True, alpha=0.6, label="sample means")
                ax.plot(x, normal_pdf(x, 1, std), "r", label="$\\mathcal{{N}}(1, 1/{})$".format(n))
                ax.set(title="{}, n = {}".format(name, n), xlabel="mean of n samples", ylabel="density")
                ax.set_ylim(top=1.35 * ax.get_ylim()[1])  # room for the legend above the bars
                ax.legend(loc="upper left")
    if plot:
        fig.tight_layout()
    return all_samples, all_means


def normal_pdf(x, mean=0.0, std=1.0):
    """The density of N(mean, std^2) at ``x`` (an array of any shape)."""
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def std_normal(n_samples=1):
    """Sheet task 2.2: ``n_samples`` approximately N(0, 1) samples, each the mean of N_UNIFORM draws from
    U(-b, b) with b = UNIFORM_HALF_WIDTH. Returns an array ``(n_samples,)``."""
    b = UNIFORM_HALF_WIDTH
    return np.random.uniform(-b, b, size=(n_samples, N_UNIFORM)).mean(axis=1)


def normal(loc=0.0, scale=1.0, n_samples=1):
    """Sheet task 2.2: approximately N(loc, scale^2) samples ``(n_samples,)``: shifted and scaled std_normal."""
    return loc + scale * std_normal(n_samples)


def normal_samples(n_samples=10000):
    """The samples plot_normal compares, in the order it draws them: ``[(title, ours, numpy's), ...]`` for
    N(0, 1) and N(-10, 3^2), each an array ``(n_samples,)``."""
    return [("N(0, 1)", std_normal(n_samples), np.random.normal(0, 1, n_samples)),
            ("N(-10, $3^2$)", normal(-10, 3, n_samples), np.random.normal(-10, 3, n_samples))]


def plot_normal(n_samples=10000, bins=40):
    """Histograms of our uniform-based samples beside numpy's normal samples, one panel per distribution."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (title, ours, numpys) in zip(axes, normal_samples(n_samples)):
        ax.hist(ours, bins=bins, density=True, alpha=0.5, label="mean of {} uniforms".format(N_UNIFORM))
        ax.hist(numpys, bins=bins, density=True, alpha=0.5, label="np.random.normal")
        ax.set(title="{}: {} samples each".format(title, n_samples), xlabel="x", ylabel="density")
        ax.set_ylim(top=1.35 * ax.get_ylim()[1])
        ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
