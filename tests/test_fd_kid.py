"""Beyond the sheet: FD and KID against closed forms."""
import sys

import numpy as np
import pytest

from lib.evaluation.sample_quality import frechet_distance, kernel_inception_distance


def exact_gaussian_sample(n, mean, covariance, seed):
    """``n`` points whose sample mean and (unbiased) sample covariance are exactly ``mean`` and ``covariance``."""
    rng = np.random.RandomState(seed)
    z = rng.randn(n, len(mean))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # sample covariance I
    return z @ np.linalg.cholesky(covariance).T + mean


def test_frechet_distance_matches_the_closed_form():
    # Diagonal covariances commute: FD = |m1 - m2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2 = 2 + 1 + 0.25 = 3.25 here.
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.0, 2.0])
    a, b = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 4.0, 6.25])
    x, y = exact_gaussian_sample(500, m1, a, 0), exact_gaussian_sample(700, m2, b, 1)
    assert frechet_distance(x, y) == pytest.approx(3.25, abs=1e-8)
    # a common rotation changes nothing; a set against itself is at distance 0
    rotation, _ = np.linalg.qr(np.random.RandomState(2).randn(3, 3))
    assert frechet_distance(x @ rotation, y @ rotation) == pytest.approx(3.25, abs=1e-8)
    assert abs(frechet_distance(x, x)) < 1e-8
    # a non-commuting pair against tr(A + B - 2 (A^1/2 B A^1/2)^1/2) computed another way (scipy's sqrtm)
    from scipy.linalg import sqrtm
    c = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 0.5]])
    root = sqrtm(a)
    expected = ((m1 - m2) ** 2).sum() + np.trace(a + c - 2 * np.real(sqrtm(root @ c @ root)))
    assert frechet_distance(x, exact_gaussian_sample(400, m2, c, 3)) == pytest.approx(expected, abs=1e-6)


def moment_tensors(mean, covariance):
    """E[x], E[x x^T] and E[x x x] (as tensors) of N(mean, covariance)."""
    m, s = mean, covariance
    third = np.einsum("a,b,c->abc", m, m, m) + np.einsum("ab,c->abc", s, m) + np.einsum("ac,b->abc", s, m) \
        + np.einsum("bc,a->abc", s, m)
    return m, s + np.outer(m, m), third


def kid_closed_form(mean_p, cov_p, mean_q, cov_q):
    """MMD^2 of the kernel (x.y / d + 1)^3 = sum_j C(3, j) (x.y / d)^j between two Gaussians.

    E[(x.y)^j] for independent x ~ P, y ~ Q is the inner product of their j-th moment tensors, so
    MMD^2 = sum_j C(3, j) / d^j * |M_j(P) - M_j(Q)|^2.
    """
    d = len(mean_p)
    return sum(binomial / d ** j * ((mp - mq) ** 2).sum() for j, binomial, mp, mq in zip(
        (1, 2, 3), (3, 3, 1), moment_tensors(mean_p, cov_p), moment_tensors(mean_q, cov_q)))


def test_kid_matches_the_closed_form_for_gaussians():
    rng = np.random.RandomState(0)
    mean_p, mean_q = np.array([0.5, 0.0, -0.5]), np.array([0.0, 0.3, 0.0])
    cov_p, cov_q = np.eye(3), np.diag([1.5, 0.7, 1.0])
    expected = kid_closed_form(mean_p, cov_p, mean_q, cov_q)  # 1.07 here
    # 20 subsets of 1000 of 4000 points each: the mean lands within 4 % of the closed form for data seeds 0-3
    # (measured), the 10 % asked here leaves room; 2000 of 6000 took four times as long for no better test
    x = rng.multivariate_normal(mean_p, cov_p, 4000)
    y = rng.multivariate_normal(mean_q, cov_q, 4000)
    kid, spread = kernel_inception_distance(x, y, subset_size=1000, num_subsets=20, seed=1)
    assert kid == pytest.approx(expected, rel=0.1) and expected > 0.4
    assert 0 < spread < expected / 3


def test_kid_is_unbiased_on_one_distribution_where_the_plain_estimate_is_not():
    rng = np.random.RandomState(1)
    estimates, biased = [], []

    def k(u, v):  # the kernel matrix of KID
        return (u @ v.T / 8 + 1) ** 3

    for _ in range(20):  # 20 independent pairs of small samples of N(0, I), 8 dimensions
        x, y = rng.randn(50, 8), rng.randn(50, 8)
        estimates.append(kernel_inception_distance(x, y, subset_size=50, num_subsets=1)[0])
        biased.append(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())  # diagonal terms included
    estimates = np.array(estimates)
    standard_error = estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(estimates.mean()) < 3 * standard_error  # the unbiased estimate scatters around 0
    assert np.mean(biased) > 10 * standard_error and min(biased) > 0


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
