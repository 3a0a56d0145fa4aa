"""MNIST for the VAE: its files put in place, each split decoded once into tensors and batched on the device."""
import gzip
import os
import shutil
import zlib

import torch

from lib.utils.errors import UserError
from lib.utils.files import atomic_path

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def decompress_mnist(source_dir, data_dir):
    """Decompress the four ``<name>.gz`` files of ``source_dir`` into ``<data_dir>/MNIST/raw/``.

    torchvision reads only the uncompressed files, and downloads again any ``.gz`` whose checksum it does not
    know. Files already in place are kept. Returns the number of files decompressed.
    """
    raw = os.path.join(data_dir, "MNIST", "raw")
    todo = [name for name in FILES if not os.path.isfile(os.path.join(raw, name))
            and os.path.isfile(os.path.join(source_dir, name + ".gz"))]
    os.makedirs(raw, exist_ok=True)
    for name in todo:
        try:
            with atomic_path(os.path.join(raw, name)) as tmp:
                with gzip.open(os.path.join(source_dir, name + ".gz")) as source, open(tmp, "wb") as target:
                    shutil.copyfileobj(source, target)
        except (OSError, EOFError, zlib.error) as err:  # a damaged .gz
            raise UserError("{} cannot be decompressed ({}); replace it with a good copy".format(
                os.path.join(source_dir, name + ".gz"), err))
    return len(todo)


def load_mnist(data_dir="data", train=True, device="cpu"):
    """One split of MNIST: images ``(N, 1, 28, 28)`` float32 in [0, 1] (as ``ToTensor`` makes them) and labels
    ``(N,)`` int64, on ``device``. Read from ``<data_dir>/MNIST/raw/``, or downloaded there first."""
    from torchvision import datasets
    raw = os.path.join(data_dir, "MNIST", "raw")
    if os.path.isdir(raw):
        decompress_mnist(raw, data_dir)  # .gz copies put there by hand
    try:
        dataset = datasets.MNIST(data_dir, train=train, download=True)
    except (RuntimeError, OSError, AssertionError, KeyError, TypeError, ValueError) as err:
        if not all(os.path.isfile(os.path.join(raw, name)) for name in FILES):  # offline: every mirror failed
            raise UserError("MNIST is not in {} and could not be downloaded ({}); put the four files there, or their "
                            ".gz copies and run `python prepare_data.py --source FOLDER`, or pass --data_dir".format(
                                raw, str(err).strip().splitlines()[0][:100]))
        # The files were there, so reading them failed: torchvision's checks of the headers, or a size that does
        # not fit the header (a RuntimeError of view()).
        raise UserError("the MNIST files in {} are damaged or truncated ({}); delete them and put good copies "
                        "there".format(raw, "wrong header" if isinstance(err, (AssertionError, KeyError)) else err))
    return dataset.data.unsqueeze(1).to(device).float().div_(255), dataset.targets.to(device)


class TensorLoader:
    """Batches ``(images, labels)`` cut from tensors that already lie on the training device; shuffled anew
    every epoch by the CPU ``generator`` when ``shuffle``. Decoding MNIST image by image with ``ToTensor`` in a
    ``DataLoader`` took longer than the VAE's arithmetic (see docs/speed.md)."""

    def __init__(self, images, labels, batch_size=128, shuffle=False, generator=None):
        self.dataset = torch.utils.data.TensorDataset(images, labels)  # so len(loader.dataset) works
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.generator = batch_size, shuffle, generator

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __iter__(self):
        n = len(self.images)
        order = torch.randperm(n, generator=self.generator).to(self.images.device) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                yield self.images[start:start + self.batch_size], self.labels[start:start + self.batch_size]
            else:
                index = order[start:start + self.batch_size]
                yield self.images[index], self.labels[index]
