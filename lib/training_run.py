"""The run machinery both trainers (VAE and GAN) share: stop requests, random states, the newest checkpoint, messages.

A trainer writes ``checkpoint.pth`` into its run folder now and then; what it needs around that is the same for
both: stopping cleanly on Ctrl-C or SIGTERM (:class:`StopRequest`), capturing and restoring the random streams a
checkpoint carries (:func:`random_state`, :func:`restore_random_state`), knowing which state the newest checkpoint
holds (:class:`LastCheckpoint`) so that a run stopped by a NaN loss (:func:`check_finite`) or at once by a second
signal names it, and the command that resumes a run (:func:`resume_command`). Both name a NaN loss with
:func:`non_finite_loss_error` and a second signal with :func:`stopped_at_once_error`.

Where the trainers differ on purpose stays in lib/train_vae.py and lib/train_gan.py. On the first signal the VAE
stops after the current step, writes a checkpoint that resumes mid-epoch (it replays the epoch's shuffle) and
raises :class:`lib.train_vae.TrainingInterrupted`, which run_vae_training.py turns into the resume command: an
exception, because ``train_vae`` is the course's API and returns the history alone. The GAN's checkpoints hold
whole epochs only, so it finishes its epoch, writes one and returns its result dict (its own API) with status
"interrupted", which run_gan_training.py turns into the resume command.
"""
import json
import math
import signal
import threading

import torch

from lib.utils.errors import Interrupted, UserError, shell_quote
from lib.utils.files import save_text

CHECKPOINT_NAME = "checkpoint.pth"  # the resumable checkpoint in a run folder, of either trainer


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
# Random states in a checkpoint: torch's global CPU stream, the device's CUDA stream, the data order's generator

def random_state(device, data_generator=None):
    """The random streams a run draws from, as stored in a checkpoint: ``{"torch": CPU state (uint8 tensor),
    "data": the state of ``data_generator`` (a CPU ``torch.Generator`` of the data order) or None, "cuda": the
    CUDA state of ``device`` or None off a GPU}``."""
    return {"torch": torch.get_rng_state(),
            "data": data_generator.get_state() if data_generator is not None else None,
            "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def restore_random_state(state, device, data_generator=None, fallback_seed=None, log=print):
    """Put the streams of :func:`random_state` back, so a resumed run draws what the original would have drawn.

    A state without "cuda" (or resumed off a GPU) leaves the CUDA stream alone. VAE checkpoints from before the
    trainers shared this module kept the data order's state under "generator"; it is read as "data". With a
    ``fallback_seed``, a data state of the wrong size (see :func:`restore_data_state`) is replaced by that seed.
    """
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)
    data_state = state["data"] if "data" in state else state.get("generator")
    if data_generator is not None and data_state is not None:
        if fallback_seed is None:
            data_generator.set_state(data_state)
        else:
            restore_data_state(data_generator, data_state, fallback_seed, log)


def restore_data_state(data_generator, state, fallback_seed, log=print):
    """Put the data order's random state of a checkpoint into the CPU generator ``data_generator``.

    Checkpoints of older versions of this project drew the GAN's data order on the training device, so a GPU run
    stored a CUDA generator's state, which a CPU generator cannot take: such a run continues with the data order
    seeded by ``fallback_seed`` (the same run otherwise), and ``log`` says so.
    """
    if state.numel() == data_generator.get_state().numel():
        data_generator.set_state(state)
        return
    data_generator.manual_seed(fallback_seed)
    log("note: the checkpoint holds the data order of a GPU, written by an older version of this project; the "
        "run continues with a data order seeded anew (seed {})".format(fallback_seed))


# ----------------------------------------------------------------------------------------------------------------
# The newest checkpoint, and what a run that stops says about it

class LastCheckpoint:
    """Where a run's ``checkpoint.pth`` is (``path``; None for a run that writes nothing) and which state the
    newest one written holds: ``epochs`` complete epochs and ``step`` batches of the next (None: none written yet).
    The trainers :meth:`mark` it wherever they write a checkpoint."""

    def __init__(self, path, epochs=None, step=0):
        self.path, self.epochs, self.step = path, epochs, step

    @classmethod
    def of_run(cls, path, resumed=None):
        """The newest checkpoint of a run whose ``checkpoint.pth`` is ``path``: none yet for a new run; for a run
        resumed from the checkpoint dict ``resumed``, the state that file holds (its "epoch", and its "step" of
        the next epoch if it has one), as it is still there until the run writes the next."""
        last = cls(path)
        if resumed is not None:
            last.mark(resumed["epoch"], resumed.get("step", 0))
        return last

    def mark(self, epochs, step=0):
        """A checkpoint of ``epochs`` complete epochs and ``step`` batches of the next one was just written."""
        self.epochs, self.step = epochs, step

    @property
    def written(self):
        """True when the run has a checkpoint to fall back on."""
        return self.path is not None and self.epochs is not None

    def describe(self):
        """The state in words: "end of epoch 3", "epoch 4, batch 17" mid-epoch, or "before the first epoch"."""
        if self.step:
            return "epoch {}, batch {}".format(self.epochs + 1, self.step)
        return "end of epoch {}".format(self.epochs) if self.epochs else "before the first epoch"


class NonFiniteLoss(Exception):
    """A loss (or the discriminator's output) became NaN or infinite; the trainer turns it into the UserError of
    :func:`non_finite_loss_error`."""


def check_finite(values):
    """Raise :class:`NonFiniteLoss` when one of ``values`` (floats read from the device) is NaN or infinite."""
    if not all(math.isfinite(value) for value in values):
        raise NonFiniteLoss()


def non_finite_loss_error(last_checkpoint, epoch, advice):
    """The UserError of a run whose loss became NaN or infinite in epoch ``epoch``: which checkpoint it keeps (the
    :class:`LastCheckpoint` ``last_checkpoint``) with the state it holds, and ``advice``, what to try instead."""
    kept = ("the last good checkpoint {} ({}) is kept".format(last_checkpoint.path, last_checkpoint.describe())
            if last_checkpoint.written else "no checkpoint was written")
    return UserError("the loss became NaN or infinite in epoch {}, so training stopped; {}; {}".format(
        epoch, kept, advice))


def resume_command(script, run_dir):
    """The command that continues the run in ``run_dir``: "python ``script`` --resume ``run_dir``" (quoted)."""
    return "python {} --resume {}".format(script, shell_quote(run_dir))


def stopped_at_once_error(script, run_dir, last_checkpoint, epoch=None):
    """The :class:`Interrupted` of a run stopped at once (a second Ctrl-C or SIGTERM, or one outside the training
    loop) in epoch ``epoch`` (None: not known): it names the newest checkpoint, the :class:`LastCheckpoint`
    ``last_checkpoint``, with the state it holds, and the command that resumes the run; or says nothing was saved."""
    where = "interrupted at once{}".format(" in epoch {}".format(epoch) if epoch is not None else "")
    if not last_checkpoint.written:
        return Interrupted("{}; nothing was saved".format(where))
    return Interrupted("{}; the last checkpoint {} ({}) is kept: resume it with `{}`".format(
        where, last_checkpoint.path, last_checkpoint.describe(), resume_command(script, run_dir)))


def save_history(history, path):
    """The history dict (lists of per-epoch numbers) as indented JSON, written atomically to ``path``."""
    save_text(json.dumps(history, indent=1), path)
