"""Settings and fixtures every test module shares."""
import gc
import os
import sys

import matplotlib
import pytest

from tests.fakes import make_flower_folder, write_fake_mnist

matplotlib.use("Agg")  # figures go to files only; no test may need a display

# One OpenMP thread, here and in every script a test starts as a subprocess: the tests' tiny models gain nothing
# from a second one, and on the shared 2-core machine two OpenMP threads, one of them waiting behind another job,
# made these tests up to 20 times slower (measured; a 5-epoch GAN run as a subprocess took 0.035 s per epoch with
# one thread and 4.2 s with two). Set before torch is imported, which reads it then; test files that need no torch
# (the PDF's, run_all's, Bertrand's) so start without it, which keeps each file within the autograder's 10 s.
os.environ["OMP_NUM_THREADS"] = "1"
if "torch" in sys.modules:  # imported already (by a pytest plugin, say): too late for the variable
    sys.modules["torch"].set_num_threads(1)


@pytest.fixture(scope="session")
def fake_data_dir(tmp_path_factory):
    """A data folder holding ``MNIST/raw/`` with 512 training and 200 test digits in the real file format."""
    data_dir = tmp_path_factory.mktemp("mnist")
    write_fake_mnist(data_dir)
    return str(data_dir)


@pytest.fixture
def flowers(tmp_path):
    """A flowers folder of 8 random photos in the course's nesting: 2 updates per epoch at batch size 4."""
    return make_flower_folder(tmp_path / "flowers", count=8)


def pytest_collection_finish(session):
    """Exclude everything imported so far (torch's hundreds of thousands of objects) from garbage collection.

    They live until the end anyway; every full collection walked them again, and pytest runs five at its end,
    which took a second per test file that imports torch (measured on the 2-core machine); freezing them saved
    1.5 s of the 10 s each file has. Objects the tests make are still collected and checked as before.
    """
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """Collect the garbage once, then exclude what is left from later collections.

    After the last test, pytest collects five times over (for the finalizers of the tests' garbage, whose errors
    it reports); every one walked again everything imported after collection, torch where a test imports it first
    (its dynamo and torchvision too): 2.5 s of CPU in test_messages.py (measured on the 2-core machine). The first
    collection here frees the same garbage and runs the same finalizers, whose errors pytest still reports; the
    five that follow walk only what those finalizers left.
    """
    gc.collect()
    gc.freeze()
