"""The CUDA paths for real, wherever a GPU is present (skipped, and reported as skipped, elsewhere): the GAN with
every opt-in flag, the VAE, runs moving between GPU and CPU, and a NaN run that must leave the GPU usable."""
import glob
import math
import os
import re
import sys

import pytest
import torch
from torch import nn

import lib.train_gan as train_gan_module
import run_gan_training
import run_vae_training
from lib.model_gan import Discriminator
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import has_fast_bfloat16, pick_device
from lib.utils.errors import run_main

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA GPU here (torch.cuda.is_available() is False)")
TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--quiet"]


def train(flowers, output_dir, *extra):
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir)] + TINY + list(extra))
    (run_dir,) = glob.glob(os.path.join(str(output_dir), "run_*"))
    return run_dir


def checkpoint_of(run_dir):
    return load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")


def test_the_gpu_passes_the_kernel_check():
    assert pick_device("cuda") == torch.device("cuda") and pick_device("auto") == torch.device("cuda")


@pytest.mark.parametrize("loader", [[], ["--per_image_loader", "--num_workers", "0"]])
def test_gan_on_cuda_with_every_opt_in_flag(flowers, tmp_path, loader):
    flags = ["--compile", "--channels_last", "yes"] + (["--bf16"] if has_fast_bfloat16(torch.device("cuda")) else [])
    run_dir = train(flowers, tmp_path / "out", "--device", "cuda", "--epochs", "3", *(flags + loader))
    checkpoint = checkpoint_of(run_dir)
    assert checkpoint["epoch"] == 3 and checkpoint["iteration"] == 6
    history = checkpoint["history"]
    assert all(0 < value < 100 for key in ("loss_d", "loss_g") for value in history[key])
    assert all(group.get("fused") for group in checkpoint["optimizer_g"]["param_groups"])  # CUDA's fused Adam
    assert checkpoint["rng"]["data"].numel() == torch.Generator().get_state().numel()  # a CPU generator's state
    for name in ("samples_final.png", "losses.png", "generator.pth", "training_images.png"):
        assert os.path.isfile(os.path.join(run_dir, name))


def test_a_gpu_run_continues_on_the_cpu_and_back(flowers, tmp_path):
    run_dir = train(flowers, tmp_path / "out", "--device", "cuda", "--epochs", "1")
    run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cpu", "--quiet"])
    checkpoint = checkpoint_of(run_dir)
    assert checkpoint["epoch"] == 2 and not any(group.get("fused")
                                                for group in checkpoint["optimizer_d"]["param_groups"])
    assert checkpoint["args"]["channels_last"] is True  # auto, resolved for the CPU
    run_gan_training.main(["--resume", run_dir, "--epochs", "3", "--device", "cuda", "--quiet"])
    assert checkpoint_of(run_dir)["epoch"] == 3


def test_nan_run_on_cuda_ends_in_one_sentence_and_leaves_the_gpu_usable(flowers, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_main(run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path), "--epochs", "5",
                                         "--lr", "1e30", "--device", "cuda"] + TINY)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    assert re.search(r"the loss became NaN or infinite in epoch \d+, so training stopped; the last good checkpoint .* "
                     r"is kept; start again with a smaller --lr or another --seed", err)
    assert "device-side assert" not in err
    assert torch.ones(4, device="cuda").sum().item() == 4  # no assert poisoned the CUDA context


def test_bce_on_cuda_matches_nn_bceloss():
    generator = torch.Generator().manual_seed(0)
    probabilities = torch.rand(1000, generator=generator).cuda().requires_grad_()
    target = (torch.rand(1000, generator=generator) < 0.5).float().cuda()
    losses, gradients = [], []
    for loss_function in (nn.BCELoss(), train_gan_module._bce):
        loss = loss_function(probabilities, target)
        losses.append(loss)
        gradients.append(torch.autograd.grad(loss, probabilities)[0])
    assert torch.allclose(losses[0], losses[1], rtol=1e-6, atol=0)
    assert torch.allclose(gradients[0], gradients[1], rtol=1e-6, atol=0)
    assert torch.isnan(train_gan_module._bce(torch.full((4,), float("nan"), device="cuda"), target[:4]))


def test_discriminator_output_is_float32_under_cuda_autocast():
    discriminator = Discriminator(4).cuda()
    with torch.autocast("cuda", dtype=torch.bfloat16 if has_fast_bfloat16(torch.device("cuda")) else torch.float16):
        output = discriminator(torch.rand(8, 3, 32, 32, device="cuda") * 2 - 1)
    assert output.dtype == torch.float32


@pytest.mark.parametrize("loader", [[], ["--per_sample_loader"]])
def test_vae_on_cuda_then_on_the_cpu(fake_data_dir, tmp_path, loader):
    run_dir = str(tmp_path / "run")
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "1", "--quiet",
                           "--device", "cuda"] + loader)
    run_vae_training.main(["--resume", run_dir, "--data_dir", fake_data_dir, "--epochs", "2", "--quiet",
                           "--device", "cpu"] + loader)
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] == 2 and all(math.isfinite(loss) for loss in checkpoint["history"]["test_loss"])


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
