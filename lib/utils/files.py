"""Writing results: output folders checked before work starts, atomic writes, and --show's windows.

Tensors, text, figures and image grids are written atomically, so a crash, a Ctrl-C or a full disk never leaves a
half-written file.
"""
import contextlib
import errno
import os
import tempfile

from lib.utils.errors import UserError


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


def image_grid(images, nrow=8, padding=2, value_range=None):
    """Tile a batch ``(B, C, H, W)`` into one ``(H_grid, W_grid, 3)`` uint8 array, as torchvision's ``make_grid``
    and ``save_image`` do (same layout, same rounding, same bytes), without importing torchvision: its import
    brings torch's compiler with it, seconds of start-up for a script that only samples images.

    Rows of ``nrow`` images, ``padding`` black pixels around each; grey images (C = 1) become RGB. ``value_range``
    is the (low, high) range of the pixel values, e.g. (-1, 1) for GAN images, clamped and scaled to [0, 1]; None
    means they are in [0, 1] already. A single image gets no padding.
    """
    import torch
    images = images.detach().float().cpu()
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    if value_range is not None:
        low, high = value_range
        images = images.clamp(low, high).sub(low).div(max(high - low, 1e-5))
    batch, channels, height, width = images.shape
    if batch > 1:
        columns = min(nrow, batch)
        rows = -(-batch // columns)  # ceil: the last row may be partly empty
        cells = images.new_zeros(rows * columns, channels, height + padding, width + padding)
        cells[:batch, :, padding:, padding:] = images  # each image with its top and left padding
        grid = cells.view(rows, columns, channels, height + padding, width + padding)
        grid = grid.permute(2, 0, 3, 1, 4).reshape(channels, rows * (height + padding), columns * (width + padding))
        images = torch.nn.functional.pad(grid, (0, padding, 0, padding))[None]  # the bottom and right border
    return images[0].mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()


def save_image_grid(images, path, nrow=8, padding=2, value_range=None):
    """Save a batch ``(B, C, H, W)`` as one :func:`image_grid`, atomically: JPEG for a .jpg or .jpeg ``path``, else
    PNG. ``value_range``: the (low, high) range of the pixel values; None means [0, 1]."""
    from PIL import Image
    grid = Image.fromarray(image_grid(images, nrow, padding, value_range))
    with atomic_path(path) as tmp:
        grid.save(tmp, format=IMAGE_FORMATS.get(os.path.splitext(path)[1].lower(), "png"))
