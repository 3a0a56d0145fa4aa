"""Part 2: the CLT experiment and the uniform-based normal sampler."""
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lib.distributions import UNIFORM_HALF_WIDTH, normal, normal_pdf, plot_clt, std_normal

SIZES = (1, 16, 64, 1024)


@pytest.fixture(scope="module")
def clt_result():
    plt.close("all")
    result = plot_clt(plot=False)
    assert plt.get_fignums() == [], "plot=False must not open a figure"
    return result


def test_clt_shapes_and_order(clt_result):
    all_samples, all_means = clt_result
    assert len(all_samples) == len(all_means) == 2 * len(SIZES)
    for k, n in enumerate(np.repeat(SIZES, 2)):
        assert all_samples[k].shape == (1024, n)
        assert all_means[k].shape == (1024,)
        np.testing.assert_allclose(all_means[k], all_samples[k].mean(axis=1))
    # Row-major (n, distribution) order: exponential draws are never negative, normal ones are for n=1.
    assert all_samples[0].min() >= 0 and all_samples[1].min() < 0


def test_clt_is_seeded_and_reproducible(clt_result):
    np.random.seed(1337)
    np.testing.assert_array_equal(clt_result[0][0], np.random.exponential(1, (1024, 1)))
    np.testing.assert_array_equal(plot_clt(plot=False)[1][5], clt_result[1][5])


def test_clt_means_have_the_predicted_spread(clt_result):
    _, all_means = clt_result
    for k, n in enumerate(np.repeat(SIZES, 2)):
        means = all_means[k]
        # The sample variance of N values has relative standard error sqrt((2 + excess kurtosis) / N); the mean
        # of n exponential draws has excess kurtosis 6/n, normal draws 0. Allow four standard errors.
        excess_kurtosis = 6.0 / n if k % 2 == 0 else 0.0
        tolerance = 4 * np.sqrt((2 + excess_kurtosis) / len(means))
        assert abs(means.var(ddof=1) * n - 1) < tolerance, (n, k % 2, means.var(ddof=1) * n)
        assert abs(means.mean() - 1) < 4 / np.sqrt(n * len(means))


def test_clt_plot_draws_one_panel_per_pair():
    plt.close("all")
    plot_clt(n_repetitions=64, sample_sizes=(1, 4), plot=True)
    axes = plt.gcf().get_axes()
    assert len(axes) == 4
    assert all(ax.get_legend() is not None and ax.get_title() for ax in axes)
    plt.close("all")


def test_half_width_gives_unit_variance():
    # Var U(-b, b) = b^2 / 3; the mean of 1024 draws must have variance 1.
    assert UNIFORM_HALF_WIDTH ** 2 / 3 / 1024 == pytest.approx(1.0)


def test_std_normal_seeded_values():
    np.random.seed(1024)
    samples = std_normal(10000)
    assert samples.shape == (10000,)
    np.testing.assert_allclose(samples.mean(), -0.008635941490915258, rtol=1e-7)
    np.testing.assert_allclose(samples.var(), 0.9938376265606932, rtol=1e-7)
    assert std_normal().shape == (1,)


def test_normal_seeded_values():
    np.random.seed(1024)
    samples = normal(1, 3, 10000)
    assert samples.shape == (10000,)
    np.testing.assert_allclose(samples.mean(), 0.9740921755272542, rtol=1e-7)
    np.testing.assert_allclose(samples.var(), 8.944538639046238, rtol=1e-7)


def test_normal_pdf_is_scipys():
    from scipy import stats
    x = np.linspace(-12.0, 8.0, 101)
    np.testing.assert_allclose(normal_pdf(x, 1.0, 0.25), stats.norm.pdf(x, 1.0, 0.25), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(normal_pdf(x), stats.norm.pdf(x), rtol=1e-12)
    assert normal_pdf(1.0, 1.0, 0.5) == pytest.approx(1 / (0.5 * np.sqrt(2 * np.pi)), rel=1e-15)


def test_normal_matches_numpy_in_distribution():
    from scipy import stats
    np.random.seed(7)
    ours = normal(-10, 3, 5000)
    result = stats.ks_2samp(ours, np.random.normal(-10, 3, 5000))
    assert result.pvalue > 0.01


@pytest.mark.parametrize("script, output", [("plot_clt", "clt.png"), ("plot_normal", "normal.png")])
def test_scripts_write_their_figure(tmp_path, capsys, script, output):
    module = __import__(script)
    flags = ["--n_repetitions", "32", "--sample_sizes", "1", "4"] if script == "plot_clt" else ["--n_samples", "500"]
    module.main(flags + ["--output_dir", str(tmp_path / "out")])
    with open(str(tmp_path / "out" / output), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out
    plt.close("all")


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
