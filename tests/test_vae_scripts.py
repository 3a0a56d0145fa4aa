"""Part 3: run_vae_training.py and plot_latent_space.py as a user runs them: outputs, resume, and every mistake
with a run or its data ending in one sentence with exit status 2 and no traceback. (Wrong arguments:
test_vae_script_arguments.py; Ctrl-C: test_vae_ctrl_c.py.)"""
import json
import os
import shutil
import sys

import pytest
import torch

import plot_latent_space
import run_vae_training
from lib import mnist
from lib.model_vae import VAE
from lib.utils.checkpoints import load_checkpoint
from lib.utils.errors import shell_quote
from lib.utils.files import save_torch
from tests.fakes import one_sentence_error, skip_latent_figures, skip_loss_plots, write_fake_mnist


@pytest.fixture(scope="module")
def trained_run(fake_data_dir, tmp_path_factory):
    """A 2-epoch run made by the script."""
    run_dir = str(tmp_path_factory.mktemp("runs") / "run")
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "2", "--quiet"])
    return run_dir


def test_scripts_train_resume_and_plot(trained_run, fake_data_dir, tmp_path, capsys, monkeypatch):
    with open(os.path.join(trained_run, "loss_curve.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"  # a loss curve drawn for real
    drawn = skip_latent_figures(monkeypatch)  # what the plot script draws of the run (test_latent_space.py draws)
    plot_latent_space.main(["--model_dir", trained_run, "--data_dir", fake_data_dir])
    trained = VAE()
    trained.load_state_dict(load_checkpoint(os.path.join(trained_run, "model.pth"), ""))
    assert len(drawn) == 2 and all(torch.equal(model.fc1.weight, trained.fc1.weight) for model, _ in drawn)
    assert "KL weight 1.0 ({})".format(os.path.normpath(trained_run)) in drawn[0][1]
    skip_loss_plots(monkeypatch)  # the two runs below are compared by their weights and losses
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


def test_user_errors_of_the_training_script(capsys, tmp_path, monkeypatch, fake_data_dir, trained_run):
    monkeypatch.setattr(mnist, "can_download", lambda timeout=3.0: False)
    base = ["--output_dir", tmp_path / "out", "--quiet"]
    err = one_sentence_error(capsys, run_vae_training, base + ["--data_dir", tmp_path / "empty"])
    assert "error: MNIST is not in" in err and "cannot be downloaded" in err and "python prepare_data.py" in err

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    err = one_sentence_error(capsys, run_vae_training, base + ["--device", "cuda"])
    assert "--device cuda was asked for but PyTorch sees no CUDA GPU" in err

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    err = one_sentence_error(capsys, run_vae_training, ["--output_dir", blocker / "run", "--data_dir", fake_data_dir])
    assert "cannot write into the output folder" in err and "--output_dir" in err

    damaged = tmp_path / "damaged"
    raw = write_fake_mnist(damaged, n_train=20, n_test=20)
    labels = os.path.join(raw, "t10k-labels-idx1-ubyte")
    intact = open(labels, "rb").read()
    with open(labels, "r+b") as handle:
        handle.truncate(12)
    err = one_sentence_error(capsys, run_vae_training, base + ["--data_dir", damaged])
    assert "t10k-labels-idx1-ubyte is truncated or damaged" in err
    with open(labels, "wb") as handle:
        handle.write(intact)

    err = one_sentence_error(capsys, run_vae_training, ["--resume", tmp_path / "no_run"])
    assert "checkpoint.pth does not exist; there is nothing to resume there" in err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "checkpoint.pth").write_bytes(b"not a checkpoint")
    err = one_sentence_error(capsys, run_vae_training, ["--resume", tmp_path / "junk"])
    assert "is not a checkpoint this project can read" in err
    (tmp_path / "plain").mkdir()
    save_torch(VAE().state_dict(), str(tmp_path / "plain" / "checkpoint.pth"))
    err = one_sentence_error(capsys, run_vae_training, ["--resume", tmp_path / "plain"])
    assert "is not a checkpoint written by run_vae_training.py" in err
    err = one_sentence_error(capsys, run_vae_training, ["--resume", trained_run, "--lr", "0.01"])
    assert "--lr 0.01 differs from the run in" in err
    err = one_sentence_error(capsys, run_vae_training, ["--resume", trained_run, "--epochs", "1"])
    assert "has already finished" in err and "--epochs N" in err
    err = one_sentence_error(capsys, run_vae_training, ["--resume", trained_run, "--epochs", "9", "--data_dir",
                                                        damaged])
    assert "while training on 512 images in 4 batches per epoch, but the data now gives 20 images" in err


def test_a_new_run_never_mixes_with_an_old_one(capsys, tmp_path, trained_run, fake_data_dir, monkeypatch):
    err = one_sentence_error(capsys, run_vae_training, ["--data_dir", fake_data_dir, "--output_dir", trained_run])
    assert "{} already holds a training run (checkpoint.pth, model.pth, losses.json, ...); continue it with " \
           "`python run_vae_training.py --resume {} --epochs N`".format(trained_run, trained_run) in err
    assert "--overwrite" in err
    run_dir = str(tmp_path / "copy")
    shutil.copytree(trained_run, run_dir)
    open(os.path.join(run_dir, "latent_space.png"), "w").close()  # an older run's figure, removed by --overwrite
    plots_asked = skip_loss_plots(monkeypatch)
    run_vae_training.main(["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "1", "--overwrite",
                           "--quiet", "--hidden_size", "50"])
    assert sorted(os.listdir(run_dir) + ["loss_curve.png"]) == ["checkpoint.pth", "loss_curve.png", "losses.json",
                                                                "model.pth", "reconstruction_1.png",
                                                                "training_samples.png"]
    assert plots_asked == [os.path.join(run_dir, "loss_curve.png")]  # noted, not drawn
    assert "next: python plot_latent_space.py" in capsys.readouterr().out
    drawn = skip_latent_figures(monkeypatch)
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir])
    assert [model.fc1.out_features for model, _ in drawn] == [50, 50]  # the hidden size read from the file


def test_plot_needs_no_readable_losses_file_and_makes_no_folder_without_data(
        capsys, tmp_path, trained_run, fake_data_dir, monkeypatch):
    run_dir = str(tmp_path / "a run")
    shutil.copytree(trained_run, run_dir)
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", run_dir, "--data_dir", tmp_path / "no data",
                                                         "--output_dir", tmp_path / "plots"])
    assert "MNIST is not in" in err and not (tmp_path / "plots").exists()
    with open(os.path.join(run_dir, "losses.json"), "w") as handle:
        handle.write("damaged")
    drawn = skip_latent_figures(monkeypatch)
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir, "--kl_loss_weight", "4"])
    assert "KL weight 4.0" in drawn[0][1] and drawn[1][1] == ", KL weight 4.0"  # the title takes the flag's W
    err = one_sentence_error(capsys, run_vae_training, ["--data_dir", fake_data_dir, "--output_dir", run_dir])
    assert "continue it with `python run_vae_training.py --resume {} --epochs N`".format(shell_quote(run_dir)) in err
    assert shell_quote(run_dir) in ("'{}'".format(run_dir), '"{}"'.format(run_dir))  # one word in a shell


def test_unusable_data_leaves_no_run_folder(capsys, tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist.MNIST_FILES:  # all there, so nothing is downloaded, but damaged
        (raw / name).write_bytes(b"\x00" * 10)
    err = one_sentence_error(capsys, run_vae_training, ["--data_dir", tmp_path / "data", "--output_dir",
                                                        tmp_path / "run"])
    assert "is truncated or damaged" in err and not (tmp_path / "run").exists()


def test_user_errors_of_the_plot_script(capsys, tmp_path, trained_run, fake_data_dir):
    err = one_sentence_error(capsys, plot_latent_space, ["--kl_loss_weight", "30", "--model_dir", tmp_path / "none"])
    assert "model.pth does not exist; train the model first with `python run_vae_training.py --kl_loss_weight " \
           "30.0 --output_dir {}`".format(tmp_path / "none") in err
    other = tmp_path / "other"
    other.mkdir()
    save_torch(VAE(hidden_size=50).state_dict(), str(other / "model.pth"))
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", other, "--hidden_size", "100"])
    assert "another architecture or size (fc1.weight has shape (50, 784) in the file but (100, 784)" in err
    (other / "model.pth").write_bytes(b"\x00" * 100)
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", other])
    assert "is not a checkpoint this project can read" in err
    save_torch(VAE(latent_size=3).state_dict(), str(other / "model.pth"))
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", other, "--latent_size", "3"])
    assert "needs a 2-dimensional latent space, so --latent_size must be 2" in err
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", other])  # flags say 2, the file has 3
    assert "needs a 2-dimensional latent space, but the model in {} has 3 latent dimensions".format(
        os.path.join(str(other), "model.pth")) in err
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "checkpoint.pth").write_bytes(open(os.path.join(trained_run, "checkpoint.pth"), "rb").read())
    err = one_sentence_error(capsys, plot_latent_space, ["--model_dir", unfinished])
    assert "has not finished" in err and "python run_vae_training.py --resume {}".format(unfinished) in err


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
