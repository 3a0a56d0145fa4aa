"""Part 4's optional task: drawing flowers from a generator at a temperature (generate_gan_images.py), and the
three choices of batch-norm statistics behind it."""
import json
import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import generate_gan_images
from lib.model_gan import Generator, weights_init
from lib.sample_gan import draw, latent_vectors, load_generator, with_standing_statistics
from tests.fakes import one_sentence


def stale_generator(width=4, nz=16):
    """A generator whose running statistics no longer fit its weights, as after training's last updates."""
    torch.manual_seed(0)
    generator = Generator(width, 3, nz)
    generator.apply(weights_init)
    with torch.no_grad():
        for _ in range(20):
            generator(torch.randn(64, nz, 1, 1))  # running statistics of these weights ...
        for layer in generator.layers:  # ... then the weights move on
            if isinstance(layer, nn.BatchNorm2d):
                layer.weight.mul_(1.5).add_(0.2)
                layer.bias.add_(0.3)
            elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                layer.weight.mul_(1.6)
    return generator.eval()


def colours(images):
    """Per-channel mean and standard deviation of ``(n, 3, H, W)`` -> ``(6,)``."""
    return torch.cat([images.mean((0, 2, 3)), images.std((0, 2, 3))])


def test_standing_statistics_restore_the_colours_of_train_mode_samples():
    generator = stale_generator()
    before = {key: value.clone() for key, value in generator.state_dict().items()}
    z = latent_vectors(512, 16, 1.0, seed=1)
    target = colours(draw(generator, z, "batch"))  # what training saw
    error = {mode: (colours(draw(generator, z, mode)) - target).abs().max() for mode in ("running", "standing")}
    assert error["standing"] < 0.03 and error["running"] > 5 * error["standing"], error
    assert all(torch.equal(before[key], value) for key, value in generator.state_dict().items())  # unchanged
    assert not generator.training and with_standing_statistics(generator).layers[1].momentum == 0.1


def test_the_temperature_acts_with_standing_statistics_and_not_with_batch_statistics():
    generator = stale_generator()
    z = latent_vectors(256, 16, 1.0, seed=0)
    assert torch.allclose(latent_vectors(256, 16, 0.25, seed=0), z * 0.5)  # variance T
    assert draw(generator, z * 0.5, "standing").std(0).mean() < 0.8 * draw(generator, z, "standing").std(0).mean()
    # batch statistics divide any common scale of z out again: the first layer is linear without a bias
    assert torch.allclose(draw(generator, z * 0.5, "batch"), draw(generator, z, "batch"), atol=1e-3)


def test_generate_gan_images_writes_the_grid_and_says_how_it_was_drawn(tmp_path, capsys):
    path = str(tmp_path / "generator.pth")
    torch.save(stale_generator(width=2, nz=8).state_dict(), path)  # ngf and nz are read from the weights
    output = str(tmp_path / "out" / "T0.5.png")
    generate_gan_images.main(["--checkpoint", path, "--temperature", "0.5", "--num_images", "20", "--output",
                              output, "--device", "cpu"])
    with Image.open(output) as grid:
        assert grid.size == (8 * 34 + 2, 3 * 34 + 2)  # 20 images in rows of 8
    assert json.load(open(str(tmp_path / "out" / "T0.5.json"))) == {
        "checkpoint": path, "temperature": 0.5, "seed": 0, "sampling": "standing", "images": 20}
    assert "wrote {}: 20 images".format(output) in capsys.readouterr().out
    strip = str(tmp_path / "walk.jpg")
    generate_gan_images.main(["--checkpoint", path, "--interpolate", "5", "--output", strip, "--device", "cpu"])
    with Image.open(strip) as image:
        assert image.size == (5 * 34 + 2, 36) and image.format == "JPEG"


def test_mistakes_end_in_one_sentence(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "no trained generator under results_gan/; train one with `python run_gan_training.py`" in \
        one_sentence(capsys, generate_gan_images.main, ["--device", "cpu"])
    (tmp_path / "notes.pth").write_text("not a checkpoint")
    assert "notes.pth is not a checkpoint this project can read" in \
        one_sentence(capsys, generate_gan_images.main, ["--checkpoint", "notes.pth", "--device", "cpu"])
    torch.save({"fc1.weight": torch.zeros(100, 784)}, str(tmp_path / "vae.pth"))
    assert "vae.pth holds no DCGAN generator weights" in \
        one_sentence(capsys, generate_gan_images.main, ["--checkpoint", "vae.pth", "--device", "cpu"])
    for argv in (["--temperature", "0"], ["--output", "grid.gif"], ["--num_images", "5000"]):
        with pytest.raises(SystemExit) as stopped:
            generate_gan_images.main(argv)
        assert stopped.value.code == 2
    assert not os.path.exists("results_gan")


def test_the_course_generator_draws_flowers_on_the_cpu():
    """Optional: the course's GPU-trained 2500-epoch file (COURSE_GENERATOR, set by .ci/run where it is there)."""
    path = os.environ.get("COURSE_GENERATOR", "")
    if not os.path.isfile(path):
        pytest.skip("the course's generator file is not on this machine (COURSE_GENERATOR)")
    images = draw(load_generator(path), latent_vectors(64, 64), "standing")
    assert images.shape == (64, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    assert np.isclose(float(images.std()), 0.5, atol=0.25)  # varied pictures, neither flat nor saturated


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
