"""A full disk while a run writes: one sentence naming the folder, the last good checkpoint intact, no temporary
files left."""
import errno
import glob
import os
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import run_gan_training
from lib.utils.checkpoints import load_checkpoint
from lib.utils.errors import UserError
from lib.utils.files import atomic_path, save_text
from tests.fakes import TINY_GAN, make_flower_folder, one_sentence


def test_full_disk_while_writing_a_gan_checkpoint(tmp_path, capsys, monkeypatch):
    flowers = make_flower_folder(tmp_path / "flowers", count=8)
    original, checkpoints = torch.save, []

    def save_until_the_disk_is_full(obj, path, *args, **kwargs):
        if ".checkpoint.pth." in os.path.basename(str(path)):
            checkpoints.append(path)
            if len(checkpoints) == 3:  # at the start, after epoch 1, after epoch 2: the third fails half-way
                with open(path, "wb") as handle:
                    handle.write(b"PK\x03\x04 half a zip file")
                raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 3072 vs 2983")
        return original(obj, path, *args, **kwargs)
    monkeypatch.setattr(torch, "save", save_until_the_disk_is_full)
    err = one_sentence(capsys, run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"),
                                                       "--epochs", "4", "--checkpoint_every", "1"] + TINY_GAN)
    (run_dir,) = glob.glob(str(tmp_path / "out" / "run_*"))
    assert "the disk holding {} is full, so writing checkpoint.pth failed".format(run_dir) in err
    assert "the last good checkpoint, is intact" in err and "--resume" in err
    assert not [name for name in os.listdir(run_dir) if name.endswith(".tmp")]
    monkeypatch.setattr(torch, "save", original)
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 1


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     RuntimeError("PytorchStreamWriter failed writing file data/0: file write "
                                                  "failed")])
def test_full_disk_keeps_the_previous_file(tmp_path, failure):
    path = str(tmp_path / "losses.json")
    save_text("the good version", path)
    with pytest.raises(UserError, match="the disk holding {} is full, so writing losses.json failed".format(
            tmp_path)):
        with atomic_path(path) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise failure
    assert os.listdir(str(tmp_path)) == ["losses.json"] and open(path).read() == "the good version"


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
