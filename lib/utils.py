"""Helpers every script shares: errors a user can fix, argument types, devices, safe writes, checkpoints.

Scripts wrap their ``main`` in :func:`run_main`, so anything a user can cause (missing data, a wrong flag,
no GPU) ends in one sentence on stderr and exit status 2 instead of a traceback.
"""
import argparse
import contextlib
import ctypes
import datetime
import errno
import inspect
import os
import random
import re
import shlex
import signal
import sys
import tempfile
import threading

import numpy as np


class UserError(Exception):
    """A problem the user can fix. Its message is one sentence that says what happened and what to do."""


class Interrupted(UserError):
    """A second Ctrl-C or SIGTERM stopped a run at once; the message says what was kept. Exit status 130."""


def run_main(main, argv=None):
    """Run ``main(argv)``; turn a :class:`UserError`, or running out of memory, into one line on stderr and exit
    status 2 (130 for :class:`Interrupted`, as for any Ctrl-C)."""
    try:
        return main(argv)
    except Interrupted as err:
        print(err, file=sys.stderr)
        sys.exit(130)
    except UserError as err:
        print("error: {}".format(err), file=sys.stderr)
        sys.exit(2)
    except (MemoryError, RuntimeError) as err:  # numpy raises MemoryError; torch a RuntimeError (CUDA: its subclass)
        if not isinstance(err, MemoryError) and not any(text in str(err) for text in OUT_OF_MEMORY_TEXTS):
            raise
        gpu = any(text in str(err) for text in ("CUDA", "CUBLAS", "CUDNN", "GPU"))
        print("error: out of memory ({}); choose smaller sizes (fewer images or samples, a smaller batch or "
              "model){}".format(str(err).strip().splitlines()[0][:200],
                                ", check with nvidia-smi whether another process holds the GPU's memory, or "
                                "use --device cpu" if gpu else ""), file=sys.stderr)
        sys.exit(2)


# What torch's errors say when memory ran out, including the cuBLAS and cuDNN handles that cannot be created.
OUT_OF_MEMORY_TEXTS = ("can't allocate memory", "out of memory", "CUBLAS_STATUS_ALLOC_FAILED",
                       "CUDNN_STATUS_ALLOC_FAILED", "CUDNN_STATUS_NOT_INITIALIZED")


def plural(count, noun):
    """'1 epoch', '2 epochs'."""
    return "{} {}{}".format(count, noun, "" if count == 1 else "s")


def require_folder(path, what, hint):
    """Return ``path`` if it is a folder, else raise a UserError: "the ``what`` ``path`` does not exist" (or "is a
    file, not a folder"), then ``hint``, what to do."""
    if not os.path.isdir(path):
        raise UserError("the {} {} {}; {}".format(
            what, path, "is a file, not a folder" if os.path.exists(path) else "does not exist", hint))
    return path


def shell_quote(path):
    """``path`` as one word of a command the user may copy into a shell (quoted only where it has to be)."""
    if os.name == "nt":
        return '"{}"'.format(path) if any(char in path for char in " &()^;,") else path
    return shlex.quote(path)


# ----------------------------------------------------------------------------------------------------------------
# argparse types: a wrong value ends in argparse's usage line and one sentence, exit status 2.

def _number(text, cast, name):
    try:
        return cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not {}".format(text, name))


def positive_int(text):
    """argparse type: an integer >= 1."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError("{} must be at least 1".format(value))
    return value


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    value = _number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError("{} must not be negative".format(value))
    return value


def seed(text):
    """argparse type: a random seed, an integer from 0 to 2**32 - 1 (what numpy and torch both accept)."""
    value = _number(text, int, "a whole number")
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError("{} must be from 0 to 4294967295".format(value))
    return value


def below_one(text):
    """argparse type: a number in [0, 1), e.g. Adam's betas."""
    value = _number(text, float, "a number")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("{} must be at least 0 and less than 1".format(value))
    return value


def open_unit_interval(text):
    """argparse type: a number strictly between 0 and 1, e.g. a moving average's decay."""
    value = _number(text, float, "a number")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("{} must be greater than 0 and less than 1".format(value))
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    value = _number(text, float, "a number")
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError("{} must be a finite number greater than 0".format(value))
    return value


def nonempty_path(text):
    """argparse type: a file or folder name, which must not be empty (an empty string would silently mean a
    default, or the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path was given; name a file or folder")
    return text


def iso_date(text):
    """argparse type: a calendar date written YYYY-MM-DD, e.g. 2024-05-31 (checked to exist)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        datetime.datetime.strptime(text, "%Y-%m-%d")  # a month 13 or a 30 February raises ValueError
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not a date written YYYY-MM-DD, e.g. {}".format(
            text, datetime.date.today().isoformat()))
    return text


def non_negative_float(text):
    """argparse type: a finite number >= 0."""
    value = _number(text, float, "a number")
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("{} must be a finite number that is not negative".format(value))
    return value


def add_common_arguments(parser, device=True):
    """Add the flags every script shares: --quiet, --show and (if ``device``) --device."""
    if device:
        parser.add_argument("--device", default="auto",
                            help="'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when available, else CPU; default)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar (errors are still printed)")
    parser.add_argument("--show", action="store_true", help="also open the figures in a window")


# ----------------------------------------------------------------------------------------------------------------
# Environment

def configure_matplotlib(show=False):
    """Use the file-only Agg backend unless the user asked to see windows, so no script ever blocks."""
    import matplotlib
    if not show:
        matplotlib.use("Agg")


def show_images(paths):
    """Open the PNG files ``paths`` in windows (for --show; the files are already written) and wait for them."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    for path in paths:
        plt.figure()
        plt.imshow(mpimg.imread(path))
        plt.axis("off")
        plt.title(os.path.basename(path))
    plt.show()


def pick_device(name="auto"):
    """Turn 'auto', 'cpu', 'cuda' or 'cuda:N' into a ``torch.device``; refuse CUDA on a machine without it."""
    import torch
    if name == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        device = torch.device("cuda")
        problem = cuda_problem(device)
        if problem:
            if problem not in _WARNED:
                _WARNED.add(problem)
                print("warning: {}; --device auto trains on the CPU instead".format(problem), file=sys.stderr)
            return torch.device("cpu")
        return device
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError("--device {!r} is not a device name; use cpu, cuda, cuda:N or auto".format(name))
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device {} was asked for but PyTorch sees no CUDA GPU on this machine; "
                            "use --device cpu (or auto)".format(name))
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError("--device {} does not exist: this machine has {} CUDA device(s)".format(
                name, torch.cuda.device_count()))
        problem = cuda_problem(device)
        if problem:
            raise UserError("{}; use --device cpu".format(problem))
    elif device.type != "cpu":
        raise UserError("--device {!r} is not supported; use cpu, cuda, cuda:N or auto".format(name))
    return device


_CUDA_CHECKED = {}  # device -> the problem found (or "") by cuda_problem, once per process
_WARNED = set()


def _run_tiny_kernels(device):
    """A matrix product (cuBLAS) and a convolution (cuDNN) of a few numbers on ``device``, read back."""
    import torch
    ones = torch.ones(8, 8, device=device)
    product = ones @ ones  # (8, 8)
    image = torch.nn.functional.conv2d(ones.view(1, 1, 8, 8), ones[:3, :3].reshape(1, 1, 3, 3))  # (1, 1, 6, 6)
    return float(product.sum() + image.sum())


def cuda_problem(device):
    """Why the CUDA ``device`` cannot train (one clause), or "" when a tiny kernel ran on it.

    Catches what a visible GPU can still fail with: a PyTorch build without kernels for its architecture ("no
    kernel image is available"), cuBLAS or cuDNN unable to get memory because another process holds it, a broken
    driver.
    """
    import torch
    key = str(device)
    if key not in _CUDA_CHECKED:
        try:
            _run_tiny_kernels(device)
            _CUDA_CHECKED[key] = ""
        except (RuntimeError, AssertionError) as err:  # torch's CUDA errors are RuntimeErrors
            text = str(err)
            try:
                what = "the GPU {} ({}, compute capability {}.{})".format(
                    device, torch.cuda.get_device_name(device), *torch.cuda.get_device_capability(device))
            except (RuntimeError, AssertionError):
                what = "the GPU {}".format(device)
            if "no kernel image" in text:
                problem = ("{} is not supported by this PyTorch build (no kernel image for it, it supports {}); "
                           "install a PyTorch build for this GPU".format(what, " ".join(_cuda_arch_list())))
            elif any(marker in text for marker in OUT_OF_MEMORY_TEXTS):
                problem = ("{} has no free memory (check with nvidia-smi whether another process holds it)"
                           .format(what))
            else:
                first_line = text.strip().splitlines()[0][:160] if text.strip() else type(err).__name__
                problem = "{} cannot run PyTorch's kernels ({})".format(what, first_line)
            _CUDA_CHECKED[key] = problem
    return _CUDA_CHECKED[key]


def _cuda_arch_list():
    import torch
    try:
        return torch.cuda.get_arch_list() or ["no GPU architectures"]
    except (RuntimeError, AssertionError, AttributeError):
        return ["other architectures"]


def has_fast_bfloat16(device):
    """Whether ``device`` (a ``torch.device``) has bfloat16 arithmetic in hardware.

    True for a CUDA GPU of compute capability 8.0 or newer (Ampere: A100, RTX 30xx, and later), and for a CPU
    where oneDNN has bfloat16 kernels (AVX-512 and newer). ``torch.cuda.is_bf16_supported()`` is no test: it
    counts emulation and says True on a T4 or V100, and asks about the current device, not ``device``. Elsewhere
    bfloat16 falls back to slow code: a GAN update took 17 times longer than in float32 on an AVX2 EPYC (measured).
    """
    import torch
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def keep_freed_memory():
    """Let this process reuse the memory it frees instead of handing it back to the operating system (glibc only).

    glibc serves blocks over 128 KiB with fresh mmap()ed pages and returns them on free(), so every activation
    tensor of a training step arrives as new pages the kernel must fault in and zero: measured here, 0.6 million
    page faults and about 10 % of the time of a GAN update. A fixed 32 MiB mmap threshold and a 1 GiB trim
    threshold keep freed blocks in the heap for the next step. Results do not change; elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):  # another C library (musl) without these settings
        return False


def seed_everything(seed):
    """Seed Python, numpy and torch (CPU and CUDA) so that a run on the CPU repeats bit for bit."""
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def prepare_output_dir(path, flag="--output_dir"):
    """Create ``path`` if needed and check that files can be written there; returns ``path``."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError("cannot write into the output folder {} (a file of that name exists); choose another one "
                        "with {}".format(path, flag))
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise UserError("cannot write into the output folder {} ({}); choose another one with {}".format(
            path, err.strerror or err, flag))
    return path


def prepare_output_file(path, flag="--output", suffixes=None):
    """Check that the file ``path`` can be written (not a folder; its folder is created; its suffix one of
    ``suffixes`` if given); returns ``path``."""
    if os.path.isdir(path):
        raise UserError("{} is a folder; pass the path of a file to {}".format(path, flag))
    if suffixes is not None and os.path.basename(path).lower() in suffixes:  # '.png': os.path.splitext sees no suffix
        raise UserError("{} {} is only a file type; give it a file name, e.g. {} name{}".format(
            flag, path, flag, os.path.basename(path).lower()))
    if suffixes is not None and os.path.splitext(path)[1].lower() not in suffixes:
        raise UserError("{} {} does not end in {}, the file types it can write; choose such a name".format(
            flag, path, " or ".join(suffixes)))
    prepare_output_dir(os.path.dirname(os.path.abspath(path)), flag)
    return path


class StopRequest:
    """While active, the first Ctrl-C or SIGTERM only sets ``requested`` to the signal's number (and ``log``s
    "Ctrl-C: " or "SIGTERM: ", ``message`` and which signal stops at once), so a training loop can stop where its
    state is consistent and write a checkpoint; a second one raises KeyboardInterrupt at once.

    SIGTERM is what Slurm sends before a time limit, and ``timeout``, ``docker stop`` and ``kill`` send; a script
    that stops for it exits with status 128 + ``requested`` (143), for Ctrl-C 130, and after a second signal 130.
    Signals can only be caught in the main thread; elsewhere both keep their usual effect.
    """
    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, message=None, log=print):
        self.requested, self._message, self._log, self._previous = 0, message, log, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        if self.requested:  # the second signal: stop at once
            raise KeyboardInterrupt
        self.requested = signum
        if self._message:
            self._log("\n{}: {} ({} stops at once)".format(
                "Ctrl-C" if signum == signal.SIGINT else "SIGTERM", self._message,
                "Ctrl-C again" if signum == signal.SIGINT else "another SIGTERM, or Ctrl-C,"))

    def __exit__(self, *exc):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        return False


# ----------------------------------------------------------------------------------------------------------------
# Atomic writes: a crash or Ctrl-C never leaves a half-written file behind.

_UMASK = os.umask(0)  # reading the umask means setting it; put it straight back
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary file name in the folder of ``path``; on success rename it onto ``path``.

    A full disk (or quota) while writing ends in a :class:`UserError` naming the folder; the temporary file is
    removed and ``path`` keeps its previous contents.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        os.close(fd)
    except OSError as err:
        _raise_if_disk_full(err, path)
        raise
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private (0600); give it a normal file's mode
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:
        _raise_if_disk_full(err, path)
        raise
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# torch.save on a full disk raises RuntimeErrors with these texts (from its zip writer), not an OSError.
_DISK_FULL_TEXTS = ("unexpected pos", "file write failed", "No space left on device")


def _raise_if_disk_full(err, path):
    """Turn ``err`` into a UserError if it says that the disk (or the user's quota) is full."""
    if isinstance(err, OSError):
        full = err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    else:
        full = any(text in str(err) for text in _DISK_FULL_TEXTS)
    if full:
        raise UserError("the disk holding {} is full, so writing {} failed; the previous {} there (if any), and so "
                        "the last good checkpoint, is intact and no partial file was left: free some space and run "
                        "the command again (a training run continues with --resume)".format(
                            os.path.dirname(os.path.abspath(path)), os.path.basename(path), os.path.basename(path)))


def save_torch(obj, path):
    """``torch.save`` ``obj`` to ``path`` atomically."""
    import torch
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure atomically; the format follows the extension of ``path``."""
    fmt = os.path.splitext(path)[1].lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **kwargs)


def save_text(text, path):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)


# Image files the grids may be written as: suffix -> PIL format name.
IMAGE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


def save_image_grid(images, path, nrow=8, padding=2, value_range=None):
    """Save a batch ``(B, C, H, W)`` as one image grid, atomically: JPEG for a .jpg or .jpeg ``path``, else PNG.

    ``value_range`` is the (low, high) range of the pixel values, e.g. (-1, 1) for GAN images; None means [0, 1].
    """
    import torchvision.utils as vutils
    grid = vutils.make_grid(images.detach().float().cpu(), nrow=nrow, padding=padding,
                            normalize=value_range is not None, value_range=value_range)
    with atomic_path(path) as tmp:
        vutils.save_image(grid, tmp, format=IMAGE_FORMATS.get(os.path.splitext(path)[1].lower(), "png"))


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints

# The first bytes of what torch.save writes: a zip archive (since torch 1.6), or a pickle (protocol 2 and newer).
TORCH_FILE_STARTS = (b"PK\x03\x04", b"\x80")


def load_checkpoint(path, missing_hint):
    """Load a file written by ``torch.save`` onto the CPU, without running code stored in it.

    ``missing_hint`` finishes the sentence when the file does not exist, e.g. "train first with ...".
    """
    import torch
    if not os.path.isfile(path):
        raise UserError("{} does not exist; {}".format(path, missing_hint))
    with open(path, "rb") as handle:
        if not handle.read(4).startswith(TORCH_FILE_STARTS):
            raise UserError("{} is not a checkpoint this project can read (it is no PyTorch file at all: torch.save "
                            "writes a zip archive or a pickle, and this file is neither); pass the model.pth or "
                            "checkpoint file a training script wrote".format(path))
    kwargs = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = True
    try:
        return torch.load(path, **kwargs)
    except Exception as err:  # torch raises many types for a damaged or foreign file; their texts confuse more
        unsafe = "weights only load failed" in str(err).lower()  # than they help (e.g. "KeyError: 101")
        raise UserError("{} is not a checkpoint this project can read ({}); pass the model.pth or checkpoint "
                        "file a training script wrote".format(
                            path, "it stores Python objects, which are not loaded for safety" if unsafe else
                            "it is damaged, truncated, or was not written by torch.save"))


def load_optimizer_state(optimizer, state):
    """``optimizer.load_state_dict(state)`` keeping this optimizer's own implementation choice (fused, foreach,
    capturable): a checkpoint records the one of the device it was written on, and a GPU's fused kernel must not
    follow a run that continues on a CPU (older torch versions have none there), nor the reverse."""
    own = optimizer.param_groups
    groups = [dict(saved, **{key: group[key] for key in ("fused", "foreach", "capturable") if key in group})
              for saved, group in zip(state["param_groups"], own)]
    optimizer.load_state_dict(dict(state, param_groups=groups))


def load_state_dict_checked(model, state_dict, source):
    """Load ``state_dict`` into ``model`` strictly; on a mismatch say which entries and shapes disagree."""
    if not isinstance(state_dict, dict):
        raise UserError("{} holds no model weights; pass a model.pth or checkpoint written by this project".format(
            source))
    own = model.state_dict()
    problems = ["{} is missing".format(k) for k in own if k not in state_dict]
    problems += ["{} is not part of this model".format(k) for k in state_dict if k not in own]
    problems += ["{} has shape {} in the file but {} in the model".format(
        k, tuple(v.shape), tuple(own[k].shape)) for k, v in state_dict.items()
        if k in own and hasattr(v, "shape") and tuple(v.shape) != tuple(own[k].shape)]
    if problems:
        shown = "; ".join(problems[:3]) + ("; and {} more".format(len(problems) - 3) if len(problems) > 3 else "")
        raise UserError("{} was saved from a model of another architecture or size ({}); use the same model "
                        "flags as the training run".format(source, shown))
    model.load_state_dict(state_dict)
    return model
