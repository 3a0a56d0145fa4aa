"""Faults of real runs: a full disk during training; empty paths, image suffixes, the benchmark's data flags, and
the PDF's part-2 numbers drawn with the figures' settings. (SIGTERM: test_gan_sigterm.py, test_vae_sigterm.py.)"""
import errno
import glob
import os

import numpy as np
import pytest
import torch
from PIL import Image

import benchmark
import generate_gan_images
import make_submission
import plot_clt
import plot_latent_space
import plot_normal
import prepare_data
import run_gan_training
import run_vae_training
from lib import distributions, mnist, submission
from lib.model_gan import Generator
from lib.utils import UserError, atomic_path, load_checkpoint, run_main, save_text
from tests.fakes import make_flower_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def one_sentence(capsys, main, argv):
    with pytest.raises(SystemExit) as stopped:
        run_main(main, argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err and err.count("error") == 1
    return err


# ----------------------------------------------------------------------------------------------------------------
# A full disk: one sentence naming the folder, the last good checkpoint intact, no temporary files

def test_full_disk_while_writing_a_gan_checkpoint(tmp_path, capsys, monkeypatch):
    flowers = make_flower_folder(tmp_path / "flowers", count=8)
    original, checkpoints = torch.save, []

    def save_until_the_disk_is_full(obj, path, *args, **kwargs):
        if ".checkpoint.pth." in os.path.basename(str(path)):
            checkpoints.append(path)
            if len(checkpoints) == 3:  # at the start, after epoch 1, after epoch 2: the third fails half-way
                with open(path, "wb") as handle:
                    handle.write(b"PK\x03\x04 half a zip file")
                raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 3072 vs 2983")
        return original(obj, path, *args, **kwargs)
    monkeypatch.setattr(torch, "save", save_until_the_disk_is_full)
    err = one_sentence(capsys, run_gan_training.main, ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"),
                                                       "--epochs", "4", "--checkpoint_every", "1"] + TINY)
    (run_dir,) = glob.glob(str(tmp_path / "out" / "run_*"))
    assert "the disk holding {} is full, so writing checkpoint.pth failed".format(run_dir) in err
    assert "the last good checkpoint, is intact" in err and "--resume" in err
    assert not [name for name in os.listdir(run_dir) if name.endswith(".tmp")]
    monkeypatch.setattr(torch, "save", original)
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 1


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     RuntimeError("PytorchStreamWriter failed writing file data/0: file write "
                                                  "failed")])
def test_full_disk_keeps_the_previous_file(tmp_path, failure):
    path = str(tmp_path / "losses.json")
    save_text("the good version", path)
    with pytest.raises(UserError, match="the disk holding {} is full, so writing losses.json failed".format(
            tmp_path)):
        with atomic_path(path) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise failure
    assert os.listdir(str(tmp_path)) == ["losses.json"] and open(path).read() == "the good version"


# ----------------------------------------------------------------------------------------------------------------
# Leftovers: empty paths, --output suffixes, benchmark.py's data flags, the PDF's part-2 numbers

@pytest.mark.parametrize("script, argv", [
    (run_gan_training, ["--resume", ""]), (run_gan_training, ["--data_dir", ""]),
    (run_vae_training, ["--output_dir", ""]), (run_vae_training, ["--resume", " "]),
    (generate_gan_images, ["--output", ""]), (generate_gan_images, ["--checkpoint", ""]),
    (plot_latent_space, ["--model_dir", ""]), (make_submission, ["--output", ""]), (benchmark, ["--output_dir", ""]),
    (plot_clt, ["--output_dir", ""]), (plot_normal, ["--output_dir", ""]), (prepare_data, ["--source", ""]),
])
def test_an_empty_path_is_refused(script, argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a script did with it instead would happen here
    monkeypatch.setattr(mnist, "can_download", lambda timeout=3.0: False)
    err = one_sentence(capsys, script.main, argv)
    assert "argument {}: an empty path was given; name a file or folder".format(argv[0]) in err
    assert os.listdir(str(tmp_path)) == []


def test_generated_images_have_the_format_their_name_asks_for(tmp_path, capsys):
    generator_path = str(tmp_path / "generator.pth")
    torch.save(Generator(4, 3, 64).state_dict(), generator_path)
    for name, magic in (("grid.jpg", b"\xff\xd8\xff"), ("grid.JPEG", b"\xff\xd8\xff"), ("grid.png", b"\x89PNG")):
        output = str(tmp_path / name)
        generate_gan_images.main(["--checkpoint", generator_path, "--ngf", "4", "--output", output, "--quiet",
                                  "--num_images", "4", "--device", "cpu"])
        assert open(output, "rb").read(4).startswith(magic) and Image.open(output).size == (4 * 34 + 2, 36)
    err = one_sentence(capsys, generate_gan_images.main, ["--checkpoint", generator_path, "--ngf", "4",
                                                          "--output", str(tmp_path / "new" / "grid.gif")])
    assert "--output {} does not end in .png or .jpg or .jpeg".format(tmp_path / "new" / "grid.gif") in err
    err = one_sentence(capsys, generate_gan_images.main, ["--checkpoint", str(tmp_path / "missing.pth"),
                                                          "--output", str(tmp_path / "new" / "grid.png")])
    assert "missing.pth does not exist" in err
    assert not (tmp_path / "new").exists()  # a failed start makes no folder


def test_benchmark_names_its_own_data_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(mnist, "can_download", lambda timeout=3.0: False)
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path / "no_mnist"))
    monkeypatch.setenv("FLOWERS_ROOT", str(tmp_path / "no_flowers"))
    out = tmp_path / "bench"
    err = one_sentence(capsys, benchmark.main, ["--gan_epochs", "0", "--output_dir", str(out)])
    assert "point --mnist_dir or MNIST_ROOT at the folder" in err and "--data_dir" not in err
    err = one_sentence(capsys, benchmark.main, ["--vae_epochs", "0", "--output_dir", str(out)])
    assert "pass --flowers_dir or set FLOWERS_ROOT" in err and "--data_dir" not in err
    assert not out.exists()


class TextDocument:
    """Collects what lib.submission writes into a document, as plain text."""

    def __init__(self):
        self.parts = []

    def __getattr__(self, name):  # section_break, heading, paragraph, table, images
        return lambda *args, **kwargs: self.parts.append(" ".join(str(a) for a in args))


def test_pdf_part_2_uses_the_settings_the_figures_were_drawn_with(tmp_path):
    folder = str(tmp_path / "results_distributions")
    plot_clt.main(["--n_repetitions", "300", "--sample_sizes", "2", "8", "--output_dir", folder])
    plot_normal.main(["--n_samples", "2000", "--seed", "7", "--output_dir", folder])
    doc = TextDocument()
    submission.write_distributions(doc, str(tmp_path))
    text = " ".join(doc.parts)
    assert "For n = 2, 8, 300 means of n samples each" in text and "the 300 means in the figure" in text
    _, means = distributions.plot_clt(300, (2, 8), plot=False)
    assert "{:.5f}".format(np.var(means[0])) in text  # the exponential's sample means for n = 2
    np.random.seed(7)
    (_, std, _), _ = distributions.normal_panels(2000)
    assert "the 2,000 samples of the figure below (seed 7)" in text and "{:+.4f}".format(std.mean()) in text
    os.remove(os.path.join(folder, "clt.json"))  # figures drawn before their settings were recorded
    doc = TextDocument()
    submission.write_distributions(doc, str(tmp_path))
    assert "the 1024 means of plot_clt.py's default settings (the figure's own settings were not recorded" in \
        " ".join(doc.parts)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
