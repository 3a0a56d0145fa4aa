"""The whole exercise in one command: ./run_all.sh --quick runs every step into results_quick/, run again it
reuses what is finished, and after a Ctrl-C the same command goes on where it stopped."""
import os
import signal
import subprocess
import sys

import pytest

import lib.train_gan
import run_all
from lib.utils.errors import Interrupted
from tests.fakes import make_flower_folder, write_fake_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUTS = ["results_distributions/clt.png", "results_distributions/normal.png", "submission.pdf", "submission.md",
           "results_gan/temperature_0.5.png", "results_gan/temperature_1.0.png"] + [
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
    assert capsys.readouterr().out.count("already done") == 11  # only the PDF is built again
    assert modified == {name: os.path.getmtime(os.path.join("results_quick", name)) for name in modified}


def test_the_shell_wrapper_passes_its_arguments_on():
    result = subprocess.run(["bash", os.path.join(ROOT, "run_all.sh"), "--help"], stdout=subprocess.PIPE,
                            universal_newlines=True)
    assert result.returncode == 0 and "--quick" in result.stdout and "--names" in result.stdout


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
