"""Part 2 of the report: the CLT figure with its measured moments, and the derivation of b for the normal figure."""
import math
import os

import numpy as np

from lib.report.results import existing


def clt_moments(n_repetitions=1024, sample_sizes=(1, 16, 64, 1024)):
    """Variance and skewness of the CLT plot's sample means, per sample size (rows) and distribution (columns).

    Drawn by ``plot_clt(plot=False)``, which seeds numpy itself, so with the settings clt.png was drawn with these
    are the means it shows. Returns (sample_sizes, variances, skewness), the last two of shape
    (len(sample_sizes), 2).
    """
    from lib.distributions import plot_clt
    sample_sizes = tuple(sample_sizes)
    _, means = plot_clt(n_repetitions, sample_sizes, plot=False)  # row-major (n, distribution) order
    means = np.stack(means)  # (sizes * 2, 1024)
    centred = means - means.mean(axis=1, keepdims=True)
    variances = (centred ** 2).mean(axis=1)
    skewness = (centred ** 3).mean(axis=1) / variances ** 1.5
    return sample_sizes, variances.reshape(len(sample_sizes), -1), skewness.reshape(len(sample_sizes), -1)


def write_distributions(doc, results_root):
    """Part 2: the CLT figure with the measured variances, the derivation of b, the normal-approximation figure."""
    from lib import distributions
    folder = os.path.join(results_root, "results_distributions")
    clt, clt_recorded = distributions.figure_settings(folder, "clt")
    normal, normal_recorded = distributions.figure_settings(folder, "normal")
    state = np.random.get_state()  # the numbers below reseed numpy; leave the caller's generator untouched
    try:
        sample_sizes, variances, skewness = clt_moments(clt["n_repetitions"], clt["sample_sizes"])
        np.random.seed(normal["seed"])  # the draws of normal.png, as plot_normal.py made them
        (_, std, _), (_, shifted, _) = distributions.normal_panels(normal["n_samples"])
    finally:
        np.random.set_state(state)
    reps = clt["n_repetitions"]
    doc.section_break()
    doc.heading("2  Distributions and the central limit theorem")
    doc.heading("2.1  Sample means of Exp(1) and N(1, 1)", 2)
    doc.paragraph("For n = {}, {} means of n samples each; both distributions have mean 1 and variance 1, so the "
                  "CLT predicts that the means follow N(1, 1/n). Variance and skewness of the {} means {} (seed "
                  "1337, as in lib/distributions.py); for the exponential the exact skewness of a mean of n samples "
                  "is 2/√n, for the normal 0:".format(
                      ", ".join(str(n) for n in sample_sizes), reps, reps,
                      "in the figure" if clt_recorded else "of plot_clt.py's default settings (the figure's own "
                      "settings were not recorded beside it)"))
    rows = [[str(n), "{:.5f}".format(1 / n), "{:.5f}".format(v[0]), "{:.5f}".format(v[1]),
             "{:.2f}".format(v[0] * n), "{:.2f}".format(v[1] * n), "{:+.2f}".format(2 / math.sqrt(n)),
             "{:+.2f}".format(g[0]), "{:+.2f}".format(g[1])]
            for n, v, g in zip(sample_sizes, variances, skewness)]
    doc.table(["n", "CLT 1/n", "var Exp", "var N", "n·var Exp", "n·var N", "2/√n", "skew Exp", "skew N"], rows)
    ratios = variances * np.array(sample_sizes)[:, None]
    doc.paragraph("n times the variance lies between {:.2f} and {:.2f}, close to the predicted 1 ({} normal means "
                  "give a sample variance with a standard error of √(2/{}) ≈ {:.1f} %). The skewness of the "
                  "exponential means goes from {:.2f} at n = {} to {:.2f} at n = {}: the histograms turn from the "
                  "skewed exponential shape into the symmetric bell the CLT predicts, while means of normal samples "
                  "stay symmetric for every n (skewness between {:+.2f} and {:+.2f})."
                  .format(ratios.min(), ratios.max(), reps, reps - 1, 100 * math.sqrt(2 / max(reps - 1, 1)),
                          skewness[0, 0], sample_sizes[0],
                          skewness[-1, 0], sample_sizes[-1], skewness[:, 1].min(), skewness[:, 1].max()))
    doc.images([(existing(os.path.join(folder, "clt.png")), "results_distributions/clt.png")], height=6.0)
    doc.heading("2.2  A normal distribution from uniform samples: the choice of b", 2, keep=2.0)
    n_u = distributions.N_UNIFORM_PER_SAMPLE
    doc.paragraph("Draw n_u samples from U(-b, b) and take their mean. Its expectation is 0. The variance of one "
                  "uniform sample is")
    doc.paragraph("σ_u² = (b - (-b))² / 12 = (2b)² / 12 = b² / 3.", indent=0.3)
    doc.paragraph("The mean of n_u independent samples has variance σ_u² / n_u, and by the CLT it is approximately "
                  "normal:")
    doc.paragraph("σ_n² = σ_u² / n_u = b² / (3 n_u).", indent=0.3)
    doc.paragraph("A standard normal needs σ_n = 1:")
    doc.paragraph("b² / (3 n_u) = 1   ⇒   b = √(3 n_u).", indent=0.3)
    doc.paragraph("This project averages n_u = {} uniform samples per normal sample, so b = √{} ≈ {:.2f}. A sample "
                  "of N(μ, σ²) is then μ + σ z with z from the standard-normal approximation. Measured on the {:,} "
                  "samples {} (seed {}): the standard-normal approximation has mean {:+.4f} and variance {:.4f}; "
                  "the N(-10, 3²) approximation has mean {:.4f} and variance {:.3f} (targets -10 and 9)."
                  .format(n_u, 3 * n_u, math.sqrt(3 * n_u), normal["n_samples"],
                          "of the figure below" if normal_recorded else "of plot_normal.py's default settings (the "
                          "figure's own settings were not recorded beside it)", normal["seed"], std.mean(), std.var(),
                          shifted.mean(), shifted.var()))
    doc.images([(existing(os.path.join(folder, "normal.png")), "results_distributions/normal.png")], height=3.6)
