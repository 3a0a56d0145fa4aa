"""Ctrl-C outside the training loops (while importing, loading or writing) ends in one line and exit status 130."""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from lib.data_setup import link_flowers

from lib.packages import INTERRUPTED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSIX_SIGNALS = pytest.mark.skipif(os.name == "nt", reason="signals cannot be sent to a child process on Windows")

# plot_clt.py run as the main script, with Figure.savefig replaced by one that writes half a file and then receives
# a real SIGINT: the interrupt arrives in the middle of the script's work, inside lib.utils.files.atomic_path.
INTERRUPTED_SAVEFIG = """
import os, runpy, signal, sys, time
import matplotlib.figure

def half_written_then_ctrl_c(self, fname, **kwargs):
    with open(fname, "wb") as handle:
        handle.write(b"\\x89PNG half")
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # the signal arrives here

matplotlib.figure.Figure.savefig = half_written_then_ctrl_c
sys.argv = ["plot_clt.py", "--n_repetitions", "16", "--sample_sizes", "1", "4"]
runpy.run_path(os.path.join({root!r}, "plot_clt.py"), run_name="__main__")
"""


def _python(code, cwd):
    """Start ``python -c code`` with Ctrl-C at its default (pytest itself may run with SIGINT ignored, `... &`)."""
    return subprocess.Popen([sys.executable, "-c", code], cwd=str(cwd), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True,
                            env=dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@POSIX_SIGNALS
def test_ctrl_c_anywhere_after_lib_packages_is_one_line_and_status_130(tmp_path):
    process = _python("import lib.packages, time\nprint('ready', flush=True)\ntime.sleep(30)", tmp_path)
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == "\n" + INTERRUPTED + "\n"


@POSIX_SIGNALS
def test_ctrl_c_while_a_root_script_saves_its_figure_leaves_no_file_behind(tmp_path):
    process = _python(INTERRUPTED_SAVEFIG.format(root=ROOT), tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert err.strip() == INTERRUPTED
    assert os.listdir(str(tmp_path / "results_distributions")) == []  # the half-written temporary file is gone


def test_a_flowers_copy_interrupted_halfway_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    for split in ("train", "val"):
        (tmp_path / "source" / split).mkdir(parents=True)
        for k in range(3):
            (tmp_path / "source" / split / "{}.png".format(k)).write_bytes(b"image")
    copied, copyfile = [], shutil.copyfile

    def copy_then_ctrl_c(source, target, **kwargs):  # what shutil.copytree's copy2 calls per file
        if len(copied) == 4:
            raise KeyboardInterrupt
        copied.append(copyfile(source, target, **kwargs))

    monkeypatch.setattr(shutil, "copyfile", copy_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        link_flowers(str(tmp_path / "source"), str(tmp_path / "target"), copy=True)
    assert os.listdir(str(tmp_path / "target")) == ["train"]  # val/ was half copied: removed, copied next time
    monkeypatch.undo()
    assert link_flowers(str(tmp_path / "source"), str(tmp_path / "target"), copy=True) == ["val"]
    assert sorted(os.listdir(str(tmp_path / "target" / "val"))) == ["0.png", "1.png", "2.png"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
