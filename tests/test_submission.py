"""The hand-in: submission.pdf and submission.md built from results folders (fake ones, full and --quick), with
every answer of the sheet, the names, one-sentence errors, and figure text readable when printed."""
import json
import os
import re
import sys

import numpy as np
import pytest
from PIL import Image

import make_submission
from lib.report.document import figure_width
from tests.fakes import one_sentence

SHEET_ANSWERS = ["1/2", "2/3", "1/3", "b = √(3nᵤ)", "b = √3072 ≈ 55.43", "What do you observe?",
                 "How can these results be explained?", "posterior collapse",
                 "What is the role of the KL divergence term?", "makes the decoder a generative model"]
MIN_PRINTED_PT = 7  # the smallest font size (points) a figure's text may have on paper


def write_png(path, width, height, seed=0):
    """A colour-gradient image of ``width`` x ``height`` pixels at ``path`` (quick to write and to embed)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ramp = np.add.outer(np.arange(height), np.arange(width))  # (height, width)
    pixels = np.stack([ramp * (seed + k + 1) % 256 for k in range(3)], axis=-1).astype(np.uint8)
    Image.fromarray(pixels).save(path)


def write_json(data, path):
    """``data`` as a JSON file at ``path``."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(data, handle)


def fake_results(root, vae_epochs=15, gan_epochs=500, generator="gan_model_g_2500_epochs.pth"):
    """Results folders under ``root`` as run_all writes them, with plausible numbers and images shaped like the
    real figures; returns the GAN run folder."""
    import torch
    root = str(root)
    write_png(os.path.join(root, "results_distributions", "clt.png"), 90, 96)  # the shape of the real ones
    write_png(os.path.join(root, "results_distributions", "normal.png"), 90, 36)
    rng = np.random.RandomState(0)
    # (reconstruction, KL, mean sigma, spread of the digits' mean codes) per KL weight, like a full run's
    for weight, (rec, kl, sigma, spread) in zip((1.0, 30.0, 0.0), ((154.1, 5.39, 0.1, 1.0), (205.4, 0.02, 0.99, 0.1),
                                                                   (146.9, 52.7, 0.002, 10.0))):
        folder = os.path.join(root, "results_kl{}".format(weight))
        write_json({"kl_loss_weight": weight, "test_draws": 5, "epochs": list(range(1, vae_epochs + 1)),
                    "train_loss": [rec + weight * kl + 1] * vae_epochs, "test_loss": [rec + weight * kl] * vae_epochs,
                    "test_reconstruction": [rec] * vae_epochs, "test_kl": [kl] * vae_epochs},
                   os.path.join(folder, "losses.json"))
        mu = spread * rng.randn(10, 2)
        write_json({"class_mu": mu.tolist(), "class_std": np.full((10, 2), sigma).tolist(),
                    "grid_low": (mu - 2 * sigma).min(0).tolist(), "grid_high": (mu + 2 * sigma).max(0).tolist(),
                    "grid_size": 20}, os.path.join(folder, "latent_stats.json"))
        write_png(os.path.join(folder, "reconstruction_{}.png".format(vae_epochs)), 242, 62)
        for name in ("latent_space", "latent_codes"):
            write_png(os.path.join(folder, name + ".png"), 69, 63)
        write_png(os.path.join(folder, "prior_samples.png"), 30, 30)
    run = os.path.join(root, "results_gan", "run_ep{}_seed999".format(gan_epochs))
    write_json({"iteration": list(range(7, 7 * gan_epochs + 1, 7)), "epoch": list(range(1, gan_epochs + 1)),
                "loss_d": [1.2] * gan_epochs, "loss_g": [1.1] * gan_epochs, "d_x": [0.57] * gan_epochs,
                "d_g_z1": [0.43] * gan_epochs, "d_g_z2": [0.35] * gan_epochs}, os.path.join(run, "history.json"))
    torch.save({"args": {"epochs": gan_epochs, "batch_size": 128, "nz": 64, "ngf": 32, "ndf": 32, "lr": 0.0002,
                         "beta1": 0.5, "seed": 999, "ema_decay": 0.99}}, os.path.join(run, "checkpoint.pth"))
    for name in ("training_images", "samples_final", "samples_final_ema"):
        write_png(os.path.join(run, name + ".png"), 274, 274)
    for seed, temperature in enumerate((0.5, 1.0)):
        path = os.path.join(root, "results_gan", "temperature_{}.png".format(temperature))
        write_png(path, 274, 274, seed)
        write_json({"checkpoint": generator, "temperature": temperature, "seed": 0, "sampling": "standing",
                    "images": 64}, path[:-4] + ".json")
    return run


def pdf_text(path):
    """The text of every page of the PDF ``path``, one string per page."""
    from pypdf import PdfReader
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A full run's fake results, and the hand-in built from them with names: ``(root, pages' text, markdown)``."""
    root = tmp_path_factory.mktemp("full")
    fake_results(root)
    make_submission.main(["--results_root", str(root), "--names", "Zoë Łukasiewicz, A. B", "--quiet"])
    with open(os.path.join(str(root), "submission.md"), encoding="utf-8") as handle:
        return root, pdf_text(os.path.join(str(root), "submission.pdf")), handle.read()


def test_the_pdf_answers_every_question_of_the_sheet(full):
    _, pages, markdown = full
    text, markdown_text = (re.sub(r"\s+", " ", " ".join(pages)), re.sub(r"\s+", " ", markdown))
    for answer in SHEET_ANSWERS:
        assert answer in text and answer in markdown_text
    assert "Zoë Łukasiewicz, A. B" in pages[0]
    assert "154.1" in text and "205.4" in text and "146.9" in text  # the fake runs' reconstruction losses
    assert "smoke run" not in text.lower() and "{{" not in markdown and "TODO" not in markdown
    assert len(pages) <= 8


def test_the_markdown_links_the_figures_of_the_results_folders(full):
    root, _, markdown = full
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", markdown)
    assert len(links) == 19 and all(not os.path.isabs(link) for link in links)
    assert all(os.path.isfile(os.path.join(str(root), link)) for link in links)
    assert "results_kl30.0/latent_space.png" in links


def test_a_quick_run_is_marked_and_needs_no_names(tmp_path, capsys):
    run = fake_results(tmp_path, vae_epochs=1, gan_epochs=2, generator="run/generator_ema.pth")
    make_submission.main(["--results_root", str(tmp_path), "--gan_run", run, "--quick", "--names", ""])
    pages = pdf_text(str(tmp_path / "submission.pdf"))
    assert "Smoke run" in pages[0] and all("smoke run" in page for page in pages)
    assert "trained for 1 epoch and the GAN for 2 epochs" in re.sub(r"\s+", " ", pages[0])
    assert "moving average" in " ".join(pages)  # the temperature grids' generator is named
    assert "warning" not in capsys.readouterr().err


def test_without_names_it_warns_with_the_command_that_adds_them(full, tmp_path, capsys):
    root = full[0]
    output = str(tmp_path / "hand in.pdf")
    make_submission.main(["--results_root", str(root), "--output", output, "--quiet"])
    err = capsys.readouterr().err
    assert "--output '{}' --names".format(output) in err and "--results_root" in err
    assert "--names fills in this line" in re.sub(r"\s+", " ", pdf_text(output)[0])
    assert os.path.isfile(str(tmp_path / "hand in.md"))


def test_a_missing_file_ends_in_one_sentence_naming_it_and_its_command(tmp_path, capsys):
    fake_results(tmp_path)
    os.remove(str(tmp_path / "results_kl30.0" / "latent_stats.json"))
    err = one_sentence(capsys, make_submission.main, ["--results_root", tmp_path])
    assert "latent_stats.json is missing" in err and "python plot_latent_space.py --kl_loss_weight 30" in err
    assert not os.path.exists(str(tmp_path / "submission.pdf"))


def test_names_the_font_cannot_print_are_refused(tmp_path, capsys):
    err = one_sentence(capsys, make_submission.main, ["--results_root", tmp_path, "--names", "李雷"])
    assert "李" in err and "Latin letters" in err


def test_a_markdown_file_not_written_here_is_never_replaced(full, tmp_path, capsys):
    (tmp_path / "README.md").write_text("# my notes\n")
    err = one_sentence(capsys, make_submission.main, ["--results_root", full[0], "--output", tmp_path / "README.pdf"])
    assert "README.md exists" in err and (tmp_path / "README.md").read_text() == "# my notes\n"


# -- figure text on paper -----------------------------------------------------------------------------------------

def smallest_printed_pt(fig, printed_width):
    """The font size in points of the smallest visible text of the matplotlib figure ``fig`` when it is printed
    ``printed_width`` inches wide: its size in the PNG times the printed width over the PNG's width."""
    from matplotlib.text import Text
    fig.canvas.draw()  # makes the tick labels
    sizes = [text.get_fontsize() for text in fig.findobj(Text)
             if text.get_visible() and text.get_text().strip()]
    return min(sizes) * printed_width / fig.get_figwidth()


def report_layout(markdown):
    """``{figure file name: printed width in inches}`` as the report lays out its rows of figures."""
    widths = {}
    for paragraph in markdown.split("\n\n"):
        links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", paragraph)
        widths.update({os.path.basename(link): figure_width(len(links)) for link in links})
    return widths


def test_the_text_check_fails_for_3_pt_labels_in_the_reports_layout(full):
    import matplotlib.pyplot as plt
    width = report_layout(full[2])["latent_codes.png"]
    for label_size, readable in ((3, False), (10, True)):
        fig, ax = plt.subplots(figsize=(4.6, 4.2))  # the latent scatter's size
        ax.scatter(*np.random.RandomState(0).randn(2, 100), c=np.arange(100) % 10, cmap="tab10", s=1.5)
        ax.tick_params(labelsize=label_size)
        ax.set_xlabel("$\\mu_0$", fontsize=label_size)
        assert (smallest_printed_pt(fig, width) >= MIN_PRINTED_PT) == readable
        plt.close(fig)


@pytest.fixture(scope="module")
def lib_figures(tmp_path_factory):
    """``{file name: matplotlib figure}`` drawn by the lib functions that make the report's figures."""
    import matplotlib.pyplot as plt
    import torch
    import lib.explore_latent_space as latent
    from lib.distributions import plot_clt, plot_normal
    from lib.model_vae import VAE
    figures = {}
    torch.manual_seed(0)
    loader = [(torch.rand(40, 1, 28, 28), torch.arange(40) % 10)]  # (images, labels): one batch of every digit
    with pytest.MonkeyPatch.context() as patch:  # keep the figures instead of saving them
        patch.setattr(latent, "save_figure", lambda fig, path, dpi=None: figures.update({os.path.basename(path): fig}))
        for plot in (latent.plot_latent_space, latent.plot_codes_and_prior):
            plot(VAE(), loader, output_dir=str(tmp_path_factory.mktemp("latent")), title="KL weight 1")
    plot_clt(n_repetitions=64)
    figures["clt.png"] = plt.gcf()
    figures["normal.png"] = plot_normal(n_samples=1000)
    yield figures
    plt.close("all")


@pytest.mark.parametrize("name", ["latent_space.png", "latent_codes.png", "clt.png", "normal.png"])
def test_every_figure_of_the_report_has_text_of_at_least_7_pt_on_paper(full, lib_figures, name):
    assert smallest_printed_pt(lib_figures[name], report_layout(full[2])[name]) >= MIN_PRINTED_PT


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
