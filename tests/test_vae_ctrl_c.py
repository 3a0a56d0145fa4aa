"""Part 3: Ctrl-C stops run_vae_training.py, started as a user starts it, with a checkpoint and the command that
resumes it (exit status 130); the resumed run finishes."""
import os
import signal
import sys

import pytest

import run_vae_training
from lib.utils.checkpoints import load_checkpoint
from tests.fakes import in_background, skip_loss_plots, start_script, warm_up_vae_training

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child process on Windows")
def test_ctrl_c_writes_a_checkpoint_and_says_how_to_resume(tmp_path, fake_data_dir, capsys, monkeypatch):
    run_dir = str(tmp_path / "run")
    process = start_script(["-u", "run_vae_training.py", "--data_dir", fake_data_dir, "--output_dir", run_dir,
                            "--epochs", "500", "--quiet"], ROOT)
    # The resume below needs torch and its dynamo; imported while the script starts, on the other core.
    warm_up = in_background(warm_up_vae_training)
    for line in process.stdout:
        if line.startswith("epoch"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    warm_up.result()
    assert process.returncode == 130 and "Traceback" not in err
    assert "holds that state; resume with `python run_vae_training.py --resume {}`".format(run_dir) in err
    assert os.path.isfile(os.path.join(run_dir, "checkpoint.pth")) and not os.path.exists(
        os.path.join(run_dir, "model.pth"))
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    skip_loss_plots(monkeypatch)  # the resumed run is here to finish: its loss curve is drawn elsewhere
    run_vae_training.main(["--resume", run_dir, "--epochs", str(checkpoint["epoch"] + 1), "--quiet",
                           "--data_dir", fake_data_dir])
    assert os.path.isfile(os.path.join(run_dir, "model.pth"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
