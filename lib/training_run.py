"""What both trainers (VAE and GAN) share: stopping cleanly on Ctrl-C or SIGTERM."""
import signal
import threading


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
