"""Part 4: Ctrl-C stops a GAN run after the epoch with a checkpoint, and its resumed run ends bit for bit where
an uninterrupted one does; a NaN loss stops a run and keeps the last good checkpoint."""
import glob
import os
import signal
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import lib.train_gan as train_gan_module
import run_gan_training
from lib.utils.checkpoints import load_checkpoint
from lib.utils.errors import run_main
from tests.fakes import TINY_GAN, assert_same_weights, gan_weights, skip_loss_plots, train_tiny_gan


def test_ctrl_c_then_resume_equals_an_uninterrupted_run(flowers, tmp_path, monkeypatch, capsys):
    skip_loss_plots(monkeypatch)  # three runs whose losses.png is never looked at
    reference = train_tiny_gan(flowers, tmp_path / "straight", "--epochs", "3")
    calls = []
    original = train_gan_module.generator_step

    def press_ctrl_c_in_the_first_update(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr(train_gan_module, "generator_step", press_ctrl_c_in_the_first_update)
    with pytest.raises(SystemExit) as stopped:
        train_tiny_gan(flowers, tmp_path / "interrupted", "--epochs", "3")
    assert stopped.value.code == 130 and len(calls) == 2, "the epoch is finished before stopping"
    (run_dir,) = glob.glob(str(tmp_path / "interrupted" / "run_*"))
    out = capsys.readouterr().out
    assert "python run_gan_training.py --resume {}".format(run_dir) in out
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["iteration"] == 2
    monkeypatch.setattr(train_gan_module, "generator_step", original)
    run_gan_training.main(["--resume", run_dir, "--quiet", "--device", "cpu"])
    assert_same_weights(gan_weights(reference), gan_weights(run_dir))
    finished = [load_checkpoint(os.path.join(d, "checkpoint.pth"), "") for d in (reference, run_dir)]
    assert finished[0]["history"] == finished[1]["history"] and finished[1]["iteration"] == 6
    assert_same_weights([finished[0]["optimizer_g"]["state"][0]], [finished[1]["optimizer_g"]["state"][0]])


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(flowers, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_main(run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path), "--epochs", "5",
                                         "--lr", "1e30"] + TINY_GAN)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    assert "the loss became NaN or infinite in epoch 1, so training stopped" in err
    (run_dir,) = glob.glob(str(tmp_path / "run_*"))
    assert "the last good checkpoint {} (before the first epoch) is kept; start again with a smaller --lr or another " \
        "--seed".format(os.path.join(run_dir, "checkpoint.pth")) in err
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] == 0 and all(torch.isfinite(v).all() for v in checkpoint["generator"].values())


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
