"""A user's slips get sentences that say what is wrong: a file where a folder belongs, a file that is no torch file,
an output name that is only a suffix, an empty FLOWERS_ROOT; counts of one in the singular."""
import os
import sys

import pytest
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import generate_gan_images
import make_submission
import prepare_data
import run_gan_training
import run_vae_training
from lib.utils.errors import UserError, plural, run_main
from lib.utils.files import prepare_output_file
from tests.fakes import make_flower_folder, skip_loss_plots

TINY_GAN = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def _error(main, argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_main(main, argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_a_file_where_a_folder_belongs_is_called_a_file(tmp_path, capsys):
    a_file = str(tmp_path / "notes.md")
    with open(a_file, "w") as handle:
        handle.write("# notes\n")
    for main, argv, start in (
            (run_gan_training.main, ["--resume", a_file], "the run folder"),
            (prepare_data.main, ["--source", a_file], "the data source folder"),
            (make_submission.main, ["--results_root", a_file], "the results folder"),
            (run_vae_training.main, ["--data_dir", a_file, "--output_dir", str(tmp_path / "vae"), "--device", "cpu"],
             "the MNIST folder"),
            (run_gan_training.main, ["--data_dir", a_file, "--output_dir", str(tmp_path / "gan")] + TINY_GAN,
             "the flowers folder")):
        err = _error(main, argv, capsys)
        assert err.startswith("error: {} {} is a file, not a folder; ".format(start, a_file)), err
    assert os.listdir(str(tmp_path)) == ["notes.md"]  # nothing was made on the way


def test_a_file_that_is_no_torch_file_is_not_called_unsafe(tmp_path, capsys):
    text = tmp_path / "README.md"
    text.write_text("# a text file\n")
    err = _error(generate_gan_images.main, ["--checkpoint", str(text), "--device", "cpu"], capsys)
    assert err == ("error: {} is not a checkpoint this project can read (it is no PyTorch file at all: torch.save "
                   "writes a zip archive or a pickle, and this file is neither); pass the model.pth or checkpoint "
                   "file a training script wrote\n".format(text))


def test_an_output_name_that_is_only_a_suffix_asks_for_a_file_name(tmp_path):
    with pytest.raises(UserError, match=r"^--output .*\.png is only a file type; give it a file name, e\.g\. "
                                        r"--output name\.png$"):
        prepare_output_file(str(tmp_path / ".png"), "--output", suffixes=(".png", ".jpg"))
    assert prepare_output_file(str(tmp_path / "a.png"), "--output", suffixes=(".png",)) == str(tmp_path / "a.png")


def test_an_empty_flowers_root_counts_as_unset_and_one_epoch_is_singular(tmp_path, monkeypatch, capsys):
    make_flower_folder(tmp_path / "dataset_flowers_64px", count=4)
    skip_loss_plots(monkeypatch)  # the run is here for its messages
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWERS_ROOT", "")
    run_gan_training.main(["--epochs", "1", "--output_dir", str(tmp_path / "out")] + TINY_GAN)
    out = capsys.readouterr().out
    assert "trained 1 epoch in " in out and "; the run has 1 epoch, 1 update; results in " in out
    assert plural(0, "epoch") == "0 epochs" and plural(2, "update") == "2 updates"


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
