"""Faults of real runs: empty paths, image suffixes, the benchmark's data flags, and the PDF's part-2 numbers drawn
with the figures' settings. (SIGTERM: test_gan_sigterm.py, test_vae_sigterm.py; a full disk: test_full_disk.py.)"""
import os
import sys

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
from lib import distributions, mnist
from lib.report.part2_distributions import write_distributions
from lib.model_gan import Generator
from tests.fakes import one_sentence


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
        output = str(tmp_path / name)  # running statistics: the format is the point, not 1.3 s of standing ones
        generate_gan_images.main(["--checkpoint", generator_path, "--ngf", "4", "--output", output, "--quiet",
                                  "--num_images", "4", "--device", "cpu", "--sampling", "running"])
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
    """Collects what lib.report writes into a document, as plain text."""

    def __init__(self):
        self.parts = []

    def __getattr__(self, name):  # section_break, heading, paragraph, table, images
        return lambda *args, **kwargs: self.parts.append(" ".join(str(a) for a in args))


def test_pdf_part_2_uses_the_settings_the_figures_were_drawn_with(tmp_path):
    folder = str(tmp_path / "results_distributions")
    plot_clt.main(["--n_repetitions", "300", "--sample_sizes", "2", "8", "--output_dir", folder])
    plot_normal.main(["--n_samples", "2000", "--seed", "7", "--output_dir", folder])
    doc = TextDocument()
    write_distributions(doc, str(tmp_path))
    text = " ".join(doc.parts)
    assert "For n = 2, 8, 300 means of n samples each" in text and "the 300 means in the figure" in text
    _, means = distributions.plot_clt(300, (2, 8), plot=False)
    assert "{:.5f}".format(np.var(means[0])) in text  # the exponential's sample means for n = 2
    np.random.seed(7)
    (_, std, _), _ = distributions.normal_panels(2000)
    assert "the 2,000 samples of the figure below (seed 7)" in text and "{:+.4f}".format(std.mean()) in text
    os.remove(os.path.join(folder, "clt.json"))  # figures drawn before their settings were recorded
    doc = TextDocument()
    write_distributions(doc, str(tmp_path))
    assert "the 1024 means of plot_clt.py's default settings (the figure's own settings were not recorded" in \
        " ".join(doc.parts)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
