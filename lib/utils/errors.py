"""Errors a user can fix, and how every script reports them: one sentence on stderr, never a traceback.

Scripts wrap their ``main`` in :func:`run_main`, so anything a user can cause (missing data, a wrong flag,
no GPU) ends in one sentence on stderr and exit status 2 instead of a traceback, and the process ends without the
garbage collector's last walk over torch's objects. The small helpers those sentences are made with live here
too: :func:`plural` ("2 epochs"), :func:`shell_quote` (a path in a command to copy) and :func:`require_folder` (a
folder that must exist).
"""
import atexit
import gc
import os
import shlex
import sys


class UserError(Exception):
    """A problem the user can fix. Its message is one sentence that says what happened and what to do."""


class Interrupted(UserError):
    """A second Ctrl-C or SIGTERM stopped a run at once; the message says what was kept. Exit status 130."""


def run_main(main, argv=None):
    """Run ``main(argv)``; turn a :class:`UserError`, or running out of memory, into one line on stderr and exit
    status 2 (130 for :class:`Interrupted`, as for any Ctrl-C)."""
    # Python collects garbage while it shuts down, walking every object still alive: hundreds of thousands once
    # torch is imported, up to 1.5 to 2.5 s after a training script's last line on a 2-core machine (measured).
    # Frozen objects are not walked. Nothing may wait on that collection: every file is written and closed before
    # main returns (atomically, lib.utils.files), and an object left in a reference cycle at exit does not get its
    # __del__ run. At exit, so the objects a test makes with run_main in-process are still collected.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
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
