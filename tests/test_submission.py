"""The submission PDF builder: sections, numbers taken from the results, no reference image in the PDF."""
import json
import os
import re
import shutil
import sys

import matplotlib.image
import numpy as np
import pytest

from lib.report import build, measures, part3_vae, part4_gan, results
from lib.utils.errors import UserError

# Final test numbers per KL weight: (reconstruction, KL), per image.
LOSSES = {1.0: (141.25, 6.5), 30.0: (189.5, 1.25), 0.0: (133.75, 41.5)}
SECTIONS = ["1  Probability theory: Bertrand's box", "2  Distributions and the central limit theorem",
            "2.2  A normal distribution from uniform samples: the choice of b", "3  Variational autoencoder on MNIST",
            "3.3  The influence of the KL weight", "What do you observe?", "How can these results be explained?",
            "What is the role of the KL divergence term?", "4  Generative adversarial network on the flowers",
            "4.1  Samples at two temperatures"]


def write_grid(path, tiles, nrow=8, padding=2):
    """Save (N, T, T, 3) tiles as a make_grid-style PNG."""
    n, t = tiles.shape[:2]
    rows = -(-n // nrow)
    image = np.zeros((padding + rows * (t + padding), padding + nrow * (t + padding), 3))
    for k in range(n):
        r, c = divmod(k, nrow)
        top, left = padding + r * (t + padding), padding + c * (t + padding)
        image[top:top + t, left:left + t] = tiles[k]
    matplotlib.image.imsave(path, image)


def write_json(path, data):
    with open(path, "w") as handle:
        json.dump(data, handle)


def make_fake_results(root, losses=LOSSES, gan_epochs=20, seed=0):
    """A complete results tree in the shared layout, with tiny images and the given final losses."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "results_distributions"))
    for name in ("clt.png", "normal.png"):
        matplotlib.image.imsave(os.path.join(root, "results_distributions", name), rng.random((30, 40, 3)))
    for weight, (rec, kl) in losses.items():
        folder = results.vae_dir(root, weight)
        os.makedirs(folder)
        write_json(os.path.join(folder, "losses.json"), {
            "kl_loss_weight": weight, "epochs": [1, 2, 3], "train_loss": [200.0, 170.0, 160.0],
            "test_loss": [190.0, 175.0, rec + weight * kl], "test_reconstruction": [180.0, 170.0, rec],
            "test_kl": [3.0, 4.0, kl]})
        open(os.path.join(folder, "model.pth"), "w").close()
        digits = rng.random((8, 8, 8, 1)).repeat(3, axis=3)
        write_grid(os.path.join(folder, "reconstruction_3.png"), np.concatenate([digits, digits * 0.5 + 0.25]))
        matplotlib.image.imsave(os.path.join(folder, "latent_space.png"), rng.random((20, 20, 3)))
        stats = {"class_mu": [[0.0, 0.0], [3.0 / (1 + weight), 4.0]], "class_std": [[0.5, 0.5], [0.5, 0.5]]}
        write_json(os.path.join(folder, "latent_stats.json"), stats)
    run = os.path.join(root, "results_gan", "run_ep{}_seed999_20240101-000000".format(gan_epochs))
    os.makedirs(run)
    epochs = np.arange(1, gan_epochs + 1)
    write_json(os.path.join(run, "history.json"), {
        "iteration": (7 * epochs).tolist(), "epoch": epochs.tolist(),
        "loss_d": np.linspace(1.4, 0.5, gan_epochs).tolist(), "loss_g": np.linspace(1.0, 3.5, gan_epochs).tolist(),
        "d_x": np.linspace(0.55, 0.82, gan_epochs).tolist(), "d_g_z1": np.linspace(0.45, 0.18, gan_epochs).tolist(),
        "d_g_z2": np.linspace(0.4, 0.12, gan_epochs).tolist()})
    open(os.path.join(run, "generator.pth"), "w").close()
    base = rng.random((64, 8, 8, 3))
    write_grid(os.path.join(run, "samples_final.png"), base)
    matplotlib.image.imsave(os.path.join(run, "losses.png"), rng.random((20, 40, 3)))
    # low temperature: images closer to their common mean, i.e. less variety
    write_grid(os.path.join(run, "samples_temperature_0.5.png"), 0.5 + 0.4 * (base - 0.5))
    write_grid(os.path.join(run, "samples_temperature_1.0.png"), base)
    # run_all's samples of the course's checkpoint: measured for words, never drawn
    write_grid(os.path.join(root, "results_gan", part4_gan.REFERENCE_2500_SAMPLES), rng.random((64, 8, 8, 3)))
    return run


def make_fake_reference(folder):
    rng = np.random.default_rng(7)
    os.makedirs(folder)
    digits = rng.random((8, 8, 8, 1)).repeat(3, axis=3)
    write_grid(os.path.join(folder, "vae_output_15_epochs.png"), np.concatenate([digits, digits * 0.9]))
    write_grid(os.path.join(folder, "gan_output_500_epochs.png"), rng.random((64, 8, 8, 3)))
    return folder


def flat(text):
    """The text with line breaks (wrapping) and repeated spaces made single spaces."""
    return " ".join(text.split())


def pdf_pages(path):
    with open(path, "rb") as handle:
        data = handle.read()
    return data, len(re.findall(rb"/Type\s*/Page[^s]", data))


def image_placements(path):
    """How many times an image is drawn on the pages of the PDF at ``path`` (an image drawn twice counts twice,
    although the file stores it once)."""
    import pypdf
    return sum(len(re.findall(rb"/I\d+ Do\b", page.get_contents().get_data()))
               for page in pypdf.PdfReader(path).pages if page.get_contents() is not None)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One PDF from complete fake results, as a quick run, with a (fake) reference folder to compare with."""
    root = str(tmp_path_factory.mktemp("results"))
    run = make_fake_results(root)
    reference = make_fake_reference(str(tmp_path_factory.mktemp("reference")) + "/reference")
    result = build.build_submission(root, os.path.join(root, "submission.pdf"), names="Ada Lovelace, Alan Turing",
                                    date="2024-01-27", quick=True, reference_dir=reference, mc_draws=20000)
    return root, run, result


def test_pdf_has_every_section_title_page_and_page_count(built):
    root, _, result = built
    data, pages = pdf_pages(result.path)
    assert data.startswith(b"%PDF")
    assert pages == result.pages == len(result.text.split("\f")) >= 8
    for section in SECTIONS:
        assert section in result.text, section
    title = result.text.split("\f")[0]
    assert "Names: Ada Lovelace, Alan Turing" in title and "Date: 2024-01-27" in title
    assert "QUICK SMOKE RUN" in title
    # every page carries the quick-run mark in its footer
    assert all("QUICK SMOKE RUN" in page for page in result.text.split("\f"))
    assert result.missing == []


def test_bertrand_answers_and_monte_carlo_numbers_are_in_the_text(built):
    text = flat(built[2].text)
    assert "P(black side up) = 1/2 and P(white side up) = 1/2" in text
    assert "P(other side black | black up) = 2/3" in text and "P(other side black | white up) = 1/3" in text
    from lib import bertrand
    estimate = bertrand.monte_carlo(20000, 0)["other_black_given_black_up"]
    assert "{:.4f}".format(estimate.value) in text and "{:,}".format(estimate.count) in text


def test_part2_derivation_of_b(built):
    text = flat(built[2].text)
    assert "b = √(3 n_u)" in text and "b = √3072 ≈ 55.43" in text


def test_vae_table_and_answers_use_the_measured_numbers(built):
    text = flat(built[2].text)
    for weight, (rec, kl) in LOSSES.items():
        assert "{:.2f}".format(rec) in text and "{:.2f}".format(kl) in text
        assert "{:.2f}".format(rec + kl) in text and "{:.2f}".format(rec + weight * kl) in text
    assert "W = 0 reconstructs the test digits best (133.8 nats per image) and W = 30 worst (189.5)" in text
    assert "W = 0 ends with the largest KL divergence (41.50 nats per image)" in text
    # class means (0, 0) and (3 / (1 + W), 4): RMS distance from their centre is half their distance
    assert "W = 0: spread 2.50, sigma 0.500, ratio 5.00; W = 1: spread 2.14" in text
    assert "raising the weight from 0 to 30 changed the KL from 41.50 to 1.25" in text
    assert "trained for only 3 epochs instead of the exercise's 15" in text
    # the fake reconstructions halve the contrast of the originals: half the edge detail and half the variety
    assert "digits: W = 0 50 % and 50 %, W = 1 50 % and 50 % and W = 30 50 % and 50 %." in text


def test_gan_text_uses_history_and_measured_samples(built):
    text = flat(built[2].text)
    assert "Training ran for 20 epochs" in text
    assert "trained for only 20 epochs instead of the exercise's 500" in text
    assert "latent size 64, 32 generator and 32 discriminator feature maps" not in text  # not in the fake run name
    assert "the samples at T = 0.5 are less varied than at T = 1 (40 % of the variety), as expected" in text
    assert "Compared with the course's samples after 500 epochs (not reproduced here" in text
    assert "samples of the course's 2500-epoch generator" in text


def test_no_reference_image_enters_the_pdf(built):
    # our own figures: clt, normal, 3 reconstructions, 3 latent spaces, samples, losses, 2 temperatures
    assert image_placements(built[2].path) == 12
    # the fake run's T = 1 grid is its samples_final.png: stored once, and no other image is in the file
    data, _ = pdf_pages(built[2].path)
    assert len(re.findall(rb"/Subtype\s*/Image", data)) == 11


def test_latent_spaces_fill_their_pages_one_per_row(built):
    """Two large latent-space figures to a page (legends readable), the third on the next: all with captions."""
    import pypdf
    pages = built[2].text.split("\f")
    numbers = [k for k, page in enumerate(pages) if ": latent_space.png" in page]
    assert [[line for line in pages[k].splitlines() if line.endswith(": latent_space.png")] for k in numbers] == [
        ["W = 1: latent_space.png", "W = 30: latent_space.png"], ["W = 0: latent_space.png"]]
    assert "3.2  Latent spaces" in pages[numbers[0]] and numbers[1] == numbers[0] + 1
    reader = pypdf.PdfReader(built[2].path)
    for k in numbers:  # fpdf2 draws an image as "q w 0 0 h x y cm /I1 Do Q", sizes in points
        page = reader.pages[k]
        sizes = re.findall(rb"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I\d+ Do", page.get_contents().get_data())
        assert float(page.mediabox.width) < float(page.mediabox.height)  # portrait
        assert [(round(float(w) / 72, 2), round(float(h) / 72, 2)) for w, h in sizes] == (
            [(part3_vae.LATENT_HEIGHT, part3_vae.LATENT_HEIGHT)] * (2 if k == numbers[0] else 1))  # square fakes


def test_changed_numbers_change_the_answers(tmp_path, built, capsys):
    """Through the script, as run_all calls it: other numbers, one missing figure, no names, a full run."""
    import make_submission
    losses = dict(LOSSES)
    losses[1.0] = (120.5, 7.75)  # now W = 1 reconstructs best
    root = str(tmp_path / "r")
    make_fake_results(root, losses, gan_epochs=500)
    os.remove(os.path.join(results.vae_dir(root, 30.0), "latent_space.png"))
    with pytest.raises(UserError, match="results_kl30.0/latent_space.png"):
        make_submission.main(["--results_root", root, "--output", str(tmp_path / "x.pdf")])
    with pytest.raises(UserError, match="does not exist"):
        make_submission.main(["--results_root", str(tmp_path / "nowhere")])
    result = make_submission.main(["--results_root", root, "--allow_missing", "--reference_dir", str(tmp_path)])
    assert result.path == os.path.join(root, "submission.pdf")  # beside its results, never over another run's PDF
    losses = os.path.join(results.vae_dir(root, 1.0), "losses.json")
    before = open(losses).read()
    for argv, message in ((["--output", losses], "does not end in .pdf"),
                          (["--text_output", losses], "does not end in .txt or .md"),
                          (["--output", losses[:-5] + ".pdf"], None)):
        if message is None:  # a file named .pdf that is not one stays as it is
            with open(argv[1], "w") as handle:
                handle.write("my notes")
            message = "exists and is not a PDF, so it is not replaced"
        with pytest.raises(UserError, match=message):
            make_submission.main(["--results_root", root, "--allow_missing"] + argv)
    assert open(losses).read() == before and open(losses[:-5] + ".pdf").read() == "my notes"
    text_path = str(tmp_path / "s.txt")
    result = make_submission.main(["--results_root", root, "--output", str(tmp_path / "s.pdf"), "--allow_missing",
                                   "--text_output", text_path, "--reference_dir", str(tmp_path / "none")])
    captured = capsys.readouterr()
    assert "wrote {} ({} pages)".format(result.path, result.pages) in captured.out
    assert "warning: missing results_kl30.0/latent_space.png" in captured.err
    assert captured.err.splitlines()[-1] == (  # no names for a final PDF: said, with the command that adds them
        "warning: {} has a blank Names line, but the PDF must name its submitters; add them with `python "
        "make_submission.py --results_root {} --output {} --names \"A. B, C. D\"`".format(
            result.path, root, tmp_path / "s.pdf"))
    with open(text_path) as handle:
        assert handle.read() == result.text
    text = flat(result.text)
    assert "W = 1 reconstructs the test digits best (120.5 nats per image)" in text
    assert "W = 1 reconstructs the test digits best" not in flat(built[2].text)
    assert "is not monotone" in text  # 0 -> 1 -> 30 is no longer ordered
    assert "120.50" in text and "7.75" in text
    assert "QUICK SMOKE RUN" not in text and "instead of the exercise's 500" not in text
    assert "Names: ____" in text and "samples after 500 epochs" not in text  # no reference folder to compare
    assert "Missing results" in text and result.missing == [
        "results_kl30.0/latent_space.png (python plot_latent_space.py --kl_loss_weight 30)"]
    data, pages = pdf_pages(result.path)
    assert pages == result.pages and image_placements(result.path) == 11
    footers = [page.splitlines()[-1] for page in result.text.split("\f")]  # each page's footer: the file written
    assert footers == ["s.pdf, names: ____  |  page {} of {}".format(k + 1, pages) for k in range(pages)]


def test_only_a_final_pdf_without_names_warns(tmp_path, monkeypatch, capsys):
    import make_submission

    def fake_build(results_root, output, **settings):
        with open(output, "wb") as handle:
            handle.write(b"%PDF-1.4")
        return build.Submission(output, 9, "", [])

    monkeypatch.setattr(build, "build_submission", fake_build)
    monkeypatch.chdir(tmp_path)
    for argv, warned in ((["--names", "A. B"], False), (["--quick"], False), (["--names", " "], True), ([], True)):
        make_submission.main(argv)
        captured = capsys.readouterr()
        assert captured.out.startswith("wrote ") and ("blank Names line" in captured.err) is warned, argv
    assert captured.err == ("warning: ./submission.pdf has a blank Names line, but the PDF must name its "
                            "submitters; add them with `python make_submission.py --names \"A. B, C. D\"`\n")


def test_vae_answers_follow_the_size_of_the_kl_term():
    def runs(kl_high):
        return [results.VaeRun(w, "results_kl{}".format(w), 15, rec, kl, rec + w * kl, None, None)
                for w, rec, kl in ((1.0, 140.0, 6.0), (30.0, 190.0, kl_high), (0.0, 130.0, 40.0))]
    measures = {1.0: (0.6, 0.9), 30.0: (0.3, 0.05), 0.0: None}
    observe, explain, role = part3_vae.vae_answers(runs(0.2), measures, None)
    text = flat(" ".join(observe + explain + role))
    assert "KL 0.20 nats, ≈ 0.3 bits per image. That is less than one bit" in text and "posterior collapse" in text
    assert "its 8 reconstructions differ only 5 % as much as the originals" in text
    assert "W = 1 60 % and 90 % and W = 30 30 % and 5 %" in text and "instead of the exercise" not in text
    assert "Latent space" not in text
    spreads = zip(runs(3.0), (2.0, 0.25, 40.0), (0.2, 0.9, 0.1))
    with_latent = [run._replace(latent=(spread, sigma)) for run, spread, sigma in spreads]
    text = flat(" ".join(sum(part3_vae.vae_answers(with_latent, {}, None), [])))
    assert "W = 0: spread 40.00, sigma 0.100, ratio 400; W = 1: spread 2.00, sigma 0.200, ratio 10" in text
    assert "most clearly separated, relative to their noise, for W = 0." in text
    assert "posterior collapse" not in text and "≈ 4.3 bits per image. So little information" in text
    assert "changed the KL from 40.00 to 3.00 nats per image" in text


def test_pdf_text_is_selectable(built):
    import pypdf  # a PDF reader that is not ours: the text must come out of the file as a viewer finds it
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(built[2].path).pages)
    for phrase in ("Bertrand's box", "P(other side black | black up) = 2/3", "What is the role of the KL divergence",
                   "Names: Ada Lovelace", "QUICK SMOKE RUN"):
        assert phrase in text, phrase


def test_newest_gan_run_skips_unfinished_and_short_runs(tmp_path):
    root = str(tmp_path)
    assert results.newest_gan_run(os.path.join(root, "results_gan")) is None
    long_run = make_fake_results(root, gan_epochs=12)
    short = os.path.join(root, "results_gan", "run_short")
    shutil.copytree(long_run, short)
    write_json(os.path.join(short, "history.json"), {"epoch": [1, 2]})
    unfinished = os.path.join(root, "results_gan", "run_unfinished")
    shutil.copytree(long_run, unfinished)
    os.remove(os.path.join(unfinished, "samples_final.png"))
    os.utime(os.path.join(long_run, "history.json"), (1, 1))  # the oldest of the three
    assert results.newest_gan_run(os.path.join(root, "results_gan")) == short
    assert results.newest_gan_run(os.path.join(root, "results_gan"), min_epochs=12) == long_run
    assert results.newest_gan_run(os.path.join(root, "results_gan"), min_epochs=13) is None
    assert results.vae_run_epochs(results.vae_dir(root, 1.0)) == 3
    assert results.vae_run_epochs(str(tmp_path / "nothing")) == 0


def test_grid_tiles_and_image_measures():
    rng = np.random.default_rng(3)
    tiles = rng.random((16, 6, 6, 3))
    image = np.zeros((2 + 2 * 8, 2 + 8 * 8, 3))
    for k in range(16):
        r, c = divmod(k, 8)
        image[2 + r * 8:2 + r * 8 + 6, 2 + c * 8:2 + c * 8 + 6] = tiles[k]
    assert np.array_equal(measures.grid_tiles(image, nrow=8), tiles)
    assert measures.grid_tiles(image[:, :-1], nrow=8) is None
    assert measures.edge_detail(tiles * 0.5) == pytest.approx(measures.edge_detail(tiles) * 0.5)
    assert measures.variety(np.repeat(tiles[:1], 5, axis=0)) == pytest.approx(0, abs=1e-12)
    assert measures.compare_in_words(1.0, 1.02, "detail") == "about as much detail as"
    assert measures.compare_in_words(0.5, 1.0, "detail") == "clearly less detail than"


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
