"""Finding and loading the results the report shows: VAE and GAN run folders, their histories and figures.

Kept light (numpy only, torch only inside the checkpoint readers): run_all asks it many times a run which results
are finished and which interrupted run to continue.
"""
import collections
import glob
import json
import os
import re

import numpy as np

from lib.evaluation import PRIOR_QUALITY_NAME
from lib.utils.errors import UserError

KL_WEIGHTS = (1.0, 30.0, 0.0)  # the order the sheet trains them in
TEMPERATURE_PATTERN = "samples_temperature_{}.png"  # written by run_all into the GAN run folder
SAMPLE_QUALITY = "sample_quality.json"  # evaluate_gan.py --output, written by run_all into the GAN run folder


def existing(path):
    """``path`` when that file exists, else None."""
    return path if os.path.isfile(path) else None


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
    return VaeRun(float(kl_loss_weight), folder, last_epoch, float(data["test_reconstruction"][-1]),
                  float(data["test_kl"][-1]), float(data["test_loss"][-1]),
                  reconstruction_png if os.path.isfile(reconstruction_png) else None,
                  latent_png if os.path.isfile(latent_png) else None, latent_spread(folder),
                  mean_scores(os.path.join(folder, PRIOR_QUALITY_NAME)),
                  existing(os.path.join(folder, "latent_codes.png")),
                  existing(os.path.join(folder, "prior_samples.png")))


def mean_scores(path):
    """(mean FD, mean KID) over the seeds from a run's prior_quality.json, or None when it is missing, unreadable or
    holds no seed."""
    try:
        with open(path) as handle:
            seeds = json.load(handle)["seeds"]
        if not seeds:
            return None
        return float(np.mean([s["fd"] for s in seeds])), float(np.mean([s["kid"] for s in seeds]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
    from lib.utils.checkpoints import load_checkpoint
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
                  existing(os.path.join(run_dir, "samples_final_ema.png")), quality)
