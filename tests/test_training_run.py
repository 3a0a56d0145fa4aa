"""The run machinery both trainers share (lib/training_run.py): random states in checkpoints, old and new, the
newest checkpoint in words, and the sentence of a run stopped at once. (Signals: test_stop_request.py.)"""
import os
import shutil
import signal
import sys

import pytest
import torch

from lib.model_vae import VAE
from lib.train_vae import TrainingInterrupted, setup_mnist_dataloader, train_vae
from lib.training_run import LastCheckpoint, random_state, restore_random_state, stopped_at_once_error
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import seed_everything


def test_a_random_state_puts_back_the_global_stream_and_the_data_order():
    data = torch.Generator().manual_seed(4)
    state = random_state(torch.device("cpu"), data)
    assert state["cuda"] is None and state["data"].numel() == data.get_state().numel()
    first = (torch.rand(3), torch.randperm(10, generator=data))
    restore_random_state(state, torch.device("cpu"), data)
    again = (torch.rand(3), torch.randperm(10, generator=data))
    assert all(torch.equal(a, b) for a, b in zip(first, again))


def test_the_last_checkpoint_in_words():
    last = LastCheckpoint("run/checkpoint.pth")
    assert not last.written and not LastCheckpoint(None, 0).written
    last.mark(0)
    assert last.written and last.describe() == "before the first epoch"
    last.mark(3)
    assert last.written and last.describe() == "end of epoch 3"
    last.mark(3, 17)
    assert last.describe() == "epoch 4, batch 17"


def test_a_resumed_run_starts_with_the_checkpoint_it_resumed_from():
    assert not LastCheckpoint.of_run("run/checkpoint.pth").written  # a new run: none yet
    mid_epoch = LastCheckpoint.of_run("run/checkpoint.pth", {"epoch": 2, "step": 17})  # a VAE's, after a Ctrl-C
    assert mid_epoch.written and mid_epoch.describe() == "epoch 3, batch 17"
    assert LastCheckpoint.of_run("run/checkpoint.pth", {"epoch": 4}).describe() == "end of epoch 4"  # a GAN's
    first = LastCheckpoint.of_run("run/checkpoint.pth", {"epoch": 0, "step": 0})  # the file is there all the same
    assert first.written and first.describe() == "before the first epoch"


def test_a_run_stopped_at_once_names_its_checkpoint_and_the_command_that_resumes_it():
    none_yet = LastCheckpoint("out/run a/checkpoint.pth")
    assert str(stopped_at_once_error("run_gan_training.py", "out/run a", none_yet, epoch=2)) == \
        "interrupted at once in epoch 2; nothing was saved"
    said = str(stopped_at_once_error("run_gan_training.py", "out/run a", LastCheckpoint("out/run a/checkpoint.pth", 1),
                                     2))
    assert said == ("interrupted at once in epoch 2; the last checkpoint out/run a/checkpoint.pth (end of epoch 1) is "
                    "kept: resume it with `python run_gan_training.py --resume 'out/run a'`")


def _train(data_dir, output_dir, checkpoint=None, callback=None):
    seed_everything(0 if checkpoint is None else 123)
    train_loader, test_loader = setup_mnist_dataloader(128, data_dir, shuffle_seed=0)
    model = VAE()
    train_vae(model, train_loader, test_loader, num_epochs=2, save_images=False, output_dir=str(output_dir),
              quiet=True, checkpoint=checkpoint, callback=callback)
    return model


def test_a_vae_checkpoint_written_before_the_shared_random_state_resumes_the_same(fake_data_dir, tmp_path):
    """Until the trainers shared lib/training_run.py, the VAE stored its shuffle order's state under "generator"
    and no "cuda" entry on a CPU."""
    def press_ctrl_c(model, epoch, step):
        if (epoch, step) == (2, 2):
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted) as stop:
        _train(fake_data_dir, tmp_path / "new", callback=press_ctrl_c)
    shutil.copytree(str(tmp_path / "new"), str(tmp_path / "old"))
    checkpoint = load_checkpoint(stop.value.checkpoint_path, "")
    old = load_checkpoint(stop.value.checkpoint_path, "")
    old["rng"] = {when: {"torch": state["torch"], "generator": state["data"]} for when, state in old["rng"].items()}
    resumed = _train(fake_data_dir, tmp_path / "new", checkpoint=checkpoint)
    resumed_old = _train(fake_data_dir, tmp_path / "old", checkpoint=old)
    assert all(torch.equal(a, b) for a, b in zip(resumed.state_dict().values(), resumed_old.state_dict().values()))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
