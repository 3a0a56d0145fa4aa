"""Part 4: what a user can get wrong with run_gan_training.py: one sentence, exit status 2, no traceback, and no
run folder left behind by a refused start."""
import glob
import os
import subprocess
import sys

import pytest
import torch

import generate_gan_images
import lib.train_gan as train_gan_module
import run_gan_training
from lib.model_gan import Generator
from lib.utils import load_checkpoint
from tests.fakes import train_tiny_gan, user_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    run_dir = train_tiny_gan(flowers, tmp_path / "out")
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
    run_dir = train_tiny_gan(flowers, tmp_path / "out")
    err = user_error(capsys, run_gan_training.main, ["--resume", run_dir, "--device", "cpu"])
    assert "has already trained all 1 epochs; pass a larger --epochs" in err


def test_script_fails_without_traceback_as_a_subprocess(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "run_gan_training.py"), "--data_dir",
                           str(tmp_path / "none"), "--output_dir", str(tmp_path / "out")], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: the flowers folder {} does not exist".format(tmp_path / "none"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
