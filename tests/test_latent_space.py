"""Part 3: the latent space: codes of every test image, digits decoded on a grid, and the figures and numbers
plot_latent_space.py writes."""
import json
import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import lib.explore_latent_space
from lib.explore_latent_space import decode_prior_samples, get_mu_logvar, latent_facts, plot_codes_and_prior, \
    plot_latent_space, sample_on_grid
from lib.model_vae import VAE
from lib.train_vae import setup_mnist_dataloader


@pytest.fixture(scope="module")
def model_and_loader(fake_data_dir):
    """An untrained VAE (seed 0) and the 200 fake test digits in batches of 64: 3 full ones and one of 8."""
    torch.manual_seed(0)
    return VAE(), setup_mnist_dataloader(64, fake_data_dir)[1]


def test_get_mu_logvar_covers_every_test_image(model_and_loader):
    model, test_loader = model_and_loader
    mus, logvars = get_mu_logvar(model, test_loader)
    assert mus.shape == logvars.shape == (200, 2) and mus.device.type == "cpu"
    with torch.no_grad():
        expected_mu, expected_logvar = model.encode(test_loader.images)
    assert torch.allclose(mus, expected_mu, atol=1e-6) and torch.allclose(logvars, expected_logvar, atol=1e-6)


def test_sample_on_grid_shapes_axis_order_and_step_size():
    torch.manual_seed(0)
    model = VAE()
    decoded, step_size = sample_on_grid(model, -1.0, 3.0, 10.0, 12.0, 5)
    assert isinstance(decoded, np.ndarray) and decoded.shape == (5, 5, 1, 28, 28)
    np.testing.assert_allclose(step_size, [4.0 / 5, 2.0 / 5])  # the course's range / grid_size
    z0, z1 = np.linspace(-1, 3, 5), np.linspace(10, 12, 5)
    with torch.no_grad():
        for i, j in [(0, 0), (4, 0), (1, 3), (4, 4)]:  # the first index follows latent dimension 0
            expected = model.decode(torch.tensor([[z0[i], z1[j]]], dtype=torch.float32))[0].numpy()
            np.testing.assert_allclose(decoded[i, j], expected, atol=1e-6)


def test_plot_latent_space_writes_the_figure_and_its_numbers(model_and_loader, tmp_path, monkeypatch):
    model, test_loader = model_and_loader
    drawn, save_figure = [], lib.explore_latent_space.save_figure

    def note_the_image(fig, path, **kwargs):
        drawn.append(fig.axes[0].get_images()[0])
        save_figure(fig, path, **kwargs)
    monkeypatch.setattr(lib.explore_latent_space, "save_figure", note_the_image)
    plot_latent_space(model, test_loader, output_dir=str(tmp_path), grid_size=4)
    assert sorted(os.listdir(str(tmp_path))) == ["latent_space.png", "latent_stats.json"]
    assert Image.open(str(tmp_path / "latent_space.png")).size == (690, 630)  # 4.6 x 4.2 inches at 150 dpi
    with open(str(tmp_path / "latent_stats.json")) as handle:
        stats = json.load(handle)
    with torch.no_grad():
        mus, logvars = model.encode(test_loader.images)
    digits = [test_loader.labels == digit for digit in range(10)]
    class_mu = torch.stack([mus[mask].mean(0) for mask in digits]).numpy()
    class_std = torch.stack([torch.exp(0.5 * logvars[mask]).mean(0) for mask in digits]).numpy()
    np.testing.assert_allclose(stats["class_mu"], class_mu, rtol=1e-5)
    np.testing.assert_allclose(stats["class_std"], class_std, rtol=1e-5)
    np.testing.assert_allclose(stats["grid_low"], (class_mu - 2 * class_std).min(0), rtol=1e-5)
    np.testing.assert_allclose(stats["grid_high"], (class_mu + 2 * class_std).max(0), rtol=1e-5)
    assert stats["grid_size"] == 4
    np.testing.assert_allclose(stats["step_size"], (np.array(stats["grid_high"]) - stats["grid_low"]) / 4)
    facts = latent_facts(mus, logvars, test_loader.labels)
    assert {key: stats[key] for key in facts} == pytest.approx(facts)
    # One image of 4 x 4 digits: latent 0 grows to the right, latent 1 upwards, pixel centres on the grid points.
    (image,) = drawn
    low, high = np.array(stats["grid_low"]), np.array(stats["grid_high"])
    decoded, _ = sample_on_grid(model, low[0], high[0], low[1], high[1], 4)
    pixels = image.get_array()
    assert pixels.shape == (4 * 28, 4 * 28)
    np.testing.assert_allclose(pixels[:28, :28], decoded[0, 3, 0], atol=1e-6)  # top left: z0 lowest, z1 highest
    np.testing.assert_allclose(pixels[-28:, 28:56], decoded[1, 0, 0], atol=1e-6)  # bottom row: z1 lowest
    half = (high - low) / 3 / 2
    np.testing.assert_allclose(image.get_extent(), [low[0] - half[0], high[0] + half[0], low[1] - half[1],
                                                    high[1] + half[1]])


def test_one_collapsed_dimension_has_no_kl():
    mus = torch.stack([3 * torch.randn(1000, generator=torch.Generator().manual_seed(0)), torch.zeros(1000)], 1)
    logvars = torch.stack([torch.full((1000,), np.log(0.01)), torch.zeros(1000)], 1)  # sigma 0.1, then 1
    kl = latent_facts(mus, logvars, torch.arange(1000) % 10)["kl_per_dim"]
    expected = 0.5 * (float((mus[:, 0] ** 2).mean()) + 0.01 - 1 - np.log(0.01))  # about 0.5 (9 + 3.6) = 6.3
    assert kl == pytest.approx([expected, 0.0], abs=1e-6) and kl[0] > 6 and kl[1] == 0


def clusters(radii, spread, n=50, seed=0):
    """``n`` codes per digit around a centre at radius ``radii[digit]`` (10 directions 36 degrees apart, so
    centres at radius 1 lie 0.62 apart), Gaussian with standard deviation ``spread``; and their labels."""
    labels = torch.arange(10).repeat_interleave(n)
    angle = 2 * np.pi * labels.double() / 10
    radius = torch.tensor(radii, dtype=torch.float64)[labels, None]  # (N, 1)
    centres = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * radius
    return centres + spread * torch.randn(len(labels), 2, generator=torch.Generator().manual_seed(seed),
                                          dtype=torch.float64), labels


def test_separate_clusters_are_read_right_and_overlapping_ones_are_not():
    radii = [1.0] * 5 + [6.0] * 5
    mus, labels = clusters(radii, 0.02)
    facts = latent_facts(mus, torch.zeros_like(mus), labels)
    assert facts["nearest_mean_accuracy"] == 1.0 and facts["per_digit_accuracy"] == [1.0] * 10
    assert facts["inside_prior_bulk"] == 0.5  # the digits at radius 1, not those at radius 6
    np.testing.assert_allclose(facts["digit_radius_median"], radii, atol=0.01)
    mus, labels = clusters([0.0] * 10, 1.0)  # every digit around the origin: the codes tell nothing apart
    facts = latent_facts(mus, torch.zeros_like(mus), labels)
    assert facts["nearest_mean_accuracy"] < 0.3 and max(facts["per_digit_accuracy"]) < 0.6
    assert facts["inside_prior_bulk"] == pytest.approx(0.95, abs=0.03)  # N(0, I) itself: 95 % inside
    edge = torch.tensor([[2.44, 0.0], [0.0, -2.46]], dtype=torch.float64)  # the radius is sqrt(-2 ln 0.05) = 2.448
    assert latent_facts(edge, torch.zeros_like(edge), torch.tensor([0, 1]))["inside_prior_bulk"] == 0.5


def test_digit_labels_never_overlap_when_every_mean_code_is_the_same(model_and_loader, tmp_path, monkeypatch):
    _, test_loader = model_and_loader
    collapsed = VAE()
    with torch.no_grad():
        collapsed.fc21.weight.zero_()  # mu = 0 for every image: ten labels at one point, as the W = 30 means crowd
        collapsed.fc21.bias.zero_()
    figures = []
    monkeypatch.setattr(lib.explore_latent_space, "save_figure", lambda fig, path, **kwargs: figures.append(fig))
    plot_latent_space(collapsed, test_loader, output_dir=str(tmp_path), grid_size=3)
    (fig,) = figures
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [text for text in fig.axes[0].texts if text.get_text().strip()]
    assert sorted(text.get_text() for text in labels) == [str(digit) for digit in range(10)]
    boxes = [text.get_bbox_patch().get_window_extent(renderer) for text in labels]  # the coloured boxes drawn
    frame = fig.axes[0].get_window_extent(renderer)
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
               for box in boxes)
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[:i] if a.overlaps(b)]
    assert min(box.width for box in boxes) > 5  # real boxes, not empty ones that never overlap


def test_plot_codes_and_prior_write_their_images(model_and_loader, tmp_path):
    model, test_loader = model_and_loader
    plot_codes_and_prior(model, test_loader, output_dir=str(tmp_path))
    assert sorted(os.listdir(str(tmp_path))) == ["latent_codes.png", "prior_samples.png"]
    assert Image.open(str(tmp_path / "latent_codes.png")).size == (690, 630)
    prior = np.asarray(Image.open(str(tmp_path / "prior_samples.png")).convert("L"), dtype=np.float64) / 255
    assert prior.shape == (10 * 30 + 2, 10 * 30 + 2)  # 10 x 10 digits, torchvision's 2-pixel padding
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))  # the seed-0 draws it promises
    with torch.no_grad():
        first = model.decode(z[:1])[0, 0].numpy()
    np.testing.assert_allclose(prior[2:30, 2:30], first, atol=1 / 255 + 1e-9)  # 8-bit rounding
    np.testing.assert_allclose(decode_prior_samples(model)[0, 0].numpy(), first, atol=1e-6)  # evaluate_vae's too


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
