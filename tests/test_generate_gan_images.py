"""Part 4: drawing images from a trained generator: latent vectors at a temperature, eval mode, and
generate_gan_images.py with its grids, walks and mistakes."""
import copy
import os
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)
from PIL import Image

import generate_gan_images
from lib.gan_sampling import interpolate_latents, latent_vectors, load_generator, sample_images
from lib.model_gan import Generator, weights_init
from lib.utils.devices import seed_everything
from tests.fakes import few_standing_batches, skip_loss_plots, train_tiny_gan, user_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "gan_model_g_2500_epochs.pth")


def test_sampling_leaves_the_model_unchanged():
    generator = Generator(4, 3, 16)
    before = copy.deepcopy(generator.state_dict())
    images = sample_images(generator, torch.randn(8, 16, 1, 1))
    assert images.shape == (8, 3, 32, 32)
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items())


def test_latent_vectors_have_variance_temperature():
    z = latent_vectors(4000, 64, temperature=4.0, seed=1)
    assert z.shape == (4000, 64, 1, 1) and abs(z.var().item() - 4.0) < 0.1 and abs(z.mean().item()) < 0.02
    assert torch.equal(z, latent_vectors(4000, 64, 4.0, seed=1))
    walk = interpolate_latents(z[0], z[1], 5)
    assert walk.shape == (5, 64, 1, 1) and torch.equal(walk[0], z[0]) and torch.allclose(walk[-1], z[1])
    assert torch.allclose(walk[2], (z[0] + z[1]) / 2)


def test_temperature_needs_eval_mode(tmp_path):
    """Why generate_gan_images.py samples in eval mode: with batch statistics a common scale of z cancels."""
    seed_everything(0)
    generator = Generator(8, 3, 16)
    generator.apply(weights_init)
    generator.layers[1].running_var.fill_(2.0)  # stand-ins for statistics collected in training
    generator.layers[1].running_mean.normal_(0, 0.3)
    z = latent_vectors(32, 16, temperature=1.0, seed=3)
    cold = z * 0.5 ** 0.5  # temperature 0.5

    def relative_change(mode):  # largest pixel change from T = 1 to T = 0.5, relative to the largest pixel
        generator.train(mode == "train")
        with torch.no_grad():
            warm_images, cold_images = generator(z), generator(cold)
        return ((warm_images - cold_images).abs().max() / warm_images.abs().max()).item()

    assert relative_change("train") < 1e-3
    assert relative_change("eval") > 0.02  # measured 0.05 here, 20 times the train-mode bound
    path = str(tmp_path / "generator.pth")
    torch.save(generator.state_dict(), path)
    assert not load_generator(path, ngf=8, nz=16).training  # what generate_gan_images.py draws with


def test_generate_images(capsys, tmp_path, flowers, monkeypatch):
    skip_loss_plots(monkeypatch)  # the run is only a generator to draw from: its losses.png is never looked at
    few_standing_batches(monkeypatch)  # the grid's default mode still runs; how well it estimates: test_gan_sampling
    err = user_error(capsys, generate_gan_images.main, ["--results_dir", str(tmp_path / "out")])
    assert "no trained generator found" in err and "python run_gan_training.py" in err
    run_dir = train_tiny_gan(flowers, tmp_path / "out")
    grid = str(tmp_path / "grid.png")
    generate_gan_images.main(["--results_dir", str(tmp_path / "out"), "--output", grid, "--num_images", "16",
                              "--quiet"])  # the newest run; its ngf 4 is read from the run's checkpoint
    assert Image.open(grid).size == (274, 70)
    strip = str(tmp_path / "strip.png")
    generate_gan_images.main(["--checkpoint", os.path.join(run_dir, "checkpoint.pth"), "--interpolate", "5",
                              "--output", strip, "--quiet", "--temperature", "0.5", "--sampling", "running"])
    assert Image.open(strip).size == (5 * 34 + 2, 36)
    err = user_error(capsys, generate_gan_images.main, ["--checkpoint", os.path.join(run_dir, "generator.pth"),
                                                        "--ngf", "8", "--output", grid])
    assert "another architecture or size" in err and "layers.0.weight has shape (64, 32, 4, 4) in the file" in err
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"definitely not a checkpoint")
    err = user_error(capsys, generate_gan_images.main, ["--checkpoint", str(garbage), "--output", grid])
    assert "is not a checkpoint this project can read" in err
    err = user_error(capsys, generate_gan_images.main, ["--checkpoint", str(tmp_path / "missing.pth")])
    assert "missing.pth does not exist" in err
    err = user_error(capsys, generate_gan_images.main, ["--temperature", "-1"])
    assert "must be a finite number greater than 0" in err
    generate_gan_images.main(["--checkpoint", run_dir, "--output", grid, "--num_images", "4", "--quiet",
                              "--sampling", "running"])  # the default (standing) ran above; this skips its 1.4 s
    assert Image.open(grid).size == (4 * 34 + 2, 36)  # a run folder stands for its generator.pth
    err = user_error(capsys, generate_gan_images.main, ["--checkpoint", run_dir, "--output", str(tmp_path)])
    assert "{} is a folder; pass the path of a file to --output".format(tmp_path) in err
    for flag, value, message in (("--num_images", "5000", "5000 is more than the 4096 images one grid may hold"),
                                 ("--interpolate", "1", "a walk needs from 2 to 4096 steps")):
        err = user_error(capsys, generate_gan_images.main, ["--checkpoint", run_dir, flag, value])
        assert message in err


def test_generate_from_the_gpu_trained_reference(tmp_path):
    """Optional: the course's file was saved on a GPU; it must load on this CPU-only path as it is."""
    if not os.path.isfile(REFERENCE):
        pytest.skip("the course's reference checkpoint is not on this machine")
    output = str(tmp_path / "ref.png")  # running statistics: the standing ones of this full-size generator take 12 s
    generate_gan_images.main(["--checkpoint", REFERENCE, "--output", output, "--quiet", "--device", "cpu",
                              "--sampling", "running"])
    assert Image.open(output).size == (274, 274)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
