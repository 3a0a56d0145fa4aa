"""Beyond the sheet: FD and KID against closed forms, the cached feature classifiers and the evaluation scripts."""
import itertools
import json
import os
import shutil

import numpy as np
import pytest
import torch

import evaluate_gan
import evaluate_vae
import lib.evaluate_gan
import lib.evaluate_vae
from lib.model_gan import Generator, weights_init
from lib.sample_quality import frechet_distance, kernel_inception_distance
from tests.fakes import make_flower_folder


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
    expected = kid_closed_form(mean_p, cov_p, mean_q, cov_q)  # 0.53 here
    x = rng.multivariate_normal(mean_p, cov_p, 6000)
    y = rng.multivariate_normal(mean_q, cov_q, 6000)
    kid, spread = kernel_inception_distance(x, y, subset_size=2000, num_subsets=20, seed=1)
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


@pytest.fixture
def flowers(tmp_path):
    """train/, val/ and test/ folders of random photos in two classes."""
    root = make_flower_folder(tmp_path / "flowers", count=16)
    shutil.copytree(os.path.join(root, "val"), os.path.join(root, "test"))
    return root


def test_evaluate_gan_prints_the_table_and_reuses_its_classifier(flowers, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(lib.evaluate_gan.CLASSIFIER_CONFIG, "epochs", 2)
    torch.manual_seed(0)
    generator = Generator(4, 3, 16)  # a tiny generator in a run folder, whose checkpoint names its sizes
    generator.apply(weights_init)
    run_dir = tmp_path / "run_tiny"
    run_dir.mkdir()
    torch.save(generator.state_dict(), str(run_dir / "generator.pth"))
    torch.save({"args": {"ngf": 4, "nz": 16}}, str(run_dir / "checkpoint.pth"))
    output = str(tmp_path / "quality.json")
    argv = ["--checkpoint", str(run_dir), "--data_dir", flowers, "--cache_dir", str(tmp_path / "cache"), "--seeds", "2",
            "--device", "cpu", "--quiet"]
    evaluate_gan.main(argv + ["--output", output])
    first = capsys.readouterr().out
    assert "trained now, cached in" in first and os.path.isfile(str(tmp_path / "cache" / "flowers_classifier.pth"))
    for words in ("real images: half A vs half B | floor", "run_tiny/generator.pth", "| standing", "| running",
                  "| batch"):
        assert words in first, words
    with open(output) as handle:
        result = json.load(handle)
    assert [row["mode"] for row in result["rows"]] == ["floor", "standing", "running", "batch"]
    assert all(len(row["fd"]) == 2 and all(np.isfinite(row["fd"])) for row in result["rows"])
    assert result["images_per_side"] == 12  # 24 images: 8 train, 8 val, 8 test
    # an untrained generator is further from the (random) real images than they are from each other (1.6x here)
    assert min(np.mean(row["fd"]) for row in result["rows"][1:]) > 1.25 * np.mean(result["rows"][0]["fd"])
    evaluate_gan.main(argv + ["--modes", "running"])
    second = capsys.readouterr().out
    assert "cached in" in second and "trained now" not in second and "| running" in second
    assert second.split("| running")[1].split("|")[1] == first.split("| running")[1].split("|")[1]


def test_evaluate_vae_scores_prior_samples(fake_data_dir, tmp_path, monkeypatch, capsys):
    from lib.model_vae import VAE
    monkeypatch.setattr(lib.evaluate_vae, "NUM_SAMPLES", 200)
    monkeypatch.setattr(lib.evaluate_vae, "KID_SUBSET", 100)
    for weight, std in itertools.product(("1.0", "0.0"), (None,)):
        folder = tmp_path / "results_kl{}".format(weight)
        folder.mkdir()
        torch.manual_seed(int(float(weight)))
        torch.save(VAE().state_dict(), str(folder / "model.pth"))
        (folder / "losses.json").write_text(json.dumps({"kl_loss_weight": float(weight)}))
    evaluate_vae.main(["--results_root", str(tmp_path), "--kl_loss_weights", "1", "0", "--data_dir", fake_data_dir,
                       "--cache_dir", str(tmp_path / "cache"), "--seeds", "2", "--quiet"])
    out = capsys.readouterr().out
    assert "prior samples, KL weight 1" in out and "prior samples, KL weight 0" in out and "real floor" in out
    with open(str(tmp_path / "results_kl1.0" / "prior_quality.json")) as handle:
        stored = json.load(handle)
    assert len(stored["seeds"]) == 2 and stored["kl_loss_weight"] == 1.0
    # the training digits are far closer to the test digits than an untrained decoder's blur
    assert stored["floor"]["fd"] < 0.2 * np.mean([s["fd"] for s in stored["seeds"]])


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
