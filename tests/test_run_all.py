"""The whole exercise in one command: ./run_all.sh --quick runs every step into results_quick/, run again it
reuses what is finished, and after a Ctrl-C the same command goes on where it stopped."""
import json
import os
import signal
import subprocess
import sys

import pytest

import lib.train_gan
import lib.train_vae
import run_all
from lib.utils.errors import Interrupted
from tests.fakes import make_flower_folder, one_sentence, write_fake_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUTS = ["results_distributions/clt.png", "results_distributions/normal.png", "submission.pdf", "submission.md",
           "results_gan/temperatures.png", "results_gan/temperatures.json"] + [
    "results_kl{}/{}".format(weight, name) for weight in ("1.0", "30.0", "0.0") for name in
    ("model.pth", "losses.json", "reconstruction_1.png", "latent_space.png", "latent_codes.png", "prior_samples.png")]


@pytest.fixture
def exercise(tmp_path, monkeypatch):
    """A copy of what a student's clone holds where the data go: small MNIST and flowers sets."""
    write_fake_mnist(tmp_path / "data")
    make_flower_folder(tmp_path / "dataset_flowers_64px", count=8)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_stopped_quick_run_goes_on_when_run_again_and_then_reuses_everything(exercise, monkeypatch, capsys):
    end_epoch = lib.train_gan.end_epoch

    def ctrl_c_after_the_first_epoch(run, means):
        end_epoch(run, means)
        if run.epoch == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(lib.train_gan, "end_epoch", ctrl_c_after_the_first_epoch)
    with pytest.raises(Interrupted, match="run_all: run the same command again to go on from there"):
        run_all.main(["--quick", "--device", "cpu"])
    monkeypatch.setattr(lib.train_gan, "end_epoch", end_epoch)
    capsys.readouterr()
    run_all.main(["--quick", "--device", "cpu"])
    out = capsys.readouterr().out
    assert out.count("already done") == 8 and "trained 1 epoch" in out  # part 2 and the VAEs; the GAN goes on
    for name in OUTPUTS:
        assert os.path.isfile(os.path.join("results_quick", name)), name
    (run,) = [name for name in os.listdir("results_quick/results_gan") if name.startswith("run_")]
    assert os.path.isfile(os.path.join("results_quick", "results_gan", run, "samples_final.png"))
    modified = {name: os.path.getmtime(os.path.join("results_quick", name)) for name in OUTPUTS
                if "submission" not in name}
    run_all.main(["--quick", "--device", "cpu"])
    assert capsys.readouterr().out.count("already done") == 10  # only the PDF is built again
    assert modified == {name: os.path.getmtime(os.path.join("results_quick", name)) for name in modified}


def test_a_stop_in_a_steps_last_epoch_stops_run_all_before_the_next_step(exercise, monkeypatch):
    train_epoch = lib.train_vae.train_epoch

    def ctrl_c_in_the_only_epoch(*args):
        os.kill(os.getpid(), signal.SIGINT)
        return train_epoch(*args)
    monkeypatch.setattr(lib.train_vae, "train_epoch", ctrl_c_in_the_only_epoch)
    with pytest.raises(Interrupted, match="^training finished its last epoch before stopping; the run in "
                                          "results_quick/results_kl1.0 is complete\nrun_all: run the same command "
                                          "again to go on from there$"):
        run_all.main(["--quick", "--device", "cpu"])
    assert os.path.isfile("results_quick/results_kl1.0/model.pth")
    assert not os.path.exists("results_quick/results_kl1.0/latent_space.png")  # the next step did not start
    assert not os.path.exists("results_quick/results_kl30.0")


def test_run_all_continues_the_gan_run_it_started_and_hands_that_one_to_the_report(exercise, monkeypatch, capsys):
    import make_submission
    import run_gan_training
    results = os.path.join("results_quick", "results_gan")
    run_gan_training.main(["--output_dir", results, "--epochs", "3", "--ngf", "16", "--lr", "0.01", "--batch_size",
                           "4", "--device", "cpu", "--quiet"])  # newer than the runs run_all will make, not its own
    (other,) = os.listdir(results)

    def cut_short(run_dir):  # as kill -9 or a second Ctrl-C while the run finishes
        raise KeyboardInterrupt
    with monkeypatch.context() as patch, pytest.raises(Interrupted, match="stopped at once in epoch 2; .* continue"):
        patch.setattr(lib.train_gan, "write_progress_gif", cut_short)
        run_all.main(["--quick", "--device", "cpu"])
    (ours,) = set(os.listdir(results)) - {other, "gan_run.json"}
    handed = []
    build = make_submission.main
    monkeypatch.setattr(make_submission, "main", lambda argv: handed.append(argv) or build(argv))
    capsys.readouterr()
    run_all.main(["--quick", "--device", "cpu"])
    assert "trained 2 epochs" in capsys.readouterr().out  # continued from its checkpoint of epoch 0, in its folder
    assert sorted(os.listdir(results)) == sorted([other, ours, "gan_run.json", "temperatures.png",
                                                  "temperatures.json"])
    assert handed[0][handed[0].index("--gan_run") + 1] == os.path.join(results, ours)
    with open(os.path.join(results, "gan_run.json")) as handle:
        assert json.load(handle) == {"gan_run": ours}
    assert "ngf32" in ours and "ngf16" in other


def test_a_read_only_clone_is_told_so_without_a_flag_run_all_lacks(exercise, monkeypatch, capsys):
    import tempfile
    made = tempfile.TemporaryFile

    def permission_denied(dir=None, **kwargs):
        if "results_quick" in str(dir):
            raise PermissionError(13, "Permission denied")
        return made(dir=dir, **kwargs)
    monkeypatch.setattr(tempfile, "TemporaryFile", permission_denied)
    assert one_sentence(capsys, run_all.main, ["--quick", "--device", "cpu"]) == \
        "error: cannot write into the folder results_quick (Permission denied); make it writable"


def test_the_shell_wrapper_passes_its_arguments_on():
    result = subprocess.run(["bash", os.path.join(ROOT, "run_all.sh"), "--help"], stdout=subprocess.PIPE,
                            universal_newlines=True)
    assert result.returncode == 0 and "--quick" in result.stdout and "--names" in result.stdout


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
