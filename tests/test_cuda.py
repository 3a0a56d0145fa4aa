"""The CUDA paths for real, where a GPU is present (skipped, and reported as skipped, elsewhere): a run started on
a laptop's CPU and continued on the GPU with the default flags, --compile, --bf16 and both on a data set with a
short last batch, CPU-only weight files, a NaN run that must leave the GPU usable, and the VAE."""
import json
import os
import sys

import pytest
import torch

import run_gan_training
import run_vae_training
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import has_fast_bfloat16, pick_device
from lib.utils.errors import UserError
from tests.fakes import make_flower_folder, train_tiny_gan

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--quiet"]


def epochs_of(run_dir):
    return load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"]


def test_the_gpu_passes_the_kernel_check():
    assert pick_device("cuda") == torch.device("cuda") == pick_device("auto")


def test_a_run_started_on_the_cpu_continues_on_the_gpu_and_back(flowers, tmp_path):
    """The laptop-to-GPU case with the default flags: channels-last Adam moments meet contiguous GPU weights."""
    run_dir = train_tiny_gan(flowers, tmp_path, "--device", "cpu")
    run_gan_training.main(["--resume", run_dir, "--epochs", "3", "--device", "cuda", "--quiet"])
    run_gan_training.main(["--resume", run_dir, "--epochs", "4", "--device", "cpu", "--quiet"])
    history = json.load(open(os.path.join(run_dir, "history.json")))
    assert epochs_of(run_dir) == 4 and all(0 < value < 1 for value in history["d_x"])


def test_compile_and_bf16_on_the_gpu(flowers, tmp_path):
    bf16 = ["--bf16"] if has_fast_bfloat16(torch.device("cuda")) else []
    run_dir = train_tiny_gan(flowers, tmp_path, "--device", "cpu")
    run_gan_training.main(["--resume", run_dir, "--epochs", "3", "--device", "cuda", "--compile", "--quiet"])
    assert epochs_of(run_dir) == 3
    run_dir = train_tiny_gan(flowers, tmp_path / "bf16", "--device", "cuda", "--epochs", "2", *bf16)
    assert epochs_of(run_dir) == 2


def test_bf16_and_compile_together_with_a_short_last_batch(flowers, tmp_path):
    """Every graph the run uses (float32 real batches through D included) is made by the trial before epoch 1."""
    if not has_fast_bfloat16(torch.device("cuda")):
        pytest.skip("this GPU has no bfloat16 arithmetic (compute capability below 8.0)")
    ten = make_flower_folder(tmp_path / "ten", count=10)  # batches of 4, 4 and 2
    run_dir = train_tiny_gan(ten, tmp_path / "runs", "--device", "cuda", "--epochs", "2", "--bf16", "--compile")
    assert epochs_of(run_dir) == 2
    for name in ("generator.pth", "generator_ema.pth", "discriminator.pth", "checkpoint.pth", "fixed_noise.pt"):
        loaded = torch.load(os.path.join(run_dir, name), weights_only=True)  # each tensor where it was saved
        assert {tensor.device.type for tensor in tensors_in(loaded)} == {"cpu"}, name


def tensors_in(item):
    """Every tensor in ``item``, in its dicts, lists and tuples too."""
    if isinstance(item, dict):
        item = list(item.values())
    if isinstance(item, (list, tuple)):
        return [tensor for value in item for tensor in tensors_in(value)]
    return [item] if torch.is_tensor(item) else []


def test_a_nan_run_on_the_gpu_ends_in_the_sentence_and_leaves_the_gpu_usable(flowers, tmp_path):
    with pytest.raises(UserError, match="the loss became NaN or infinite"):
        train_tiny_gan(flowers, tmp_path, "--device", "cuda", "--lr", "1e30", "--epochs", "5")
    assert torch.ones(4, device="cuda").sum().item() == 4  # no device-side assert poisoned the CUDA context


def test_the_vae_on_the_gpu_then_on_the_cpu(fake_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "1", "--quiet",
                           "--device", "cuda"])
    run_vae_training.main(["--resume", run_dir, "--data_dir", fake_data_dir, "--epochs", "2", "--quiet",
                           "--device", "cpu"])
    assert len(json.load(open(os.path.join(run_dir, "losses.json")))["epochs"]) == 2


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
