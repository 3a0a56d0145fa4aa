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


# What a full run measures, per KL weight, like the committed seed's run: losses, latent measures (latent_stats.json)
# and what the MNIST classifier read (prior_quality.json). Tests reverse single facts with fake_results(..., vae=).
VAE_FACTS = {
    1.0: {"rec": 154.1, "kl": 5.39, "sigma": 0.1, "spread": 1.0, "kl_per_dim": [2.53, 2.96],
          "nearest_mean_accuracy": 0.571,
          "per_digit_accuracy": [0.71, 0.95, 0.55, 0.61, 0.53, 0.04, 0.79, 0.64, 0.41, 0.38],
          "inside_prior_bulk": 0.798,
          "digit_radius_median": [1.2, 3.04, 0.86, 2.04, 0.86, 1.82, 0.48, 1.86, 1.83, 1.12],
          "prior_sample_digits": [9, 14, 8, 12, 7, 3, 11, 10, 16, 10],
          "reconstruction_digits": {"true": [7, 2, 1, 0, 4, 1, 4, 9], "read": [7, 8, 1, 0, 9, 1, 4, 9]}},
    30.0: {"rec": 205.4, "kl": 0.06, "sigma": 0.99, "spread": 0.1, "kl_per_dim": [0.057, 0.0008],
           "nearest_mean_accuracy": 0.296,
           "per_digit_accuracy": [0.71, 0.94, 0.14, 0.05, 0.05, 0.11, 0.24, 0.35, 0.11, 0.14],
           "inside_prior_bulk": 1.0,
           "digit_radius_median": [0.6, 0.38, 0.15, 0.13, 0.17, 0.13, 0.19, 0.21, 0.14, 0.19],
           "prior_sample_digits": [0, 31, 0, 2, 0, 0, 0, 0, 67, 0],
           "reconstruction_digits": {"true": [7, 2, 1, 0, 4, 1, 4, 9], "read": [8, 8, 1, 0, 8, 1, 8, 8]}},
    0.0: {"rec": 146.9, "kl": 52.7, "sigma": 0.002, "spread": 10.0, "kl_per_dim": [30.1, 22.6],
          "nearest_mean_accuracy": 0.62, "per_digit_accuracy": [0.93, 0.96, 0.5, 0.55, 0.4, 0.2, 0.85, 0.8, 0.45, 0.44],
          "inside_prior_bulk": 0.06, "digit_radius_median": [9.0, 12.0, 5.0, 6.0, 4.0, 5.0, 8.0, 9.0, 5.0, 6.0],
          "prior_sample_digits": [3, 0, 30, 25, 0, 5, 15, 0, 22, 0],
          "reconstruction_digits": {"true": [7, 2, 1, 0, 4, 1, 4, 9], "read": [7, 2, 1, 0, 4, 1, 4, 9]}}}
GAN_FACTS = {"d_x": 0.57, "d_g_z1": 0.43}
TEMPERATURE_FACTS = {"temperatures": [0.25, 0.5, 1, 2], "checkpoint": "gan_model_g_2500_epochs.pth",
                     "generator": "course", "sampling": "running", "seed": 0,
                     "grids": [{"saturation": 0.2 + k / 20, "contrast": 0.1 + k / 40, "variety": 0.15 + k / 20}
                               for k in range(4)],
                     "neighbours": [{"temperatures": pair, "paired_difference": paired, "unpaired_difference": unpaired}
                                    for pair, paired, unpaired in zip(([0.25, 0.5], [0.5, 1], [1, 2]),
                                                                      (0.09, 0.05, 0.12), (0.2, 0.23, 0.25))]}


def digits_figure(path, digits, reconstructions):
    """A reconstruction figure as the trainer writes it: 8 digits above their reconstructions, 28 px tiles 2 px
    apart (242 x 62 pixels); ``digits`` and ``reconstructions`` are (8, 28, 28) arrays in [0, 1]."""
    tiles = np.zeros((2, 8, 30, 30))
    tiles[:, :, :28, :28] = [digits, reconstructions]
    grid = np.pad(tiles.transpose(0, 2, 1, 3).reshape(60, 240), ((2, 0), (2, 0)))  # (62, 242)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray((255 * grid).astype(np.uint8)).convert("RGB").save(path)


def fake_results(root, vae_epochs=15, gan_epochs=500, vae=None, gan=None, temperatures=True, readings=True):
    """Results folders under ``root`` as run_all writes them, with the measures of VAE_FACTS, GAN_FACTS and
    TEMPERATURE_FACTS (``vae``: ``{weight: {fact: value}}`` and ``gan``: ``{fact: value}`` replace some of them;
    ``readings``: prior_quality.json, written in full runs) and images shaped like the real figures; returns the
    GAN run folder."""
    import torch
    root = str(root)
    write_png(os.path.join(root, "results_distributions", "clt.png"), 90, 96)  # the shape of the real ones
    write_png(os.path.join(root, "results_distributions", "normal.png"), 90, 36)
    rng = np.random.RandomState(0)
    for weight, facts in VAE_FACTS.items():
        facts = dict(facts, **(vae or {}).get(weight, {}))
        folder = os.path.join(root, "results_kl{}".format(weight))
        rec, kl = facts["rec"], facts["kl"]
        write_json({"kl_loss_weight": weight, "test_draws": 5, "epochs": list(range(1, vae_epochs + 1)),
                    "train_loss": [rec + weight * kl + 1] * vae_epochs, "test_loss": [rec + weight * kl] * vae_epochs,
                    "test_reconstruction": [rec] * vae_epochs, "test_kl": [kl] * vae_epochs},
                   os.path.join(folder, "losses.json"))
        mu, sigma = facts["spread"] * rng.randn(10, 2), facts["sigma"]
        stats = {"class_mu": mu.tolist(), "class_std": np.full((10, 2), sigma).tolist(),
                 "grid_low": (mu - 2 * sigma).min(0).tolist(), "grid_high": (mu + 2 * sigma).max(0).tolist(),
                 "grid_size": 20, "step_size": [0.1, 0.2]}
        stats.update({key: facts[key] for key in ("kl_per_dim", "nearest_mean_accuracy", "per_digit_accuracy",
                                                  "inside_prior_bulk", "digit_radius_median")})
        write_json(stats, os.path.join(folder, "latent_stats.json"))
        if readings:
            write_json({key: facts[key] for key in ("prior_sample_digits", "reconstruction_digits")},
                       os.path.join(folder, "prior_quality.json"))
        digits_figure(os.path.join(folder, "reconstruction_{}.png".format(vae_epochs)), COURSE_DIGITS,
                      COURSE_DIGITS * 0.8)
        for name in ("latent_space", "latent_codes"):
            write_png(os.path.join(folder, name + ".png"), 69, 63)
        write_png(os.path.join(folder, "prior_samples.png"), 30, 30)
    run = os.path.join(root, "results_gan", "run_ep{}_seed999".format(gan_epochs))
    gan = dict(GAN_FACTS, **(gan or {}))
    write_json({"iteration": list(range(7, 7 * gan_epochs + 1, 7)), "epoch": list(range(1, gan_epochs + 1)),
                "loss_d": [1.2] * gan_epochs, "loss_g": [1.1] * gan_epochs, "d_x": [gan["d_x"]] * gan_epochs,
                "d_g_z1": [gan["d_g_z1"]] * gan_epochs, "d_g_z2": [0.35] * gan_epochs},
               os.path.join(run, "history.json"))
    torch.save({"args": {"epochs": gan_epochs, "batch_size": 128, "nz": 64, "ngf": 32, "ndf": 32, "lr": 0.0002,
                         "beta1": 0.5, "seed": 999, "ema_decay": 0.99}}, os.path.join(run, "checkpoint.pth"))
    for seed, name in enumerate(("training_images", "samples_final", "samples_final_ema")):
        write_png(os.path.join(run, name + ".png"), 274, 274, seed)
    write_png(os.path.join(run, "losses.png"), 100, 36)
    if temperatures:
        write_png(os.path.join(root, "results_gan", "temperatures.png"), 1100, 274)
        write_json(temperatures if isinstance(temperatures, dict) else TEMPERATURE_FACTS,
                   os.path.join(root, "results_gan", "temperatures.json"))
    return run


COURSE_DIGITS = np.random.RandomState(1).rand(8, 28, 28)  # the 8 test digits of the reconstruction figures


def course_images(folder, same_digits=True):
    """The course's reference images, as a clone of the course has them in its root, written into ``folder``:
    the VAE figure (of our fake's test digits, or of others) and the two GAN grids."""
    digits = COURSE_DIGITS if same_digits else COURSE_DIGITS[::-1]
    digits_figure(os.path.join(str(folder), "vae_output_15_epochs.png"), digits, digits * 0.75)
    for seed, epochs in ((1, 500), (5, 2500)):
        write_png(os.path.join(str(folder), "gan_output_{}_epochs.png".format(epochs)), 274, 274, seed)


def pdf_text(path):
    """The text of every page of the PDF ``path``, one string per page."""
    from pypdf import PdfReader
    return [page.extract_text() for page in PdfReader(path).pages]


NAMES = 'Zoë Łukasiewicz, <b>Bo</b> & <img src="x.png"> *St* [a](b) `c` _d_'  # printed exactly as given


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A full run's fake results, with the course's images in the folder it is built in, and the hand-in built from
    them with names: ``(root, pages' text, markdown)``."""
    root = tmp_path_factory.mktemp("full")
    fake_results(root)
    course_images(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # where the course's images are looked for
        make_submission.main(["--results_root", str(root), "--names", NAMES, "--quiet"])
    with open(os.path.join(str(root), "submission.md"), encoding="utf-8") as handle:
        return root, pdf_text(os.path.join(str(root), "submission.pdf")), handle.read()


def test_the_pdf_answers_every_question_of_the_sheet_on_at_most_5_pages(full):
    _, pages, markdown = full
    text, markdown_text = (re.sub(r"\s+", " ", " ".join(pages)), re.sub(r"\s+", " ", markdown))
    for answer in SHEET_ANSWERS:
        assert answer in text and answer in markdown_text
    assert "154.1" in text and "205.4" in text and "146.9" in text  # the fake runs' reconstruction losses
    assert "smoke run" not in text.lower() and "{{" not in markdown and "TODO" not in markdown
    assert "Date" not in pages[0] and len(pages) <= 5
    figures = [int(n) for n in re.findall(r"^Figure (\d+)\.", markdown, re.M)]  # captions, numbered in order
    assert figures == list(range(1, len(figures) + 1)) and len(figures) == 7
    cited = re.sub(r"^Figure \d+\.", "", markdown, flags=re.M)  # the text without the captions' own numbers
    assert all(re.search(r"Figures? (\d+ and )?{}\b".format(n), cited) for n in figures)


def test_the_names_are_printed_exactly_as_given_on_one_line(full):
    assert "Names: " + NAMES in full[1][0].splitlines()


def test_the_markdown_links_the_figures_of_the_results_folders(full):
    root, _, markdown = full
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", markdown)
    assert len(links) == 13 and all(not os.path.isabs(link) for link in links)
    assert all(os.path.isfile(os.path.join(str(root), link)) for link in links)
    assert "results_kl30.0/latent_space.png" in links and "results_gan/temperatures.png" in links


def test_a_quick_run_is_marked_and_claims_nothing_its_numbers_contradict(tmp_path, monkeypatch, capsys):
    course_images(tmp_path)
    monkeypatch.chdir(tmp_path)
    # a smoke run's numbers: 2 GAN epochs, D(G(z)) above D(x); no classifier readings
    run = fake_results(tmp_path, vae_epochs=1, gan_epochs=2, gan={"d_x": 0.55, "d_g_z1": 0.68}, readings=False)
    make_submission.main(["--results_root", str(tmp_path), "--gan_run", run, "--quick", "--names", ""])
    pages = [re.sub(r"\s+", " ", page) for page in pdf_text(str(tmp_path / "submission.pdf"))]
    assert "Smoke run" in pages[0] and all("smoke run" in page for page in pages)
    assert "trained for 1 epoch and the GAN for 2 epochs" in pages[0] and "makes no claim" in pages[0]
    text = " ".join(pages)
    assert "D(x) = 0.55" in text and "D(G(z)) = 0.68" in text and "neither network" not in text
    assert "course's images after" not in text and "vae_output_15_epochs.png" not in text  # no comparison
    assert "classifier" not in text  # nothing read
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


def test_names_the_font_cannot_print_or_on_two_lines_are_refused(tmp_path, capsys):
    err = one_sentence(capsys, make_submission.main, ["--results_root", tmp_path, "--names", "李雷"])
    assert "李" in err and "Latin letters" in err
    err = one_sentence(capsys, make_submission.main, ["--results_root", tmp_path, "--names", "A. B\nC. D"])
    assert "line break" in err and "one line" in err


def test_a_file_not_written_here_is_never_replaced(full, tmp_path, capsys):
    from fpdf import FPDF
    from lib.report.build import written_here
    (tmp_path / "README.md").write_text("# my notes\n")
    err = one_sentence(capsys, make_submission.main, ["--results_root", full[0], "--output", tmp_path / "README.pdf"])
    assert "README.md exists" in err and (tmp_path / "README.md").read_text() == "# my notes\n"
    foreign = FPDF()  # a PDF written by hand (or by an older make_submission.py: no marker)
    foreign.add_page()
    foreign.output(str(tmp_path / "mine.pdf"))
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.4 not really")
    for name in ("mine.pdf", "damaged.pdf"):
        before = (tmp_path / name).read_bytes()
        err = one_sentence(capsys, make_submission.main, ["--results_root", full[0], "--output", tmp_path / name])
        assert "{} exists and was not written by make_submission.py".format(tmp_path / name) in err
        assert (tmp_path / name).read_bytes() == before and not (tmp_path / name.replace(".pdf", ".md")).exists()
    root = str(full[0])
    assert written_here(os.path.join(root, "submission.pdf")) and written_here(os.path.join(root, "submission.md"))
    assert written_here(str(tmp_path / "new.pdf"))


# -- every observation follows the numbers: the same hand-in with one measured fact reversed ----------------------

def answers(root, quick=False, **facts):
    """The hand-in's Markdown as one line, for fake results under ``root`` with ``facts`` (see fake_results),
    built in the current folder (where the course's images are looked for)."""
    from lib.report.build import render
    from lib.report.results import load_results
    fake_results(root, **facts)
    context = load_results(str(root), str(root))
    context.update(names="", quick=quick)
    return " ".join(render(context).split())


@pytest.fixture
def built_here(tmp_path, monkeypatch):
    """An empty current folder (no course images in it) for answers()."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_w30_answer_says_which_dimensions_collapsed(built_here):
    one = answers(built_here / "a")  # W = 30: z0 0.057 nats, z1 0.0008
    assert "| 30 | 0.057, under 0.001 | 100 % | 30 % |" in one
    assert "the table, with W = 1 and W = 0 both latent dimensions carry information; with W = 30 only z₀ does, " \
           "and z₁ has collapsed to the prior." in one and "here 1 of the 2 dimensions carries information" in one
    both = answers(built_here / "b", vae={30.0: {"kl_per_dim": [0.8, 0.6]}})
    assert "| 30 | 0.8, 0.6 |" in both and "with W = 1, W = 30 and W = 0 both latent dimensions carry " \
           "information." in both
    assert "here 2 of the 2 dimensions carry information" in both and "collapsed to the prior" not in both
    none = answers(built_here / "c", vae={30.0: {"kl_per_dim": [0.002, 0.0005]}})
    assert "with W = 30 both have collapsed to the prior." in none and "here 0 of the 2 dimensions" in none


def test_the_codes_are_described_by_their_measures(built_here):
    one = answers(built_here / "a")
    assert "In Figure 3, 80 % of the codes lie inside the prior's 95 % circle (not the median code of the 1s) and " \
           "57 % nearest their own digit's mean code; the 1s and 6s lie apart" in one
    assert "| 1 | 2.5, 3 | 80 % | 57 % | 1 6 | 5 8 9 | 1 |" in one and "| 0 | 30, 23 | 6 % | 62 % |" in one
    assert "The codes separate the digits best with W = 0 (62 % nearest their own mean) and worst with W = 30 " \
           "(30 %); they keep inside the prior's 95 % circle most with W = 30 (100 %) and least with W = 0 (6 %" in one
    other = answers(built_here / "b", vae={1.0: {"inside_prior_bulk": 0.97, "digit_radius_median": [1.0] * 10,
                                                 "per_digit_accuracy": [0.9] * 10, "nearest_mean_accuracy": 0.9}})
    assert "In Figure 3, 97 % of the codes lie inside the prior's 95 % circle and 90 % nearest their own digit's " \
           "mean code; the 0s, 1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s and 9s lie apart" in other
    assert "| 1 | 2.5, 3 | 97 % | 90 % | 0 1 2 3 4 5 6 7 8 9 | none | none |" in other
    assert "separate the digits best with W = 1 (90 %" in other


def test_the_game_is_judged_by_the_discriminators_outputs(built_here):
    balanced = answers(built_here / "a")
    assert "D(x) = 0.57" in balanced and "By these means neither network overpowered the other." in balanced
    assert "D(x) > 0.9 and D(G(z)) < 0.1" in balanced  # the criterion is stated
    fooled = answers(built_here / "b", gan={"d_x": 0.55, "d_g_z1": 0.68})
    assert "D(G(z)) = 0.68" in fooled and "neither network" not in fooled
    assert "does not tell the generated images from the real ones: it rates them at least as real (in 50 of the 50 " \
           "epochs)." in fooled
    winning = answers(built_here / "c", gan={"d_x": 0.97, "d_g_z1": 0.03})
    assert "the discriminator overpowered the generator" in winning and "neither network" not in winning


def test_the_classifiers_readings_are_quoted(built_here):
    one = answers(built_here / "a")
    assert "| 1 | 6 of 8 | 2 → 8, 4 → 9 | 10 | 8 (16), 1 (14) and 3 (12) |" in one
    assert "| 30 | 3 of 8 | 7 → 8, 2 → 8, 4 → 8 (×2), 9 → 8 | 3 | 8 (67), 1 (31) and 3 (2) |" in one
    assert "| 0 | 8 of 8 | none | 6 |" in one
    other = answers(built_here / "b", vae={1.0: {"reconstruction_digits": {"true": [7, 2], "read": [7, 2]},
                                                 "prior_sample_digits": [0, 0, 0, 50, 0, 0, 0, 0, 0, 50]}})
    assert "| 1 | 2 of 2 | none | 2 | 3 (50) and 9 (50) |" in other
    unread = answers(built_here / "c", readings=False)  # no prior_quality.json: nothing is said about digits read
    assert "classifier" not in unread and "→" not in unread


def test_the_course_images_are_compared_only_where_they_are_and_with_a_criterion(built_here):
    absent = answers(built_here / "a")
    assert "vae_output_15_epochs.png) is not in the folder" in absent and "we compare nothing with them" in absent
    assert "course, 500 epochs" not in absent
    course_images(built_here)
    present = answers(built_here / "b")
    assert "shows the same 8 test digits (their rows differ by 0.000 per pixel, below 0.01). Our W = 1 " \
        "reconstructions differ from the course's by 0.025" in present
    assert "less than either differs from the digits (0.100 ours, 0.125 the course's)" in present
    assert "By the mean absolute difference of the four measures from our moving average's (0.018 for the course's " \
           "images after 500 epochs, 0.012 for the course's images after 2500 epochs), ours are nearer those after " \
           "2500 epochs." in present and "| course, 2500 epochs |" in present
    course_images(built_here, same_digits=False)
    other = answers(built_here / "c")
    assert "shows other test digits than ours (their rows differ by" in other
    assert "so we compare nothing with it" in other
    assert "vae_output" not in answers(built_here / "d", quick=True)  # a smoke run compares nothing


def test_the_temperatures_that_look_alike_are_named_by_their_differences(built_here):
    one = answers(built_here / "a")
    assert "In Figure 7, by this criterion, T = 0.5 and 1 (paired 0.05 against unpaired 0.23) look alike." in one
    assert "drawn as saved" in one and "the sheet's recipe" in one
    apart = dict(TEMPERATURE_FACTS, sampling="standing", generator="ema",
                 neighbours=[dict(pair, paired_difference=0.1) for pair in TEMPERATURE_FACTS["neighbours"]])
    other = answers(built_here / "b", temperatures=apart)
    assert "no two neighbouring temperatures look alike" in other and "Standing statistics replace" in other
    assert "the closest, T = 0.25 and 0.5, differ by 0.10 paired against 0.20 unpaired" in " ".join(other.split())
    assert "moving average of its weights" in other
    assert "Not drawn" in answers(built_here / "c", temperatures=False)


def test_a_temperature_file_without_a_key_the_report_reads_ends_in_one_sentence(tmp_path, capsys):
    fake_results(tmp_path, temperatures={key: value for key, value in TEMPERATURE_FACTS.items() if key != "grids"})
    err = one_sentence(capsys, make_submission.main, ["--results_root", tmp_path])
    assert "temperatures.json holds no grids" in err and "generate_gan_images.py" in err


def test_the_clt_check_quotes_its_largest_deviation(built_here):
    from lib.report.results import clt_moments
    largest = clt_moments()["largest_deviation"]
    assert "The largest deviation of a value from its prediction is {:.2f} bootstrap".format(largest) in answers(
        built_here)


def test_latent_stats_without_the_measures_say_so_instead_of_guessing(built_here):
    fake_results(built_here)
    path = str(built_here / "results_kl1.0" / "latent_stats.json")
    with open(path) as handle:
        stats = json.load(handle)
    del stats["kl_per_dim"]
    write_json(stats, path)
    from lib.report.build import render
    from lib.report.results import load_results
    text = " ".join(render(dict(load_results(str(built_here), str(built_here)), names="", quick=False)).split())
    assert "written before plot_latent_space.py measured the codes" in text and "carry information (KL" not in text


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


@pytest.mark.parametrize("name", ["latent_space.png", "latent_codes.png", "clt.png"])
def test_every_figure_of_the_report_has_text_of_at_least_7_pt_on_paper(full, lib_figures, name):
    assert smallest_printed_pt(lib_figures[name], report_layout(full[2])[name]) >= MIN_PRINTED_PT


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
