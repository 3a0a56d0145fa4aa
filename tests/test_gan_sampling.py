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
from lib.sample_gan import draw, draw_temperatures, generator_kind, grid_measures, latent_vectors, load_generator, \
    paired_difference, with_standing_statistics
from run_gan_training import batch_images_to_numpy
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


def test_batch_images_to_numpy_tiles_a_batch_for_imsave():
    images = torch.linspace(0, 1, 20)[:, None, None, None].expand(20, 3, 32, 32)  # image k: grey level k / 19
    grid = batch_images_to_numpy(images, normalize=False)
    assert isinstance(grid, np.ndarray) and grid.shape == (3 * 34 + 2, 8 * 34 + 2, 3)  # rows of 8, 2 px apart
    assert grid[2, 2].tolist() == [0, 0, 0] and grid[0, 0].tolist() == [0, 0, 0]  # image 0; the black padding
    np.testing.assert_allclose(grid[34 + 2, 2 + 34 * 3], 11 / 19)  # row 1, column 3: image 11
    stretched = batch_images_to_numpy(images * 0.5 - 0.7)  # normalize: the batch's range onto [0, 1]
    assert stretched.min() == 0 and stretched.max() == 1 and np.allclose(stretched, grid)
    assert batch_images_to_numpy(torch.rand(100, 1, 28, 28)).shape == (8 * 30 + 2, 8 * 30 + 2, 3)  # 64 at most


def test_grid_measures_on_images_whose_answers_are_known():
    grey = torch.zeros(4, 3, 8, 8)  # 0.5 on the 0..1 scale everywhere
    assert grid_measures(grey) == {"saturation": 0.0, "contrast": 0.0, "variety": 0.0}
    red, blue = torch.tensor([1.0, -1.0, -1.0]), torch.tensor([-1.0, -1.0, 1.0])
    images = torch.stack([red, blue] * 2)[:, :, None, None].expand(4, 3, 8, 8)  # flat images, fully saturated
    measures = grid_measures(images)
    # brightness 1/3 everywhere: no contrast; a pixel's R and B swing between 0 and 1 (std 0.5), G stays 0
    assert measures == pytest.approx({"saturation": 1.0, "contrast": 0.0, "variety": 1 / 3})
    stripes = torch.zeros(1, 3, 8, 8)
    stripes[:, :, :, ::2] = 1.0  # half the pixels white (1), half grey (0.5): brightness std 0.25
    assert grid_measures(stripes)["contrast"] == pytest.approx(0.25)


def test_paired_difference_is_zero_where_the_latent_vector_does_not_matter():
    images = torch.rand(8, 3, 4, 4) * 2 - 1
    assert paired_difference(images, images) == pytest.approx(
        {"paired": 0.0, "unpaired": float((images - images.roll(1, 0)).abs().mean() / 2)})
    assert paired_difference(images, images)["unpaired"] > 0.2  # uniform noise: E|a - b| / 2 = 1/3
    blind = stale_generator()
    with torch.no_grad():
        blind.layers[0].weight.zero_()  # a generator that ignores z: every image the same
    _, measures = draw_temperatures(blind, [0.5, 1.0, 2.0], count=16)
    assert [m["temperatures"] for m in measures["neighbours"]] == [[0.5, 1.0], [1.0, 2.0]]
    assert all(m["paired_difference"] < 1e-6 and m["unpaired_difference"] < 1e-6 for m in measures["neighbours"])
    assert measures["grids"][0]["variety"] < 1e-6
    # batch statistics divide the scale sqrt(T) out: the same images at every T, different ones for other z
    _, measures = draw_temperatures(stale_generator(), [0.25, 1.0], count=16, mode="batch")
    (pair,) = measures["neighbours"]
    assert pair["paired_difference"] < 1e-3 and pair["unpaired_difference"] > 0.05
    _, measures = draw_temperatures(stale_generator(), [0.25, 1.0], count=16)  # the saved statistics: T acts
    assert measures["neighbours"][0]["paired_difference"] > 5 * pair["paired_difference"]
    assert measures["grids"][0]["variety"] < measures["grids"][1]["variety"]


def test_generate_gan_images_writes_the_grid_and_says_how_it_was_drawn(tmp_path, capsys):
    path = str(tmp_path / "generator.pth")
    torch.save(stale_generator(width=2, nz=8).state_dict(), path)  # ngf and nz are read from the weights
    output = str(tmp_path / "out" / "T0.5.png")
    generate_gan_images.main(["--checkpoint", path, "--temperature", "0.5", "--num_images", "20", "--output",
                              output, "--device", "cpu"])
    with Image.open(output) as grid:
        assert grid.size == (8 * 34 + 2, 3 * 34 + 2)  # 20 images in rows of 8
        pixels = np.asarray(grid.convert("RGB"), dtype=np.float64) / 255
    record = json.load(open(str(tmp_path / "out" / "T0.5.json")))
    generator = load_generator(path)
    images = draw(generator, latent_vectors(20, 8, 0.5), "running")  # the sheet's recipe: as saved
    assert {key: record.pop(key) for key in ("saturation", "contrast", "variety")} == pytest.approx(
        grid_measures(images))
    assert record == {"checkpoint": path, "generator": "raw", "temperature": 0.5, "seed": 0, "sampling": "running",
                      "images": 20}
    np.testing.assert_allclose(pixels[2:34, 2:34], (images[0].permute(1, 2, 0).numpy() + 1) / 2, atol=1 / 255 + 1e-6)
    assert "wrote {}: 20 images".format(output) in capsys.readouterr().out
    strip = str(tmp_path / "walk.jpg")
    generate_gan_images.main(["--checkpoint", path, "--interpolate", "5", "--output", strip, "--device", "cpu"])
    with Image.open(strip) as image:
        assert image.size == (5 * 34 + 2, 36) and image.format == "JPEG"


def test_a_run_of_the_course_loop_draws_temperatures_from_one_set_of_directions(tmp_path, capsys, monkeypatch):
    run = tmp_path / "results_gan" / "run_flowers_b128"
    run.mkdir(parents=True)
    torch.save(stale_generator(width=2, nz=8).state_dict(), str(run / "model_g.pth"))  # as the course's loop saves
    monkeypatch.chdir(tmp_path)
    generate_gan_images.main(["--checkpoint", str(run), "--num_images", "16", "--device", "cpu"])
    with Image.open("results_gan/generated.png") as grid:
        assert grid.size == (8 * 34 + 2, 2 * 34 + 2)
    assert json.load(open("results_gan/generated.json"))["generator"] == "course_loop"
    generate_gan_images.main(["--temperatures", "--num_images", "16", "--device", "cpu"])
    record = json.load(open("results_gan/temperatures.json"))  # the newest run, its model_g.pth
    assert record["checkpoint"] == os.path.join("results_gan", "run_flowers_b128", "model_g.pth")
    assert record["temperatures"] == [0.25, 0.5, 1.0, 2.0] and record["sampling"] == "running"
    assert [grid["temperature"] for grid in record["grids"]] == record["temperatures"]
    _, expected = draw_temperatures(load_generator(record["checkpoint"]), record["temperatures"], 16, 0, "running")
    assert record["grids"] == pytest.approx(expected["grids"]) and len(record["neighbours"]) == 3
    assert record["neighbours"] == [dict(pair, **{key: pytest.approx(pair[key]) for key in pair if "diff" in key})
                                    for pair in expected["neighbours"]]
    with Image.open("results_gan/temperatures.png") as figure:
        assert figure.size[0] > 2 * (4 * 34) and figure.size[1] > 2 * (2 * 34)  # 2 x 2 panels of 2 rows each
    assert "temperatures 0.25, 0.5, 1, 2 of" in capsys.readouterr().out


def test_generator_kinds_by_file_name():
    assert [generator_kind(os.path.join("x", name)) for name in (
        "gan_model_g_2500_epochs.pth", "model_g.pth", "generator_ema.pth", "generator.pth", "checkpoint.pth")] == [
        "course", "course_loop", "ema", "raw", "raw"]


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
    (tmp_path / "empty_run").mkdir()
    assert "empty_run holds no generator.pth (written by run_gan_training.py) and no model_g.pth" in \
        one_sentence(capsys, generate_gan_images.main, ["--checkpoint", "empty_run", "--device", "cpu"])
    for argv in (["--temperature", "0"], ["--output", "grid.gif"], ["--num_images", "5000"],
                 ["--temperatures", "1", "--temperature", "2"], ["--temperatures", "--interpolate", "3"],
                 ["--temperatures", "--output", "t.jpg"]):
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
