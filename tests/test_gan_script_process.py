"""Part 4: run_gan_training.py started as a user starts it, as its own process: a mistake ends in one sentence on
stderr with exit status 2 and no traceback. (This file imports no torch: the process it starts does.)"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_script_fails_without_traceback_as_a_subprocess(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "run_gan_training.py"), "--data_dir",
                           str(tmp_path / "none"), "--output_dir", str(tmp_path / "out")], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: the flowers folder {} does not exist".format(tmp_path / "none"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
