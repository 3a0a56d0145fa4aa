"""Part 4: wrong arguments of run_gan_training.py end in one sentence with exit status 2, and a refused start
leaves no run folder behind. (Started as its own process: test_gan_script_process.py.)"""
import glob
import sys

import pytest
import torch

import generate_gan_images
import run_gan_training
from tests.fakes import user_error


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


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(capsys):
    assert "sees no CUDA GPU" in user_error(capsys, run_gan_training.main, ["--device", "cuda"])
    assert "sees no CUDA GPU" in user_error(capsys, generate_gan_images.main, ["--device", "cuda"])


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
