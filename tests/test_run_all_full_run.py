"""run_all.sh without --quick: short runs are trained again rather than reused, and the warning about a blank
Names line, with the command that adds them. (The stub repository and the rest: test_run_all.py.)"""
import sys

import pytest

from tests import test_run_all

pytestmark = test_run_all.pytestmark  # run_all.sh needs bash
repo = test_run_all.repo  # the fixture: a copy of run_all.sh and lib/ with stub scripts


def test_short_runs_are_not_reused_by_a_longer_run(repo):
    folder, run = repo
    # finished 1-epoch VAEs and a finished 2-epoch GAN in the full run's folders: trained again, not reused
    for weight in ("1.0", "30.0", "0.0"):
        (folder / ("results_kl" + weight)).mkdir()
        (folder / ("results_kl" + weight) / "model.pth").write_text("")
        (folder / ("results_kl" + weight) / "losses.json").write_text('{"epochs": [1]}')
        (folder / ("results_kl" + weight) / "latent_space.png").write_text("")
    short = folder / "results_gan" / "run_ep2"
    short.mkdir(parents=True)
    for name in ("samples_final.png", "generator.pth"):
        (short / name).write_text("")
    (short / "history.json").write_text('{"epoch": [1, 2]}')
    result, calls = run()
    assert result.returncode == 0, result.stderr
    names = [c.split()[0] for c in calls]
    assert names.count("run_vae_training.py") == 3 and names.count("run_gan_training.py") == 1
    assert "--epochs 15" in calls[2] and "--epochs 500" in calls[9]
    assert "--output ./results_gan/run_ep500_" in calls[12]  # temperature samples of the new run, not the short one
    assert calls[-1].startswith("make_submission.py --results_root . ") and "--quick" not in calls[-1]
    assert "--output submission.pdf" in calls[-1] and (folder / "submission.pdf").exists()
    assert result.stderr.splitlines()[-1] == (
        'run_all: warning: submission.pdf has a blank Names line, but the PDF must name its submitters; add them '
        'with ./run_all.sh --names "A. B, C. D" (it reuses every finished result and builds only the PDF again)')
    result, calls = run("--names", "A. B")  # as the warning says: only the PDF again, now with the names
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert [c.split()[0] for c in calls] == ["make_submission.py"] and "--names A. B" in calls[0]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
