"""run_vae_training.py and plot_latent_space.py as a user runs them: outputs, resume, and every mistake ending in
one sentence with exit status 2 (130 for Ctrl-C) and no traceback."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
import torch

import plot_latent_space
import run_vae_training
from lib import mnist
from lib.model_vae import VAE
from lib.utils import load_checkpoint, run_main, save_torch, shell_quote
from tests.fakes import write_fake_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_error(capsys, script, argv):
    """Run a script's main as ``python script.py argv`` would; return its stderr, checking status 2."""
    with pytest.raises(SystemExit) as exit_info:
        run_main(script.main, [str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "error: " in line] == [err.splitlines()[-1]]  # one sentence, last
    return err


def _script(*argv, **kwargs):
    env = dict(os.environ, MPLBACKEND="", DISPLAY="")  # headless, and no backend chosen for the scripts
    return subprocess.run([sys.executable] + [str(a) for a in argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def trained_run(fake_data_dir, tmp_path_factory):
    """A 2-epoch run made by the script, then plotted by the other script."""
    run_dir = str(tmp_path_factory.mktemp("runs") / "run")
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "2", "--quiet"])
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir])
    return run_dir


def test_scripts_train_resume_and_plot(trained_run, fake_data_dir, tmp_path, capsys):
    assert os.path.isfile(os.path.join(trained_run, "latent_space.png"))
    with open(os.path.join(trained_run, "losses.json")) as handle:
        assert json.load(handle)["epochs"] == [1, 2]
    # Resuming the finished 2-epoch run for a 3rd epoch equals an uninterrupted 3-epoch run.
    capsys.readouterr()
    run_vae_training.main(["--resume", trained_run, "--epochs", "3", "--quiet", "--data_dir", fake_data_dir])
    out = capsys.readouterr().out
    assert "resuming {} after 2 epoch(s)".format(trained_run) in out and "epoch 3/3: train loss" in out
    straight = str(tmp_path / "straight")
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", straight, "--epochs", "3", "--quiet"])
    out = capsys.readouterr().out
    assert "epoch 1/3: train loss" in out and "test loss" in out and "wrote {}".format(straight) in out
    resumed_weights = load_checkpoint(os.path.join(trained_run, "model.pth"), "")
    straight_weights = load_checkpoint(os.path.join(straight, "model.pth"), "")
    assert all(torch.equal(resumed_weights[k], straight_weights[k]) for k in straight_weights)
    with open(os.path.join(trained_run, "losses.json")) as a, open(os.path.join(straight, "losses.json")) as b:
        assert json.load(a) == json.load(b)


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "argument --epochs: -1 must be at least 1"),
    (["--epochs", "ten"], "argument --epochs: 'ten' is not a whole number"),
    (["--batch_size", "0"], "argument --batch_size: 0 must be at least 1"),
    (["--kl_loss_weight", "-1"], "argument --kl_loss_weight: -1.0 must be a finite number that is not negative"),
    (["--lr", "0"], "argument --lr: 0.0 must be a finite number greater than 0"),
])
def test_bad_arguments(capsys, argv, message):
    assert message in _user_error(capsys, run_vae_training, argv)


def test_bad_argument_of_the_plot_script(capsys):
    assert "argument --kl_loss_weight: 'x' is not a number" in _user_error(
        capsys, plot_latent_space, ["--kl_loss_weight", "x"])


def test_user_errors_of_the_training_script(capsys, tmp_path, monkeypatch, fake_data_dir, trained_run):
    monkeypatch.setattr(mnist, "can_download", lambda timeout=3.0: False)
    base = ["--output_dir", tmp_path / "out", "--quiet"]
    err = _user_error(capsys, run_vae_training, base + ["--data_dir", tmp_path / "empty"])
    assert "error: MNIST is not in" in err and "cannot be downloaded" in err and "python prepare_data.py" in err

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    err = _user_error(capsys, run_vae_training, base + ["--device", "cuda"])
    assert "--device cuda was asked for but PyTorch sees no CUDA GPU" in err

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    err = _user_error(capsys, run_vae_training, ["--output_dir", blocker / "run", "--data_dir", fake_data_dir])
    assert "cannot write into the output folder" in err and "--output_dir" in err

    damaged = tmp_path / "damaged"
    raw = write_fake_mnist(damaged, n_train=20, n_test=20)
    labels = os.path.join(raw, "t10k-labels-idx1-ubyte")
    intact = open(labels, "rb").read()
    with open(labels, "r+b") as handle:
        handle.truncate(12)
    err = _user_error(capsys, run_vae_training, base + ["--data_dir", damaged])
    assert "t10k-labels-idx1-ubyte is truncated or damaged" in err
    with open(labels, "wb") as handle:
        handle.write(intact)

    err = _user_error(capsys, run_vae_training, ["--resume", tmp_path / "no_run"])
    assert "checkpoint.pth does not exist; there is nothing to resume there" in err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "checkpoint.pth").write_bytes(b"not a checkpoint")
    err = _user_error(capsys, run_vae_training, ["--resume", tmp_path / "junk"])
    assert "is not a checkpoint this project can read" in err
    (tmp_path / "plain").mkdir()
    save_torch(VAE().state_dict(), str(tmp_path / "plain" / "checkpoint.pth"))
    err = _user_error(capsys, run_vae_training, ["--resume", tmp_path / "plain"])
    assert "is not a checkpoint written by run_vae_training.py" in err
    err = _user_error(capsys, run_vae_training, ["--resume", trained_run, "--lr", "0.01"])
    assert "--lr 0.01 differs from the run in" in err
    err = _user_error(capsys, run_vae_training, ["--resume", trained_run, "--epochs", "1"])
    assert "has already finished" in err and "--epochs N" in err
    err = _user_error(capsys, run_vae_training, ["--resume", trained_run, "--epochs", "9", "--data_dir", damaged])
    assert "while training on 512 images in 4 batches per epoch, but the data now gives 20 images" in err


def test_a_new_run_never_mixes_with_an_old_one(capsys, tmp_path, trained_run, fake_data_dir):
    err = _user_error(capsys, run_vae_training, ["--data_dir", fake_data_dir, "--output_dir", trained_run])
    assert "{} already holds a training run (checkpoint.pth, model.pth, losses.json, ...); continue it with " \
           "`python run_vae_training.py --resume {} --epochs N`".format(trained_run, trained_run) in err
    assert "--overwrite" in err
    run_dir = str(tmp_path / "copy")
    shutil.copytree(trained_run, run_dir)
    assert os.path.isfile(os.path.join(run_dir, "latent_space.png"))
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "1", "--overwrite",
                           "--quiet", "--hidden_size", "50"])
    assert sorted(os.listdir(run_dir)) == ["checkpoint.pth", "loss_curve.png", "losses.json", "model.pth",
                                           "reconstruction_1.png", "training_samples.png"]
    assert "next: python plot_latent_space.py" in capsys.readouterr().out
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir])  # hidden size read from the file
    assert os.path.isfile(os.path.join(run_dir, "latent_space.png"))


def test_plot_needs_no_readable_losses_file_and_makes_no_folder_without_data(
        capsys, tmp_path, trained_run, fake_data_dir):
    run_dir = str(tmp_path / "a run")
    shutil.copytree(trained_run, run_dir)
    err = _user_error(capsys, plot_latent_space, ["--model_dir", run_dir, "--data_dir", tmp_path / "no data",
                                                  "--output_dir", tmp_path / "plots"])
    assert "MNIST is not in" in err and not (tmp_path / "plots").exists()
    with open(os.path.join(run_dir, "losses.json"), "w") as handle:
        handle.write("damaged")
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir])  # the title takes the flag's W
    assert os.path.isfile(os.path.join(run_dir, "latent_space.png"))
    err = _user_error(capsys, run_vae_training, ["--data_dir", fake_data_dir, "--output_dir", run_dir])
    assert "continue it with `python run_vae_training.py --resume {} --epochs N`".format(shell_quote(run_dir)) in err
    assert shell_quote(run_dir) in ("'{}'".format(run_dir), '"{}"'.format(run_dir))  # one word in a shell


def test_unusable_data_leaves_no_run_folder(capsys, tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist.MNIST_FILES:  # all there, so nothing is downloaded, but damaged
        (raw / name).write_bytes(b"\x00" * 10)
    err = _user_error(capsys, run_vae_training, ["--data_dir", tmp_path / "data", "--output_dir", tmp_path / "run"])
    assert "is truncated or damaged" in err and not (tmp_path / "run").exists()


def test_user_errors_of_the_plot_script(capsys, tmp_path, trained_run, fake_data_dir):
    err = _user_error(capsys, plot_latent_space, ["--kl_loss_weight", "30", "--model_dir", tmp_path / "none"])
    assert "model.pth does not exist; train the model first with `python run_vae_training.py --kl_loss_weight " \
           "30.0 --output_dir {}`".format(tmp_path / "none") in err
    other = tmp_path / "other"
    other.mkdir()
    save_torch(VAE(hidden_size=50).state_dict(), str(other / "model.pth"))
    err = _user_error(capsys, plot_latent_space, ["--model_dir", other, "--hidden_size", "100"])
    assert "another architecture or size (fc1.weight has shape (50, 784) in the file but (100, 784)" in err
    (other / "model.pth").write_bytes(b"\x00" * 100)
    err = _user_error(capsys, plot_latent_space, ["--model_dir", other])
    assert "is not a checkpoint this project can read" in err
    save_torch(VAE(latent_size=3).state_dict(), str(other / "model.pth"))
    err = _user_error(capsys, plot_latent_space, ["--model_dir", other, "--latent_size", "3"])
    assert "needs a 2-dimensional latent space, so --latent_size must be 2" in err
    err = _user_error(capsys, plot_latent_space, ["--model_dir", other])  # flags say 2, the file has 3
    assert "needs a 2-dimensional latent space, but the model in {} has 3 latent dimensions".format(
        os.path.join(str(other), "model.pth")) in err
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "checkpoint.pth").write_bytes(open(os.path.join(trained_run, "checkpoint.pth"), "rb").read())
    err = _user_error(capsys, plot_latent_space, ["--model_dir", unfinished])
    assert "has not finished" in err and "python run_vae_training.py --resume {}".format(unfinished) in err


def test_scripts_as_subprocesses_fail_without_traceback(tmp_path):
    result = _script("run_vae_training.py", "--batch_size", "0")
    assert result.returncode == 2 and "argument --batch_size: 0 must be at least 1" in result.stderr
    run_dir = tmp_path / "never_trained"
    result = _script("plot_latent_space.py", "--kl_loss_weight", "0", "--model_dir", run_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "error: {} does not exist; train the model first with `python run_vae_training.py " \
        "--kl_loss_weight 0.0 --output_dir {}`\n".format(run_dir / "model.pth", run_dir)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child process on Windows")
def test_ctrl_c_writes_a_checkpoint_and_says_how_to_resume(tmp_path, fake_data_dir, capsys):
    run_dir = str(tmp_path / "run")
    env = dict(os.environ, MPLBACKEND="")
    process = subprocess.Popen([sys.executable, "-u", "run_vae_training.py", "--data_dir", fake_data_dir,
                                "--output_dir", run_dir, "--epochs", "500", "--quiet"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("epoch"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err
    assert "holds that state; resume with `python run_vae_training.py --resume {}`".format(run_dir) in err
    assert os.path.isfile(os.path.join(run_dir, "checkpoint.pth")) and not os.path.exists(
        os.path.join(run_dir, "model.pth"))
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    run_vae_training.main(["--resume", run_dir, "--epochs", str(checkpoint["epoch"] + 1), "--quiet",
                           "--data_dir", fake_data_dir])
    assert os.path.isfile(os.path.join(run_dir, "model.pth"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
