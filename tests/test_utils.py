"""Shared helpers: argument types, devices, atomic writes, checkpoint loading with clear errors."""
import argparse
import gc
import inspect
import os
import platform
import stat
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from lib.utils.arguments import below_one, iso_date, non_negative_float, positive_float, positive_int, seed
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.devices import has_fast_bfloat16, keep_freed_memory, pick_device
from lib.utils.errors import UserError, run_main
from lib.utils.files import atomic_path, prepare_output_dir, prepare_output_file, save_image_grid, save_text, \
    save_torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("parse, text", [(positive_int, "0"), (positive_int, "-3"), (positive_int, "ten"),
                                         (positive_int, "1.5"), (positive_float, "0"), (positive_float, "nan"),
                                         (non_negative_float, "-1"), (non_negative_float, "inf"), (seed, "-1"),
                                         (seed, "4294967296"), (below_one, "1"), (below_one, "-0.1"),
                                         (iso_date, "yesterday"), (iso_date, "2022-13-45"), (iso_date, "2023-02-29"),
                                         (iso_date, "2022-1-5"), (iso_date, "20220105"), (iso_date, "")])
def test_argument_types_reject_bad_values(parse, text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse(text)


def test_argument_types_accept_good_values():
    assert positive_int("3") == 3 and positive_float("0.5") == 0.5 and non_negative_float("0") == 0.0
    assert seed("0") == 0 and seed("4294967295") == 2 ** 32 - 1 and below_one("0") == 0.0
    assert iso_date("2024-02-29") == "2024-02-29" and iso_date("1999-12-31") == "1999-12-31"  # a leap day exists


def test_run_main_turns_user_errors_into_one_line(capsys):
    def main(argv):
        raise UserError("the thing is missing; do this")
    with pytest.raises(SystemExit) as exit_info:
        run_main(main)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: the thing is missing; do this\n"


def test_run_main_freezes_the_objects_at_exit_only(tmp_path):
    """Python's last garbage collection, 1.5 to 2.5 s with torch imported, skips frozen objects; run_main freezes
    them when the process exits, not when main returns (a test's objects must stay collectable)."""
    frozen = gc.get_freeze_count()
    assert run_main(lambda argv: argv, ["x"]) == ["x"] and gc.get_freeze_count() == frozen
    code = ("import atexit, gc, sys\n"
            "print(gc.get_freeze_count())  # 0, or a few hundred on Python 3.12\n"
            "atexit.register(lambda: print(gc.get_freeze_count(), len(gc.get_objects())))  # runs after run_main's\n"
            "from lib.utils.errors import run_main\n"
            "run_main(lambda argv: print(gc.get_freeze_count()))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout.split()
    at_start, main_returned, at_exit, not_frozen = (int(count) for count in out)
    assert main_returned == at_start
    assert at_exit > at_start + 5000 and not_frozen < 500, out  # all but what the atexit call itself made


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type in ("cpu", "cuda")
    with pytest.raises(UserError, match="not a device name"):
        pick_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="--device cpu"):
            pick_device("cuda")


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64")
                    or not hasattr(getattr(torch.backends, "cpu", None), "get_cpu_capability"),
                    reason="needs x86 and torch.backends.cpu.get_cpu_capability (torch 2.0 and newer)")
def test_has_fast_bfloat16_agrees_with_the_cpu():
    # oneDNN computes bfloat16 natively from AVX-512 on; below that only some AVX2 chips (AVX2-VNNI-2) do
    capability = torch.backends.cpu.get_cpu_capability()
    fast = has_fast_bfloat16(torch.device("cpu"))
    assert fast if capability.startswith("AVX512") else (not fast or capability == "AVX2")


@pytest.mark.parametrize("error", [MemoryError("Unable to allocate 7.45 TiB for an array"),
                                   RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: "
                                                "can't allocate memory: you tried to allocate 400000000000 bytes")])
def test_run_main_turns_running_out_of_memory_into_one_line(capsys, error):
    def main(argv):
        raise error
    with pytest.raises(SystemExit) as stop:
        run_main(main)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: out of memory (") and "choose smaller sizes" in err and len(err.splitlines()) == 1


def test_run_main_lets_other_runtime_errors_through():
    def main(argv):
        raise RuntimeError("a bug, not the user's doing")
    with pytest.raises(RuntimeError, match="a bug"):
        run_main(main)


def test_prepare_output_file(tmp_path):
    assert prepare_output_file(str(tmp_path / "new" / "x.png")) == str(tmp_path / "new" / "x.png")
    assert (tmp_path / "new").is_dir()
    with pytest.raises(UserError, match="is a folder; pass the path of a file to --output"):
        prepare_output_file(str(tmp_path))
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="a file of that name exists"):
        prepare_output_file(str(tmp_path / "file" / "x.png"), "--text_output")


def test_prepare_output_dir(tmp_path):
    assert os.path.isdir(prepare_output_dir(str(tmp_path / "a" / "b")))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="--output_dir"):
        prepare_output_dir(str(blocker / "sub"))


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = str(tmp_path / "model.pth")
    save_torch({"w": torch.ones(2)}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as handle:
                handle.write(b"half")
            raise RuntimeError("crash while writing")
    assert os.listdir(str(tmp_path)) == ["model.pth"]
    assert torch.equal(load_checkpoint(target, "")["w"], torch.ones(2))


@pytest.mark.parametrize("shape, nrow, padding, value_range", [
    ((5, 3, 6, 4), 2, 2, (-1, 1)),  # a partly empty last row; GAN pixels in [-1, 1], some outside it
    ((16, 1, 7, 7), 8, 2, None),  # grey digits in [0, 1] become RGB
    ((3, 3, 5, 5), 8, 0, None),  # no padding; fewer images than a row holds
    ((1, 1, 6, 6), 8, 2, (-1, 1)),  # a single image: torchvision leaves out its padding
    ((1, 3, 5, 7), 8, 2, None),  # and a single colour image
])
def test_image_grids_have_torchvisions_bytes(tmp_path, shape, nrow, padding, value_range):
    import torchvision.utils
    images = torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.3
    for name in ("grid.png", "grid.jpg"):
        ours, theirs = str(tmp_path / name), str(tmp_path / ("torchvision_" + name))
        save_image_grid(images, ours, nrow=nrow, padding=padding, value_range=value_range)
        grid = torchvision.utils.make_grid(images, nrow=nrow, padding=padding, normalize=value_range is not None,
                                           value_range=value_range)
        torchvision.utils.save_image(grid, theirs, format="jpeg" if name.endswith("jpg") else "png")
        with open(ours, "rb") as a, open(theirs, "rb") as b:
            assert a.read() == b.read()


@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX notion")
def test_atomic_writes_get_the_mode_of_a_normal_file(tmp_path):
    save_text("x", str(tmp_path / "a.txt"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(str(tmp_path / "a.txt")).st_mode) == 0o666 & ~umask  # not mkstemp's private 0600


class _Pickled:
    pass


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist; train first"):
        load_checkpoint(str(tmp_path / "missing.pth"), "train first")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a checkpoint")
    with pytest.raises(UserError, match="junk.pth is not a checkpoint this project can read .it is no PyTorch file"):
        load_checkpoint(str(junk), "")
    truncated = tmp_path / "truncated.pth"
    torch.save({"weight": torch.ones(100)}, str(truncated))
    truncated.write_bytes(truncated.read_bytes()[:300])
    with pytest.raises(UserError, match="not a checkpoint this project can read .it is damaged, truncated"):
        load_checkpoint(str(truncated), "")
    pickled = str(tmp_path / "pickled.pth")
    torch.save({"object": _Pickled()}, pickled)
    if "weights_only" in inspect.signature(torch.load).parameters:
        with pytest.raises(UserError, match="it stores Python objects, which are not loaded for safety"):
            load_checkpoint(pickled, "")


def test_load_state_dict_checked_names_the_shapes():
    small, big = nn.Linear(2, 3), nn.Linear(2, 4)
    with pytest.raises(UserError, match=r"weight has shape \(3, 2\) in the file but \(4, 2\) in the model"):
        load_state_dict_checked(big, small.state_dict(), "small.pth")
    with pytest.raises(UserError, match="holds no model weights"):
        load_state_dict_checked(big, [1, 2], "list.pth")
    other = nn.Linear(2, 3)
    load_state_dict_checked(other, small.state_dict(), "small.pth")
    assert torch.equal(other.weight, small.weight)


@pytest.mark.filterwarnings("ignore:You are using `torch.load`:FutureWarning")  # torch 2.4-2.5: plain load warns
def test_load_checkpoint_maps_a_gpu_checkpoint_to_the_cpu(tmp_path):
    """A file saved on a GPU names 'cuda:0' as its tensors' location; rewrite a CPU save into one, then load it."""
    import zipfile
    cpu_file, gpu_file = str(tmp_path / "cpu.pth"), str(tmp_path / "gpu.pth")
    torch.save({"w": torch.arange(3.0)}, cpu_file)
    location_cpu = b"X\x03\x00\x00\x00cpu"  # pickle BINUNICODE: opcode, 4-byte length, text
    location_gpu = b"X\x06\x00\x00\x00cuda:0"
    with zipfile.ZipFile(cpu_file) as source, zipfile.ZipFile(gpu_file, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("data.pkl"):
                assert location_cpu in data
                data = data.replace(location_cpu, location_gpu)
            target.writestr(item, data)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError):  # what a plain torch.load does on a machine without CUDA
            torch.load(gpu_file)
    loaded = load_checkpoint(gpu_file, "")
    assert loaded["w"].device.type == "cpu" and torch.equal(loaded["w"], torch.arange(3.0))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_keep_freed_memory_stops_page_faults_for_repeated_large_tensors():
    import resource  # POSIX only

    def page_faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def allocate_and_free_16_mib_20_times():
        before = page_faults()
        for _ in range(20):
            torch.empty(4 << 20).fill_(1.0)  # 4 Mi float32
        return page_faults() - before

    assert keep_freed_memory()
    allocate_and_free_16_mib_20_times()  # the first one grows the heap
    assert allocate_and_free_16_mib_20_times() < 400  # glibc's default: 4096 fresh pages each, about 80,000


def test_show_images_opens_one_titled_window_per_file(tmp_path):
    import warnings
    import matplotlib.pyplot as plt
    from lib.utils.files import show_images
    paths = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    for path in paths:
        plt.imsave(path, np.zeros((4, 6, 3)))
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Agg says it cannot show windows
        show_images(paths)
    titles = [plt.figure(number).axes[0].get_title() for number in plt.get_fignums()]
    plt.close("all")
    assert titles == ["a.png", "b.png"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
