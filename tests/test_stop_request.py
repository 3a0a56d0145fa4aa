"""The training loops' signal handling: the first Ctrl-C or SIGTERM is named, a second one stops at once (130)."""
import os
import signal
import sys

import pytest

import run_gan_training
from lib.training_run import StopRequest
from lib.utils.errors import run_main
from tests.fakes import make_flower_folder

POSIX_SIGNALS = pytest.mark.skipif(os.name == "nt", reason="SIGTERM cannot be caught on Windows")


@POSIX_SIGNALS
@pytest.mark.parametrize("signum, name, again", [(signal.SIGINT, "Ctrl-C", "Ctrl-C again"),
                                                 (signal.SIGTERM, "SIGTERM", "another SIGTERM, or Ctrl-C,")])
def test_the_first_signal_is_named_with_what_stops_at_once_and_the_second_stops(signum, name, again):
    said = []
    before = signal.getsignal(signum)
    with pytest.raises(KeyboardInterrupt):
        with StopRequest("finishing this epoch", said.append) as stop:
            signal.raise_signal(signum)
            assert stop.requested == signum
            signal.raise_signal(signum)
    assert said == ["\n{}: finishing this epoch ({} stops at once)".format(name, again)]
    assert signal.getsignal(signum) is before


@POSIX_SIGNALS
def test_a_second_ctrl_c_stops_a_gan_run_at_once_with_status_130(tmp_path, monkeypatch, capsys):
    import lib.train_gan as train_gan_module
    flowers = make_flower_folder(tmp_path / "flowers", count=8)
    original = train_gan_module.generator_step

    def press_ctrl_c_twice(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr(train_gan_module, "generator_step", press_ctrl_c_twice)
    with pytest.raises(SystemExit) as stopped:
        run_main(run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"), "--epochs",
                                         "3", "--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu",
                                         "--quiet"])
    err = capsys.readouterr().err
    assert stopped.value.code == 130
    assert err.startswith("interrupted at once in epoch 1; the last checkpoint ") and "--resume" in err


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
