"""Part 4: the GAN training script on a tiny image folder: its outputs, seeded runs repeating bit for bit, the
loop against the course's API, the per-image loader. (Ctrl-C and NaN: test_gan_ctrl_c.py; the loss plot:
test_gan_loss_plot.py.)"""
import json
import os
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)
from PIL import Image

from lib.flowers import FlowersInMemory
from lib.model_gan import Generator
from lib.train_gan import build_models, build_optimizers, update_discriminator, update_generator
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import seed_everything
from tests.fakes import assert_same_weights, gan_weights, make_flower_folder, skip_loss_plots, train_tiny_gan


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    """A tiny 1-epoch run (2 updates), its flowers folder and the loss plots it asked for, read by two tests: one
    training run less. Its losses.png is noted, not drawn (test_gan_loss_plot.py draws one)."""
    root = tmp_path_factory.mktemp("one_epoch")
    flowers = make_flower_folder(root / "flowers", count=8)
    with pytest.MonkeyPatch.context() as monkeypatch:
        plots_asked = skip_loss_plots(monkeypatch)
        return flowers, train_tiny_gan(flowers, root / "out"), plots_asked


def test_two_iteration_run_writes_every_output(one_epoch_run):
    _, run_dir, plots_asked = one_epoch_run
    assert os.path.basename(run_dir).startswith("run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_")
    for name in ("training_images.png", "fixed_noise.pt", "samples/iter_000000.png", "samples_final.png",
                 "history.json", "generator.pth", "discriminator.pth", "checkpoint.pth"):
        assert os.path.isfile(os.path.join(run_dir, name)), name
    assert plots_asked == [os.path.join(run_dir, "losses.png")]
    assert Image.open(os.path.join(run_dir, "samples_final.png")).size == (274, 274)  # 8x8 grid, 32 px, padding 2
    assert load_checkpoint(os.path.join(run_dir, "fixed_noise.pt"), "").shape == (1024, 64, 1, 1)
    with open(os.path.join(run_dir, "history.json")) as handle:
        history = json.load(handle)
    assert sorted(history) == sorted(["iteration", "epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"])
    assert history["iteration"] == [2] and history["epoch"] == [1] and 0 <= history["d_x"][0] <= 1
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["iteration"] == 2 and checkpoint["epoch"] == 1 and checkpoint["args"]["ngf"] == 4
    generator_state, _ = gan_weights(run_dir)
    Generator(4).load_state_dict(generator_state)  # strict: the plain reference layout


def test_seeded_runs_repeat_bit_for_bit(one_epoch_run, tmp_path, monkeypatch):
    flowers, first, _ = one_epoch_run
    skip_loss_plots(monkeypatch)
    second = train_tiny_gan(flowers, tmp_path / "b")
    assert_same_weights(gan_weights(first), gan_weights(second))


def test_training_loop_reproduces_the_course_api_bit_for_bit(flowers, tmp_path, monkeypatch):
    """The script's loop (tensor statistics, no D weight gradients in G's step) = update_discriminator +
    update_generator over the same data, noise and seed."""
    skip_loss_plots(monkeypatch)
    run_dir = train_tiny_gan(flowers, tmp_path / "out", "--epochs", "2")
    seed_everything(999)
    generator, discriminator = build_models(64, 4, 4, "cpu", channels_last=True)
    optimizer_g, optimizer_d = build_optimizers(generator, discriminator)
    torch.randn(1024, 64, 1, 1)  # the fixed noise
    data = FlowersInMemory(flowers, 32)
    data_generator = torch.Generator().manual_seed(999)
    for _ in range(2):
        for real in data.epoch(4, data_generator):
            real = real.contiguous(memory_format=torch.channels_last)
            noise = torch.randn(real.shape[0], 64, 1, 1)
            label = torch.ones(real.shape[0])
            *_, fake = update_discriminator(discriminator, generator, real, noise, label, optimizer_d)
            update_generator(discriminator, generator, fake, label, optimizer_g)
    assert_same_weights(gan_weights(run_dir), [generator.state_dict(), discriminator.state_dict()])


def test_per_image_loader_path_trains(flowers, tmp_path, monkeypatch):
    skip_loss_plots(monkeypatch)
    run_dir = train_tiny_gan(flowers, tmp_path / "out", "--per_image_loader", "--num_workers", "0")
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["iteration"] == 2


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
