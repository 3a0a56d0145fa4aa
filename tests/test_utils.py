"""lib/utils: one-sentence errors (run_main, the argument types), atomic writes, checkpoint loading, devices, and a
training run's life: its folder held, the stop request and a NaN loss."""
import argparse
import errno
import os
import pickle
import shutil
import signal
import subprocess
import sys

import pytest
import torch
from torch import nn

import lib.utils.files
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.devices import pick_device
from lib.utils.errors import Interrupted, UserError, below_one, non_negative_float, nonempty_path, positive_float, \
    positive_int, run_main, seed
from lib.utils.files import atomic_path, prepare_output_dir, save_text, save_torch, show_images
from lib.utils.runs import StopRequest, check_finite, claimed_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


@pytest.mark.parametrize("failure, free", [
    (OSError(errno.ENOSPC, "No space left on device"), 10 ** 9),
    (RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed"), 10 ** 9),
    (RuntimeError("basic_ios::clear: iostream error"), 10 ** 9),  # torch 2.14, then:
    (RuntimeError("[enforce fail at inline_container.cc:672] unexpected pos 64 vs 0"), 10 ** 9),
    (RuntimeError("a text no torch version has written yet"), 4096),  # the free space decides
    (ValueError("a bug while writing"), 0)])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path, monkeypatch, failure, free):
    path = str(tmp_path / "my run" / "checkpoint.pth")
    os.makedirs(os.path.dirname(path))
    save_torch({"epoch": 1}, path)

    def half_then_fail(obj, tmp):
        with open(tmp, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip file")
        raise failure
    monkeypatch.setattr(torch, "save", half_then_fail)
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(10 ** 10, 10 ** 10, free))
    if isinstance(failure, ValueError):
        with pytest.raises(ValueError):  # not a full disk: the error itself
            save_torch({"epoch": 2}, path)
    else:
        with pytest.raises(UserError) as err:
            save_torch({"epoch": 2}, path)
        assert str(err.value) == "the disk is full, so '{}' was not written (its previous version, if any, is " \
                                 "intact); free some space and run the command again".format(path)
    monkeypatch.undo()
    assert os.listdir(os.path.dirname(path)) == ["checkpoint.pth"]
    assert load_checkpoint(path, "") == {"epoch": 1}


class OnGpu(torch.Tensor):
    """A CPU tensor that says it lives on a GPU, as a GPU run's weights do; .cpu() gives a plain tensor."""

    @property
    def device(self):
        return torch.device("cuda", 0)

    def cpu(self):
        return self.as_subclass(torch.Tensor)


def test_every_tensor_a_file_holds_is_a_cpu_tensor(tmp_path, monkeypatch):
    weights = torch.arange(6.0).view(2, 3)
    optimizer = {"state": {0: {"exp_avg": weights.as_subclass(OnGpu), "step": torch.tensor(3.0)}},
                 "param_groups": [{"params": [0], "betas": (0.5, 0.999)}]}
    checkpoint = {"model": {"w": weights.as_subclass(OnGpu)}, "optimizer": optimizer, "noise": [weights.as_subclass(
        OnGpu)], "epoch": 2}
    saved = []
    monkeypatch.setattr(torch, "save", lambda obj, path: saved.append(obj))
    save_torch(checkpoint, str(tmp_path / "checkpoint.pth"))
    found = []

    def tensors(item):
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, (list, tuple)):
            return [tensor for value in item for tensor in tensors(value)]
        return [item] if torch.is_tensor(item) else []
    found = tensors(saved[0])
    assert len(found) == 4 and not any(isinstance(tensor, OnGpu) for tensor in found)
    assert torch.equal(saved[0]["model"]["w"], weights) and saved[0]["optimizer"]["param_groups"][0]["betas"] == (
        0.5, 0.999)
    assert type(checkpoint["model"]["w"]) is OnGpu  # the caller's objects are left as they were


def test_a_state_dict_is_saved_byte_for_byte_as_torch_saves_it(tmp_path):
    model = torch.nn.BatchNorm2d(3)
    torch.save(model.state_dict(), str(tmp_path / ".ours.pth"))  # the temporary name save_torch writes to
    save_torch(model.state_dict(), str(tmp_path / "ours.pth"))
    assert (tmp_path / ".ours.pth").read_bytes() == (tmp_path / "ours.pth").read_bytes()  # _metadata kept


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
    with pytest.raises(UserError, match=r"^cannot write into the folder .*/file/sub \(a file is in the way\); choose "
                                        r"another one with --model_dir$"):
        prepare_output_dir(str(tmp_path / "file" / "sub"), "--model_dir")
    with pytest.raises(UserError, match=r"^cannot write into the folder '.*/a file' \(a file is in the way\); make it "
                                        r"writable$"):
        (tmp_path / "a file").write_text("x")
        prepare_output_dir(str(tmp_path / "a file"), None)


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
def test_stop_request_notes_the_first_signal_and_stops_at_the_second(tmp_path, number, name):
    said, before = [], signal.getsignal(number)
    with pytest.raises(Interrupted) as stopped:
        with StopRequest(str(tmp_path), "train.py", said.append) as stop:
            for epoch in stop.epochs(1, 3):
                signal.raise_signal(number)
                assert stop.signal == number and said == [
                    "\n{}: finishing this epoch, then writing a checkpoint (press Ctrl-C again to stop at once)".format(
                        name)]
                signal.raise_signal(number)
    assert str(stopped.value) == "training stopped at once in epoch 1; no checkpoint was written, so start it again"
    assert signal.getsignal(number) is before  # the handler found before is back


@pytest.mark.skipif(os.name == "nt", reason="signals cannot be raised in-process on Windows")
def test_stop_request_ends_after_the_epoch_and_after_the_last_one_when_the_run_is_complete(tmp_path):
    run_dir = tmp_path / "my run"
    run_dir.mkdir()
    (run_dir / "checkpoint.pth").write_bytes(b"")
    trained, saved = [], []
    with pytest.raises(Interrupted) as stopped:
        with StopRequest(str(run_dir), "train.py", lambda text: None) as stop:
            for epoch in stop.epochs(1, 5, save=lambda: saved.append(epoch)):
                trained.append(epoch)
                if epoch == 2:
                    signal.raise_signal(signal.SIGTERM)
    assert trained == [1, 2] and saved == [2] and stopped.value.exit_status == 143
    assert str(stopped.value) == "training stopped after epoch 2 of 5; '{0}/checkpoint.pth' holds it: continue with " \
                                 "`python train.py --resume '{0}'`".format(run_dir)
    finished = []
    with pytest.raises(Interrupted) as stopped:  # in the last epoch: the run finishes, then stops
        with StopRequest(str(run_dir), "train.py", lambda text: None) as stop:
            for epoch in stop.epochs(1, 2):
                if epoch == 2:
                    signal.raise_signal(signal.SIGINT)
            finished.append("final files")
    assert finished == ["final files"] and stopped.value.exit_status == 130
    assert str(stopped.value) == "training finished its last epoch before stopping; the run in '{}' is " \
                                 "complete".format(run_dir)


def test_a_folder_holds_one_run_at_a_time(tmp_path):
    folder = str(tmp_path / "my run")
    with claimed_folder(folder) as held:
        assert held == folder and os.path.isdir(folder)
        if os.name == "posix":
            with pytest.raises(UserError) as err:
                with claimed_folder(folder):
                    pass
            assert str(err.value) == "another training run is writing into '{}' right now; wait for it to end, or " \
                                     "choose another --output_dir".format(folder)
            assert os.path.isdir(folder)  # the refused run does not remove the other's folder
        with claimed_folder(folder, new=True) as other, claimed_folder(folder, new=True) as third:
            assert (other, third) == (folder + "-2", folder + "-3")  # a new run never shares a folder
            open(os.path.join(other, "file"), "w").close()
    assert sorted(os.listdir(str(tmp_path))) == ["my run-2"]  # folders left empty are removed
    with claimed_folder(folder):
        pass
    assert not os.path.exists(folder)


@pytest.mark.parametrize("values, suspects, advice", [
    ([1.0, float("nan")], {"lr": (1e30, 2e-4), "beta1": (0.5, 0.5)}, "--lr 1e+30 (default 0.0002) nearer the default"),
    ([float("inf")], {"lr": (1e-3, 1e-3), "kl_loss_weight": (1e40, 1.0)},
     "--kl_loss_weight 1e+40 (default 1) nearer the default"),
    ([float("nan")], {"lr": (1e-3, 1e-3)}, "another --seed")])
def test_a_nan_loss_names_the_setting_at_fault(tmp_path, values, suspects, advice):
    check_finite([1.0, 2.0], 1, str(tmp_path), suspects)  # finite: nothing happens
    with pytest.raises(UserError) as err:
        check_finite(values, 3, str(tmp_path), suspects)
    assert str(err.value) == "the loss became NaN or infinite in epoch 3, so training stopped (no checkpoint was " \
                             "written); start a new run with " + advice
    (tmp_path / "checkpoint.pth").write_bytes(b"")
    with pytest.raises(UserError, match=r"\(.*checkpoint.pth holds an earlier epoch\); start a new run with"):
        check_finite(values, 3, str(tmp_path), suspects)


def test_show_without_a_display_says_so_and_keeps_the_files(tmp_path, capsys):
    path = str(tmp_path / "figure.png")
    import matplotlib.pyplot as plt
    plt.imsave(path, torch.zeros(4, 4, 3).numpy())
    show_images([path])  # the tests draw with Agg, as a machine without a display does
    assert capsys.readouterr().err.lower() == "warning: --show found no display (matplotlib's backend is agg), so " \
                                              "the figures are in their files only\n"
    assert os.path.isfile(path)


def test_a_wrong_mplbackend_ends_in_one_sentence(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "plot_normal.py"), "--output_dir", str(tmp_path)],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            env=dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="nonsense"))
    assert result.returncode == 2 and result.stderr == "error: the environment variable MPLBACKEND=nonsense names no " \
                                                       "matplotlib backend; unset it, or set it to Agg\n"


def test_keep_freed_memory_sets_glibc_thresholds_on_linux_and_nothing_elsewhere(monkeypatch):
    import ctypes
    import lib.utils.devices as devices
    calls = []

    class FakeLibc:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1
    monkeypatch.setattr(devices.sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    assert devices.keep_freed_memory() is True
    assert calls == [(-3, 32 << 20), (-1, 1 << 30)]  # M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB
    monkeypatch.setattr(devices.sys, "platform", "win32")
    assert devices.keep_freed_memory() is False and len(calls) == 2


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
