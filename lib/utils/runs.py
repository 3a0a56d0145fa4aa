"""A training run's life, one for both trainers: its folder held, the settings it resumes with, a stop on Ctrl-C or
SIGTERM at an epoch's end, a NaN loss. A run is finished when its checkpoint holds all its epochs: the trainers
write the last one after the run's final files, so a run cut short anywhere is continued by --resume."""
import contextlib
import math
import os
import shlex
import signal
import threading

from lib.utils.checkpoints import CHECKPOINT_NAME, load_checkpoint
from lib.utils.errors import Interrupted, UserError, plural
from lib.utils.files import prepare_output_dir

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so two runs into one folder go unnoticed there
    fcntl = None


@contextlib.contextmanager
def claimed_folder(path, flag="--output_dir", new=False):
    """Hold the run folder ``path`` (made if needed; with ``new`` made here, as ``path``-2, -3, ... while the name
    is taken) for the block, so that a second run into it is refused; yields the folder. The hold is a lock on the
    folder, which the system drops however the process ends. A folder made here and still empty is removed."""
    folder, number = path, 1
    while new and os.path.lexists(folder):
        folder, number = "{}-{}".format(path, number + 1), number + 1
    made = not os.path.isdir(folder)
    handle = os.open(prepare_output_dir(folder, flag), os.O_RDONLY) if fcntl else None
    try:
        if fcntl:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                made = False  # the other run's folder
                raise UserError("another training run is writing into {} right now; wait for it to end{}".format(
                    shlex.quote(folder), ", or choose another " + flag if flag else "")) from None
        yield folder
    finally:
        if fcntl:
            os.close(handle)
        if made and not os.listdir(folder):
            os.rmdir(folder)


def parse_settings(parser, argv, script, required, history_key, how_to_run):
    """``(args, checkpoint)`` of ``script``'s command line ``argv``: the flags and None, or with --resume RUN_DIR the
    run's settings and checkpoint (holding the keys ``required``, the model's first). Only the ``how_to_run`` flags,
    --epochs and --data_dir may differ from the run's; --output_dir and --overwrite are refused."""
    args = parser.parse_args(argv)
    if not args.resume:
        return args, None
    run, path = shlex.quote(args.resume), os.path.join(args.resume, CHECKPOINT_NAME)
    checkpoint = load_checkpoint(path, "pass the folder of a run of {} to --resume".format(script))
    missing = [key for key in required if key not in checkpoint] if isinstance(checkpoint, dict) else required
    if missing:  # without the model: another script's file; without the rest: an older version's checkpoint
        raise UserError("{} holds no checkpoint of {}; pass the folder of a run of it to --resume".format(
            shlex.quote(path), script) if required[0] in missing else "the checkpoint in {} was written by an older "
            "version of {} (it lacks {}), so it cannot be continued; start a new run".format(run, script, ", ".join(
                missing)))
    parser.set_defaults(**dict.fromkeys(vars(args)))  # now only the flags given are not None
    given = {key: value for key, value in vars(parser.parse_args(argv)).items() if value is not None}
    for key in {"output_dir", "overwrite"} & set(given):
        raise UserError("--{} does not go with --resume, which continues the run in {} in its own folder; leave --{} "
                        "out".format(key, run, key))
    for key, value in checkpoint["args"].items():
        if key in how_to_run + ("resume", "output_dir") or key not in vars(args):
            continue
        if key in given and key not in ("epochs", "data_dir") and given[key] != value:
            raise UserError("--{} {} differs from the run in {} ({}); leave it out to continue that run, or start a "
                            "new one".format(key, given[key], run, value))
        setattr(args, key, given.get(key, value))
    trained = len(checkpoint["history"][history_key])
    if trained >= args.epochs:
        raise UserError("the run in {} has already trained {}; pass a larger --epochs to go on".format(
            run, plural(trained, "epoch")))
    return args, checkpoint


def check_finite(losses, epoch, run_dir, suspects):
    """End the run in one sentence if one of ``losses`` is NaN or infinite; the advice names those of the flags
    ``suspects`` (``{flag: (value, default)}``, those that can make training diverge) set off their default."""
    if all(math.isfinite(loss) for loss in losses):
        return
    changed = ["--{} {:g} (default {:g})".format(flag, value, default) for flag, (value, default) in suspects.items()
               if value != default]
    path = os.path.join(run_dir, CHECKPOINT_NAME)
    raise UserError("the loss became NaN or infinite in epoch {}, so training stopped ({}); start a new run with {}"
                    .format(epoch, shlex.quote(path) + " holds an earlier epoch" if os.path.isfile(path) else
                            "no checkpoint was written", " and ".join(changed) + " nearer the default" if changed
                            else "another --seed"))


class StopRequest:
    """While active, the first Ctrl-C or SIGTERM (what Slurm, ``timeout`` and ``kill`` send) only sets ``signal``: the
    run ends its epoch (in the last one it finishes), writes its checkpoint and stops with :class:`Interrupted`,
    naming the command that continues it. A second one stops at once. (Only the main thread can catch signals.)"""

    def __init__(self, run_dir, script, log=print):
        self.run_dir, self.script, self.signal, self.epoch, self._log, self._previous = run_dir, script, 0, 0, log, {}

    def epochs(self, first, last, save=None):
        """The epochs ``first`` to ``last``; after one with a signal pending, ``save()`` and stop."""
        for self.epoch in range(first, last + 1):
            yield self.epoch
            if self.signal and self.epoch < last:
                if save:
                    save()
                raise Interrupted("training stopped after epoch {} of {}; {}".format(self.epoch, last, self._kept()),
                                  128 + self.signal)

    def _kept(self):
        path = os.path.join(self.run_dir, CHECKPOINT_NAME)
        return "{} holds it: continue with `python {} --resume {}`".format(shlex.quote(path), self.script, shlex.quote(
            self.run_dir)) if os.path.isfile(path) else "no checkpoint was written, so start it again"

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, number, frame):
        if self.signal:
            raise KeyboardInterrupt
        self.signal = number
        self._log("\n{}: finishing this epoch, then writing a checkpoint (press Ctrl-C again to stop at once)".format(
            "Ctrl-C" if number == signal.SIGINT else "SIGTERM"))

    def __exit__(self, kind, error, traceback):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        if kind is KeyboardInterrupt:  # a second Ctrl-C
            raise Interrupted("training stopped at once in epoch {}; {}".format(self.epoch, self._kept()))
        if kind is None and self.signal:  # it came in the last epoch: the run finished first
            raise Interrupted("training finished its last epoch before stopping; the run in {} is complete".format(
                shlex.quote(self.run_dir)), 128 + self.signal)
