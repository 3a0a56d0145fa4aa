"""Part 4: what a user can get wrong with a GAN run (resuming it with other settings, bfloat16 without hardware
for it, an unwritable folder): one sentence, exit status 2, no traceback. (Wrong arguments:
test_gan_script_arguments.py.)"""
import os
import shutil
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import generate_gan_images
import lib.train_gan as train_gan_module
import run_gan_training
from lib.model_gan import Generator
from lib.utils.checkpoints import load_checkpoint
from tests.fakes import make_flower_folder, skip_loss_plots, train_tiny_gan, user_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished tiny 1-epoch run, trained once for the two tests that resume it; a test that changes it copies
    it first. Its losses.png is noted, not drawn: no test here looks at it."""
    root = tmp_path_factory.mktemp("finished")
    with pytest.MonkeyPatch.context() as monkeypatch:
        skip_loss_plots(monkeypatch)
        return train_tiny_gan(make_flower_folder(root / "flowers", count=8), root / "out")


def test_resume_keeps_the_run_settings_and_accepts_its_checkpoint_file(capsys, tmp_path, finished_run, monkeypatch):
    skip_loss_plots(monkeypatch)
    run_dir = shutil.copytree(finished_run, str(tmp_path / "out" / os.path.basename(finished_run)))
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


def test_resuming_a_finished_run_says_so(capsys, finished_run):
    err = user_error(capsys, run_gan_training.main, ["--resume", finished_run, "--device", "cpu"])
    assert "has already trained all 1 epochs; pass a larger --epochs" in err


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
