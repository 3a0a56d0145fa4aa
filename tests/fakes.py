"""What the test files share: small data sets in the courses' file formats (MNIST idx files, a flowers folder),
tiny GAN runs, the check of a one-sentence error and scripts started as their own process."""
import glob
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


# ----------------------------------------------------------------------------------------------------------------
# Tiny runs of the GAN script, the check of a mistake's one sentence, scripts as processes. Torch and the scripts are
# imported inside the functions: the test files that need neither import this module too.

TINY_GAN = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def train_tiny_gan(flowers, output_dir, *extra):
    """run_gan_training.main on 8 images, batch 4 (2 updates per epoch), tiny networks, 1 epoch unless ``extra``
    says otherwise; returns the new run folder."""
    import run_gan_training
    before = set(glob.glob(os.path.join(str(output_dir), "run_*")))
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir), "--epochs", "1"] + TINY_GAN
                          + list(extra))
    (run_dir,) = set(glob.glob(os.path.join(str(output_dir), "run_*"))) - before
    return run_dir


def gan_weights(run_dir):
    """The generator's and the discriminator's state dicts a GAN run wrote."""
    from lib.utils.checkpoints import load_checkpoint
    return [load_checkpoint(os.path.join(run_dir, name), "") for name in ("generator.pth", "discriminator.pth")]


def assert_same_weights(a, b):
    """Two lists of state dicts hold the same keys and bit-identical tensors."""
    import torch
    for state_a, state_b in zip(a, b):
        assert state_a.keys() == state_b.keys()
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def one_sentence(capsys, main, argv):
    """Run a script's ``main(argv)`` as ``python script.py argv`` would; check exit status 2, no traceback and one
    error sentence, the last line of stderr, and return that line."""
    import pytest
    from lib.utils.errors import run_main
    with pytest.raises(SystemExit) as stopped:
        run_main(main, [str(a) for a in argv])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err, err
    assert [line for line in err.splitlines() if "error: " in line] == err.splitlines()[-1:], err
    return err.splitlines()[-1]


def start_script(argv, cwd):
    """Start ``python argv`` as its own process in ``cwd``, the repository on its path, headless, output piped."""
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen([sys.executable] + [str(a) for a in argv], cwd=str(cwd), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True,
                            env=dict(os.environ, PYTHONPATH=root, MPLBACKEND="Agg"))


def terminate_once_written(process, written, timeout=120):
    """Send a process of :func:`start_script` SIGTERM once a file ``written`` (a glob) exists, checking it is still
    running then; returns its exit status, stdout and stderr."""
    import signal
    import time
    deadline = time.time() + timeout
    while not glob.glob(str(written)) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
