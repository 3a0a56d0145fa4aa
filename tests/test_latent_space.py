"""Exploring the latent space: codes of a whole loader, the decoded grid, and the figure."""
import json
import os
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lib.explore_latent_space import class_statistics, get_mu_logvar, plot_latent_space, sample_on_grid, \
    tile_grid
from lib.model_vae import VAE
from lib.train_vae import setup_mnist_dataloader
from lib.utils.errors import UserError


def test_sample_on_grid_shapes_axis_order_and_step_size():
    torch.manual_seed(0)
    model = VAE().eval()
    decoded, step_size = sample_on_grid(model, -1.0, 3.0, 10.0, 12.0, 5)
    assert isinstance(decoded, np.ndarray) and decoded.shape == (5, 5, 1, 28, 28)
    assert isinstance(step_size, np.ndarray) and np.allclose(step_size, [4.0 / 5, 2.0 / 5])
    z0, z1 = np.linspace(-1, 3, 5), np.linspace(10, 12, 5)
    with torch.no_grad():
        for i, j in [(0, 0), (4, 0), (1, 3), (4, 4)]:  # first axis follows latent dimension 0
            expected = model.decode(torch.tensor([[z0[i], z1[j]]], dtype=torch.float32))[0].numpy()
            assert np.allclose(decoded[i, j], expected, atol=1e-6)


def test_tile_grid_puts_latent0_right_and_latent1_up():
    decoded = np.zeros((3, 2, 1, 4, 5))
    decoded[2, 1] = 1.0  # largest z0, largest z1: top-right tile
    image = tile_grid(decoded)
    assert image.shape == (2 * 4, 3 * 5)
    assert image[:4, 10:].min() == 1 and image.sum() == 4 * 5


def test_get_mu_logvar_covers_every_test_image(fake_data_dir):
    _, test_loader = setup_mnist_dataloader(64, fake_data_dir)
    torch.manual_seed(0)
    model = VAE()
    mus, logvars = get_mu_logvar(model, test_loader)
    assert mus.shape == logvars.shape == (200, 2)  # 3 full batches and one of 8
    with torch.no_grad():
        expected_mu, expected_logvar = model.encode(test_loader.images)
    assert torch.allclose(mus, expected_mu) and torch.allclose(logvars, expected_logvar)


def test_class_statistics_are_per_class_means():
    torch.manual_seed(0)
    mus, logvars = torch.randn(50, 2), torch.randn(50, 2)
    labels = torch.arange(50) % 4
    class_mu, class_std, classes = class_statistics(mus, logvars, labels)
    assert list(classes) == [0, 1, 2, 3]
    for k in range(4):
        assert np.allclose(class_mu[k], mus[labels == k].mean(0).numpy(), atol=1e-6)
        assert np.allclose(class_std[k], torch.exp(0.5 * logvars[labels == k]).mean(0).numpy(), atol=1e-6)


def test_plot_latent_space_writes_the_figure(fake_data_dir, tmp_path):
    _, test_loader = setup_mnist_dataloader(64, fake_data_dir)
    torch.manual_seed(0)
    fig = plot_latent_space(VAE().eval(), test_loader, output_dir=str(tmp_path))
    assert sorted(os.listdir(str(tmp_path))) == ["latent_space.png", "latent_stats.json"]
    with open(str(tmp_path / "latent_stats.json")) as handle:
        stats = json.load(handle)
    assert stats["classes"] == list(range(10)) and np.array(stats["class_mu"]).shape == (10, 2)
    ax = fig.axes[0]
    assert len(ax.get_images()) == 1 and ax.get_images()[0].get_array().shape == (20 * 28, 20 * 28)
    assert sorted(text.get_text() for text in ax.texts) == [str(d) for d in range(10)]
    assert len(ax.get_legend().get_texts()) == 10
    plt.close(fig)
    with pytest.raises(UserError, match="2-dimensional latent space"):
        plot_latent_space(VAE(latent_size=3), test_loader, output_dir=str(tmp_path))


def test_the_plot_script_draws_all_four_files(fake_data_dir, tmp_path, capsys):
    """plot_latent_space.py on a saved model, end to end (test_vae_scripts.py checks what it reads from a run)."""
    import plot_latent_space
    from lib.utils.files import save_torch
    torch.manual_seed(0)
    save_torch(VAE().state_dict(), str(tmp_path / "model.pth"))
    plot_latent_space.main(["--model_dir", str(tmp_path), "--data_dir", fake_data_dir, "--device", "cpu"])
    for name in ("latent_space.png", "latent_codes.png", "prior_samples.png"):
        with open(str(tmp_path / name), "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n", name
    assert (tmp_path / "latent_stats.json").is_file() and "wrote " in capsys.readouterr().out


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
