"""prepare_data.py where it cannot write: a file in the place of a target folder, or a read-only folder, ends in one
sentence that names the flag to change, before any data is written."""
import os
import sys
import tempfile

import pytest

import prepare_data
from tests.fakes import make_flower_folder, one_sentence, write_fake_mnist


@pytest.fixture
def source(tmp_path):
    """The offline copy prepare_data.py reads: MNIST's .gz files and a flowers folder."""
    write_fake_mnist(tmp_path / "source", n_train=30, n_test=20, gz=True)
    make_flower_folder(tmp_path / "source" / "dataset_flowers_64px", count=4)
    return str(tmp_path / "source")


@pytest.mark.parametrize("flag", ["--data_dir", "--flowers_dir"])
def test_a_file_where_a_folder_goes_is_named_with_its_flag(capsys, tmp_path, source, flag):
    (tmp_path / "a file").write_text("not a folder")
    targets = {"--data_dir": str(tmp_path / "data"), "--flowers_dir": str(tmp_path / "flowers"),
               flag: str(tmp_path / "a file")}
    err = one_sentence(capsys, prepare_data.main, ["--source", source] + [item for pair in targets.items()
                                                                          for item in pair])
    blocked = os.path.join(str(tmp_path / "a file"), "MNIST", "raw") if flag == "--data_dir" else str(
        tmp_path / "a file")
    assert err == "error: cannot write into the folder '{}' (a file is in the way); choose another one with " \
                  "{}".format(blocked, flag)
    assert not (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()  # nothing written yet
    assert not (tmp_path / "flowers" / "train").exists()


@pytest.mark.parametrize("flag", ["--data_dir", "--flowers_dir"])
def test_a_read_only_folder_is_named_with_its_flag_not_taken_for_damaged_data(capsys, tmp_path, source, monkeypatch,
                                                                              flag):
    read_only = str(tmp_path / "read-only")
    made = tempfile.TemporaryFile

    def permission_denied(dir=None, **kwargs):  # chmod cannot stop root, who runs some CI machines
        if str(dir).startswith(read_only):
            raise PermissionError(13, "Permission denied")
        return made(dir=dir, **kwargs)
    monkeypatch.setattr(tempfile, "TemporaryFile", permission_denied)
    targets = {"--data_dir": str(tmp_path / "data"), "--flowers_dir": str(tmp_path / "flowers"), flag: read_only}
    err = one_sentence(capsys, prepare_data.main, ["--source", source] + [item for pair in targets.items()
                                                                          for item in pair])
    blocked = os.path.join(read_only, "MNIST", "raw") if flag == "--data_dir" else read_only
    assert err == "error: cannot write into the folder {} (Permission denied); choose another one with {}".format(
        blocked, flag)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
