"""The training loops' signal handling: the first Ctrl-C or SIGTERM is named, a second one stops at once (130) and
names the newest checkpoint with the state it holds, in both trainers and before the VAE's training starts."""
import os
import signal
import sys

import pytest
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import lib.train_vae
import run_gan_training
import run_vae_training
from lib.model_vae import VAE
from lib.train_vae import setup_mnist_dataloader, train_vae
from lib.training_run import StopRequest
from lib.utils.errors import Interrupted, run_main
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


@POSIX_SIGNALS
def test_a_second_ctrl_c_stops_a_vae_run_at_once_and_one_before_training_names_the_checkpoint_resumed(
        fake_data_dir, tmp_path, monkeypatch, capsys):
    def press_ctrl_c_twice(model, epoch, step):
        if (epoch, step) == (2, 1):
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)

    train_loader, test_loader = setup_mnist_dataloader(128, fake_data_dir, shuffle_seed=0)
    with pytest.raises(Interrupted) as stopped:
        train_vae(VAE(), train_loader, test_loader, num_epochs=3, save_images=False, output_dir=str(tmp_path),
                  quiet=True, callback=press_ctrl_c_twice)
    checkpoint = os.path.join(str(tmp_path), "checkpoint.pth")
    assert str(stopped.value) == (
        "interrupted at once in epoch 2; the last checkpoint {} (end of epoch 1) is kept: resume it with `python "
        "run_vae_training.py --resume {}`".format(checkpoint, tmp_path))

    def ctrl_c_while_loading(*args, **kwargs):  # outside train_vae: run_vae_training.py names the checkpoint
        raise KeyboardInterrupt
    monkeypatch.setattr(lib.train_vae, "setup_mnist_dataloader", ctrl_c_while_loading)
    with pytest.raises(SystemExit) as stopped:
        run_main(run_vae_training.main, ["--resume", str(tmp_path), "--epochs", "3", "--data_dir", fake_data_dir])
    assert stopped.value.code == 130
    assert capsys.readouterr().err.startswith(
        "interrupted at once; the last checkpoint {} (end of epoch 1) is kept".format(checkpoint))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
