"""Beyond the sheet: FD and KID against closed forms, the cached feature classifier, and evaluate_vae.py and
evaluate_gan.py end to end on small fake data sets."""
import json
import os
import shutil
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import evaluate_gan
import evaluate_vae
import lib.evaluation
from lib.evaluation import TrainingPhotos, FeatureNet, accuracy, cached_classifier, frechet_distance, grid_tiles, \
    kernel_inception_distance, labelled_flowers, nearest, photo_views, read_vae_figures, train_classifier
from lib.explore_latent_space import decode_prior_samples
from lib.mnist import load_mnist
from lib.utils.files import save_image_grid
from lib.utils.files import KL_WEIGHTS
from lib.model_gan import Generator, weights_init
from lib.model_vae import VAE
from tests.fakes import make_flower_folder, one_sentence

TINY = {"stages": 2, "width": 4, "epochs": 2, "batch_size": 64}  # a classifier trained in a fraction of a second


@pytest.fixture
def tiny_classifiers(monkeypatch):
    for recipe in (lib.evaluation.MNIST_RECIPE, lib.evaluation.FLOWERS_RECIPE):
        for key, value in TINY.items():
            monkeypatch.setitem(recipe, key, value)


def sample_with_moments(n, mean, covariance, seed):
    """``n`` points whose sample mean and sample covariance are exactly ``mean`` and ``covariance``."""
    z = np.random.RandomState(seed).randn(n, len(mean))
    z -= z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # sample covariance I
    return z @ np.linalg.cholesky(covariance).T + mean


def test_frechet_distance_matches_the_closed_form():
    # Commuting (diagonal) covariances: FD = |m1 - m2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2 = 5 + 5.25.
    m1, m2 = np.array([1.0, 0.0, 0.0, -1.0]), np.array([0.0, 0.0, 2.0, -1.0])
    a, b = np.diag([1.0, 9.0, 4.0, 0.25]), np.diag([4.0, 1.0, 4.0, 1.0])
    x, y = sample_with_moments(300, m1, a, 0), sample_with_moments(500, m2, b, 1)
    assert frechet_distance(x, y) == pytest.approx(10.25, abs=1e-8)
    rotation = np.linalg.qr(np.random.RandomState(2).randn(4, 4))[0]  # FD is a property of the Gaussians
    assert frechet_distance(x @ rotation, y @ rotation) == pytest.approx(10.25, abs=1e-8)
    assert abs(frechet_distance(x, x)) < 1e-8
    # Covariances that do not commute, against scipy's general matrix square root.
    from scipy.linalg import sqrtm
    c = np.array([[2.0, 0.9, 0.0, 0.1], [0.9, 1.0, 0.4, 0.0], [0.0, 0.4, 0.6, 0.0], [0.1, 0.0, 0.0, 1.5]])
    root = sqrtm(a)
    expected = ((m1 - m2) ** 2).sum() + np.trace(a + c - 2 * np.real(sqrtm(root @ c @ root)))
    assert frechet_distance(x, sample_with_moments(400, m2, c, 3)) == pytest.approx(expected, abs=1e-6)


def gaussian_kid(mean_p, cov_p, mean_q, cov_q):
    """MMD^2 of N(mean_p, cov_p) and N(mean_q, cov_q) under the kernel (x.y / d + 1)^3.

    Expanded, the kernel is sum_j C(3, j) (x.y)^j / d^j, and E[(x.y)^j] for independent x ~ P, y ~ Q is the inner
    product of their j-th moment tensors M_j, so MMD^2 = sum_{j=1..3} C(3, j) |M_j(P) - M_j(Q)|^2 / d^j.
    """
    def moments(m, s):  # E[x], E[x x], E[x x x] of N(m, s)
        third = np.einsum("a,b,c->abc", m, m, m) + np.einsum("ab,c->abc", s, m) + np.einsum("ac,b->abc", s, m) \
            + np.einsum("bc,a->abc", s, m)
        return m, s + np.outer(m, m), third
    d = len(mean_p)
    return sum(binomial * ((p - q) ** 2).sum() / d ** j for j, binomial, p, q in
               zip((1, 2, 3), (3, 3, 1), moments(mean_p, cov_p), moments(mean_q, cov_q)))


def test_kid_matches_the_closed_form_for_gaussians():
    rng = np.random.RandomState(0)
    mean_p, mean_q = np.array([0.4, 0.0, -0.6]), np.array([0.0, 0.5, 0.0])
    cov_p, cov_q = np.eye(3), np.diag([1.6, 0.5, 1.0])
    expected = gaussian_kid(mean_p, cov_p, mean_q, cov_q)
    x, y = rng.multivariate_normal(mean_p, cov_p, 5000), rng.multivariate_normal(mean_q, cov_q, 5000)
    kid = kernel_inception_distance(x, y, subset_size=1000, num_subsets=25, seed=1)
    assert expected > 0.5 and kid == pytest.approx(expected, rel=0.1)


def test_kid_is_unbiased_near_zero_for_one_distribution():
    rng = np.random.RandomState(1)
    unbiased, plain = [], []
    for _ in range(30):  # independent pairs of small samples of N(0, I) in 8 dimensions
        x, y = rng.randn(60, 8), rng.randn(60, 8)
        unbiased.append(kernel_inception_distance(x, y))  # both sets whole: one U-statistic

        def k(u, v):
            return (u @ v.T / 8 + 1) ** 3
        plain.append(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())  # the diagonal included: biased
    standard_error = np.std(unbiased, ddof=1) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert min(plain) > 0 and np.mean(plain) > 10 * standard_error
    different = kernel_inception_distance(rng.randn(60, 8), rng.randn(60, 8) + 0.5)
    assert different > 10 * standard_error


def test_the_classifier_is_cached_and_trained_again_when_its_recipe_changes(fake_data_dir, tmp_path):
    images, labels = load_mnist(fake_data_dir, True)
    images, labels = images[:256], labels[:256]
    recipe = dict(lib.evaluation.MNIST_RECIPE, classes=10, data=[256, 0.0], **TINY)
    path, trained, messages = str(tmp_path / "cache" / "classifier.pth"), [], []

    def classifier(recipe):
        def train():
            trained.append(recipe["epochs"])
            model = train_classifier(recipe, labels, lambda index, _: images[index], "cpu", quiet=True)
            return model, {"train_accuracy": accuracy(model, images, labels)}
        return cached_classifier(path, recipe, train, "cpu", messages.append)

    first, info = classifier(recipe)
    again, reused = classifier(recipe)
    assert trained == [2] and not info["cached"] and reused["cached"] and "once" in messages[0]
    assert reused["train_accuracy"] == info["train_accuracy"] > 0.3  # 0.45 measured; chance is 0.1
    features = first.features(images)
    assert features.shape == (256, lib.evaluation.FEATURES) and np.array_equal(again.features(images), features)
    assert np.sqrt((features ** 2).mean()) == pytest.approx(1, rel=1e-6)  # scaled to RMS 1 on its training data
    longer = dict(recipe, epochs=3)
    _, retrained = classifier(longer)
    assert trained == [2, 3] and not retrained["cached"] and "another recipe" in messages[-1]
    assert classifier(longer)[1]["cached"] and trained == [2, 3]


def write_vae_runs(root):
    for seed, weight in enumerate(KL_WEIGHTS):
        os.makedirs(os.path.join(root, "results_kl{}".format(weight)))
        torch.manual_seed(seed)
        torch.save(VAE().state_dict(), os.path.join(root, "results_kl{}".format(weight), "model.pth"))


def test_evaluate_vae_scores_prior_samples_and_writes_them(fake_data_dir, tmp_path, tiny_classifiers, capsys):
    write_vae_runs(str(tmp_path))
    argv = ["--results_root", str(tmp_path), "--data_dir", fake_data_dir, "--cache_dir", str(tmp_path / "cache"),
            "--seeds", "2", "--device", "cpu", "--quiet"]
    evaluate_vae.main(argv)
    out = capsys.readouterr().out
    assert "trained now" in out and "cannot be compared with published FID" in out
    for words in ("| prior samples, KL weight 30 ", "| prior samples, KL weight 0 ", "| floor: 200 training digits"):
        assert words in out
    with open(str(tmp_path / "results_kl30.0" / "prior_quality.json")) as handle:
        stored = json.load(handle)
    assert stored["kl_loss_weight"] == 30.0 and stored["samples"] == 200 and len(stored["fd"]["values"]) == 2
    assert sum(stored["prior_sample_digits"]) == 100 and len(stored["prior_sample_digits"]) == 10
    test_labels = load_mnist(fake_data_dir, False)[1]
    assert stored["reconstruction_digits"]["true"] == test_labels[:8].tolist()
    assert len(stored["reconstruction_digits"]["read"]) == 8
    assert "KL weight 30: the classifier reads the 100 prior samples as digits 0..9 [" in out
    assert stored["fd"]["mean"] == pytest.approx(np.mean(stored["fd"]["values"]))
    # an untrained decoder's grey blur is far from the test digits; other training digits are close
    assert stored["floor"]["fd"]["mean"] < 0.2 * stored["fd"]["mean"]
    assert stored["floor"]["kid"]["mean"] < 0.2 * stored["kid"]["mean"]
    evaluate_vae.main(argv)
    again = capsys.readouterr().out
    assert "cached in" in again and again.split("|", 1)[1] == out.split("|", 1)[1]  # the same table


class BrightnessReader(torch.nn.Module):
    """A stand-in classifier that reads every image as the digit round(9 x its mean pixel value)."""

    def forward(self, images):
        digit = (images.flatten(1).mean(1) * 9).round().long()
        return torch.nn.functional.one_hot(digit, 10).float()


def test_the_digits_read_in_the_vae_figures_are_those_the_figures_show(fake_data_dir):
    vae = VAE()
    with torch.no_grad():
        vae.fc4.weight.zero_()
        vae.fc4.bias.fill_(float(np.log(7 / 2)))  # every pixel sigmoid(ln 3.5) = 7/9: each image reads as a 7
    images, labels = load_mnist(fake_data_dir, False)
    read = read_vae_figures(BrightnessReader(), vae, images, labels)
    assert read == {"prior_sample_digits": [0] * 7 + [100, 0, 0],
                    "reconstruction_digits": {"true": labels[:8].tolist(), "read": [7] * 8}}
    with torch.no_grad():
        vae.fc4.bias.fill_(float(np.log(2 / 7)))  # pixels 2/9: read as 2
    assert read_vae_figures(BrightnessReader(), vae, images, labels)["prior_sample_digits"][2] == 100
    assert decode_prior_samples(vae).shape == (100, 1, 28, 28)


def test_grid_tiles_reads_back_the_images_of_a_grid(tmp_path):
    images = torch.rand(11, 3, 6, 6)
    save_image_grid(images, str(tmp_path / "grid.png"), nrow=4)
    tiles = grid_tiles(str(tmp_path / "grid.png"), 6)
    assert tiles.shape == (12, 3, 6, 6)  # 3 rows of 4: the last place is left black
    assert (tiles[:11] - images).abs().max() <= 0.5 / 255 + 1e-6 and tiles[11].max() == 0
    save_image_grid(images[:, :1], str(tmp_path / "grey.png"), nrow=11)
    assert (grid_tiles(str(tmp_path / "grey.png"), 6, channels=1) - images[:, :1]).abs().max() <= 0.5 / 255 + 1e-6


def test_nearest_neighbours_find_copies_of_training_photos(tmp_path):
    assert [t.tolist() for t in nearest(torch.tensor([[0.0, 0.0], [3.0, 4.5]]), torch.tensor([[3.0, 4.0], [1.0, 0]]))
            ] == [[1.0, 0.5], [1, 0]]
    flowers = make_flower_folder(tmp_path / "flowers", count=12)  # train/ 6 photos, val/ 6
    data, splits, _ = labelled_flowers(flowers)
    train, val = [torch.from_numpy(np.flatnonzero(splits == name)) for name in ("train", "val")]
    views = photo_views(data, train)
    assert views.shape == (6 * 6, 3, 32, 32)  # 3 crops, each mirrored
    corner = (data.data[train[0], :, :32, :32].float() / 255 - 0.5) / 0.5  # place 0: the top left
    assert torch.equal(views[0], corner) and torch.equal(views[6], corner.flip(-1))
    torch.manual_seed(0)
    model = FeatureNet(dict(lib.evaluation.FLOWERS_RECIPE, classes=2)).eval()
    photos = TrainingPhotos(model, data, train, val)
    copies = torch.cat([views[[3, 20]], torch.rand(6, 3, 32, 32) * 2 - 1])  # 2 training views, 6 noise images
    check = photos.check(model, copies, str(tmp_path / "nearest.png"))
    assert check["pixels"]["min"] == 0 and check["features"]["min"] < 1e-6  # a copy sits on its photo
    assert check["pixels"]["share_below_val_p05"] == 2 / 8 == check["features"]["share_below_val_p05"]
    assert photos.summary()["pixels"]["min"] > 0.1 and photos.summary()["val_photos"] == 6  # other random photos
    with Image.open(str(tmp_path / "nearest.png")) as figure:
        assert figure.size == (8 * 34 + 2, 5 * 34 + 2)  # samples, their nearest twice, val photos, theirs
    tiles = grid_tiles(str(tmp_path / "nearest.png"), 32)
    assert (tiles[:2] - tiles[8:10]).abs().max() < 1e-6  # the copies first, beside the photos they copy


def test_evaluate_vae_names_the_missing_model(fake_data_dir, tmp_path, capsys):
    write_vae_runs(str(tmp_path))
    os.remove(str(tmp_path / "results_kl0.0" / "model.pth"))
    argv = ["--results_root", tmp_path, "--data_dir", fake_data_dir, "--cache_dir", tmp_path / "cache"]
    err = one_sentence(capsys, evaluate_vae.main, argv)
    assert "results_kl0.0" in err and "python run_vae_training.py --kl_loss_weight 0 --output_dir" in err
    assert not (tmp_path / "cache").exists()  # stopped before any work


def test_evaluate_gan_scores_generators_against_the_real_floor(tmp_path, tiny_classifiers, capsys):
    flowers = make_flower_folder(tmp_path / "flowers", count=16)  # 8 in train/, 8 in val/, 2 classes
    torch.manual_seed(0)
    generator = Generator(4, 3, 16)
    generator.apply(weights_init)
    run = tmp_path / "run_tiny"
    run.mkdir()
    for name in ("generator.pth", "generator_ema.pth"):
        torch.save(generator.state_dict(), str(run / name))
    output = str(tmp_path / "quality.json")
    evaluate_gan.main(["--checkpoint", str(run), "--data_dir", flowers, "--cache_dir", str(tmp_path / "cache"),
                       "--seeds", "2", "--device", "cpu", "--quiet", "--output", output, "--figure_dir",
                       str(tmp_path / "figures")])
    out = capsys.readouterr().out
    modes = ("standing", "running", "batch")
    assert "of the 8 val and test photos right" in out
    first_table = out.split("\n\n")[0]
    table = [line.split("|")[1:-1] for line in first_table.splitlines() if line.startswith("| ")]
    assert [cells[1].strip() for cells in table] == ["sampling", "floor"] + list(modes) * 2
    with open(output) as handle:
        result = json.load(handle)
    expected = [(name, mode) for name in ("generator.pth", "generator_ema.pth") for mode in modes]
    assert [(os.path.basename(row["label"]), row["sampling"]) for row in result["rows"]] == [
        ("real photos: half A vs half B", "floor")] + expected
    assert result["images_per_side"] == 8 and result["seeds"] == 2
    assert all(len(row["fd"]["values"]) == 2 and np.isfinite(row["kid"]["values"]).all() for row in result["rows"])
    floor = result["rows"][0]["fd"]["mean"]
    assert all(row["fd"]["mean"] > 1.5 * floor for row in result["rows"][1:])  # noise is no flower
    assert result["rows"][1]["fd"] == result["rows"][4]["fd"]  # the same weights score the same
    nearest_check = result["nearest"]
    assert nearest_check["reference_views"] == 8 * 6 and nearest_check["val_photos"] == 8  # train/: 8, val/: 8
    assert [os.path.basename(row["figure"]) for row in nearest_check["generators"]] == [
        "nearest_run_tiny_generator.png", "nearest_run_tiny_generator_ema.png"]
    assert all(row["samples"] == 2 * 8 and row["sampling"] == "running" and os.path.isfile(row["figure"])
               for row in nearest_check["generators"])
    assert nearest_check["generators"][0]["pixels"] == nearest_check["generators"][1]["pixels"]
    assert "| val photos (real, not in train/)" in out


def test_evaluate_gan_says_what_is_wrong_with_the_data(tmp_path, capsys):
    torch.save(Generator(4, 3, 16).state_dict(), str(tmp_path / "generator.pth"))
    argv = ["--checkpoint", tmp_path / "generator.pth", "--cache_dir", tmp_path / "cache", "--device", "cpu"]
    err = one_sentence(capsys, evaluate_gan.main, argv + ["--data_dir", tmp_path / "nowhere"])
    assert "nowhere does not exist" in err
    flat = make_flower_folder(tmp_path / "flat", count=2)
    shutil.move(os.path.join(flat, "train"), os.path.join(flat, "roses"))  # a class folder, not the train split
    err = one_sentence(capsys, evaluate_gan.main, argv + ["--data_dir", flat])
    assert "is not laid out as train/<class>/<image>" in err


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
