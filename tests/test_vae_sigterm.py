"""Part 3: SIGTERM (what Slurm, timeout, docker stop and kill send) stops a VAE run like Ctrl-C: a checkpoint is
written and the resume command named, exit status 143."""
import importlib
import os
import sys

import pytest

from lib.utils.checkpoints import load_checkpoint
from tests.fakes import in_background, start_and_terminate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM cannot be caught on Windows")
def test_sigterm_stops_a_vae_run_with_a_checkpoint_and_the_resume_command(tmp_path, fake_data_dir):
    run_dir = str(tmp_path / "run")
    # load_checkpoint below imports torch: 3 s of CPU, spent on the other core while the script starts and trains.
    torch_imported = in_background(lambda: importlib.import_module("torch"))
    status, out, err = start_and_terminate(
        [os.path.join(ROOT, "run_vae_training.py"), "--data_dir", fake_data_dir, "--output_dir", run_dir,
         "--epochs", "100000", "--quiet", "--device", "cpu"], os.path.join(run_dir, "checkpoint.pth"), tmp_path)
    torch_imported.result()
    assert status == 143 and "Traceback" not in err, err
    assert "resume with `python run_vae_training.py --resume {}`".format(run_dir) in err
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] >= 1


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
