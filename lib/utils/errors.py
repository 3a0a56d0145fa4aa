"""One-sentence errors instead of tracebacks, and the argument types that keep wrong values out of the scripts."""
import argparse
import math
import os
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What torch's errors say when memory runs out, the cuBLAS and cuDNN handles that cannot be made included.
OUT_OF_MEMORY = ("out of memory", "can't allocate memory", "CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_ALLOC_FAILED")


class UserError(Exception):
    """A problem the user can fix. Its message is one sentence: what happened and what to do."""


class Interrupted(UserError):
    """A training run stopped on Ctrl-C or SIGTERM; the message names the checkpoint that continues it."""

    def __init__(self, message, exit_status=130):
        super().__init__(message)
        self.exit_status = exit_status  # 130 after Ctrl-C, 143 after SIGTERM, as a shell reports them


def run_main(main, argv=None):
    """Run a script's ``main(argv)``; what a user can fix ends in one sentence on stderr and exit status 2."""
    try:
        main(argv)
    except Interrupted as err:
        print(err, file=sys.stderr)
        sys.exit(err.exit_status)
    except UserError as err:
        print("error: {}".format(err), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # outside a training loop; every file is written whole or not at all
        print("\ninterrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(130)
    except ModuleNotFoundError as err:
        top = (err.name or "").split(".")[0]
        if not top or any(os.path.exists(os.path.join(REPOSITORY, top + end)) for end in ("", ".py")):
            raise  # a module of this repository: a bug, keep its traceback
        print("error: the package {} is missing from this Python ({}); install the requirements with `{} -m pip "
              "install -r requirements.txt`".format(top, sys.executable, sys.executable), file=sys.stderr)
        sys.exit(2)
    except ValueError as err:
        if "Key backend:" not in str(err):  # matplotlib refusing the environment's MPLBACKEND
            raise
        print("error: the environment variable MPLBACKEND={} names no matplotlib backend; unset it, or set it to "
              "Agg".format(os.environ.get("MPLBACKEND")), file=sys.stderr)
        sys.exit(2)
    except (MemoryError, RuntimeError) as err:  # numpy raises MemoryError, torch a RuntimeError
        if not isinstance(err, MemoryError) and not any(text in str(err) for text in OUT_OF_MEMORY):
            raise
        print("error: out of memory ({}); use a smaller batch, model or number of images{}".format(
            str(err).strip().splitlines()[0][:160] if str(err).strip() else "MemoryError",
            ", or check with nvidia-smi whether another process holds the GPU" if "CU" in str(err) else ""),
            file=sys.stderr)
        sys.exit(2)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """--help with the defaults its texts do not name, and the description's lines as written."""

    def _get_help_string(self, action):
        hidden = action.default in (None, argparse.SUPPRESS) or isinstance(action.default, bool)
        return action.help + ("" if hidden or "default" in action.help else " (default: %(default)s)")


def _checked(cast, accept, requirement):
    """An argparse type: ``cast(text)``, refused with "``requirement``" unless ``accept(value)``."""
    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError("{!r} is not a {}".format(
                text, "whole number" if cast is int else "number"))
        if not accept(value):
            raise argparse.ArgumentTypeError("{} {}".format(text, requirement))
        return value
    return parse


positive_int = _checked(int, lambda v: v >= 1, "must be at least 1")
seed = _checked(int, lambda v: 0 <= v < 2 ** 32, "must be from 0 to 4294967295")
positive_float = _checked(float, lambda v: math.isfinite(v) and v > 0, "must be a finite number above 0")
non_negative_float = _checked(float, lambda v: math.isfinite(v) and v >= 0, "must be a finite number, at least 0")
below_one = _checked(float, lambda v: 0 <= v < 1, "must be at least 0 and below 1")
between_zero_and_one = _checked(float, lambda v: 0 < v < 1, "must lie strictly between 0 and 1")


def nonempty_path(text):
    """An argparse type: a path, refused when empty or blank (it would name the current folder, or a blank one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path was given; name a file or folder")
    return text


def add_device_argument(parser):
    """--device, for every script that runs a model."""
    parser.add_argument("--device", default="auto",
                        help="cpu, cuda, cuda:N or auto (default: a CUDA GPU when one works, else the CPU)")


def add_common_arguments(parser, device=True, show=True):
    """The flags every script shares: --device (if ``device``), --quiet and --show (if ``show``)."""
    if device:
        add_device_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print less: no progress bar")
    if show:
        parser.add_argument("--show", action="store_true", help="also open the figures in a window")


def plural(count, noun):
    """'1 epoch', '2 epochs'."""
    return "{} {}{}".format(count, noun, "" if count == 1 else "s")
