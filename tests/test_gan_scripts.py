"""Part 4 as a user runs it: run_gan_training.py's wrong arguments and resumes, and a SIGTERM to a running
training (as Slurm sends before a time limit), each ending in one sentence or a checkpoint to continue from."""
import os
import shutil
import sys
import time

import pytest
import torch

import run_gan_training
from lib.utils.checkpoints import load_checkpoint
from tests.fakes import one_sentence, start_script, terminate_once_written, train_tiny_gan


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 1-epoch run of tiny networks on 8 photos."""
    from tests.fakes import make_flower_folder
    root = tmp_path_factory.mktemp("finished")
    return train_tiny_gan(make_flower_folder(root / "flowers", count=8), root / "runs")


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "argument --epochs: 0 must be at least 1"),
    (["--lr", "-1"], "argument --lr: -1 must be a finite number above 0"),
    (["--lr", "nan"], "argument --lr: nan must be a finite number above 0"),
    (["--beta1", "1"], "argument --beta1: 1 must be at least 0 and below 1"),
    (["--ema_decay", "1.0"], "argument --ema_decay: 1.0 must lie strictly between 0 and 1"),
    (["--batch_size", "many"], "argument --batch_size: 'many' is not a whole number"),
    (["--data_dir", ""], "argument --data_dir: an empty path was given; name a file or folder"),
])
def test_wrong_arguments_end_in_argparses_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        run_gan_training.main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.splitlines()[-1].endswith(message)


def test_what_a_user_can_get_wrong_ends_in_one_sentence(capsys, tmp_path, finished_run):
    run_dir = shutil.copytree(finished_run, str(tmp_path / "run"))
    assert "--lr 0.5 differs from the run in {} (0.0002); leave it out to continue that run".format(run_dir) in \
        one_sentence(capsys, run_gan_training.main, ["--resume", run_dir, "--lr", "0.5"])
    assert "has already trained 1 epoch; pass a larger --epochs" in \
        one_sentence(capsys, run_gan_training.main, ["--resume", run_dir])
    assert "nowhere/checkpoint.pth does not exist; pass the folder of a run of run_gan_training.py to --resume" in \
        one_sentence(capsys, run_gan_training.main, ["--resume", str(tmp_path / "nowhere")])
    assert "the flowers folder {} does not exist".format(tmp_path / "none") in one_sentence(
        capsys, run_gan_training.main, ["--data_dir", str(tmp_path / "none"), "--output_dir", str(tmp_path / "o"),
                                        "--device", "cpu"])
    assert os.listdir(str(tmp_path / "o")) == []  # the run's folder is gone again
    assert "cannot write into the folder" in one_sentence(
        capsys, run_gan_training.main, ["--output_dir", os.path.join(run_dir, "history.json"), "--device", "cpu"])
    assert "PyTorch sees no CUDA GPU here; use --device cpu" in \
        one_sentence(capsys, run_gan_training.main, ["--device", "cuda"])
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    torch.save(dict(checkpoint, args=dict(checkpoint["args"], lr=0.001)), os.path.join(tmp_path, "lr.pth"))
    other = shutil.copytree(run_dir, str(tmp_path / "other"))
    shutil.move(str(tmp_path / "lr.pth"), os.path.join(other, "checkpoint.pth"))  # as if trained with --lr 0.001
    assert "--lr 0.0002 differs from the run in {} (0.001)".format(other) in one_sentence(  # though the default
        capsys, run_gan_training.main, ["--resume", other, "--lr", "0.0002", "--epochs", "2"])
    torch.save({"model": {}, "history": {}}, os.path.join(other, "checkpoint.pth"))  # a VAE's, say
    assert "checkpoint.pth holds no checkpoint of run_gan_training.py; pass the folder of a run of it to --resume" in \
        one_sentence(capsys, run_gan_training.main, ["--resume", other])
    checkpoint.pop("ema")  # as an older version wrote it
    torch.save(checkpoint, os.path.join(other, "checkpoint.pth"))
    assert one_sentence(capsys, run_gan_training.main, ["--resume", other, "--epochs", "2"]) == \
        "error: the checkpoint in {} was written by an older version of run_gan_training.py (it lacks ema), so it " \
        "cannot be continued; start a new run".format(other)
    assert "--output_dir does not go with --resume" in one_sentence(
        capsys, run_gan_training.main, ["--resume", run_dir, "--epochs", "2", "--output_dir", str(tmp_path)])
    run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cpu", "--quiet"])  # the right way
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 2


def test_runs_differing_in_a_setting_the_name_leaves_out_get_folders_of_their_own(flowers, tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda pattern: "20260101-120000")  # all started in the same second
    flags = ([], ["--beta1", "0.6"], ["--ema_decay", "0.9"], [])
    runs = [train_tiny_gan(flowers, tmp_path, *extra) for extra in flags]
    assert [os.path.basename(run) for run in runs] == [
        "run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_20260101-120000",
        "run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_beta10.6_20260101-120000",
        "run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_ema_decay0.9_20260101-120000",
        "run_ep1_bs4_lr0.0002_nz64_ngf4_ndf4_seed999_20260101-120000-2"]
    assert [load_checkpoint(os.path.join(run, "checkpoint.pth"), "")["args"]["beta1"] for run in runs] == [
        0.5, 0.6, 0.5, 0.5]


def test_help_lists_the_sheets_settings_then_resuming_then_speed_and_hardware(capsys):
    with pytest.raises(SystemExit):
        run_gan_training.main(["--help"])
    out = capsys.readouterr().out
    out = out[out.index("\nthe sheet's settings:"):]  # after the usage line and -h
    order = [out.index(text) for text in ("--data_dir", "--ema_decay", "\nresuming:", "--resume",
                                          "--checkpoint_every", "\nspeed, hardware and output:", "--bf16", "--device")]
    assert order == sorted(order) and "(default: 500)" in out


def test_sigterm_writes_a_checkpoint_that_continues_the_run(tmp_path, flowers):
    process = start_script([os.path.abspath("run_gan_training.py"), "--data_dir", flowers, "--output_dir", tmp_path,
                            "--epochs", "1000", "--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu",
                            "--checkpoint_every", "1", "--quiet"], tmp_path)
    status, out, err = terminate_once_written(process, tmp_path / "run_*" / "samples" / "iter_000010.png")
    (run_dir,) = [str(path) for path in tmp_path.glob("run_*")]
    assert status == 143 and "Traceback" not in err, err
    assert "SIGTERM: finishing this epoch, then writing a checkpoint" in out + err
    assert "continue with `python run_gan_training.py --resume {}`".format(run_dir) in err
    epoch = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"]
    assert epoch >= 5
    run_gan_training.main(["--resume", run_dir, "--epochs", str(epoch + 1), "--device", "cpu", "--quiet"])
    assert os.path.isfile(os.path.join(run_dir, "samples_final.png"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
