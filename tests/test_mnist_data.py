"""MNIST files: decompression, checks with clear errors, and the fast loader against torchvision's.
"""
import os
import sys

import pytest
import torch

from lib import mnist
from lib.mnist import MNIST_FILES, TensorLoader, ensure_mnist, load_mnist_tensors, mnist_loaders, prepare_mnist
from lib.utils.errors import UserError
from tests.fakes import fake_mnist_arrays, write_fake_mnist


def test_gz_files_are_decompressed_and_loaded(tmp_path):
    raw = write_fake_mnist(tmp_path, n_train=30, n_test=20, gz=True)
    assert sorted(os.listdir(raw)) == sorted(name + ".gz" for name in MNIST_FILES)
    ensure_mnist(str(tmp_path), download=False)
    for name in MNIST_FILES:
        assert os.path.isfile(os.path.join(raw, name))
    images, labels = load_mnist_tensors(str(tmp_path), train=True)
    expected_images, expected_labels = fake_mnist_arrays(30, 1)
    assert images.shape == (30, 1, 28, 28) and images.dtype == torch.float32
    assert torch.equal(images, torch.from_numpy(expected_images).float().div(255).unsqueeze(1))
    assert torch.equal(labels, torch.from_numpy(expected_labels).long())


def test_prepare_mnist_copies_from_a_source_folder_and_keeps_good_files(tmp_path):
    source = write_fake_mnist(tmp_path / "source", n_train=30, n_test=20, gz=True)
    raw = prepare_mnist(source, str(tmp_path / "data"))
    assert raw == os.path.join(str(tmp_path / "data"), "MNIST", "raw")
    assert sorted(os.listdir(raw)) == sorted(MNIST_FILES)
    stamp = os.path.getmtime(os.path.join(raw, MNIST_FILES[0]))
    prepare_mnist(source, str(tmp_path / "data"))  # a second call keeps the intact files
    assert os.path.getmtime(os.path.join(raw, MNIST_FILES[0])) == stamp
    os.remove(os.path.join(source, MNIST_FILES[1] + ".gz"))
    with pytest.raises(UserError, match="lacks the MNIST file.*train-labels-idx1-ubyte.gz"):
        prepare_mnist(source, str(tmp_path / "other"))


def test_missing_mnist_offline_says_where_to_put_the_files(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "can_download", lambda timeout=3.0: False)
    with pytest.raises(UserError) as err:
        ensure_mnist(str(tmp_path / "nowhere"))
    message = str(err.value)
    assert "cannot be downloaded" in message and "python prepare_data.py" in message
    assert os.path.join(str(tmp_path / "nowhere"), "MNIST", "raw") in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "\n" not in message


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_file_is_named(tmp_path, damage):
    raw = write_fake_mnist(tmp_path, n_train=30, n_test=20)
    path = os.path.join(raw, "train-images-idx3-ubyte")
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[:1000] if damage == "truncate" else b"\x00\x00\x0d\x03" + data[4:])
    with pytest.raises(UserError, match="train-images-idx3-ubyte is truncated or damaged"):
        mnist_loaders(data_dir=str(tmp_path), download=False)


def test_truncated_gz_file_is_named(tmp_path):
    raw = write_fake_mnist(tmp_path, n_train=30, n_test=20, gz=True)
    path = os.path.join(raw, "t10k-images-idx3-ubyte.gz")
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[:len(data) // 2])
    with pytest.raises(UserError, match="t10k-images-idx3-ubyte.gz cannot be decompressed"):
        ensure_mnist(str(tmp_path), download=False)
    assert not os.path.exists(os.path.join(raw, "t10k-images-idx3-ubyte"))  # nothing half-written is left


def test_fast_loader_gives_the_batches_of_the_torchvision_loader(fake_data_dir):
    fast_train, fast_test = mnist_loaders(64, fake_data_dir, shuffle_seed=3)
    slow_train, slow_test = mnist_loaders(64, fake_data_dir, per_sample=True, shuffle_seed=3)
    assert isinstance(fast_train, TensorLoader) and isinstance(slow_train, torch.utils.data.DataLoader)
    assert len(fast_train) == len(slow_train) == 8 and len(fast_test) == len(slow_test) == 4  # 200 = 3 * 64 + 8
    for epoch in range(2):  # the same shuffle every epoch, and a new one each epoch
        fast = list(fast_train)
        slow = list(slow_train)
        for (x_fast, y_fast), (x_slow, y_slow) in zip(fast, slow):
            assert torch.equal(x_fast, x_slow) and torch.equal(y_fast, y_slow)
        if epoch == 0:
            first_order = torch.cat([y for _, y in fast])
    assert not torch.equal(first_order, torch.cat([y for _, y in fast]))
    test_batches = list(fast_test)
    assert [len(x) for x, _ in test_batches] == [64, 64, 64, 8]  # the last partial batch is kept
    assert torch.equal(torch.cat([y for _, y in test_batches]), torch.from_numpy(fake_mnist_arrays(200, 2)[1]).long())
    for (x_fast, _), (x_slow, _) in zip(test_batches, slow_test):
        assert torch.equal(x_fast, x_slow)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
