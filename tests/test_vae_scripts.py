"""Part 3: run_vae_training.py and plot_latent_space.py as a user runs them: wrong arguments, an existing run,
resuming, plotting before training or a model that does not fit, and SIGTERM sent to a real process."""
import json
import os
import shutil
import sys
import time

import pytest

import plot_latent_space
import run_vae_training
from lib.model_vae import VAE
from lib.utils.checkpoints import load_checkpoint
from lib.utils.files import save_torch
from tests.fakes import one_sentence, start_script, terminate_once_written, write_fake_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(data_dir, run_dir, *flags):
    run_vae_training.main(["--data_dir", data_dir, "--output_dir", str(run_dir), "--device", "cpu", "--quiet"]
                          + list(flags))


@pytest.fixture(scope="module")
def trained_run(fake_data_dir, tmp_path_factory):
    """A 1-epoch run made by the script; tests that change it work on a copy."""
    run_dir = str(tmp_path_factory.mktemp("runs") / "run")
    train(fake_data_dir, run_dir, "--epochs", "1")
    return run_dir


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Run in an empty folder: the scripts' default folders (results_kl1.0, ...) must not be the repository's."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("script, argv, message", [
    (run_vae_training, ["--batch_size", "0"], "argument --batch_size: 0 must be at least 1"),
    (run_vae_training, ["--kl_loss_weight", "-1"], "argument --kl_loss_weight: -1 must be a finite number, at least 0"),
    (run_vae_training, ["--epochs", "ten"], "argument --epochs: 'ten' is not a whole number"),
    (run_vae_training, ["--lr", "1e-3x"], "argument --lr: '1e-3x' is not a number"),
    (run_vae_training, ["--resume", " "], "argument --resume: an empty path was given; name a file or folder"),
    (plot_latent_space, ["--kl_loss_weight", "x"], "argument --kl_loss_weight: 'x' is not a number"),
])
def test_wrong_arguments_end_in_argparses_one_line(capsys, tmp_path, script, argv, message):
    assert one_sentence(capsys, script.main, argv).endswith(": error: " + message)
    assert os.listdir(str(tmp_path)) == []  # nothing made on the way


def test_an_existing_run_is_refused_unless_overwritten(capsys, trained_run, fake_data_dir, tmp_path):
    err = one_sentence(capsys, run_vae_training.main, ["--data_dir", fake_data_dir, "--output_dir", trained_run])
    assert err == "error: {0} already holds a run; continue it with `python run_vae_training.py --resume {0}` (add " \
                  "--epochs N to train a finished one further), or start over with --overwrite".format(trained_run)
    run_dir = str(tmp_path / "copy")
    shutil.copytree(trained_run, run_dir)
    open(os.path.join(run_dir, "latent_space.png"), "w").close()  # the old run's figure, stale after --overwrite
    open(os.path.join(run_dir, "notes.txt"), "w").close()  # not a run's file: kept
    train(fake_data_dir, run_dir, "--epochs", "1", "--hidden_size", "50", "--overwrite")
    assert "next: python plot_latent_space.py --kl_loss_weight 1 --model_dir {}\n".format(run_dir) in \
        capsys.readouterr().out
    assert sorted(os.listdir(run_dir)) == ["checkpoint.pth", "loss_curve.png", "losses.json", "model.pth", "notes.txt",
                                           "reconstruction_1.png", "training_samples.png"]
    assert load_checkpoint(os.path.join(run_dir, "model.pth"), "")["fc1.weight"].shape == (50, 784)


def test_data_that_cannot_be_read_leaves_no_run_folder(capsys, tmp_path):
    labels = os.path.join(write_fake_mnist(tmp_path / "data", n_train=20, n_test=20), "t10k-labels-idx1-ubyte")
    with open(labels, "r+b") as handle:
        handle.truncate(12)
    err = one_sentence(capsys, run_vae_training.main, ["--data_dir", tmp_path / "data", "--output_dir",
                                                       tmp_path / "run"])
    assert err == "error: the MNIST files in {} are damaged or truncated (shape '[20]' is invalid for input of size " \
                  "4); delete them and put good copies there".format(tmp_path / "data" / "MNIST" / "raw")
    assert not (tmp_path / "run").exists()


def test_resume_refuses_changed_settings_and_accepts_more_epochs(capsys, trained_run, fake_data_dir, tmp_path):
    err = one_sentence(capsys, run_vae_training.main, ["--resume", tmp_path / "no_run"])
    assert err == "error: {} does not exist; pass the folder of a run of run_vae_training.py to --resume".format(
        tmp_path / "no_run" / "checkpoint.pth")
    run_dir = str(tmp_path / "resumed")
    shutil.copytree(trained_run, run_dir)
    err = one_sentence(capsys, run_vae_training.main, ["--resume", run_dir, "--lr", "0.01"])
    assert err == "error: --lr 0.01 differs from the run in {} (0.001); leave it out to continue that run, or start " \
                  "a new one".format(run_dir)
    err = one_sentence(capsys, run_vae_training.main, ["--resume", run_dir])
    assert err == "error: the run in {} has already trained 1 epoch; pass a larger --epochs to go on".format(run_dir)
    run_vae_training.main(["--resume", run_dir, "--epochs", "2", "--data_dir", fake_data_dir, "--device", "cpu",
                           "--quiet"])
    out = capsys.readouterr().out
    assert "epoch 1/" not in out and "epoch 2/2: train loss" in out
    with open(os.path.join(trained_run, "losses.json")) as a, open(os.path.join(run_dir, "losses.json")) as b:
        before, after = json.load(a), json.load(b)
    # Continued, not started again; that it ends bit for bit as an uninterrupted run does: test_vae_training.py.
    assert after["epochs"] == [1, 2] and after["test_loss"][:1] == before["test_loss"]
    os.replace(os.path.join(run_dir, "model.pth"), os.path.join(run_dir, "checkpoint.pth"))  # bare weights
    err = one_sentence(capsys, run_vae_training.main, ["--resume", run_dir, "--epochs", "3"])
    assert err == "error: {} holds no checkpoint of run_vae_training.py; pass the folder of a run of it to " \
                  "--resume".format(os.path.join(run_dir, "checkpoint.pth"))


def test_resume_refuses_flags_it_would_ignore_and_an_older_checkpoint(capsys, trained_run, tmp_path):
    run_dir = shutil.copytree(trained_run, str(tmp_path / "my run"))
    for flags, flag in ((["--output_dir", tmp_path / "elsewhere"], "output_dir"), (["--overwrite"], "overwrite")):
        err = one_sentence(capsys, run_vae_training.main, ["--resume", run_dir, "--epochs", "2"] + flags)
        assert err == "error: --{0} does not go with --resume, which continues the run in '{1}' in its own folder; " \
                      "leave --{0} out".format(flag, run_dir)
    assert not (tmp_path / "elsewhere").exists()
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    del checkpoint["rng"]  # as an older version wrote it
    save_torch(checkpoint, os.path.join(run_dir, "checkpoint.pth"))
    err = one_sentence(capsys, run_vae_training.main, ["--resume", run_dir, "--epochs", "2"])
    assert err == "error: the checkpoint in '{}' was written by an older version of run_vae_training.py (it lacks " \
                  "rng), so it cannot be continued; start a new run".format(run_dir)


def test_a_run_stopped_before_its_first_checkpoint_is_started_over_not_resumed(capsys, fake_data_dir, tmp_path):
    run_dir = str(tmp_path / "my run")
    argv = ["--data_dir", fake_data_dir, "--output_dir", run_dir, "--epochs", "1", "--device", "cpu", "--quiet"]
    err = one_sentence(capsys, run_vae_training.main, argv + ["--lr", "1e30"])
    assert err == "error: the loss became NaN or infinite in epoch 1, so training stopped (no checkpoint was " \
                  "written); start a new run with --lr 1e+30 (default 0.001) nearer the default"
    assert os.listdir(run_dir) == ["training_samples.png"]  # as a kill -9 in epoch 1 leaves it, too
    err = one_sentence(capsys, run_vae_training.main, argv)
    assert err == "error: '{}' already holds files of a run stopped before its first checkpoint; start over with " \
                  "--overwrite".format(run_dir)
    run_vae_training.main(argv + ["--overwrite"])
    assert "next: python plot_latent_space.py --kl_loss_weight 1 --model_dir '{}'\n".format(run_dir) in \
        capsys.readouterr().out


def test_help_lists_the_sheets_settings_then_resuming_then_speed_and_hardware(capsys):
    with pytest.raises(SystemExit):
        run_vae_training.main(["--help"])
    out = capsys.readouterr().out
    out = out[out.index("\nthe sheet's settings:"):]  # after the usage line and -h
    order = [out.index(text) for text in ("--kl_loss_weight", "--output_dir", "\nresuming:", "--resume",
                                          "--overwrite", "\nspeed, hardware and output:", "--device", "--show")]
    assert order == sorted(order) and "(default: 15)" in out


def test_a_full_disk_while_the_checkpoint_is_written_ends_in_one_sentence(capsys, fake_data_dir, tmp_path, monkeypatch):
    import torch
    save = torch.save

    def full_disk_at_the_checkpoint(obj, path):
        if os.path.basename(path).startswith(".checkpoint.pth"):
            save(obj, path)  # most of it, then torch 2.14's error
            raise RuntimeError("[enforce fail at inline_container.cc:672] unexpected pos 1024 vs 960")
        return save(obj, path)
    monkeypatch.setattr(torch, "save", full_disk_at_the_checkpoint)
    err = one_sentence(capsys, run_vae_training.main, ["--data_dir", fake_data_dir, "--output_dir", tmp_path / "run",
                                                       "--epochs", "2", "--device", "cpu", "--quiet"])
    assert err == "error: the disk is full, so {} was not written (its previous version, if any, is intact); free " \
                  "some space and run the command again".format(tmp_path / "run" / "checkpoint.pth")


def test_plotting_before_training_names_the_command_that_trains(capsys, tmp_path, trained_run):
    err = one_sentence(capsys, plot_latent_space.main, ["--kl_loss_weight", "30"])
    assert err == "error: {} does not exist; train it first with `python run_vae_training.py --kl_loss_weight " \
                  "30`".format(os.path.join("results_kl30.0", "model.pth"))
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    shutil.copy(os.path.join(trained_run, "checkpoint.pth"), str(stopped))
    err = one_sentence(capsys, plot_latent_space.main, ["--model_dir", stopped, "--kl_loss_weight", "0"])
    assert err.endswith("does not exist; train it first with `python run_vae_training.py --kl_loss_weight 0 "
                        "--output_dir {0}` (a stopped run: --resume {0})".format(stopped))


@pytest.mark.parametrize("model, message", [
    (VAE(latent_size=3), "the model in {} has 3 latent dimensions, but the plot needs 2; train one with "
                         "--latent_size 2 (the default)"),
    (VAE(in_height=14), "{} was saved from a model of another architecture or size (fc1.weight has shape (100, 392) "
                        "in the file but (100, 784) in the model; fc4.weight has shape (392, 100) in the file but "
                        "(784, 100) in the model; fc4.bias has shape (392,) in the file but (784,) in the model); use "
                        "the model flags of its training run"),
], ids=["3 latent dimensions", "14 x 28 images"])
def test_a_model_that_does_not_fit_the_plot_is_refused(capsys, tmp_path, model, message):
    save_torch(model.state_dict(), str(tmp_path / "model.pth"))
    err = one_sentence(capsys, plot_latent_space.main, ["--model_dir", tmp_path])
    assert err == "error: " + message.format(tmp_path / "model.pth")


def test_plotting_a_trained_run_writes_its_four_files(capsys, trained_run, fake_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    shutil.copytree(trained_run, run_dir)
    plot_latent_space.main(["--model_dir", run_dir, "--data_dir", fake_data_dir, "--device", "cpu", "--quiet"])
    assert capsys.readouterr().out == "wrote latent_space.png, latent_stats.json, latent_codes.png and " \
                                      "prior_samples.png into {}\n".format(run_dir)
    assert {"latent_space.png", "latent_stats.json", "latent_codes.png", "prior_samples.png"} <= set(
        os.listdir(run_dir))


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM cannot be caught on Windows")
def test_sigterm_writes_a_checkpoint_and_prints_the_resume_command(capsys, fake_data_dir, tmp_path):
    run_dir = str(tmp_path / "run")
    process = start_script([os.path.join(ROOT, "run_vae_training.py"), "--data_dir", fake_data_dir, "--output_dir",
                            run_dir, "--epochs", "100000", "--quiet", "--device", "cpu"], tmp_path)
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(run_dir, "checkpoint.pth")) and time.time() < deadline:
        time.sleep(0.05)
    # A second run into the same folder, even with --overwrite, is refused while the first one runs.
    err = one_sentence(capsys, run_vae_training.main, ["--data_dir", fake_data_dir, "--output_dir", run_dir,
                                                       "--overwrite", "--device", "cpu"])
    assert err == "error: another training run is writing into {} right now; wait for it to end, or choose another " \
                  "--output_dir".format(run_dir)
    status, out, err = terminate_once_written(process, os.path.join(run_dir, "checkpoint.pth"))
    checkpoint = os.path.join(run_dir, "checkpoint.pth")
    trained = load_checkpoint(checkpoint, "")["history"]["epochs"]
    assert status == 143 and "SIGTERM: finishing this epoch, then writing a checkpoint" in out
    assert "Traceback" not in err and err.splitlines()[-1] == "training stopped after epoch {} of 100000; {} holds " \
        "it: continue with `python run_vae_training.py --resume {}`".format(len(trained), checkpoint, run_dir)
    assert trained == list(range(1, len(trained) + 1)) and not os.path.exists(os.path.join(run_dir, "model.pth"))
    run_vae_training.main(["--resume", run_dir, "--epochs", str(len(trained) + 1), "--data_dir", fake_data_dir,
                           "--device", "cpu", "--quiet"])
    with open(os.path.join(run_dir, "losses.json")) as handle:
        assert json.load(handle)["epochs"] == list(range(1, len(trained) + 2))
    assert os.path.isfile(os.path.join(run_dir, "model.pth"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
