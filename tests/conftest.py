"""Settings and fixtures every test module shares."""
import gc
import os
import sys

import matplotlib
import pytest

from tests.fakes import make_flower_folder, write_fake_mnist

matplotlib.use("Agg")  # figures go to files only; no test may need a display

# No garbage collection while the test modules are imported: it finds next to nothing there, yet its full
# collections walked torch's objects again and again (1.1 s of the 5.6 s CPU time that importing torch, torchvision
# and pyplot took, measured). pytest_collection_modifyitems turns it on again once they are frozen.
gc.disable()

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


def pytest_collection_modifyitems():
    """Freeze what the test modules imported and turn garbage collection on again (off while they were imported).

    Runs after every test module is imported, before pytest_collection_finish freezes them again (then a no-op):
    frozen first, so the first collection does not walk the hundreds of thousands of objects allocated while it was off.
    """
    gc.freeze()
    gc.enable()


def pytest_sessionfinish():
    """Collect the tests' garbage once, then freeze what is left (the modules the tests imported: torchvision,
    torch._dynamo, pyplot).

    pytest then runs five full collections for finalizers' errors; each walked those modules again, 0.16 s apiece
    (measured). The tests' garbage, and its finalizers' errors, are collected and reported as before: here, while
    pytest's unraisable-exception hook is still installed.
    """
    gc.collect()
    gc.freeze()
