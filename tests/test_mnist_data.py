"""MNIST for the VAE: .gz copies decompressed, one-sentence errors for missing and damaged files, the batches of
TensorLoader, and prepare_data.py."""
import os
import shutil
import sys

import pytest
import torch
import torchvision

import prepare_data
from lib.mnist import FILES, TensorLoader, decompress_mnist, load_mnist
from lib.train_vae import setup_mnist_dataloader
from lib.utils.errors import UserError
from tests.fakes import fake_mnist_arrays, make_flower_folder, one_sentence, write_fake_mnist


def test_gz_copies_are_decompressed_once_and_read_exactly(tmp_path):
    raw = write_fake_mnist(tmp_path, n_train=30, n_test=20, gz=True)
    images, labels = load_mnist(str(tmp_path), train=True)
    assert sorted(os.listdir(raw)) == sorted(FILES + tuple(name + ".gz" for name in FILES))
    expected_images, expected_labels = fake_mnist_arrays(30, 1)
    assert images.shape == (30, 1, 28, 28) and images.dtype == torch.float32 and labels.dtype == torch.int64
    assert torch.equal(images, torch.from_numpy(expected_images).float().div(255).unsqueeze(1))  # as ToTensor
    assert torch.equal(labels, torch.from_numpy(expected_labels).long())
    assert decompress_mnist(raw, str(tmp_path)) == 0  # the files in place are kept


def test_missing_mnist_offline_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # offline: refused at once
    with pytest.raises(UserError) as err:
        load_mnist(str(tmp_path / "nowhere"))
    message = str(err.value)
    assert message.startswith("MNIST is not in {} and could not be downloaded (".format(
        os.path.join(str(tmp_path / "nowhere"), "MNIST", "raw")))
    assert "python prepare_data.py --source FOLDER" in message and "\n" not in message


@pytest.mark.parametrize("name, damage, detail", [
    ("train-images-idx3-ubyte", lambda data: data[:1000], "shape '[30, 28, 28]' is invalid for input of size 984"),
    ("train-labels-idx1-ubyte", lambda data: b"\x00\x00\x0a\x01" + data[4:], "wrong header"),  # no such type
    ("train-labels-idx1-ubyte", lambda data: b"\x00\x00\x08\x05" + data[4:], "wrong header"),  # 5 dimensions
])
def test_damaged_files_are_one_sentence(tmp_path, name, damage, detail):
    path = os.path.join(write_fake_mnist(tmp_path, n_train=30, n_test=20), name)
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(damage(data))
    with pytest.raises(UserError, match="^the MNIST files in .* are damaged or truncated ") as err:
        load_mnist(str(tmp_path))
    assert "({}); delete them and put good copies there".format(detail) in str(err.value)


@pytest.mark.parametrize("damage", [lambda data: data[:len(data) // 2],  # cut short: EOFError
                                    lambda data: data[:60] + bytes(40) + data[100:]])  # zeroed: zlib.error
def test_damaged_gz_is_named_and_leaves_no_file(tmp_path, damage):
    raw = write_fake_mnist(tmp_path, n_train=300, n_test=20, gz=True)
    path = os.path.join(raw, "t10k-images-idx3-ubyte.gz")
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(damage(data))
    with pytest.raises(UserError, match="t10k-images-idx3-ubyte.gz cannot be decompressed .*; replace it with a good "
                                        "copy$"):
        load_mnist(str(tmp_path))
    assert not os.path.exists(os.path.join(raw, "t10k-images-idx3-ubyte"))  # nothing half-written
    assert not [name for name in os.listdir(raw) if name.startswith(".")]  # no temporary file either


def test_tensor_loader_batches():
    images, labels = torch.arange(10.0)[:, None], torch.arange(10)
    loader = TensorLoader(images, labels, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(y) for _, y in batches] == [4, 4, 2]  # the last batch partial, kept
    assert torch.equal(torch.cat([y for _, y in batches]), labels)  # in order without shuffle
    assert all(torch.equal(x[:, 0], y.float()) for x, y in batches)  # images stay with their labels

    def epochs(seed, count=2):
        loader = TensorLoader(images, labels, 4, shuffle=True, generator=torch.Generator().manual_seed(seed))
        return [torch.cat([y for _, y in loader]) for _ in range(count)]
    first, second = epochs(3)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))  # every image once per epoch
    assert not torch.equal(first, second) and not torch.equal(first, labels)  # a new order each epoch
    assert all(torch.equal(a, b) for a, b in zip(epochs(3), [first, second]))  # the seed fixes the orders
    assert not torch.equal(epochs(4, 1)[0], first)


def test_setup_mnist_dataloader_shuffles_training_only(fake_data_dir):
    train, test = setup_mnist_dataloader(64, fake_data_dir, seed=3)
    assert (len(train), len(test), len(train.dataset), len(test.dataset)) == (8, 4, 512, 200)
    assert torch.equal(torch.cat([y for _, y in test]), torch.from_numpy(fake_mnist_arrays(200, 2)[1]).long())
    first_epoch = torch.cat([y for _, y in train])
    assert not torch.equal(first_epoch, train.labels)
    assert torch.equal(torch.cat([y for _, y in setup_mnist_dataloader(64, fake_data_dir, seed=3)[0]]), first_epoch)


def test_prepare_data_puts_the_offline_copy_in_place(tmp_path, capsys):
    source = tmp_path / "source"
    write_fake_mnist(source, n_train=30, n_test=20, gz=True)
    make_flower_folder(source / "dataset_flowers_64px", count=4)
    data = tmp_path / "data"
    for flowers, copy in ((tmp_path / "linked", []), (tmp_path / "copied", ["--copy"])):
        prepare_data.main(["--source", str(source), "--data_dir", str(data), "--flowers_dir", str(flowers)] + copy)
        assert sorted(os.listdir(str(flowers / "val" / "2"))) == ["image_0003.png"]
        assert os.path.islink(str(flowers / "train")) == (not copy)
    assert sorted(os.listdir(str(data / "MNIST" / "raw"))) == sorted(FILES)
    assert "MNIST is in {}".format(data / "MNIST" / "raw") in capsys.readouterr().out
    os.remove(str(source / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"))
    err = one_sentence(capsys, prepare_data.main, ["--source", source, "--data_dir", tmp_path / "other"])
    assert err == "error: {} lacks train-labels-idx1-ubyte.gz; pass the folder that holds MNIST/raw/*.gz and " \
                  "dataset_flowers_64px/".format(source)
    assert not (tmp_path / "other").exists()
    err = one_sentence(capsys, prepare_data.main, ["--source", ""])
    assert err.endswith("error: argument --source: an empty path was given; name a file or folder")


def test_a_flowers_copy_cut_short_is_never_taken_for_a_whole_one(tmp_path, monkeypatch):
    source = tmp_path / "source"
    write_fake_mnist(source, n_train=30, n_test=20, gz=True)
    make_flower_folder(source / "dataset_flowers_64px", count=8)  # 4 photos in train/, 4 in val/
    argv = ["--source", str(source), "--data_dir", str(tmp_path / "data"), "--flowers_dir", str(tmp_path / "flowers"),
            "--copy"]
    copied, copyfile = [], shutil.copyfile

    def copy_then_ctrl_c(source, target, **kwargs):  # what shutil.copytree's copy2 calls for every file
        if len(copied) == 6:
            raise KeyboardInterrupt
        copied.append(copyfile(source, target, **kwargs))
    monkeypatch.setattr(shutil, "copyfile", copy_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        prepare_data.main(argv)
    assert sorted(os.listdir(str(tmp_path / "flowers"))) == ["train", "val.partial"]
    monkeypatch.undo()
    prepare_data.main(argv)  # the same command again completes the copy
    assert sorted(os.listdir(str(tmp_path / "flowers"))) == ["train", "val"]
    assert sorted(os.listdir(str(tmp_path / "flowers" / "val" / "1"))) == ["image_0001.png", "image_0005.png"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
