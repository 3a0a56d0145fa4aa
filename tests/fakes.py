"""Small data sets in the courses' file formats, written by the tests: MNIST idx files and a flowers folder."""
import gzip
import os

import numpy as np
from PIL import Image


def _idx_bytes(array):
    """An idx file of unsigned bytes: magic 0 0 8 ndim, big-endian int32 dimensions, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.tobytes()


def fake_mnist_arrays(n, seed):
    """``n`` 28 x 28 digits whose class shows as a bright bar (row 3 + 2 * label) over faint noise."""
    rng = np.random.RandomState(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = rng.randint(0, 40, size=(n, 28, 28))
    rows = 3 + 2 * labels
    images[np.arange(n)[:, None], rows[:, None], np.arange(4, 24)[None, :]] = rng.randint(180, 256, size=(n, 1))
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_fake_mnist(data_dir, n_train=512, n_test=200, gz=False):
    """Write the four MNIST files (``.gz`` only when ``gz``) into ``<data_dir>/MNIST/raw/``; returns that folder."""
    raw = os.path.join(str(data_dir), "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    contents = {}
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        images, labels = fake_mnist_arrays(n, seed)
        contents[prefix + "-images-idx3-ubyte"] = _idx_bytes(images)
        contents[prefix + "-labels-idx1-ubyte"] = _idx_bytes(labels)
    for name, data in contents.items():
        if gz:
            with gzip.open(os.path.join(raw, name + ".gz"), "wb") as handle:
                handle.write(data)
        else:
            with open(os.path.join(raw, name), "wb") as handle:
                handle.write(data)
    return raw


# (height, width) of the fake photos: shorter side 64 like the course's, longer side 64..100, both orientations.
SIZES = [(64, 80), (90, 64), (64, 64), (64, 100), (70, 64), (64, 77), (64, 64), (100, 64), (64, 91), (66, 64)]


def make_flower_folder(root, count=10, sizes=SIZES, seed=0):
    """Write ``count`` random RGB PNGs into ``root/{train,val}/{1,2}/`` (the course's nesting); returns root."""
    rng = np.random.RandomState(seed)
    for k in range(count):
        folder = os.path.join(str(root), ("train", "val")[k % 2], str(1 + (k // 2) % 2))
        os.makedirs(folder, exist_ok=True)
        height, width = sizes[k % len(sizes)]
        pixels = rng.randint(0, 256, (height, width, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, "image_{:04d}.png".format(k)))
    return str(root)
