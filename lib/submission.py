"""Build submission.pdf: the pen-and-paper answers, written from this run's measured numbers, and its figures.

Everything in the PDF comes from this repository: the results folders of the layout the project shares (see
README), the Monte Carlo check of :mod:`lib.bertrand` and the seeded numbers of :mod:`lib.distributions`.
The course's reference material is never put into the PDF. Sample quality is reported as FD/KID in the features of
small classifiers (evaluate_gan.py, evaluate_vae.py: ``sample_quality.json``, ``prior_quality.json``), which
also measure the course's 2500-epoch generator; where those files are missing, the course's images are measured
by two pixel statistics (edge detail, variety) and compared in words.

The pages are laid out by :class:`lib.pdf_document.Document` (the PDF library fpdf2; no TeX needed).
"""
import collections
import datetime
import glob
import json
import math
import os
import re

import numpy as np

from lib import bertrand
from lib.pdf_document import Document, read_image
from lib.utils import UserError, plural, require_folder

KL_WEIGHTS = (1.0, 30.0, 0.0)  # the order the sheet trains them in
EXERCISE_VAE_EPOCHS = 15
EXERCISE_GAN_EPOCHS = 500
TEMPERATURE_PATTERN = "samples_temperature_{}.png"  # written by run_all into the GAN run folder
REFERENCE_2500_SAMPLES = "reference_2500_epochs_T1.0.png"  # written by run_all into results_gan/, never shown
SAMPLE_QUALITY = "sample_quality.json"  # evaluate_gan.py --output, written by run_all into the GAN run folder
LATENT_HEIGHT = 4.2  # inches: two latent-space figures and their captions fill an A4 page below the heading
MONTE_CARLO_DRAWS = 1000000
MONTE_CARLO_SEED = 0


# ----------------------------------------------------------------------------------------------------------------
# Reading results

def vae_dir(results_root, kl_loss_weight):
    """The VAE results folder for a KL weight: results_kl1.0, results_kl30.0, results_kl0.0."""
    return os.path.join(results_root, "results_kl{}".format(float(kl_loss_weight)))


def read_json(path):
    """Load a JSON file; UserError when it is unreadable."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as err:
        raise UserError("{} could not be read ({}); re-run the script that writes it".format(path, err))


def _lists(data, keys, path):
    """Check that ``data`` has equally long, non-empty number lists under ``keys``; return them as arrays."""
    try:
        arrays = [np.asarray(data[key], dtype=float) for key in keys]
    except (KeyError, TypeError, ValueError) as err:
        raise UserError("{} lacks the entry {} or holds something other than number lists; re-run the training "
                        "that writes it".format(path, err))
    if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1 or arrays[0].size == 0:
        raise UserError("{} holds lists of different lengths or empty lists; re-run the training that writes "
                        "it".format(path))
    return collections.OrderedDict(zip(keys, arrays))


VaeRun = collections.namedtuple("VaeRun", "weight folder epochs reconstruction kl objective reconstruction_png "
                                          "latent_png latent prior codes_png prior_png",
                                defaults=(None, None, None, None))
VaeRun.__doc__ = """Final test numbers of one VAE run, per image, in nats: ``reconstruction`` (binary cross-entropy
summed over pixels), ``kl`` (unweighted KL(q(z|x) || N(0, I))), ``objective`` = reconstruction + weight * kl; the
paths of its last reconstruction figure and latent-space figure (None where missing); ``latent``: (spread of the
class means, mean standard deviation) from latent_stats.json, or None when the run has no such file; ``prior``:
(FD, KID) of its prior samples (means over the seeds of prior_quality.json) or None; ``codes_png``, ``prior_png``:
latent_codes.png and prior_samples.png, or None."""

LATENT_STATS = "latent_stats.json"  # optional: {"class_mu": [[mu0, mu1], ...], "class_std": [[s0, s1], ...]}


def latent_spread(folder):
    """(RMS distance of the class means from their centre, mean class standard deviation) or None.

    Read from ``folder/latent_stats.json`` when the latent-space plot wrote the class statistics it draws.
    """
    path = os.path.join(folder, LATENT_STATS)
    if not os.path.isfile(path):
        return None
    data = read_json(path)
    try:
        mu, std = np.asarray(data["class_mu"], dtype=float), np.asarray(data["class_std"], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise UserError("{} lacks class_mu/class_std number lists; run plot_latent_space.py again".format(path))
    if mu.ndim != 2 or mu.shape != std.shape or len(mu) < 2:
        raise UserError("{} holds class statistics of unexpected shapes; run plot_latent_space.py again".format(path))
    spread = float(np.sqrt(((mu - mu.mean(axis=0)) ** 2).sum(axis=1).mean()))  # RMS distance from the centre
    return spread, float(std.mean())


def load_vae_run(results_root, kl_loss_weight):
    """Read ``results_kl{W}/losses.json`` and find the run's figures; None when losses.json does not exist."""
    folder = vae_dir(results_root, kl_loss_weight)
    path = os.path.join(folder, "losses.json")
    if not os.path.isfile(path):
        return None
    data = _lists(read_json(path), ("epochs", "test_loss", "test_reconstruction", "test_kl"), path)
    last_epoch = int(data["epochs"][-1])
    reconstruction_png = os.path.join(folder, "reconstruction_{}.png".format(last_epoch))
    latent_png = os.path.join(folder, "latent_space.png")
    from lib.evaluate_vae import PRIOR_QUALITY_NAME, mean_scores
    return VaeRun(float(kl_loss_weight), folder, last_epoch, float(data["test_reconstruction"][-1]),
                  float(data["test_kl"][-1]), float(data["test_loss"][-1]),
                  reconstruction_png if os.path.isfile(reconstruction_png) else None,
                  latent_png if os.path.isfile(latent_png) else None, latent_spread(folder),
                  mean_scores(os.path.join(folder, PRIOR_QUALITY_NAME)),
                  _existing(os.path.join(folder, "latent_codes.png")),
                  _existing(os.path.join(folder, "prior_samples.png")))


def vae_run_epochs(folder):
    """Epochs of a finished VAE run in ``folder`` (model.pth is written at the end), 0 when there is none."""
    path = os.path.join(folder, "losses.json")
    if not (os.path.isfile(os.path.join(folder, "model.pth")) and os.path.isfile(path)):
        return 0
    try:
        return len(read_json(path)["epochs"])
    except (UserError, KeyError, TypeError):
        return 0


def gan_run_epochs(run_dir):
    """Epochs a GAN run has finished, from its history.json (0 when unreadable)."""
    try:
        epochs = read_json(os.path.join(run_dir, "history.json"))["epoch"]
        return int(epochs[-1]) if epochs else 0
    except (UserError, KeyError, TypeError, ValueError, IndexError):
        return 0


def newest_gan_run(gan_root, min_epochs=1):
    """The newest finished run folder ``gan_root/run_*`` with at least ``min_epochs`` epochs, or None.

    Finished means samples_final.png, generator.pth and history.json exist (training draws samples_final.png only
    when it completes; generator.pth and history.json are also written at checkpoints); newest means the most
    recent history.json. run_all uses this too, so the PDF and the temperature samples come from one run.
    """
    runs = []
    for run in glob.glob(os.path.join(gan_root, "run_*")):
        files = [os.path.join(run, name) for name in ("samples_final.png", "generator.pth", "history.json")]
        if all(os.path.isfile(f) for f in files) and gan_run_epochs(run) >= min_epochs:
            runs.append((os.path.getmtime(files[2]), run))
    return max(runs)[1] if runs else None


def _read_checkpoint(path):
    """The dict saved in ``path`` (torch is imported only here, when there is one), or None when unreadable."""
    if not os.path.isfile(path):
        return None
    from lib.utils import load_checkpoint
    try:
        checkpoint = load_checkpoint(path, "")
    except UserError:
        return None
    return checkpoint if isinstance(checkpoint, dict) else None


def resumable_vae_run(folder, kl_loss_weight, epochs):
    """True when ``folder`` holds the checkpoint of an interrupted VAE run that ``run_vae_training.py --resume
    folder --epochs epochs`` continues: KL weight ``kl_loss_weight``, started for at most ``epochs`` epochs and
    stopped before its own end. A finished run (all of its epochs trained) is not one, nor is a run started for
    more epochs than ``epochs``: run_all trains those again from the start. run_all uses this."""
    checkpoint = _read_checkpoint(os.path.join(folder, "checkpoint.pth"))
    try:  # the keys only run_vae_training.py's checkpoints have (its --resume checks the format, too)
        return (float(checkpoint["kl_loss_weight"]) == float(kl_loss_weight)
                and int(checkpoint["epoch"]) < int(checkpoint["num_epochs"]) <= int(epochs))
    except (TypeError, KeyError, ValueError):  # none (None), or a checkpoint of another kind
        return False


def resumable_gan_run(gan_root, epochs):
    """The newest interrupted run folder ``gan_root/run_*`` that ``run_gan_training.py --resume RUN --epochs
    epochs`` continues, or None: checkpoint.pth but no samples_final.png (drawn when a run completes), the course's
    settings (:data:`lib.gan_settings.TRAINING_DEFAULTS`, what run_all trains with) and at most ``epochs`` epochs
    planned; newest means the most recent checkpoint.pth. run_all uses this."""
    from lib.gan_settings import TRAINING_DEFAULTS
    runs = []
    for run in glob.glob(os.path.join(gan_root, "run_*")):
        path = os.path.join(run, "checkpoint.pth")
        if os.path.isfile(os.path.join(run, "samples_final.png")) or not os.path.isfile(path):
            continue
        checkpoint = _read_checkpoint(path)
        try:  # a setting older runs did not store yet (ema_decay) had the value of today's default
            settings = checkpoint["args"]
            if (all(settings.get(key, value) == value for key, value in TRAINING_DEFAULTS.items())
                    and int(checkpoint["epoch"]) < int(settings["epochs"]) <= int(epochs)):
                runs.append((os.path.getmtime(path), run))
        except (AttributeError, TypeError, KeyError, ValueError):  # unreadable, or not run_gan_training's
            continue
    return max(runs)[1] if runs else None


GanRun = collections.namedtuple("GanRun", "folder history samples_png losses_png temperatures ema_png quality",
                                defaults=(None, None))
GanRun.__doc__ = """A finished GAN run: ``history`` (OrderedDict of arrays, one entry per epoch), the final samples
and loss figure (None where missing), ``temperatures``: OrderedDict temperature -> PNG path, sorted; the final
samples of the moving average (None where missing) and the FD/KID table of sample_quality.json (or None)."""


def load_gan_run(run_dir):
    """Read a GAN run folder written by run_gan_training.py (and the temperature samples run_all adds)."""
    path = os.path.join(run_dir, "history.json")
    history = _lists(read_json(path), ("epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"), path)
    temperatures = {}
    for png in glob.glob(os.path.join(run_dir, TEMPERATURE_PATTERN.format("*"))):
        match = re.search(r"samples_temperature_([0-9.]+)\.png$", png)
        if match:
            temperatures[float(match.group(1))] = png
    found = [os.path.join(run_dir, name) for name in ("samples_final.png", "losses.png")]
    found = [p if os.path.isfile(p) else None for p in found]
    quality = os.path.join(run_dir, SAMPLE_QUALITY)
    quality = read_json(quality) if os.path.isfile(quality) else None
    if quality is not None and not (isinstance(quality, dict) and isinstance(quality.get("rows"), list)):
        raise UserError("{} holds no table of rows; run evaluate_gan.py --output {} again".format(
            os.path.join(run_dir, SAMPLE_QUALITY), os.path.join(run_dir, SAMPLE_QUALITY)))
    return GanRun(run_dir, history, found[0], found[1], collections.OrderedDict(sorted(temperatures.items())),
                  _existing(os.path.join(run_dir, "samples_final_ema.png")), quality)


# ----------------------------------------------------------------------------------------------------------------
# Image statistics, used to describe figures in words (and to compare with the references without showing them)

def grid_tiles(image, nrow=8, padding=2):
    """Cut an image grid written by torchvision's make_grid into its square tiles.

    Args:
        image: (H, W, C) array.
        nrow: tiles per row of the grid.
        padding: pixels between tiles and around the grid.

    Returns:
        (N, T, T, C) array, N tiles of T x T pixels in row-major order; None when the size does not fit a grid.
    """
    height, width = image.shape[:2]
    if (width - padding) % nrow:
        return None
    step = (width - padding) // nrow
    tile = step - padding
    if tile < 2 or (height - padding) % step:
        return None
    rows = (height - padding) // step
    # (rows, T, nrow, T, C) view of the tiles, without the padding lines
    body = image[padding:padding + rows * step, padding:padding + nrow * step]
    body = body.reshape(rows, step, nrow, step, -1)[:, :tile, :, :tile]
    return body.transpose(0, 2, 1, 3, 4).reshape(rows * nrow, tile, tile, -1)


def edge_detail(tiles):
    """Mean absolute difference of neighbouring grey pixels inside the tiles: larger means sharper, finer detail."""
    grey = tiles.mean(axis=-1)  # (N, T, T)
    return float((np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=2)).mean()) / 2)


def variety(tiles):
    """Standard deviation of each pixel across the tiles, averaged over pixels: how different the images are."""
    return float(tiles.std(axis=0).mean())


def sample_statistics(path, nrow=8):
    """(edge detail, variety) of an image grid, or None when the file is missing or is not a grid."""
    if not path or not os.path.isfile(path):
        return None
    tiles = grid_tiles(read_image(path), nrow)
    return None if tiles is None else (edge_detail(tiles), variety(tiles))


def reconstruction_measures(path):
    """(sharpness, variety) of the reconstructions relative to the originals in a reconstruction figure, or None.

    The figure has the layout of the course's ``vae_output_15_epochs.png``: 8 test digits above their
    reconstructions. sharpness = edge detail of the reconstructions / that of the originals; variety = how
    different the 8 reconstructions are from each other / the same for the originals. 1.0 means "as the originals";
    a decoder that ignores its input draws 8 equal images, variety 0.
    """
    if not path or not os.path.isfile(path):
        return None
    tiles = grid_tiles(read_image(path), nrow=8)
    if tiles is None or len(tiles) != 16:
        return None
    original, reconstructed = tiles[:8], tiles[8:]
    if edge_detail(original) <= 0 or variety(original) <= 0:
        return None
    return edge_detail(reconstructed) / edge_detail(original), variety(reconstructed) / variety(original)


def compare_in_words(own, reference, what):
    """A phrase comparing two positive measurements, e.g. 'about as much edge detail as'."""
    if not reference > 0:
        return "{} that cannot be compared (the reference measures 0) with".format(what)
    ratio = own / reference
    if ratio < 0.85:
        amount = "clearly less {} than"
    elif ratio < 0.95:
        amount = "slightly less {} than"
    elif ratio <= 1.05:
        amount = "about as much {} as"
    elif ratio <= 1.15:
        amount = "slightly more {} than"
    else:
        amount = "clearly more {} than"
    return amount.format(what)


# ----------------------------------------------------------------------------------------------------------------
# Numbers in text

def fmt(value, digits=1):
    """A number with ``digits`` decimals, or 'n/a'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return "{:.{}f}".format(value, digits)


def weight_name(weight):
    """'W = 30' for 30.0."""
    return "W = {:g}".format(weight)


def percent(fraction):
    """0.53 -> '53 %'; shares below 1 % keep one significant digit ('0.4 %') instead of reading as '0 %'."""
    value = 100 * fraction
    return "{:.0f} %".format(value) if abs(value) >= 1 or value == 0 else "{:.1g} %".format(value)


def join_words(items):
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def trend(values):
    """'rises', 'falls' or 'is not monotone' for a sequence of numbers."""
    steps = np.diff(np.asarray(values, dtype=float))
    if np.all(steps > 0):
        return "rises"
    if np.all(steps < 0):
        return "falls"
    return "is not monotone"


# ----------------------------------------------------------------------------------------------------------------
# Section 1: Bertrand's box

def write_bertrand(doc, estimates, draws, seed):
    """Worked solution with Bayes' rule, and the Monte Carlo table from ``estimates`` (see lib.bertrand)."""
    exact = bertrand.exact_probabilities()
    like_b, like_w = bertrand.likelihoods(bertrand.BLACK), bertrand.likelihoods(bertrand.WHITE)
    post_b, post_w = bertrand.posteriors(bertrand.BLACK), bertrand.posteriors(bertrand.WHITE)
    doc.heading("1  Probability theory: Bertrand's box")
    doc.paragraph("Setup. The box holds the cards BB (black/black), WW (white/white) and BW (black/white). A card is "
                  "drawn uniformly at random, P(BB) = P(WW) = P(BW) = 1/3, and lands with either of its two sides up "
                  "with probability 1/2. Write B for 'a black side is up' and W for 'a white side is up'. The "
                  "likelihoods are the shares of black sides: P(B | BB) = {}, P(B | WW) = {}, P(B | BW) = {}."
                  .format(*like_b))
    doc.heading("1.1  Probability that the card shows black, and that it shows white", 2)
    doc.paragraph("Law of total probability over the three cards:")
    doc.paragraph("P(B) = P(B | BB) P(BB) + P(B | WW) P(WW) + P(B | BW) P(BW) = {} · 1/3 + {} · 1/3 + {} · 1/3 = {}"
                  .format(like_b[0], like_b[1], like_b[2], exact["black_up"]), indent=0.3)
    doc.paragraph("P(W) = P(W | BB) P(BB) + P(W | WW) P(WW) + P(W | BW) P(BW) = {} · 1/3 + {} · 1/3 + {} · 1/3 = {}"
                  .format(like_w[0], like_w[1], like_w[2], exact["white_up"]), indent=0.3)
    doc.paragraph("Answer: P(black side up) = {} and P(white side up) = {}. This also follows from symmetry: of the "
                  "six equally likely sides, three are black and three white."
                  .format(exact["black_up"], exact["white_up"]))
    doc.heading("1.2  The card shows black: probability that the other side is black", 2)
    doc.paragraph("The other side is black exactly when the card is BB. Bayes' rule:")
    doc.paragraph("P(BB | B) = P(B | BB) P(BB) / P(B) = (1 · 1/3) / (1/2) = {}".format(post_b[0]), indent=0.3)
    doc.paragraph("(likewise P(BW | B) = (1/2 · 1/3) / (1/2) = {} and P(WW | B) = {}; the three sum to 1.)"
                  .format(post_b[2], post_b[1]), indent=0.3)
    doc.paragraph("Answer: P(other side black | black up) = {}. The intuitive 1/2 (\"it is BB or BW\") is wrong "
                  "because BB has two black sides that could be facing up, BW only one: of the three black sides "
                  "that can face up, two have black on the back.".format(exact["other_black_given_black_up"]))
    doc.heading("1.3  The card shows white: probability that the other side is black", 2)
    doc.paragraph("The other side is black exactly when the card is BW. Bayes' rule:")
    doc.paragraph("P(BW | W) = P(W | BW) P(BW) / P(W) = (1/2 · 1/3) / (1/2) = {}".format(post_w[2]), indent=0.3)
    doc.paragraph("(and P(WW | W) = (1 · 1/3) / (1/2) = {}, P(BB | W) = {}.)".format(post_w[1], post_w[0]),
                  indent=0.3)
    doc.paragraph("Answer: P(other side black | white up) = {}.".format(exact["other_black_given_white_up"]))
    doc.heading("1.4  Monte Carlo check (lib/bertrand.py)", 2)
    doc.paragraph("{:,} draws at once with numpy (seed {}): a random card index and a random side per draw, the "
                  "colour up and down read from a 3 x 2 table of the cards. Each probability is estimated by a "
                  "frequency; its standard error is sqrt(p (1 - p) / n), where n counts only the draws showing the "
                  "conditioning colour for the conditional probabilities.".format(draws, seed))
    rows, deviations = [], []
    for key, label in bertrand.QUANTITIES.items():
        est = estimates[key]
        deviation = (est.value - float(exact[key])) / est.stderr
        deviations.append(abs(deviation))
        rows.append([label, str(exact[key]), "{:.4f}".format(float(exact[key])), "{:.4f}".format(est.value),
                     "{:.4f}".format(est.stderr), "{:,}".format(est.count), "{:+.1f}".format(deviation)])
    doc.table(["quantity", "exact", "= decimal", "estimate", "std. error", "draws n", "dev. / SE"], rows)
    worst = max(deviations)
    verdict = "agree with the exact values" if worst < 3 else "deviate from the exact values more than chance allows"
    doc.paragraph("All four estimates {}: the largest deviation is {:.1f} standard errors (deviations beyond 3 "
                  "standard errors would happen by chance in fewer than 0.3 % of runs per quantity)."
                  .format(verdict, worst))


# ----------------------------------------------------------------------------------------------------------------
# Section 2: distributions

def clt_moments(n_repetitions=1024, sample_sizes=(1, 16, 64, 1024)):
    """Variance and skewness of the CLT plot's sample means, per sample size (rows) and distribution (columns).

    Drawn by ``plot_clt(plot=False)``, which seeds numpy itself, so with the settings clt.png was drawn with these
    are the means it shows. Returns (sample_sizes, variances, skewness), the last two of shape
    (len(sample_sizes), 2).
    """
    from lib.distributions import plot_clt
    sample_sizes = tuple(sample_sizes)
    _, means = plot_clt(n_repetitions, sample_sizes, plot=False)  # row-major (n, distribution) order
    means = np.stack(means)  # (sizes * 2, 1024)
    centred = means - means.mean(axis=1, keepdims=True)
    variances = (centred ** 2).mean(axis=1)
    skewness = (centred ** 3).mean(axis=1) / variances ** 1.5
    return sample_sizes, variances.reshape(len(sample_sizes), -1), skewness.reshape(len(sample_sizes), -1)


def write_distributions(doc, results_root):
    """Part 2: the CLT figure with the measured variances, the derivation of b, the normal-approximation figure."""
    from lib import distributions
    folder = os.path.join(results_root, "results_distributions")
    clt, clt_recorded = distributions.figure_settings(folder, "clt")
    normal, normal_recorded = distributions.figure_settings(folder, "normal")
    state = np.random.get_state()  # the numbers below reseed numpy; leave the caller's generator untouched
    try:
        sample_sizes, variances, skewness = clt_moments(clt["n_repetitions"], clt["sample_sizes"])
        np.random.seed(normal["seed"])  # the draws of normal.png, as plot_normal.py made them
        (_, std, _), (_, shifted, _) = distributions.normal_panels(normal["n_samples"])
    finally:
        np.random.set_state(state)
    reps = clt["n_repetitions"]
    doc.section_break()
    doc.heading("2  Distributions and the central limit theorem")
    doc.heading("2.1  Sample means of Exp(1) and N(1, 1)", 2)
    doc.paragraph("For n = {}, {} means of n samples each; both distributions have mean 1 and variance 1, so the "
                  "CLT predicts that the means follow N(1, 1/n). Variance and skewness of the {} means {} (seed "
                  "1337, as in lib/distributions.py); for the exponential the exact skewness of a mean of n samples "
                  "is 2/√n, for the normal 0:".format(
                      ", ".join(str(n) for n in sample_sizes), reps, reps,
                      "in the figure" if clt_recorded else "of plot_clt.py's default settings (the figure's own "
                      "settings were not recorded beside it)"))
    rows = [[str(n), "{:.5f}".format(1 / n), "{:.5f}".format(v[0]), "{:.5f}".format(v[1]),
             "{:.2f}".format(v[0] * n), "{:.2f}".format(v[1] * n), "{:+.2f}".format(2 / math.sqrt(n)),
             "{:+.2f}".format(g[0]), "{:+.2f}".format(g[1])]
            for n, v, g in zip(sample_sizes, variances, skewness)]
    doc.table(["n", "CLT 1/n", "var Exp", "var N", "n·var Exp", "n·var N", "2/√n", "skew Exp", "skew N"], rows)
    ratios = variances * np.array(sample_sizes)[:, None]
    doc.paragraph("n times the variance lies between {:.2f} and {:.2f}, close to the predicted 1 ({} normal means "
                  "give a sample variance with a standard error of √(2/{}) ≈ {:.1f} %). The skewness of the "
                  "exponential means goes from {:.2f} at n = {} to {:.2f} at n = {}: the histograms turn from the "
                  "skewed exponential shape into the symmetric bell the CLT predicts, while means of normal samples "
                  "stay symmetric for every n (skewness between {:+.2f} and {:+.2f})."
                  .format(ratios.min(), ratios.max(), reps, reps - 1, 100 * math.sqrt(2 / max(reps - 1, 1)),
                          skewness[0, 0], sample_sizes[0],
                          skewness[-1, 0], sample_sizes[-1], skewness[:, 1].min(), skewness[:, 1].max()))
    doc.images([(_existing(os.path.join(folder, "clt.png")), "results_distributions/clt.png")], height=6.0)
    doc.heading("2.2  A normal distribution from uniform samples: the choice of b", 2, keep=2.0)
    n_u = distributions.N_UNIFORM_PER_SAMPLE
    doc.paragraph("Draw n_u samples from U(-b, b) and take their mean. Its expectation is 0. The variance of one "
                  "uniform sample is")
    doc.paragraph("σ_u² = (b - (-b))² / 12 = (2b)² / 12 = b² / 3.", indent=0.3)
    doc.paragraph("The mean of n_u independent samples has variance σ_u² / n_u, and by the CLT it is approximately "
                  "normal:")
    doc.paragraph("σ_n² = σ_u² / n_u = b² / (3 n_u).", indent=0.3)
    doc.paragraph("A standard normal needs σ_n = 1:")
    doc.paragraph("b² / (3 n_u) = 1   ⇒   b = √(3 n_u).", indent=0.3)
    doc.paragraph("This project averages n_u = {} uniform samples per normal sample, so b = √{} ≈ {:.2f}. A sample "
                  "of N(μ, σ²) is then μ + σ z with z from the standard-normal approximation. Measured on the {:,} "
                  "samples {} (seed {}): the standard-normal approximation has mean {:+.4f} and variance {:.4f}; "
                  "the N(-10, 3²) approximation has mean {:.4f} and variance {:.3f} (targets -10 and 9)."
                  .format(n_u, 3 * n_u, math.sqrt(3 * n_u), normal["n_samples"],
                          "of the figure below" if normal_recorded else "of plot_normal.py's default settings (the "
                          "figure's own settings were not recorded beside it)", normal["seed"], std.mean(), std.var(),
                          shifted.mean(), shifted.var()))
    doc.images([(_existing(os.path.join(folder, "normal.png")), "results_distributions/normal.png")], height=3.6)


def _existing(path):
    return path if os.path.isfile(path) else None


# ----------------------------------------------------------------------------------------------------------------
# Section 3: the VAE

def vae_answers(runs, measures, reference_measures):
    """The three answers of part 3.3 as lists of paragraphs, computed from ``runs`` (VaeRun per weight).

    Args:
        runs: list of VaeRun, any order, at least two.
        measures: dict weight -> (sharpness, variety) of its reconstructions (:func:`reconstruction_measures`),
            or None where the figure could not be measured.
        reference_measures: the same measured on the course's reference figure, or None.
    """
    by_weight = sorted(runs, key=lambda r: r.weight)
    names = [weight_name(r.weight) for r in by_weight]
    best = min(runs, key=lambda r: r.reconstruction)
    worst = max(runs, key=lambda r: r.reconstruction)
    most_kl = max(runs, key=lambda r: r.kl)
    least_kl = min(runs, key=lambda r: r.kl)
    best_bound = min(runs, key=lambda r: r.reconstruction + r.kl)
    epochs = sorted({r.epochs for r in runs})
    rec_trend, kl_trend = trend([r.reconstruction for r in by_weight]), trend([r.kl for r in by_weight])

    observe = [
        "Reconstruction: {} reconstructs the test digits best ({} nats per image) and {} worst ({}), {} nats or "
        "{} more. Ordered by weight ({}), the reconstruction loss {} ({}).".format(
            weight_name(best.weight), fmt(best.reconstruction), weight_name(worst.weight), fmt(worst.reconstruction),
            fmt(worst.reconstruction - best.reconstruction), percent(worst.reconstruction / best.reconstruction - 1),
            join_words(names), rec_trend, join_words(fmt(r.reconstruction) for r in by_weight)),
        "KL term: {} ends with the largest KL divergence ({} nats per image), {} with the smallest ({}); by weight "
        "the KL {} ({}).".format(weight_name(most_kl.weight), fmt(most_kl.kl, 2), weight_name(least_kl.weight),
                                 fmt(least_kl.kl, 2), kl_trend, join_words(fmt(r.kl, 2) for r in by_weight)),
        "The sum reconstruction + KL, the negative evidence lower bound (an upper bound on -log p(x)), is lowest for "
        "{} ({} nats per image).".format(weight_name(best_bound.weight),
                                         fmt(best_bound.reconstruction + best_bound.kl)),
    ]
    known = {w: m for w, m in measures.items() if m is not None}
    if known:
        parts = ["{} {} and {}".format(weight_name(w), percent(m[0]), percent(m[1]))
                 for w, m in sorted(known.items())]
        sharpest = max(known, key=lambda w: known[w][0])
        observe.append("Measured on the reconstruction figures, relative to the original digits above them, the "
                       "reconstructions keep this share of the edge detail and of the differences between the 8 "
                       "digits: {}. The sharpest are those of {}.".format(join_words(parts), weight_name(sharpest)))
    spreads = [(r.weight, r.latent) for r in by_weight if r.latent is not None]
    if spreads:
        parts = ["{}: spread {:.2f}, sigma {:.3f}, ratio {}".format(
            weight_name(w), m[0], m[1], fmt(m[0] / m[1], 0 if m[0] >= 10 * m[1] else 2)) for w, m in spreads]
        widest = max(spreads, key=lambda item: item[1][0] / item[1][1])[0]
        observe.append("Latent space (test-set class means of mu and mean sigma, as drawn in the figures): the class "
                       "means lie at an RMS distance ('spread') from their centre, compared with the codes' own "
                       "standard deviation: {}. The classes are most clearly separated, relative to their noise, for "
                       "{}.".format("; ".join(parts), weight_name(widest)))
    if reference_measures is not None and known.get(1.0) is not None:
        observe.append("Compared with the course's reference output after 15 epochs (not reproduced here), the "
                       "reconstructions of W = 1 after {} have {} the reference's.".format(
                           plural(next(r.epochs for r in runs if r.weight == 1.0), "epoch"),
                           compare_in_words(known[1.0][0], reference_measures[0], "edge detail")))
    if epochs[-1] < EXERCISE_VAE_EPOCHS:
        observe.append("These models trained for only {} instead of the exercise's {}, so the numbers are far from "
                       "converged.".format(plural(epochs[-1], "epoch") if len(epochs) == 1
                                           else join_words(str(e) for e in epochs) + " epochs", EXERCISE_VAE_EPOCHS))

    zero = next((r for r in runs if r.weight == 0.0), None)
    high = max(runs, key=lambda r: r.weight)
    explain = ["Each model minimises reconstruction + W · KL. The KL term measures, per image, how far the encoder's "
               "distribution q(z|x) = N(mu, sigma²) is from the prior N(0, I); averaged over the data it is also an "
               "upper bound on the information the 2-D code carries about the image (the rate), here in nats "
               "(divide by ln 2 ≈ 0.69 for bits)."]
    if zero is not None:
        explain.append("With W = 0 nothing pulls the codes towards the prior: the model is a plain autoencoder with "
                       "noise, free to push the codes far from the origin and to shrink sigma. Its KL of {} nats "
                       "(≈ {:.0f} bits) says it did so. {} The price is a latent space that does not match N(0, I): "
                       "codes drawn from the prior, or grid points between the clusters, need not decode to "
                       "digits.".format(
                           fmt(zero.kl, 1), zero.kl / math.log(2),
                           "That freedom gives it the best reconstructions of the three." if zero is best else
                           "The freedom did not give it the best reconstructions in this run ({} did better)."
                           .format(weight_name(best.weight))))
    if high.weight > 1.0:
        bits = high.kl / math.log(2)
        if bits < 1:
            consequence = ("That is less than one bit: the encoder returns practically the prior for every image "
                           "(posterior collapse), so the decoder gets almost no information about its input and "
                           "draws nearly the same average digit for all of them")
        else:
            consequence = ("So little information cannot tell all digits apart; the classes overlap near the origin "
                           "and the decoder can only draw blurry averages of similar digits")
        high_measures = known.get(high.weight)
        explain.append("With W = {:g} every nat of KL costs {:g} nats of reconstruction, so the encoder keeps q(z|x) "
                       "close to N(0, I): KL {} nats, ≈ {:.1f} bits per image. {}{}; hence its reconstruction loss of "
                       "{} nats.".format(high.weight, high.weight, fmt(high.kl, 2), bits, consequence,
                                         " (its 8 reconstructions differ only {} as much as the originals)"
                                         .format(percent(high_measures[1])) if high_measures else "",
                                         fmt(high.reconstruction)))
    one = next((r for r in runs if r.weight == 1.0), None)
    if one is not None:
        explain.append("W = 1 optimises the evidence lower bound itself: KL {} nats with reconstruction {} nats, a "
                       "compromise between the two extremes{}.".format(
                           fmt(one.kl, 2), fmt(one.reconstruction),
                           ", and indeed the lowest sum of the two" if best_bound is one
                           else " (the lowest sum was nevertheless reached by {} in this run)".format(
                               weight_name(best_bound.weight))))

    role = ["The KL divergence regularises the encoder: it penalises codes that move away from the prior N(0, I) "
            "and variances that shrink towards zero. This makes the latent space continuous and filled without "
            "holes, so that z ~ N(0, I) decodes to plausible digits and neighbouring codes decode to similar "
            "images: it is what turns the autoencoder into a generative model. Its weight sets the trade-off "
            "between how much information the code keeps (reconstruction) and how regular the latent space is."]
    if zero is not None and high is not zero:
        role.append("In this run, raising the weight from 0 to {:g} changed the KL from {} to {} nats per image and "
                    "the reconstruction loss from {} to {} nats per image.".format(
                        high.weight, fmt(zero.kl, 2), fmt(high.kl, 2), fmt(zero.reconstruction),
                        fmt(high.reconstruction)))
    role += prior_answers(by_weight)
    return observe, explain, role


def prior_answers(runs):
    """A paragraph on the measured quality of the prior samples (FD/KID of prior_quality.json), if measured."""
    measured = [r for r in runs if r.prior is not None]
    if len(measured) < 2:
        return []
    best = min(measured, key=lambda r: r.prior[0])
    worst = max(measured, key=lambda r: r.prior[0])
    parts = ["{}: FD {}, KID {} x 10^-3".format(weight_name(r.weight), fmt(r.prior[0], 1), fmt(1000 * r.prior[1], 1))
             for r in measured]
    return ["Measured: 10,000 digits decoded from z ~ N(0, I) per model, compared with the 10,000 test digits by "
            "the Frechet distance (FD) and the kernel inception distance (KID) in the features of a small CNN "
            "trained on MNIST (evaluate_vae.py; lower is better, means over 3 sampling seeds): {}. The prior "
            "samples of {} are the closest to real digits, those of {} the furthest ({} times its FD). This is the "
            "KL term's role in numbers: the prior only becomes a distribution to sample digits from where the KL "
            "term has shaped the codes to fill it, and too large a weight leaves codes that say too little about "
            "the digit.".format(join_words(parts), weight_name(best.weight), weight_name(worst.weight),
                                fmt(worst.prior[0] / best.prior[0], 1))]


def write_vae(doc, runs, reference_dir):
    """Part 3: reconstructions, latent spaces, the loss table and the answers."""
    doc.section_break()
    doc.heading("3  Variational autoencoder on MNIST")
    doc.paragraph("A VAE with a 2-D latent space (784-100-2 encoder, 2-100-784 decoder) trained on MNIST with the "
                  "loss binary cross-entropy + W · KL(q(z|x) || N(0, I)) for the KL weights W = 1, 30 and 0. All "
                  "losses are per test image in nats.")
    doc.heading("3.1  Reconstructions", 2)
    doc.paragraph("Top row of each figure: 8 test digits; bottom row: their reconstructions after the last epoch.")
    for run in runs:
        doc.images([(run.reconstruction_png, "{}: reconstruction_{}.png (epoch {})".format(
            weight_name(run.weight), run.epochs, run.epochs))], height=1.1)
    doc.new_page()  # one latent space per row, two to a page: large enough to read the legends
    doc.heading("3.2  Latent spaces", 2, keep=LATENT_HEIGHT + 0.4)
    doc.paragraph("Decoded images over a 20 x 20 grid of the 2-D latent space; numbers mark the mean code of each "
                  "digit class, crosses its mean standard deviation.")
    for run in runs:
        doc.images([(run.latent_png, "{}: latent_space.png".format(weight_name(run.weight)))], height=LATENT_HEIGHT)
    if any(run.codes_png or run.prior_png for run in runs):
        doc.new_page(landscape=True)
        doc.heading("3.2  Latent spaces (continued): test-set codes and prior samples", 2, keep=3.0)
        doc.images([(run.codes_png, "{}: latent_codes.png, test-set codes by digit".format(weight_name(run.weight)))
                    for run in runs], height=2.5)
        doc.images([(run.prior_png, "{}: prior_samples.png, 100 digits decoded from z ~ N(0, I)".format(
            weight_name(run.weight))) for run in runs], height=2.5)
    doc.new_page()
    doc.heading("3.3  The influence of the KL weight", 2)
    rows = [[weight_name(r.weight), str(r.epochs), fmt(r.reconstruction, 2), fmt(r.kl, 2),
             fmt(r.reconstruction + r.kl, 2), fmt(r.objective, 2)] for r in runs]
    header = ["KL weight", "epochs", "reconstruction", "KL", "rec. + KL", "rec. + W·KL"]
    if any(r.prior is not None for r in runs):
        header += ["prior FD", "KID·1e3"]
        rows = [row + ([fmt(r.prior[0], 1), fmt(1000 * r.prior[1], 1)] if r.prior else ["n/a", "n/a"])
                for row, r in zip(rows, runs)]
    doc.table(header, rows)
    if len(runs) < 2:
        doc.paragraph("Fewer than two KL weights have results, so there is nothing to compare.", color="red")
        return
    measures = {r.weight: reconstruction_measures(r.reconstruction_png) for r in runs}
    reference = os.path.join(reference_dir, "vae_output_15_epochs.png") if reference_dir else None
    observe, explain, role = vae_answers(runs, measures, reconstruction_measures(reference))
    for title, paragraphs in (("What do you observe?", observe), ("How can these results be explained?", explain),
                              ("What is the role of the KL divergence term?", role)):
        doc.paragraph(title, weight="bold", after=0.02)
        for text in paragraphs:
            doc.paragraph(text, indent=0.25, bullet="-")


# ----------------------------------------------------------------------------------------------------------------
# Section 4: the GAN

def gan_answers(run, reference_dir, gan_root):
    """Paragraphs describing a GAN run from its history and its sample figures."""
    h = run.history
    n = len(h["epoch"])
    k = max(1, n // 10)  # average the first and the last tenth of the epochs: single epochs are noisy

    def early(key):
        return float(h[key][:k].mean())

    def late(key):
        return float(h[key][-k:].mean())

    epochs = int(h["epoch"][-1])
    span = "the last epoch" if k == 1 else "the last {} epochs".format(k)
    text = ["Training ran for {} epochs. Over {}, the discriminator's loss averaged {:.3f} and the generator's "
            "{:.3f}; D(x) on real images {:.3f}, D(G(z)) on generated ones {:.3f} before and {:.3f} after the "
            "discriminator's update.".format(epochs, span, late("loss_d"), late("loss_g"), late("d_x"),
                                             late("d_g_z1"), late("d_g_z2"))]
    if n >= 2:
        text.append("From the first to the last tenth of training, the generator's loss went from {:.3f} to {:.3f} "
                    "and D(x) from {:.3f} to {:.3f}.".format(early("loss_g"), late("loss_g"), early("d_x"),
                                                             late("d_x")))
    gap = late("d_x") - late("d_g_z1")
    if gap > 0.4:
        text.append("A gap of {:.2f} between D(x) and D(G(z)) means the discriminator still tells real from "
                    "generated images apart with confidence: it wins the game, which is usual for this small data "
                    "set (800 images) and keeps the generator's loss high.".format(gap))
    elif gap > 0.1:
        text.append("D(x) exceeds D(G(z)) by {:.2f}: the discriminator is ahead but far from perfect, so the "
                    "generator still gets useful gradients.".format(gap))
    elif gap >= -0.1:
        text.append("D(x) and D(G(z)) differ by only {:.2f}: the discriminator can hardly separate real from "
                    "generated images, the equilibrium the GAN game aims at (or a discriminator that stopped "
                    "learning).".format(abs(gap)))
    else:
        text.append("D(G(z)) exceeds D(x) by {:.2f}: the discriminator rates generated images as more real than "
                    "real ones, a sign of training that has not settled yet.".format(-gap))
    if epochs < EXERCISE_GAN_EPOCHS:
        text.append("This run trained for only {} instead of the exercise's {}, so its samples are not expected to "
                    "look like flowers yet.".format(plural(epochs, "epoch"), EXERCISE_GAN_EPOCHS))
    if run.quality is not None:  # FD/KID says more than pixel statistics: see gan_quality_answers
        return text
    own = sample_statistics(run.samples_png)
    references = [("the course's samples after 500 epochs",
                   os.path.join(reference_dir, "gan_output_500_epochs.png") if reference_dir else None),
                  ("samples of the course's 2500-epoch generator (drawn by run_all.sh at T = 1)",
                   os.path.join(gan_root, REFERENCE_2500_SAMPLES))]
    for name, path in references:
        ref = sample_statistics(path)
        if own is not None and ref is not None:
            detail = compare_in_words(own[0], ref[0], "edge detail")
            spread = compare_in_words(own[1], ref[1], "variety between images")
            text.append("Compared with {} (not reproduced here, measured only), our final samples show {} those, "
                        "and {} those.".format(name, detail, spread))
    return text


def temperature_answers(run):
    """Paragraphs about the temperature samples, from measurements on their figures."""
    stats = [(t, sample_statistics(p)) for t, p in run.temperatures.items()]
    stats = [(t, s) for t, s in stats if s is not None]
    text = ["The latent vectors are drawn from N(0, T·I) with the same seed for every temperature T, so the "
            "figures show the same directions in latent space, scaled by √T. T = 1 is the distribution the "
            "generator was trained on; T < 1 shrinks the codes towards the centre of the prior, T > 1 pushes them "
            "beyond what training saw. Lower temperatures usually trade variety for cleaner, more typical images.",
            "These grids are drawn in eval mode with standing statistics: before sampling, the batch-norm "
            "statistics are re-estimated for the final weights as plain averages over 100 train-mode batches of "
            "z ~ N(0, I) (T = 1), because the running statistics collected during training lag the weights and "
            "made the images paler. With the statistics of the batch itself, as in training and in "
            "samples_final.png, the temperature would have no effect: the first layer is linear without bias, so "
            "scaling every z by √T scales its outputs by √T, and the first batch norm divides that out again "
            "(tests/test_generate_gan_images.py and tests/test_gan_sampling.py check both)."]
    if len(stats) >= 2:
        parts = ["T = {:g}: variety {:.3f}, edge detail {:.3f}".format(t, s[1], s[0]) for t, s in stats]
        low, high = stats[0], stats[-1]
        direction = "less" if low[1][1] < high[1][1] else "more"
        text.append("Measured on the figures ({}; variety = per-pixel standard deviation across the 64 images, "
                    "edge detail = mean difference of neighbouring pixels): the samples at T = {:g} are {} varied "
                    "than at T = {:g} ({} of the variety){}.".format(
                        "; ".join(parts), low[0], direction, high[0], percent(low[1][1] / high[1][1]),
                        ", as expected" if direction == "less" else ", against the usual expectation"))
    return text


def write_gan(doc, run, reference_dir, gan_root):
    """Part 4: samples, loss curves, temperatures and their description."""
    doc.section_break()
    doc.heading("4  Generative adversarial network on the flowers")
    if run is None:
        doc.paragraph("No finished GAN run was found in {}.".format(gan_root), color="red")
        return
    settings = dict(re.findall(r"_(ep|bs|lr|nz|ngf|ndf)([0-9][0-9.e-]*)", os.path.basename(run.folder)))
    if all(key in settings for key in ("nz", "ngf", "ndf", "bs", "lr")):
        model = ("with latent size {nz}, {ngf} generator and {ndf} discriminator feature maps (multipliers), batch "
                 "size {bs} and learning rate {lr}".format(**settings))
    else:
        model = "with the settings named in its run folder"
    doc.paragraph("DCGAN {} trained with binary cross-entropy and Adam on the course's flower photos. Run folder: "
                  "{}.".format(model, os.path.basename(os.path.normpath(run.folder))))
    epochs = int(run.history["epoch"][-1])
    finals = [(run.samples_png, "samples_final.png: 64 samples from the fixed noise after {}".format(
        plural(epochs, "epoch")))]
    if run.ema_png:
        finals.append((run.ema_png, "samples_final_ema.png: the same noise through the moving average of the "
                                    "generator's weights"))
    doc.images(finals, height=3.3)
    doc.images([(run.losses_png, "losses.png: losses and discriminator outputs over the epochs")], height=2.6)
    for text in gan_answers(run, reference_dir, gan_root):
        doc.paragraph(text, indent=0.25, bullet="-")
    doc.heading("4.1  Samples at two temperatures", 2, keep=3.5)
    doc.images([(p, "temperature T = {:g}".format(t)) for t, p in run.temperatures.items()] or [(None, "")],
               height=3.0)
    for text in temperature_answers(run):
        doc.paragraph(text, indent=0.25, bullet="-")
    if run.quality is not None:
        doc.heading("4.2  Sample quality: FD and KID", 2, keep=3.0)
        doc.table(["generator", "sampling", "FD", "KID·1e3"], quality_rows(run.quality, epochs))
        for text in gan_quality_answers(run.quality, epochs):
            doc.paragraph(text, indent=0.25, bullet="-")


def quality_label(row, epochs):
    """A row of sample_quality.json in words: whose generator, which weights."""
    path = row.get("path") or ""
    if row.get("mode") == "floor":
        return "real images (floor)"
    if os.path.basename(path) == "generator_ema.pth":
        return "ours, {} epochs, EMA".format(epochs)
    if os.path.basename(os.path.dirname(os.path.abspath(path))).startswith("run_"):
        return "ours, {} epochs, raw".format(epochs)
    if "2500" in os.path.basename(path):
        return "course, 2500 epochs"
    return os.path.basename(path)


def _mean_std(values, scale=1.0):
    values = scale * np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def quality_rows(quality, epochs):
    """Table rows (label, mode, FD mean ± sd, KID·1e3 mean ± sd) of sample_quality.json."""
    rows = []
    for row in quality["rows"]:
        fd, kid = _mean_std(row["fd"]), _mean_std(row["kid"], 1000)
        rows.append([quality_label(row, epochs), row["mode"], "{:.2f} ± {:.2f}".format(*fd),
                     "{:.1f} ± {:.1f}".format(*kid)])
    return rows


def gan_quality_answers(quality, epochs):
    """Paragraphs reading the FD/KID table: the floor, the best sampling mode, ours against the course's."""
    classifier = quality.get("classifier", {})
    text = ["FD (Frechet distance) and KID (kernel inception distance, unbiased) compare {n} generated with {n} "
            "real images in the 128 penultimate features of a small CNN trained on the flowers' train split "
            "(accuracy {acc} on val+test; no Inception weights can be downloaded here, so the numbers are not "
            "comparable with published FIDs). Mean ± standard deviation over {seeds} sampling seeds; lower is "
            "better. The floor compares two disjoint halves of the real images: no generator can be expected below "
            "it.".format(n=quality.get("images_per_side", "?"), seeds=quality.get("seeds", "?"),
                         acc=percent(classifier["accuracy_val_test"]) if "accuracy_val_test" in classifier
                         else "n/a")]
    best = collections.OrderedDict()
    for row in quality["rows"]:
        label = quality_label(row, epochs)
        if row["mode"] != "floor" and (label not in best or np.mean(row["fd"]) < np.mean(best[label]["fd"])):
            best[label] = row
    if best:
        text.append("Best sampling mode per generator: {}.".format(join_words(
            "{} {} (FD {:.2f})".format(label, row["mode"], np.mean(row["fd"])) for label, row in best.items())))
    by_mode = collections.defaultdict(dict)
    for row in quality["rows"]:
        by_mode[quality_label(row, epochs)][row["mode"]] = float(np.mean(row["fd"]))
    pairs = [(label, modes) for label, modes in by_mode.items() if "standing" in modes and "running" in modes]
    if pairs:
        wins = [label for label, modes in pairs if modes["standing"] < modes["running"]]
        text.append("Standing statistics score better than the running statistics of training for {} of {} "
                    "generators ({}); the temperature grids above use them, because train-mode (batch) statistics, "
                    "though as good or better at T = 1, ignore the temperature.".format(
                        len(wins), len(pairs), "; ".join("{} {:.2f} against {:.2f}".format(
                            label, modes["standing"], modes["running"]) for label, modes in pairs)))
    ours = best.get("ours, {} epochs, EMA".format(epochs))
    course = best.get("course, 2500 epochs")
    if ours is not None and course is not None:
        (fd_o, sd_o), (fd_c, sd_c) = _mean_std(ours["fd"]), _mean_std(course["fd"])
        (kid_o, _), (kid_c, _) = _mean_std(ours["kid"], 1000), _mean_std(course["kid"], 1000)
        if abs(fd_o - fd_c) <= max(sd_o, sd_c):
            verdict = "as good as the course's 2500-epoch generator within the spread of the seeds"
        elif fd_o < fd_c:
            verdict = "better than the course's 2500-epoch generator by more than the spread of the seeds"
        else:
            verdict = "worse than the course's 2500-epoch generator by more than the spread of the seeds"
        text.append("Our {}-epoch generator's moving average (FD {:.2f} ± {:.2f}, KID {:.1f} x 10^-3) is {} (FD "
                    "{:.2f} ± {:.2f}, KID {:.1f} x 10^-3), with {} instead of 2500 epochs of training.".format(
                        epochs, fd_o, sd_o, kid_o, verdict, fd_c, sd_c, kid_c, epochs))
    return text


# ----------------------------------------------------------------------------------------------------------------
# Title page and the whole document

def write_title(doc, names, date, quick, results_root, vae_runs, gan_run):
    doc.space(1.2)
    doc.heading("Generative models: probability, a variational autoencoder and a GAN", 0)
    doc.paragraph("Exercise submission: answers to the pen-and-paper questions, with this repository's results",
                  size=12)
    doc.space(0.4)
    doc.paragraph("Names: {}".format(names or "_" * 40), size=12)
    doc.paragraph("Date: {}".format(date), size=12)
    doc.space(0.3)
    if quick:
        doc.paragraph("QUICK SMOKE RUN: every model trained for only a few epochs (run_all.sh --quick). These are "
                      "not the results of the exercise; the answers describe this short run's numbers.",
                      size=12, weight="bold", color="#b00000")
        doc.space(0.2)
    trained = ["VAE {} for {}".format(weight_name(r.weight), plural(r.epochs, "epoch")) for r in vae_runs]
    if gan_run is not None:
        trained.append("GAN for {}".format(plural(int(gan_run.history["epoch"][-1]), "epoch")))
    root = os.path.normpath(results_root)
    doc.paragraph("Built by make_submission.py from the results in {} ({}). Every figure and number comes from this "
                  "repository's own runs; the course's reference material is only measured (its 2500-epoch "
                  "generator by FD/KID), never shown."
                  .format("the current folder" if root == "." else root,
                          join_words(trained) if trained else "no trained models"))
    doc.space(0.3)
    doc.paragraph("Contents", weight="bold")
    for line in ("1  Probability theory: Bertrand's box (answers, Bayes' rule, Monte Carlo check)",
                 "2  Distributions and the central limit theorem (figures, derivation of b)",
                 "3  Variational autoencoder (reconstructions, latent spaces, KL-weight study and answers)",
                 "4  Generative adversarial network (samples, losses, temperatures, FD/KID)"):
        doc.paragraph(line, indent=0.25)


Submission = collections.namedtuple("Submission", "path pages text missing")
Submission.__doc__ = """The written PDF: its ``path``, the number of ``pages``, the ``text`` placed on them (pages
separated by form feeds) and the list of ``missing`` result files that were left as gaps."""


def find_missing(results_root, vae_runs, gan_run):
    """Paths of results the PDF needs but that do not exist, each with the command that makes it."""
    missing = []
    for name, script in (("clt.png", "plot_clt.py"), ("normal.png", "plot_normal.py")):
        if not os.path.isfile(os.path.join(results_root, "results_distributions", name)):
            missing.append("results_distributions/{} (python {})".format(name, script))
    found = {r.weight for r in vae_runs}
    for weight in KL_WEIGHTS:
        folder = os.path.basename(vae_dir(results_root, weight))
        if weight not in found:
            missing.append("{}/losses.json (python run_vae_training.py --kl_loss_weight {:g})".format(folder, weight))
    for run in vae_runs:
        folder = os.path.basename(run.folder)
        if run.reconstruction_png is None:
            missing.append("{}/reconstruction_{}.png (python run_vae_training.py --kl_loss_weight {:g})".format(
                folder, run.epochs, run.weight))
        if run.latent_png is None:
            missing.append("{}/latent_space.png (python plot_latent_space.py --kl_loss_weight {:g})".format(
                folder, run.weight))
    if gan_run is None:
        missing.append("results_gan/run_*/ with generator.pth and history.json (python run_gan_training.py)")
    else:
        for path, what in ((gan_run.samples_png, "samples_final.png"), (gan_run.losses_png, "losses.png")):
            if path is None:
                missing.append("{}/{} (python run_gan_training.py)".format(gan_run.folder, what))
        if len(gan_run.temperatures) < 2:
            missing.append("{}/{} for two temperatures (python generate_gan_images.py --temperature T ...)".format(
                gan_run.folder, TEMPERATURE_PATTERN.format("T")))
    return missing


def build_submission(results_root=".", output="submission.pdf", names="", date=None, quick=False,
                     reference_dir=None, gan_run=None, allow_missing=False, mc_draws=MONTE_CARLO_DRAWS,
                     mc_seed=MONTE_CARLO_SEED):
    """Write the submission PDF from the results under ``results_root``.

    Args:
        results_root: folder holding results_distributions/, results_kl{W}/ and results_gan/.
        output: path of the PDF to write; its file name also heads every page's footer.
        names: the team's names for the title page ('' leaves a line to fill in).
        date: date string for the title page; None means today (ISO format).
        quick: mark every page as a quick smoke run.
        reference_dir: the course's reference folder, only measured for comparisons in words; None skips them.
        gan_run: GAN run folder to show; None picks the newest finished run in results_root/results_gan.
        allow_missing: leave gaps for missing results instead of raising UserError.
        mc_draws, mc_seed: size and seed of the Monte Carlo check of part 1.

    Returns:
        :class:`Submission`.
    """
    require_folder(results_root, "results folder", "run ./run_all.sh or pass --results_root")
    date = date or datetime.date.today().isoformat()
    vae_runs = [run for run in (load_vae_run(results_root, w) for w in KL_WEIGHTS) if run is not None]
    gan_root = os.path.join(results_root, "results_gan")
    if gan_run is not None and not os.path.isfile(os.path.join(gan_run, "history.json")):
        raise UserError("{} is not a finished GAN run (no history.json); pass a results_gan/run_* folder of a "
                        "finished training".format(gan_run))
    gan_run = gan_run or newest_gan_run(gan_root)
    gan = load_gan_run(gan_run) if gan_run else None
    missing = find_missing(results_root, vae_runs, gan)
    if missing and not allow_missing:
        raise UserError("results are missing: {}; run them (or ./run_all.sh), or pass --allow_missing to leave "
                        "gaps".format("; ".join(missing)))
    if reference_dir and not os.path.isdir(reference_dir):
        reference_dir = None

    footer = "{}, {}{}".format(os.path.basename(output), names or "names: ____",
                               ", QUICK SMOKE RUN, not the exercise's results" if quick else "")
    doc = Document(footer)
    write_title(doc, names, date, quick, results_root, vae_runs, gan)
    doc.new_page()
    write_bertrand(doc, bertrand.monte_carlo(mc_draws, mc_seed), mc_draws, mc_seed)
    write_distributions(doc, results_root)
    write_vae(doc, vae_runs, reference_dir)
    write_gan(doc, gan, reference_dir, gan_root)
    if missing:
        doc.section_break()
        doc.heading("Missing results")
        for item in missing:
            doc.paragraph(item, indent=0.25, bullet="-", color="red")
    metadata = {"Title": "Exercise submission: generative models" + (" (quick smoke run)" if quick else ""),
                "Author": names or "", "Subject": "Answers and results built by make_submission.py"}
    page_texts = doc.save(output, metadata)
    return Submission(output, len(page_texts), "\f".join(page_texts), missing)
