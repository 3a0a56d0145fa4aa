"""lib/utils: one-sentence errors (run_main, the argument types), atomic writes, checkpoint loading, devices and the
training loops' stop request."""
import argparse
import errno
import os
import pickle
import signal
import sys

import pytest
import torch
from torch import nn

from lib.utils.checkpoints import StopRequest, load_checkpoint, load_state_dict_checked
from lib.utils.devices import pick_device
from lib.utils.errors import Interrupted, UserError, below_one, non_negative_float, nonempty_path, positive_float, \
    positive_int, run_main, seed
from lib.utils.files import atomic_path, prepare_output_dir, save_text, save_torch


def run_raising(capsys, error):
    """run_main on a main that raises ``error``: returns the exit status and stderr."""
    def main(argv):
        raise error
    with pytest.raises(SystemExit) as stopped:
        run_main(main)
    return stopped.value.code, capsys.readouterr().err


def test_run_main_ends_what_a_user_can_fix_in_one_sentence(capsys):
    assert run_raising(capsys, UserError("the thing is missing; do this")) == (
        2, "error: the thing is missing; do this\n")
    assert run_raising(capsys, Interrupted("stopped after epoch 3; resume it", 143)) == (
        143, "stopped after epoch 3; resume it\n")
    assert run_raising(capsys, KeyboardInterrupt()) == (130, "\ninterrupted (Ctrl-C)\n")
    status, err = run_raising(capsys, ModuleNotFoundError("No module named 'scipy.stats'", name="scipy.stats"))
    assert status == 2 and err.startswith("error: the package scipy is missing from this Python (")
    assert err.endswith(" -m pip install -r requirements.txt`\n") and err.count("\n") == 1
    for error in (MemoryError("Unable to allocate 7.45 TiB for an array"),
                  RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                               "you tried to allocate 400000000000 bytes"),
                  torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")):
        status, err = run_raising(capsys, error)
        assert status == 2 and err.startswith("error: out of memory (") and err.count("\n") == 1
        assert "use a smaller batch, model or number of images" in err
        assert ("nvidia-smi" in err) == isinstance(error, torch.cuda.OutOfMemoryError)


@pytest.mark.parametrize("error", [RuntimeError("a bug, not the user's doing"),
                                   ModuleNotFoundError("No module named 'lib.nothing'", name="lib.nothing")])
def test_run_main_keeps_the_traceback_of_a_bug(capsys, error):
    with pytest.raises(type(error)):
        run_raising(capsys, error)


@pytest.mark.parametrize("parse, text, message", [
    (positive_int, "0", "0 must be at least 1"), (positive_int, "ten", "'ten' is not a whole number"),
    (positive_int, "1.5", "'1.5' is not a whole number"), (positive_float, "0", "0 must be a finite number above 0"),
    (positive_float, "nan", "nan must be a finite number above 0"), (positive_float, "x", "'x' is not a number"),
    (non_negative_float, "-1", "-1 must be a finite number, at least 0"),
    (non_negative_float, "inf", "inf must be a finite number, at least 0"),
    (seed, "-1", "-1 must be from 0 to 4294967295"),
    (seed, "4294967296", "4294967296 must be from 0 to 4294967295"),
    (below_one, "1", "1 must be at least 0 and below 1"),
    (nonempty_path, " ", "an empty path was given; name a file or folder"),
])
def test_argument_types_refuse_bad_values(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as err:
        parse(text)
    assert str(err.value) == message


def test_argument_types_accept_good_values():
    assert positive_int("3") == 3 and positive_float("0.5") == 0.5 and non_negative_float("0") == 0.0
    assert seed("0") == 0 and seed("4294967295") == 2 ** 32 - 1 and below_one("0") == 0.0
    assert nonempty_path("results") == "results"


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed"),
                                     ValueError("a bug while writing")])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path, monkeypatch, failure):
    path = str(tmp_path / "checkpoint.pth")
    save_torch({"epoch": 1}, path)

    def half_then_fail(obj, tmp):
        with open(tmp, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip file")
        raise failure
    monkeypatch.setattr(torch, "save", half_then_fail)
    if isinstance(failure, ValueError):
        with pytest.raises(ValueError):  # not a full disk: the error itself
            save_torch({"epoch": 2}, path)
    else:
        with pytest.raises(UserError, match=r"^the disk is full, so {} was not written \(its previous version, if "
                                            r"any, is intact\); free some space and run the command again$".format(
                                                path.replace(".", r"\."))):
            save_torch({"epoch": 2}, path)
    monkeypatch.undo()
    assert os.listdir(str(tmp_path)) == ["checkpoint.pth"]
    assert load_checkpoint(path, "") == {"epoch": 1}


def test_atomic_writes_replace_whole_files_readable_by_all(tmp_path):
    path = str(tmp_path / "losses.json")
    save_text("old", path)
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise KeyboardInterrupt
    save_text("new", path)
    assert os.listdir(str(tmp_path)) == ["losses.json"] and open(path).read() == "new"
    if os.name == "posix":
        assert os.stat(path).st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_prepare_output_dir(tmp_path):
    assert prepare_output_dir(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
    assert os.path.isdir(str(tmp_path / "a" / "b"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="^cannot write into the folder .*; choose another one with --model_dir$"):
        prepare_output_dir(str(tmp_path / "file" / "sub"), "--model_dir")


class Pickled:
    """An object only pickle can store, which torch.load's safe mode refuses."""


def test_load_checkpoint_refuses_what_it_cannot_read_safely(tmp_path):
    with pytest.raises(UserError, match="^{} does not exist; train first$".format(tmp_path / "none.pth")):
        load_checkpoint(str(tmp_path / "none.pth"), "train first")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a checkpoint")
    with pytest.raises(UserError, match=r"junk.pth is not a checkpoint this project can read \(damaged or not a "
                                        r"torch file\); pass a file a training script wrote$"):
        load_checkpoint(str(junk), "")
    torch.save({"weight": torch.ones(1000)}, str(junk))
    junk.write_bytes(junk.read_bytes()[:500])  # cut short
    with pytest.raises(UserError, match=r"\(damaged or not a torch file\)"):
        load_checkpoint(str(junk), "")
    torch.save({"object": Pickled()}, str(junk))
    with pytest.raises(UserError, match=r"\(it stores Python objects, not loaded for safety\)"):
        load_checkpoint(str(junk), "")
    torch.save({"weight": torch.ones(2)}, str(junk))
    assert torch.equal(load_checkpoint(str(junk), "")["weight"], torch.ones(2))


def test_load_checkpoint_puts_a_gpu_checkpoint_on_the_cpu(tmp_path):
    """A file saved on a GPU names 'cuda:0' as its tensors' location: rewrite a CPU save into one, then load it."""
    import zipfile
    cpu_file, gpu_file = str(tmp_path / "cpu.pth"), str(tmp_path / "gpu.pth")
    torch.save({"w": torch.arange(3.0)}, cpu_file)
    cpu, cuda = b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"  # pickle's BINUNICODE: opcode, length, text
    with zipfile.ZipFile(cpu_file) as source, zipfile.ZipFile(gpu_file, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("data.pkl"):
                assert cpu in data
                data = data.replace(cpu, cuda)
            target.writestr(item, data)
    if not torch.cuda.is_available():
        with pytest.raises((RuntimeError, pickle.UnpicklingError), match="CUDA"):  # loading it as it is, here
            torch.load(gpu_file, weights_only=True)
    loaded = load_checkpoint(gpu_file, "")
    assert loaded["w"].device.type == "cpu" and torch.equal(loaded["w"], torch.arange(3.0))


def test_load_state_dict_checked_names_what_differs():
    small, big = nn.Linear(2, 3), nn.Linear(2, 4)
    with pytest.raises(UserError, match=r"^small.pth was saved from a model of another architecture or size "
                                        r"\(weight has shape \(3, 2\) in the file but \(4, 2\) in the model; bias has "
                                        r"shape \(3,\) in the file but \(4,\) in the model\); use the model flags of "
                                        r"its training run$"):
        load_state_dict_checked(big, small.state_dict(), "small.pth")
    with pytest.raises(UserError, match=r"\(bias is missing; extra is not part of this model\)"):
        load_state_dict_checked(big, {"weight": big.weight.detach(), "extra": torch.ones(1)}, "other.pth")
    with pytest.raises(UserError, match="^list.pth holds no model weights"):
        load_state_dict_checked(big, [1, 2], "list.pth")
    other = nn.Linear(2, 3)
    assert load_state_dict_checked(other, small.state_dict(), "small.pth") is other
    assert torch.equal(other.weight, small.weight)


def test_pick_device(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError, match="^--device 'gpu0' is not a device this project runs on; use cpu, cuda"):
        pick_device("gpu0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")
    with pytest.raises(UserError, match="^--device cuda:1 was asked for, but PyTorch sees no CUDA GPU here; use "
                                        "--device cpu$"):
        pick_device("cuda:1")


@pytest.mark.skipif(os.name == "nt", reason="signals cannot be raised in-process on Windows")
@pytest.mark.parametrize("number, name", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_stop_request_notes_the_first_signal_and_stops_at_the_second(number, name):
    said, before = [], signal.getsignal(number)
    with pytest.raises(KeyboardInterrupt):
        with StopRequest(said.append) as stop:
            signal.raise_signal(number)
            assert stop.signal == number and said == [
                "\n{}: finishing this epoch, then writing a checkpoint (press Ctrl-C again to stop at once)".format(
                    name)]
            signal.raise_signal(number)
    assert signal.getsignal(number) is before  # the handler found before is back


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
