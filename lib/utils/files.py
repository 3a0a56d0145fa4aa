"""Writing results safely: output folders checked before the work, and files written whole or not at all (to a
temporary name first, renamed when complete), so a crash, a Ctrl-C or a full disk never leaves half a file."""
import contextlib
import copy
import errno
import os
import shlex
import shutil
import sys
import tempfile

from lib.utils.errors import UserError

# Where the results go, written once for every script: the course's folder names.
KL_WEIGHTS = (1.0, 30.0, 0.0)  # sheet task 3.3: the default weight, then the two it asks to compare
COURSE_GENERATOR = "gan_model_g_2500_epochs.pth"  # where a student puts the course's generator: the repository root


def vae_run_dir(kl_loss_weight, root=""):
    """``root``/results_kl{W}, the VAE trained with KL weight W (a float: ``results_kl1.0``, as the course says)."""
    return os.path.join(root, "results_kl{}".format(float(kl_loss_weight)))


def configure_matplotlib(show=False):
    """Draw into files only (the Agg backend), unless ``show`` asks for windows: no script blocks on a display."""
    import matplotlib
    if not show:
        matplotlib.use("Agg")


def show_images(paths):
    """Open the written PNGs ``paths`` in windows (for --show) until they are closed; without a display say so."""
    import matplotlib.pyplot as plt
    for path in paths:
        plt.figure(os.path.basename(path))
        plt.imshow(plt.imread(path))
        plt.axis("off")
    if plt.gcf().canvas.required_interactive_framework is not None:  # not Agg and the like, which open no window
        return plt.show()
    print("warning: --show found no display (matplotlib's backend is {}), so the figures are in their files "
          "only".format(plt.get_backend()), file=sys.stderr)


def prepare_output_dir(path, flag="--output_dir"):
    """Create the folder ``path`` if needed and check that it can be written; returns ``path``."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise UserError("cannot write into the folder {} ({}); {}".format(
            shlex.quote(path), "a file is in the way" if isinstance(err, (FileExistsError, NotADirectoryError))
            else err.strerror or err, "choose another one with " + flag if flag else "make it writable"))
    return path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary file name beside ``path``; rename it onto ``path`` when the block ends without error."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix="." + os.path.basename(path))
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes the file private
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # torch.save's RuntimeError for a full disk changes with the version
        if getattr(err, "errno", None) in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or any(
                text in str(err) for text in ("No space left", "write failed", "iostream error", "unexpected pos")) \
                or shutil.disk_usage(os.path.dirname(tmp)).free < 2 ** 20:
            raise UserError("the disk is full, so {} was not written (its previous version, if any, is intact); "
                            "free some space and run the command again".format(shlex.quote(path))) from None
        raise
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_torch(obj, path):
    """``torch.save(obj, path)``, atomically, every tensor moved to the CPU: a GPU run's files load anywhere."""
    import torch
    with atomic_path(path) as tmp:
        torch.save(on_cpu(obj), tmp)


def on_cpu(item):
    """``item`` with every tensor in it (in dicts, lists and tuples too) moved to the CPU."""
    if isinstance(item, dict):
        moved = copy.copy(item)  # keeps a state dict's _metadata
        moved.update((key, on_cpu(value)) for key, value in item.items())
        return moved
    if isinstance(item, (list, tuple)):
        return type(item)(map(on_cpu, item))
    return item.cpu() if hasattr(item, "cpu") else item


def save_text(text, path):
    """Write the string ``text`` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)


def save_figure(fig, path, dpi=120):
    """Save a matplotlib figure as a PNG, atomically, and close it."""
    import matplotlib.pyplot as plt
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)


def save_curves(path, x, figsize, panels):
    """Line plots over the epochs ``x``, side by side, as a PNG: a panel per ``(curves, settings)`` of ``panels``,
    ``curves`` a list of ``(y, style, label)``, ``settings`` for ``Axes.set``."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=figsize)
    for ax, (curves, settings) in zip(axes, panels):
        for y, style, label in curves:
            ax.plot(x, y, style, label=label)
        ax.set(xlabel="epoch", **settings)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def save_image_grid(images, path, nrow=8, value_range=(0, 1)):
    """Tile ``images`` ``(B, C, H, W)`` with pixel values in ``value_range`` into one grid image at ``path``
    (PNG, or JPEG for .jpg/.jpeg), atomically; 2 black pixels between the images, as torchvision pads."""
    from torchvision.utils import save_image
    low, high = value_range
    with atomic_path(path) as tmp:
        save_image((images.detach().float().cpu() - low) / (high - low), tmp, nrow=nrow, padding=2,
                   format="jpeg" if os.path.splitext(path)[1].lower() in (".jpg", ".jpeg") else "png")
