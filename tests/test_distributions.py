"""Part 2: the central limit theorem experiment, normal samples made from uniform ones, and the two scripts."""
import statistics
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

import plot_clt
import plot_normal
from lib import distributions
from lib.distributions import N_UNIFORM, UNIFORM_HALF_WIDTH, normal, normal_pdf, std_normal

SIZES = (1, 16, 64, 1024)


def test_clt_samples_shapes_order_and_spread():
    plt.close("all")
    all_samples, all_means = distributions.plot_clt(plot=False)
    assert plt.get_fignums() == [], "plot=False must not open a figure"
    assert len(all_samples) == len(all_means) == 2 * len(SIZES)
    for k, n in enumerate(np.repeat(SIZES, 2)):  # row-major (n, distribution): exponential, normal, exponential...
        samples, means = all_samples[k], all_means[k]
        assert samples.shape == (1024, n) and means.shape == (1024,)
        np.testing.assert_allclose(means, samples.mean(axis=1))
        # Both distributions have mean 1 and variance 1, so the CLT says the means have variance 1/n. The sample
        # variance of N = 1024 values has relative standard error sqrt((2 + excess kurtosis) / N); the mean of n
        # exponential draws has excess kurtosis 6/n, of normal ones 0. Four standard errors: a correct sampler
        # fails with probability below 1e-4 (and the draws are seeded, so it passes or fails every time).
        kurtosis = 6.0 / n if k % 2 == 0 else 0.0
        assert abs(means.var(ddof=1) * n - 1) < 4 * np.sqrt((2 + kurtosis) / 1024), (n, k)
        assert abs(means.mean() - 1) < 4 / np.sqrt(n * 1024), (n, k)
    assert all_samples[0].min() >= 0 and all_samples[1].min() < 0  # exponential first, then normal
    np.testing.assert_array_equal(distributions.plot_clt(plot=False)[1][5], all_means[5])  # seeded: the same figure


def test_normal_pdf_is_the_normal_density():
    x = np.linspace(-2.0, 4.0, 13)
    np.testing.assert_allclose(normal_pdf(x, 1.0, 0.25), [statistics.NormalDist(1.0, 0.25).pdf(v) for v in x],
                               rtol=1e-12, atol=1e-300)


def test_std_normal_and_normal_seeded_values():
    assert UNIFORM_HALF_WIDTH ** 2 / 3 / N_UNIFORM == pytest.approx(1.0)  # Var U(-b, b) / N_UNIFORM = 1
    np.random.seed(1024)
    samples = std_normal(10000)
    assert samples.shape == (10000,) and std_normal().shape == (1,)
    np.testing.assert_allclose(samples.mean(), -0.008635941490915258, rtol=1e-7)
    np.testing.assert_allclose(samples.var(), 0.9938376265606932, rtol=1e-7)
    np.random.seed(1024)
    samples = normal(1, 3, 10000)
    assert samples.shape == (10000,)
    np.testing.assert_allclose(samples.mean(), 0.9740921755272542, rtol=1e-7)
    np.testing.assert_allclose(samples.var(), 8.944538639046238, rtol=1e-7)


@pytest.mark.parametrize("script, name, size", [(plot_clt, "clt.png", (1080, 1152)),
                                                (plot_normal, "normal.png", (1080, 432))])
def test_scripts_write_their_figure(tmp_path, capsys, script, name, size):
    from PIL import Image
    script.main(["--output_dir", str(tmp_path / "figures"), "--quiet"])
    path = tmp_path / "figures" / name
    assert Image.open(str(path)).size == size  # the figure's inches at 120 dpi, as a PNG
    assert capsys.readouterr().out == "wrote {}\n".format(path)
    assert plt.get_fignums() == []  # closed once written


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
