"""Settings and fixtures every test module shares."""
import os
import sys

import matplotlib
import pytest

from tests.fakes import make_flower_folder, write_fake_mnist

matplotlib.use("Agg")  # figures go to files only; no test may need a display

# One OpenMP thread, here and in every script a test starts as a subprocess (they inherit the variable): the tests'
# tiny models gain nothing from a second thread, and on a shared 2-core machine one waiting behind another job made
# the tests of parts 1 to 3 take twice as long (41 to 49 s instead of 19 to 29 s, measured side by side). Torch reads
# the variable when it is imported.
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
