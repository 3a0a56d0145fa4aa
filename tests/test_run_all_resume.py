"""run_all.sh after an interruption: an interrupted training is continued with --resume, not started again, and a
short finished run is still trained again; the functions of lib/report/results.py that pick the run to continue, on
fake run folders; and the message of an interrupted step. (The stub repository: test_run_all.py.)"""
import os
import pickle
import sys

import pytest
import torch

from lib.gan_settings import TRAINING_DEFAULTS
from lib.report.results import resumable_gan_run, resumable_vae_run
from run_gan_training import FIXED_ON_RESUME, build_parser
from tests import test_run_all

pytestmark = test_run_all.pytestmark  # run_all.sh needs bash
repo = test_run_all.repo  # the fixture: a copy of run_all.sh and lib/ with stub scripts

# The stub repository's checkpoints are pickles of plain dicts, read by the load_checkpoint below, so run_all's
# look at them costs no torch import (two seconds a call); the functions read real torch files in the unit tests.
PICKLE_LOADER = '''

def load_checkpoint(path, missing_hint):
    import pickle
    with open(path, "rb") as handle:
        return pickle.load(handle)
'''


@pytest.fixture
def stubs(repo):
    folder, run = repo
    with open(str(folder / "lib" / "utils" / "checkpoints.py"), "a") as handle:
        handle.write(PICKLE_LOADER)
    return folder, run


def vae_checkpoint(epoch, num_epochs, kl_loss_weight):
    return {"format": "vae-training-checkpoint-1", "epoch": epoch, "step": 5, "num_epochs": num_epochs,
            "kl_loss_weight": kl_loss_weight, "args": {}}


def gan_checkpoint(epoch, epochs, **changed):
    return {"epoch": epoch, "iteration": 7 * epoch, "args": dict(TRAINING_DEFAULTS, epochs=epochs, **changed)}


def write_run(folder, checkpoint, save=torch.save, finished=False, mtime=None):
    """A run folder holding ``checkpoint`` as checkpoint.pth (and samples_final.png when ``finished``)."""
    os.makedirs(str(folder), exist_ok=True)
    path = os.path.join(str(folder), "checkpoint.pth")
    if save is pickle.dump:
        with open(path, "wb") as handle:
            pickle.dump(checkpoint, handle)
    else:
        save(checkpoint, path)
    if finished:
        (folder / "samples_final.png").write_text("")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(folder)


def test_resumable_vae_run_takes_only_an_interrupted_run_with_the_weight_and_at_most_the_epochs(tmp_path):
    assert not resumable_vae_run(str(tmp_path / "missing"), 1, 15)
    interrupted = write_run(tmp_path / "a", vae_checkpoint(3, 15, 30.0))
    assert resumable_vae_run(interrupted, 30, 15) and resumable_vae_run(interrupted, "30", "20")
    assert not resumable_vae_run(interrupted, 1, 15)  # another KL weight
    assert not resumable_vae_run(interrupted, 30, 10)  # started for more epochs than wanted
    assert resumable_vae_run(write_run(tmp_path / "b", vae_checkpoint(2, 5, 0.0)), 0, 15)  # trained further
    assert not resumable_vae_run(write_run(tmp_path / "c", vae_checkpoint(1, 1, 1.0)), 1, 15)  # finished
    assert not resumable_vae_run(write_run(tmp_path / "d", gan_checkpoint(1, 2)), 1, 15)  # a GAN's checkpoint
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "checkpoint.pth").write_text("not a checkpoint")
    assert not resumable_vae_run(str(tmp_path / "e"), 1, 15)


def test_resumable_gan_run_is_the_newest_interrupted_run_with_the_defaults(tmp_path):
    root = tmp_path / "results_gan"
    assert resumable_gan_run(str(root), 500) is None
    older = write_run(root / "run_a", gan_checkpoint(1, 2), mtime=1000)
    assert resumable_gan_run(str(root), 2) == older
    write_run(root / "run_b", gan_checkpoint(1, 2, lr=0.001), mtime=2000)  # other settings
    write_run(root / "run_c", gan_checkpoint(2, 2), finished=True, mtime=3000)  # finished
    write_run(root / "run_d", gan_checkpoint(1, 600), mtime=4000)  # started for more epochs
    write_run(root / "run_e", vae_checkpoint(1, 2, 1.0), mtime=5000)  # not a GAN's checkpoint
    (root / "other").mkdir()  # not a run folder
    write_run(root / "other", gan_checkpoint(1, 2), mtime=6000)
    assert resumable_gan_run(str(root), 500) == older
    old_version = gan_checkpoint(3, 5)
    del old_version["args"]["ema_decay"]  # a run from before the moving average
    newer = write_run(root / "run_f", old_version, mtime=7000)
    assert resumable_gan_run(str(root), 500) == newer
    assert resumable_gan_run(str(root), 4) == older  # run_f plans 5 epochs
    write_run(root / "run_f", gan_checkpoint(5, 5), mtime=7000)  # trained all of its epochs, no samples: not it
    assert resumable_gan_run(str(root), 500) == older


def test_run_all_trains_with_the_defaults_resume_checks():
    # run_all resumes a run only with the settings a new run of run_all gets: the script's defaults
    defaults = vars(build_parser().parse_args([]))
    assert set(TRAINING_DEFAULTS) == set(FIXED_ON_RESUME)
    assert {key: defaults[key] for key in TRAINING_DEFAULTS} == TRAINING_DEFAULTS


def test_interrupted_runs_are_continued_and_short_finished_ones_trained_again(stubs):
    folder, run = stubs
    write_run(folder / "results_kl1.0", vae_checkpoint(1, 1, 1.0), pickle.dump)  # a finished 1-epoch run
    (folder / "results_kl1.0" / "model.pth").write_text("")
    (folder / "results_kl1.0" / "losses.json").write_text('{"epochs": [1]}')
    write_run(folder / "results_kl30.0", vae_checkpoint(3, 15, 30.0), pickle.dump)  # interrupted after 3 of 15
    write_run(folder / "results_kl0.0", vae_checkpoint(3, 20, 0.0), pickle.dump)  # started for 20 epochs
    gan = folder / "results_gan"
    write_run(gan / "run_ep2", gan_checkpoint(2, 2), pickle.dump, finished=True, mtime=1000)  # finished, short
    (gan / "run_ep2" / "history.json").write_text('{"epoch": [1, 2]}')
    write_run(gan / "run_ep500_a", gan_checkpoint(100, 500), pickle.dump, mtime=2000)  # interrupted
    write_run(gan / "run_ep500_b", gan_checkpoint(100, 500, seed=1), pickle.dump, mtime=3000)  # another seed
    write_run(gan / "run_ep600", gan_checkpoint(100, 600), pickle.dump, mtime=4000)  # started for 600 epochs
    result, calls = run("--names", "A. B")
    assert result.returncode == 0, result.stderr
    assert [c for c in calls if c.startswith("run_")] == [
        "run_vae_training.py --kl_loss_weight 1 --epochs 15 --output_dir ./results_kl1.0 --overwrite --quiet",
        "run_vae_training.py --resume ./results_kl30.0 --epochs 15 --quiet",
        "run_vae_training.py --kl_loss_weight 0 --epochs 15 --output_dir ./results_kl0.0 --overwrite --quiet",
        "run_gan_training.py --resume ./results_gan/run_ep500_a --epochs 500 --quiet"]
    assert "continuing the interrupted run in ./results_kl30.0" in result.stdout
    assert "continuing the interrupted run ./results_gan/run_ep500_a" in result.stdout
    runs = sorted(name for name in os.listdir(str(gan)) if name.startswith("run_"))
    assert runs == ["run_ep2", "run_ep500_a", "run_ep500_b", "run_ep600"]  # no new run folder
    assert "--gan_run ./results_gan/run_ep500_a " in calls[-1]


def test_an_interrupted_training_says_the_same_command_continues_it(stubs):
    folder, run = stubs
    result, calls = run("--quick", STUB_FAIL="run_vae_training.py", STUB_STATUS="130")
    assert result.returncode == 130 and calls[-1].startswith("run_vae_training.py")
    assert result.stderr.splitlines()[-1] == (
        'run_all: step "part 3: VAE training, KL weight 1, 1 epoch(s) (run_vae_training.py)" was interrupted. '
        "Finished steps and the training's checkpoint are kept: run the same command again to continue from there.")
    assert "FAILED" not in result.stderr  # another exit status is a failure: test_run_all.py


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
