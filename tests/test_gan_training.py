"""Part 4: the DCGAN update steps, the training script (outputs, seeding, resume, NaN, Ctrl-C) and sampling."""
import copy
import functools
import glob
import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from PIL import Image
from torch import nn

import generate_gan_images
import lib.train_gan as train_gan_module
import run_gan_training
from lib.flowers import FlowersInMemory
from lib.model_gan import Discriminator, Generator, weights_init
from lib.train_gan import build_models, build_optimizers, discriminator_step, generator_step, interpolate_latents, \
    latent_vectors, load_generator, sample_images, update_discriminator, update_generator
from lib.utils import load_checkpoint, run_main, seed_everything
from tests.fakes import make_flower_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "gan_model_g_2500_epochs.pth")
TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def tiny_gan(seed=0):
    torch.manual_seed(seed)
    generator, discriminator = Generator(4, 3, 16), Discriminator(4)
    generator.apply(weights_init)
    discriminator.apply(weights_init)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(6, 3, 32, 32) * 2 - 1
    noise = torch.randn(6, 16, 1, 1)
    return generator, discriminator, optimizer_g, optimizer_d, real, noise, torch.ones(6)


def snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def changed(model, before):
    return [not torch.equal(p, q) for p, q in zip(model.parameters(), before)]


def test_update_discriminator_follows_the_tutorial():
    generator, discriminator, _, optimizer_d, real, noise, label = tiny_gan()
    g_before, d_before = snapshot(generator), snapshot(discriminator)
    d_copy = copy.deepcopy(discriminator)  # D before its step: the losses are computed with these weights
    errD_real, D_x, errD_fake, D_G_z1, fake = update_discriminator(discriminator, generator, real, noise, label,
                                                                   optimizer_d)
    assert all(changed(discriminator, d_before)) and not any(changed(generator, g_before))
    assert all(p.grad is None for p in generator.parameters()), "the fake batch is detached for D's step"
    assert isinstance(D_x, float) and isinstance(D_G_z1, float) and 0 <= D_x <= 1 and 0 <= D_G_z1 <= 1
    for err in (errD_real, errD_fake):
        assert isinstance(err, torch.Tensor) and err.dim() == 0 and err.item() >= 0
    assert fake.shape == (6, 3, 32, 32) and fake.requires_grad
    with torch.no_grad():
        assert torch.equal(fake, generator(noise)), "fake_images is generator(noise) (same BN mode, same weights)"
        out_real, out_fake = d_copy(real).view(-1), d_copy(fake).view(-1)
    assert torch.allclose(errD_real, nn.BCELoss()(out_real, label))
    assert torch.allclose(errD_fake, nn.BCELoss()(out_fake, torch.zeros(6)))
    assert D_x == pytest.approx(out_real.mean().item(), abs=1e-6)
    assert D_G_z1 == pytest.approx(out_fake.mean().item(), abs=1e-6)


def test_update_generator_changes_only_the_generator():
    generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
    _, _, _, _, fake = update_discriminator(discriminator, generator, real, noise, label, optimizer_d)
    g_before, d_before = snapshot(generator), snapshot(discriminator)
    d_after = copy.deepcopy(discriminator)
    errG, D_G_z2 = update_generator(discriminator, generator, fake, label, optimizer_g)
    assert all(changed(generator, g_before)) and not any(changed(discriminator, d_before))
    assert isinstance(errG, torch.Tensor) and errG.dim() == 0 and errG.item() >= 0
    assert isinstance(D_G_z2, float) and 0 <= D_G_z2 <= 1
    with torch.no_grad():
        output = d_after(fake).view(-1)
    assert torch.allclose(errG, nn.BCELoss()(output, label)) and D_G_z2 == pytest.approx(output.mean().item())


def test_fast_steps_match_the_course_api_and_bf16_runs():
    results = []
    for _ in range(2):
        generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
        results.append((generator, discriminator, real, noise, label, optimizer_g, optimizer_d))
    g1, d1, real, noise, label, og1, od1 = results[0]
    g2, d2, _, _, _, og2, od2 = results[1]
    errD_real, D_x, errD_fake, D_G_z1, fake = update_discriminator(d1, g1, real, noise, label, od1)
    errG, D_G_z2 = update_generator(d1, g1, fake, label, og1)
    t_real, t_x, t_fake, t_z1, fake2 = discriminator_step(d2, g2, real, noise, label, od2)
    t_g, t_z2 = generator_step(d2, g2, fake2, label, og2)
    assert torch.equal(errD_real, t_real) and torch.equal(errD_fake, t_fake) and torch.equal(errG, t_g)
    assert (D_x, D_G_z1, D_G_z2) == (t_x.item(), t_z1.item(), t_z2.item())
    autocast = functools.partial(torch.autocast, "cpu", dtype=torch.bfloat16)
    b_real, b_x, b_fake, b_z1, b_fake_images = discriminator_step(d2, g2, real, noise, label, od2, autocast)
    b_g, b_z2 = generator_step(d2, g2, b_fake_images, label, og2, autocast)
    assert b_real.dtype == b_g.dtype == torch.float32 and all(torch.isfinite(t) for t in (b_real, b_fake, b_g))
    assert all(p.dtype == torch.float32 for p in list(g2.parameters()) + list(d2.parameters()))


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


# ----------------------------------------------------------------------------------------------------------------
# The training script on a tiny image folder

@pytest.fixture
def flowers(tmp_path):
    return make_flower_folder(tmp_path / "flowers", count=8)


def train(flowers, output_dir, *extra):
    """run_gan_training.main on 8 images, batch 4 (2 updates per epoch), tiny networks; returns the run folder."""
    before = set(glob.glob(os.path.join(str(output_dir), "run_*")))
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir), "--epochs", "1"] + TINY
                          + list(extra))
    (run_dir,) = set(glob.glob(os.path.join(str(output_dir), "run_*"))) - before
    return run_dir


def weights(run_dir):
    return [load_checkpoint(os.path.join(run_dir, name), "") for name in ("generator.pth", "discriminator.pth")]


def assert_same_weights(a, b):
    for state_a, state_b in zip(a, b):
        assert state_a.keys() == state_b.keys()
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_two_iteration_run_writes_every_output(flowers, tmp_path):
    run_dir = train(flowers, tmp_path / "out")
    assert os.path.basename(run_dir).startswith("run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_")
    for name in ("training_images.png", "fixed_noise.pt", "samples/iter_000000.png", "samples_final.png",
                 "losses.png", "history.json", "generator.pth", "discriminator.pth", "checkpoint.pth"):
        assert os.path.isfile(os.path.join(run_dir, name)), name
    assert Image.open(os.path.join(run_dir, "samples_final.png")).size == (274, 274)  # 8x8 grid, 32 px, padding 2
    assert load_checkpoint(os.path.join(run_dir, "fixed_noise.pt"), "").shape == (1024, 64, 1, 1)
    with open(os.path.join(run_dir, "history.json")) as handle:
        history = json.load(handle)
    assert sorted(history) == sorted(["iteration", "epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"])
    assert history["iteration"] == [2] and history["epoch"] == [1] and 0 <= history["d_x"][0] <= 1
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["iteration"] == 2 and checkpoint["epoch"] == 1 and checkpoint["args"]["ngf"] == 4
    generator_state, _ = weights(run_dir)
    Generator(4).load_state_dict(generator_state)  # strict: the plain reference layout


def test_seeded_runs_repeat_bit_for_bit(flowers, tmp_path):
    assert_same_weights(weights(train(flowers, tmp_path / "a")), weights(train(flowers, tmp_path / "b")))


def test_training_loop_reproduces_the_course_api_bit_for_bit(flowers, tmp_path):
    """The script's loop (tensor statistics, no D weight gradients in G's step) = update_discriminator +
    update_generator over the same data, noise and seed."""
    run_dir = train(flowers, tmp_path / "out", "--epochs", "2")
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
    assert_same_weights(weights(run_dir), [generator.state_dict(), discriminator.state_dict()])


def test_per_image_loader_path_trains(flowers, tmp_path):
    run_dir = train(flowers, tmp_path / "out", "--per_image_loader", "--num_workers", "0")
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["iteration"] == 2


def test_ctrl_c_then_resume_equals_an_uninterrupted_run(flowers, tmp_path, monkeypatch, capsys):
    reference = train(flowers, tmp_path / "straight", "--epochs", "3")
    calls = []
    original = train_gan_module.generator_step

    def press_ctrl_c_in_the_first_update(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr(train_gan_module, "generator_step", press_ctrl_c_in_the_first_update)
    with pytest.raises(SystemExit) as stopped:
        train(flowers, tmp_path / "interrupted", "--epochs", "3")
    assert stopped.value.code == 130 and len(calls) == 2, "the epoch is finished before stopping"
    (run_dir,) = glob.glob(str(tmp_path / "interrupted" / "run_*"))
    out = capsys.readouterr().out
    assert "python run_gan_training.py --resume {}".format(run_dir) in out
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["iteration"] == 2
    monkeypatch.setattr(train_gan_module, "generator_step", original)
    run_gan_training.main(["--resume", run_dir, "--quiet", "--device", "cpu"])
    assert_same_weights(weights(reference), weights(run_dir))
    finished = [load_checkpoint(os.path.join(d, "checkpoint.pth"), "") for d in (reference, run_dir)]
    assert finished[0]["history"] == finished[1]["history"] and finished[1]["iteration"] == 6
    assert_same_weights([finished[0]["optimizer_g"]["state"][0]], [finished[1]["optimizer_g"]["state"][0]])


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(flowers, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_main(run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path), "--epochs", "5",
                                         "--lr", "1e30"] + TINY)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "the losses became NaN or infinite" in err and "Traceback" not in err
    (run_dir,) = glob.glob(str(tmp_path / "run_*"))
    assert "the last good checkpoint {} (epoch 0) is kept".format(os.path.join(run_dir, "checkpoint.pth")) in err
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] == 0 and all(torch.isfinite(v).all() for v in checkpoint["generator"].values())


# ----------------------------------------------------------------------------------------------------------------
# What a user can get wrong: one sentence, exit status 2, no traceback

def user_error(capsys, main, argv):
    with pytest.raises(SystemExit) as stopped:
        run_main(main, argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    return err


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "argument --epochs: -1 must be at least 1"),
    (["--epochs", "ten"], "argument --epochs: 'ten' is not a whole number"),
    (["--batch_size", "0"], "argument --batch_size: 0 must be at least 1"),
    (["--lr", "0"], "argument --lr: 0.0 must be a finite number greater than 0"),
    (["--image_size", "64"], "--image_size must be 32"),
    (["--beta1", "1.5"], "argument --beta1: 1.5 must be at least 0 and less than 1"),
    (["--seed", "4294967296"], "argument --seed: 4294967296 must be from 0 to 4294967295"),
    (["--data_dir", "no_such_folder"], "the flowers folder no_such_folder does not exist"),
    (["--resume", "no_such_run"], "the run folder no_such_run does not exist"),
])
def test_training_arguments(capsys, tmp_path, flowers, argv, message):
    base = ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"), "--quiet", "--device", "cpu"]
    assert message in user_error(capsys, run_gan_training.main, base + argv)
    assert not glob.glob(str(tmp_path / "out" / "run_*"))  # a refused start leaves no run folder behind


def test_resume_keeps_the_run_settings_and_accepts_its_checkpoint_file(capsys, tmp_path, flowers):
    run_dir = train(flowers, tmp_path / "out")
    err = user_error(capsys, run_gan_training.main, ["--resume", run_dir, "--epochs", "2", "--lr", "0.5"])
    assert "--lr 0.5 differs from the run in {} (0.0002); leave it out when resuming".format(run_dir) in err
    err = user_error(capsys, run_gan_training.main, ["--resume", run_dir, "--epochs", "2", "--batch_size", "16"])
    assert "--batch_size 16 differs from the run in" in err
    err = user_error(capsys, run_gan_training.main, ["--resume", run_dir, "--epochs", "2", "--output_dir",
                                                     str(tmp_path / "elsewhere")])
    assert "a resumed run continues in its own folder" in err and not (tmp_path / "elsewhere").exists()
    err = user_error(capsys, run_gan_training.main, ["--data_dir", os.path.join(run_dir, "history.json")])
    assert "history.json is a file, not a folder" in err
    run_gan_training.main(["--resume", os.path.join(run_dir, "checkpoint.pth"), "--epochs", "2", "--quiet"])
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 2


def test_bf16_without_bfloat16_hardware_is_refused_before_any_folder_is_made(capsys, tmp_path, flowers, monkeypatch):
    monkeypatch.setattr(train_gan_module, "has_fast_bfloat16", lambda device: False)
    err = user_error(capsys, run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"),
                                                     "--device", "cpu", "--bf16", "--quiet"])
    assert "this CPU has no bfloat16 arithmetic in hardware" in err and "leave --bf16 out" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(capsys):
    assert "sees no CUDA GPU" in user_error(capsys, run_gan_training.main, ["--device", "cuda"])
    assert "sees no CUDA GPU" in user_error(capsys, generate_gan_images.main, ["--device", "cuda"])


def test_unwritable_output_and_bad_resume_folders(capsys, tmp_path, flowers):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder should go")
    err = user_error(capsys, run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(blocker / "out")])
    assert "cannot write into the output folder" in err and "--output_dir" in err
    err = user_error(capsys, run_gan_training.main, ["--resume", str(tmp_path)])
    assert "checkpoint.pth does not exist" in err
    generator_file = str(tmp_path / "generator.pth")
    torch.save(Generator().state_dict(), generator_file)
    err = user_error(capsys, generate_gan_images.main, ["--checkpoint", generator_file, "--output",
                                                        str(blocker / "x.png")])
    assert "cannot write into the output folder" in err


def test_resuming_a_finished_run_says_so(capsys, tmp_path, flowers):
    run_dir = train(flowers, tmp_path / "out")
    err = user_error(capsys, run_gan_training.main, ["--resume", run_dir, "--device", "cpu"])
    assert "has already trained all 1 epochs; pass a larger --epochs" in err


def test_generate_images(capsys, tmp_path, flowers):
    err = user_error(capsys, generate_gan_images.main, ["--results_dir", str(tmp_path / "out")])
    assert "no trained generator found" in err and "python run_gan_training.py" in err
    run_dir = train(flowers, tmp_path / "out")
    grid = str(tmp_path / "grid.png")
    generate_gan_images.main(["--results_dir", str(tmp_path / "out"), "--output", grid, "--num_images", "16",
                              "--quiet"])  # the newest run; its ngf 4 is read from the run's checkpoint
    assert Image.open(grid).size == (274, 70)
    strip = str(tmp_path / "strip.png")
    generate_gan_images.main(["--checkpoint", os.path.join(run_dir, "checkpoint.pth"), "--interpolate", "5",
                              "--output", strip, "--quiet", "--temperature", "0.5"])
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
    generate_gan_images.main(["--checkpoint", run_dir, "--output", grid, "--num_images", "4", "--quiet"])
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
    output = str(tmp_path / "ref.png")
    generate_gan_images.main(["--checkpoint", REFERENCE, "--output", output, "--quiet", "--device", "cpu"])
    assert Image.open(output).size == (274, 274)


def test_script_fails_without_traceback_as_a_subprocess(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "run_gan_training.py"), "--data_dir",
                           str(tmp_path / "none"), "--output_dir", str(tmp_path / "out")], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: the flowers folder {} does not exist".format(tmp_path / "none"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
