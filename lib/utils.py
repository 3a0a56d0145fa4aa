"""Helpers every script shares: errors a user can fix, argument types, devices, safe writes, checkpoints.

Scripts wrap their ``main`` in :func:`run_main`, so anything a user can cause (missing data, a wrong flag,
no GPU) ends in one sentence on stderr and exit status 2 instead of a traceback.
"""
import argparse
import contextlib
import ctypes
import inspect
import os
import random
import shlex
import signal
import sys
import tempfile
import threading

import numpy as np


class UserError(Exception):
    """A problem the user can fix. Its message is one sentence that says what happened and what to do."""


def run_main(main, argv=None):
    """Run ``main(argv)``; turn a :class:`UserError`, or running out of memory, into one line on stderr and exit
    status 2."""
    try:
        return main(argv)
    except UserError as err:
        print("error: {}".format(err), file=sys.stderr)
        sys.exit(2)
    except (MemoryError, RuntimeError) as err:  # numpy raises MemoryError; torch a RuntimeError (CUDA: its subclass)
        if not isinstance(err, MemoryError) and not any(
                text in str(err) for text in ("can't allocate memory", "out of memory")):
            raise
        print("error: out of memory ({}); choose smaller sizes (fewer images or samples, a smaller batch or "
              "model)".format(str(err).strip().splitlines()[0][:200]), file=sys.stderr)
        sys.exit(2)


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
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
    elif device.type != "cpu":
        raise UserError("--device {!r} is not supported; use cpu, cuda, cuda:N or auto".format(name))
    return device


def has_fast_bfloat16(device):
    """Whether ``device`` (a ``torch.device``) has bfloat16 arithmetic in hardware.

    True for a CUDA GPU that supports bfloat16 and for a CPU where oneDNN has bfloat16 kernels (AVX-512 and
    newer). Elsewhere bfloat16 falls back to reference code: a GAN update took 17 times longer than in float32 on
    an AVX2 EPYC (measured).
    """
    import torch
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
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


def prepare_output_file(path, flag="--output"):
    """Check that the file ``path`` can be written (not a folder; its folder is created); returns ``path``."""
    if os.path.isdir(path):
        raise UserError("{} is a folder; pass the path of a file to {}".format(path, flag))
    prepare_output_dir(os.path.dirname(os.path.abspath(path)), flag)
    return path


class StopRequest:
    """While active, the first Ctrl-C only sets ``requested`` (and ``log``s ``message``), so a training loop can stop
    where its state is consistent and write a checkpoint; a second Ctrl-C raises KeyboardInterrupt at once.

    Signals can only be caught in the main thread; elsewhere Ctrl-C keeps its usual effect.
    """

    def __init__(self, message=None, log=print):
        self.requested, self._message, self._log, self._previous = False, message, log, None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True
        if self._message:
            self._log(self._message)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


# ----------------------------------------------------------------------------------------------------------------
# Atomic writes: a crash or Ctrl-C never leaves a half-written file behind.

_UMASK = os.umask(0)  # reading the umask means setting it; put it straight back
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary file name in the folder of ``path``; on success rename it onto ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private (0600); give it a normal file's mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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


def save_image_grid(images, path, nrow=8, padding=2, value_range=None):
    """Save a batch ``(B, C, H, W)`` as one PNG grid, atomically.

    ``value_range`` is the (low, high) range of the pixel values, e.g. (-1, 1) for GAN images; None means [0, 1].
    """
    import torchvision.utils as vutils
    grid = vutils.make_grid(images.detach().float().cpu(), nrow=nrow, padding=padding,
                            normalize=value_range is not None, value_range=value_range)
    with atomic_path(path) as tmp:
        vutils.save_image(grid, tmp, format="png")


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints

def load_checkpoint(path, missing_hint):
    """Load a file written by ``torch.save`` onto the CPU, without running code stored in it.

    ``missing_hint`` finishes the sentence when the file does not exist, e.g. "train first with ...".
    """
    import torch
    if not os.path.isfile(path):
        raise UserError("{} does not exist; {}".format(path, missing_hint))
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
