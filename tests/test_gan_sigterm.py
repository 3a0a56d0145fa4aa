"""Part 4: SIGTERM (what Slurm, timeout, docker stop and kill send) stops a GAN run like Ctrl-C: the epoch is
finished, a checkpoint written, the resume command printed, exit status 143."""
import glob
import os
import sys

import pytest

from lib.utils.checkpoints import load_checkpoint
from tests.fakes import TINY_GAN, make_flower_folder, start_script, terminate_once_written

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM cannot be caught on Windows")
def test_sigterm_stops_a_gan_run_with_a_checkpoint_and_the_resume_command(tmp_path):
    flowers = make_flower_folder(tmp_path / "flowers", count=8)
    process = start_script([os.path.join(ROOT, "run_gan_training.py"), "--data_dir", flowers, "--output_dir",
                            str(tmp_path / "out"), "--epochs", "100000"] + TINY_GAN, tmp_path)
    import torch  # noqa: F401 (load_checkpoint needs it: imported now, on the other core, while the script starts)
    status, out, err = terminate_once_written(process, str(tmp_path / "out" / "run_*" / "samples" / "iter_000010.png"))
    (run_dir,) = glob.glob(str(tmp_path / "out" / "run_*"))
    assert status == 143 and "Traceback" not in err, err
    assert "SIGTERM: finishing this epoch, then writing a checkpoint" in out
    assert "checkpoint written. Resume with:\n  python run_gan_training.py --resume {}".format(run_dir) in out
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] >= 5 and checkpoint["iteration"] == 2 * checkpoint["epoch"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
