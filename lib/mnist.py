"""MNIST in torchvision's raw layout ``<data_dir>/MNIST/raw/``: put the files in place, check them, load them.

torchvision's ``datasets.MNIST`` reads only the four uncompressed idx files and re-downloads any ``.gz`` whose
md5 it does not know, so the ``.gz`` copies handed out with the course are decompressed here first. The default
loader decodes each split once into one tensor on the training device and shuffles and batches there
(:class:`TensorLoader`); the per-sample torchvision ``DataLoader`` stays available for comparison.
"""
import gzip
import math
import os
import shutil
import socket
import zlib
from urllib.parse import urlparse

import numpy as np
import torch

from lib.utils.errors import UserError, require_folder
from lib.utils.files import atomic_path

# The four files of torchvision's raw layout and the number of dimensions of the array each one holds.
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")
_NDIM = {"images": 3, "labels": 1}
IDX_UBYTE = 0x08  # the idx type code for unsigned bytes, the only one MNIST uses


def default_data_dir():
    """The folder that holds ``MNIST/raw/``: ``$MNIST_ROOT`` if set, else ``data``."""
    return os.environ.get("MNIST_ROOT") or "data"


def raw_folder(data_dir):
    return os.path.join(data_dir, "MNIST", "raw")


def _where_to_put_files(raw):
    return ("run `python prepare_data.py` (it decompresses the course's copy from ../shared/datasets) or copy the "
            "four files {} into {}".format(", ".join(name + ".gz" for name in MNIST_FILES), raw))


# ----------------------------------------------------------------------------------------------------------------
# idx files: header check and decoding

def _split_of(path):
    return "labels" if "labels" in os.path.basename(path) else "images"


def check_idx(path, name=None):
    """Check the idx header of ``path`` against its size; returns the array shape, e.g. ``(60000, 28, 28)``.

    ``name`` is the file named in the error message (default ``path``). Reads 16 bytes, so it is cheap.
    """
    name = name or path
    expected_ndim = _NDIM[_split_of(path)]
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        header = handle.read(4 + 4 * expected_ndim)
    problem = None
    if len(header) < 4 + 4 * expected_ndim:
        problem = "it holds only {} bytes".format(size)
    elif header[0] != 0 or header[1] != 0 or header[2] != IDX_UBYTE or header[3] != expected_ndim:
        problem = "its header is not that of an MNIST {} file".format(_split_of(path))
    else:
        shape = tuple(int(v) for v in np.frombuffer(header[4:], dtype=">i4"))
        expected_size = len(header) + int(np.prod(shape))
        if size != expected_size:
            problem = "it should hold {} bytes for shape {} but holds {}".format(expected_size, shape, size)
    if problem:
        raise UserError("{} is truncated or damaged ({}); delete it and put a good copy in place ({})".format(
            name, problem, _where_to_put_files(os.path.dirname(path) or ".")))
    return shape


def read_idx(path):
    """Decode an idx file of unsigned bytes into a ``torch.uint8`` tensor of the shape its header gives."""
    shape = check_idx(path)
    data = np.fromfile(path, dtype=np.uint8, offset=4 + 4 * len(shape))
    return torch.from_numpy(data.reshape(shape))


# ----------------------------------------------------------------------------------------------------------------
# Putting the files in place

def decompress(gz_path, path):
    """Decompress ``gz_path`` into ``path`` atomically and check that the result is an idx file."""
    try:
        with atomic_path(path) as tmp:
            with gzip.open(gz_path, "rb") as source, open(tmp, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            check_idx(tmp, name=gz_path)
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise UserError("{} cannot be decompressed ({}); replace it with a good copy ({})".format(
            gz_path, err, _where_to_put_files(os.path.dirname(path))))


def prepare_mnist(source_raw_dir, data_dir):
    """Decompress (or copy) the four MNIST files from ``source_raw_dir`` into ``<data_dir>/MNIST/raw/``.

    ``source_raw_dir`` holds ``<name>.gz`` or the uncompressed ``<name>``. Files already in place and intact are
    kept. Returns the raw folder.
    """
    raw = raw_folder(data_dir)
    sources = {}
    for name in MNIST_FILES:
        for candidate in (os.path.join(source_raw_dir, name + ".gz"), os.path.join(source_raw_dir, name)):
            if os.path.isfile(candidate):
                sources[name] = candidate
                break
    absent = [name for name in MNIST_FILES if name not in sources]
    if absent:
        raise UserError("{} lacks the MNIST file(s) {}; pass the folder that holds all four .gz files".format(
            source_raw_dir, ", ".join(name + ".gz" for name in absent)))
    os.makedirs(raw, exist_ok=True)
    for name in MNIST_FILES:
        target = os.path.join(raw, name)
        if os.path.isfile(target):
            try:
                check_idx(target)
                continue
            except UserError:
                pass  # a damaged copy from an earlier attempt: replace it
        if sources[name].endswith(".gz"):
            decompress(sources[name], target)
        else:
            check_idx(sources[name])
            with atomic_path(target) as tmp:
                shutil.copyfile(sources[name], tmp)
    return raw


def can_download(timeout=3.0):
    """True when torchvision's MNIST mirror answers; keeps an offline machine from a long, noisy download try."""
    from torchvision import datasets
    host = urlparse(datasets.MNIST.mirrors[0]).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def ensure_mnist(data_dir, download=True, flag="--data_dir"):
    """Make sure the four uncompressed MNIST files are in ``<data_dir>/MNIST/raw/`` and intact.

    Missing files are decompressed from a ``.gz`` beside them; if some are still missing, torchvision downloads
    them when ``download`` is true and its mirror can be reached. Raises :class:`UserError` otherwise, naming the
    calling script's option ``flag`` for the folder.
    Returns the raw folder.
    """
    if os.path.exists(data_dir):  # a missing one may still be downloaded into
        require_folder(data_dir, "MNIST folder", "point {} or MNIST_ROOT at the folder that holds MNIST/raw/".format(
            flag))
    raw = raw_folder(data_dir)
    missing = [name for name in MNIST_FILES if not os.path.isfile(os.path.join(raw, name))]
    for name in list(missing):
        gz_path = os.path.join(raw, name + ".gz")
        if os.path.isfile(gz_path):
            decompress(gz_path, os.path.join(raw, name))
            missing.remove(name)
    if missing:
        if not (download and can_download()):
            raise UserError("MNIST is not in {} (missing {}) and cannot be downloaded from here; {}, or point "
                            "{} or MNIST_ROOT at the folder that holds MNIST/raw/".format(
                                raw, ", ".join(missing), _where_to_put_files(raw), flag))
        from torchvision import datasets
        try:
            datasets.MNIST(data_dir, train=True, download=True)
        except Exception as err:  # torchvision raises RuntimeError, URLError, OSError, ... for a failed download
            raise UserError("downloading MNIST into {} failed ({}); {}".format(
                raw, str(err).splitlines()[0][:160], _where_to_put_files(raw)))
    for name in MNIST_FILES:
        check_idx(os.path.join(raw, name))
    return raw


def load_mnist_tensors(data_dir, train=True, device="cpu"):
    """Decode one split once: images ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64, on ``device``.

    The pixel values equal torchvision's ``ToTensor`` output bit for bit (uint8 / 255 in float32).
    """
    raw = ensure_mnist(data_dir, download=False)
    prefix = "train" if train else "t10k"
    image_path = os.path.join(raw, prefix + "-images-idx3-ubyte")
    label_path = os.path.join(raw, prefix + "-labels-idx1-ubyte")
    images, labels = read_idx(image_path), read_idx(label_path)
    if len(images) != len(labels) or (len(labels) and int(labels.max()) > 9):
        raise UserError("{} does not match {} ({} images, {} labels, labels up to {}); delete both and put good "
                        "copies in place ({})".format(label_path, image_path, len(images), len(labels),
                                                      int(labels.max()) if len(labels) else None,
                                                      _where_to_put_files(raw)))
    images = images.to(device).unsqueeze(1).float().div_(255)  # (N, 1, 28, 28)
    return images, labels.to(device=device, dtype=torch.int64)


# ----------------------------------------------------------------------------------------------------------------
# Loaders

class TensorLoader:
    """Batches of ``(images, labels)`` cut from tensors that already sit on the training device.

    Draws from its ``generator`` exactly what ``DataLoader(dataset, batch_size, shuffle, generator=generator)``
    draws (one int64 for worker seeding, then ``randperm`` when shuffling), so with the same generator state both
    yield the same batches; the last, partial batch is kept. ``dataset`` is a ``TensorDataset`` so that
    ``len(loader.dataset)`` works as for a DataLoader.
    """

    def __init__(self, images, labels, batch_size=128, shuffle=False, generator=None):
        self.dataset = torch.utils.data.TensorDataset(images, labels)
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.generator = batch_size, shuffle, generator

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        n, size = len(self.images), self.batch_size
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)  # DataLoader's worker base seed
        if not self.shuffle:
            for start in range(0, n, size):
                yield self.images[start:start + size], self.labels[start:start + size]
            return
        generator = self.generator
        if generator is None:  # as RandomSampler does without a generator
            generator = torch.Generator()
            generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
        order = torch.randperm(n, generator=generator).to(self.images.device)
        # RandomSampler draws one more (unused) permutation when its index stream runs out; drawing it too keeps
        # the generator in step with a DataLoader's, epoch after epoch.
        torch.randperm(n, generator=generator)
        for start in range(0, n, size):
            index = order[start:start + size]
            yield self.images[index], self.labels[index]


def mnist_loaders(batch_size=128, data_dir=None, device="cpu", per_sample=False, shuffle_seed=None,
                  download=True):
    """``(train_loader, test_loader)`` over MNIST; the train loader shuffles, the test loader does not.

    ``per_sample=False`` (default): :class:`TensorLoader` on ``device``. ``per_sample=True``: torchvision's
    ``MNIST`` with a per-image ``ToTensor`` in a ``DataLoader`` (the tutorial path; batches stay on the CPU).
    Both take the shuffle order from ``train_loader.generator``, seeded with ``shuffle_seed`` (None: drawn from
    torch's global generator), and give the same batches for the same seed.
    """
    data_dir = default_data_dir() if data_dir is None else data_dir
    ensure_mnist(data_dir, download=download)
    train_generator, test_generator = torch.Generator(), torch.Generator()
    if shuffle_seed is None:
        shuffle_seed = int(torch.randint(2 ** 62, ()).item())
    train_generator.manual_seed(shuffle_seed)
    test_generator.manual_seed(0)  # only feeds the unused worker seed; keeps torch's global generator untouched
    if per_sample:
        from torchvision import datasets, transforms
        pin_memory = torch.device(device).type == "cuda"  # page-locked batches: non_blocking copies do not block
        loaders = []
        for train, generator in ((True, train_generator), (False, test_generator)):
            dataset = datasets.MNIST(data_dir, train=train, transform=transforms.ToTensor(), download=False)
            loaders.append(torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=train,
                                                       generator=generator, pin_memory=pin_memory))
        return tuple(loaders)
    train = TensorLoader(*load_mnist_tensors(data_dir, True, device), batch_size, True, train_generator)
    test = TensorLoader(*load_mnist_tensors(data_dir, False, device), batch_size, False, test_generator)
    return train, test
