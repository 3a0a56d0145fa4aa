"""Settings and fixtures every test module shares."""
import matplotlib
import pytest
import torch

from tests.fakes import write_fake_mnist

matplotlib.use("Agg")  # figures go to files only; no test may need a display

# One torch thread: the tests' tiny models gain nothing from a second one, and on the shared 2-core machine two
# OpenMP threads, one of them waiting behind another job, made these tests up to 20 times slower (measured).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def fake_data_dir(tmp_path_factory):
    """A data folder holding ``MNIST/raw/`` with 512 training and 200 test digits in the real file format."""
    data_dir = tmp_path_factory.mktemp("mnist")
    write_fake_mnist(data_dir)
    return str(data_dir)
