"""Load every number and figure the answers need from the results folders; a missing file ends in one sentence."""
import functools
import glob
import json
import os

import numpy as np

from lib.utils.errors import UserError
from lib.utils.files import COURSE_GENERATOR, KL_WEIGHTS, vae_run_dir

TEMPERATURES = (0.5, 1.0)


def need(path, command):
    """``path`` if it is a file; else a UserError naming it and the ``command`` that writes it."""
    if not os.path.isfile(path):
        raise UserError("{} is missing; make it with `{}`".format(path, command))
    return path


def read_json(path, command):
    """The JSON file ``path`` that ``command`` writes."""
    with open(need(path, command)) as handle:
        try:
            return json.load(handle)
        except ValueError:
            raise UserError("{} is damaged (not JSON); write it again with `{}`".format(path, command))


def load_results(root, out_dir, gan_run=None):
    """Everything the templates use: numbers, and figure paths relative to ``out_dir`` (submission.md's folder).

    ``root`` holds results_distributions/, results_kl{W}/ and results_gan/; ``gan_run`` is the GAN run folder
    (default: the one under ``root``/results_gan whose checkpoint was written last).
    """
    def figure(path, command):
        return os.path.relpath(need(path, command), out_dir).replace(os.sep, "/")

    folder = os.path.normpath(os.path.join(root, "results_distributions"))
    results = {"clt_figure": figure(os.path.join(folder, "clt.png"), "python plot_clt.py --output_dir " + folder),
               "normal_figure": figure(os.path.join(folder, "normal.png"),
                                       "python plot_normal.py --output_dir " + folder),
               "vae": [vae_results(os.path.normpath(vae_run_dir(w, root)), w, figure)
                       for w in KL_WEIGHTS],
               "gan": gan_results(os.path.normpath(os.path.join(root, "results_gan")), gan_run, figure)}
    results.update(bertrand=bertrand(), clt=clt_moments(), normal=normal_moments())  # after every file is found
    return results


@functools.lru_cache(maxsize=None)  # seeded, so computed once (the tests build several PDFs)
def bertrand():
    """Part 1's Monte Carlo check: ``{event: {"p", "se", "draws"}}`` (see lib.bertrand.monte_carlo)."""
    from lib.bertrand import monte_carlo
    return {name: {"p": p, "se": se, "draws": n} for name, (p, se, n) in monte_carlo().items()}


def moments(x):
    """Variance and skewness of ``x`` along its last axis."""
    centred = x - x.mean(-1, keepdims=True)
    variance = (centred ** 2).mean(-1)
    return variance, (centred ** 3).mean(-1) / variance ** 1.5


@functools.lru_cache(maxsize=None)  # seeded, so computed once (the tests build several PDFs)
def clt_moments(resamples=200):
    """Per n of the CLT figure (recomputed with its seed), for the exponential and the normal column: n times the
    variance of the 1024 means (the CLT predicts 1) and their skewness (exactly 2 / sqrt(n) and 0), each with a
    bootstrap standard error; and the largest deviation from a prediction, in standard errors."""
    from lib.distributions import plot_clt
    samples, means = plot_clt(plot=False)
    rng = np.random.default_rng(0)
    rows, deviations = [], []
    for k in range(0, len(means), 2):  # row-major order: (n, exponential), (n, normal)
        n, pair = samples[k].shape[1], np.stack(means[k:k + 2])  # pair: (2, m)
        resampled = pair[:, rng.integers(0, pair.shape[1], (resamples, pair.shape[1]))]  # (2, resamples, m)
        (variance, skewness), (variances, skewnesses) = moments(pair), moments(resampled)
        row = {"n": n, "n_var": n * variance, "n_var_se": n * variances.std(-1), "skewness": skewness,
               "skewness_se": skewnesses.std(-1), "exact_skewness": np.array([2 / np.sqrt(n), 0])}
        deviations += list(np.abs(row["n_var"] - 1) / row["n_var_se"])
        deviations += list(np.abs(skewness - row["exact_skewness"]) / row["skewness_se"])
        rows.append(row)
    return {"rows": rows, "largest_deviation": max(deviations)}


@functools.lru_cache(maxsize=None)  # seeded, so computed once (the tests build several PDFs)
def normal_moments():
    """Task 2.2's sampler: ``{"n_uniform", "b", "samples": [{"target": (mean, variance), "mean", "var"}, ...]}``,
    the samples those of normal.png (plot_normal.py's seed)."""
    from lib.distributions import N_UNIFORM, UNIFORM_HALF_WIDTH, normal_samples
    np.random.seed(0)
    samples = [{"target": target, "mean": ours.mean(), "var": ours.var()}
               for target, (_, ours, _) in zip(((0, 1), (-10, 9)), normal_samples(10000))]
    return {"n_uniform": N_UNIFORM, "b": UNIFORM_HALF_WIDTH, "samples": samples}


def vae_results(folder, weight, figure):
    """The last epoch's test losses (nats per image), the latent space's statistics and the figures of the VAE
    trained with KL weight ``weight`` in ``folder``."""
    train = "python run_vae_training.py --kl_loss_weight {:g} --output_dir {}".format(weight, folder)
    plot = "python plot_latent_space.py --kl_loss_weight {:g} --model_dir {}".format(weight, folder)
    losses = read_json(os.path.join(folder, "losses.json"), train)
    stats = read_json(os.path.join(folder, "latent_stats.json"), plot)
    mu, sigma = np.array(stats["class_mu"]), np.array(stats["class_std"])  # (10 digits, 2) each
    run = {key: losses[key][-1] for key in ("epochs", "test_loss", "test_reconstruction", "test_kl")}
    run.update(weight=weight, draws=losses["test_draws"], sigma=sigma.mean(), low=stats["grid_low"],
               high=stats["grid_high"], grid_size=stats["grid_size"],
               spread=np.sqrt(((mu - mu.mean(0)) ** 2).sum(1).mean()),  # RMS distance of the digits' means
               reconstruction=figure(os.path.join(folder, "reconstruction_{}.png".format(run["epochs"])), train))
    run.update({name: figure(os.path.join(folder, name + ".png"), plot)
                for name in ("latent_space", "latent_codes", "prior_samples")})
    return run


def newest_run(results_dir):
    """The run folder under ``results_dir`` whose checkpoint.pth was written last, or None."""
    runs = glob.glob(os.path.join(glob.escape(results_dir), "run_*", "checkpoint.pth"))
    return os.path.dirname(max(runs, key=os.path.getmtime)) if runs else None


def gan_results(results_dir, run, figure):
    """The GAN run's settings, its discriminator's outputs over the last tenth of training, its figures, and the
    temperature grids in ``results_dir``."""
    from lib.utils.checkpoints import load_checkpoint  # torch, only here
    run = run or newest_run(results_dir)
    if run is None:
        raise UserError("{} holds no GAN run; train one with `python run_gan_training.py --output_dir {}`".format(
            results_dir, results_dir))
    if not os.path.isdir(run):
        raise UserError("the GAN run folder {} does not exist; pass a run_* folder of results_gan/ to --gan_run".format(
            run))
    resume = "python run_gan_training.py --resume " + run
    settings = load_checkpoint(need(os.path.join(run, "checkpoint.pth"), resume), "").get("args")
    if not isinstance(settings, dict):
        raise UserError("{} holds no training settings; pass a run folder of run_gan_training.py to --gan_run".format(
            os.path.join(run, "checkpoint.pth")))
    history = read_json(os.path.join(run, "history.json"), resume)
    tail = slice(-max(1, len(history["epoch"]) // 10), None)
    result = {key: float(np.mean(history[key][tail])) for key in ("d_x", "d_g_z1")}
    result.update(settings=settings, epochs=history["epoch"][-1], tail=len(history["epoch"][tail]),
                  real=figure(os.path.join(run, "training_images.png"), resume),
                  samples=figure(os.path.join(run, "samples_final.png"), resume),
                  ema=figure(os.path.join(run, "samples_final_ema.png"), resume),
                  temperatures=[temperature_grid(results_dir, run, t, figure) for t in TEMPERATURES])
    if len({(t["checkpoint"], t["sampling"], t["seed"]) for t in result["temperatures"]}) > 1:
        raise UserError("the temperature grids in {} come from different generators, seeds or batch-norm statistics; "
                        "draw them again with the same generate_gan_images.py settings".format(results_dir))
    return result


def temperature_grid(results_dir, run, temperature, figure):
    """The grid drawn at ``temperature``, which generator drew it (``"course"``, ``"ema"`` or ``"raw"``: the
    course's 2500-epoch one, or our run's moving average or final weights) and its measures (grid_measures)."""
    path = os.path.join(results_dir, "temperature_{}.png".format(temperature))
    generator = COURSE_GENERATOR if os.path.isfile(COURSE_GENERATOR) else os.path.join(run, "generator_ema.pth")
    command = "python generate_gan_images.py --checkpoint {} --temperature {:g} --output {}".format(
        generator, temperature, path)
    drawn = read_json(os.path.splitext(path)[0] + ".json", command)
    name = os.path.basename(drawn["checkpoint"])
    drawn.update(grid_measures(need(path, command)), figure=figure(path, command),
                 generator="course" if name == COURSE_GENERATOR else "ema" if "ema" in name else "raw")
    return drawn


def grid_measures(path, size=32, padding=2):
    """Measures of an image grid (``size`` px images, ``padding`` px apart, as save_image_grid tiles them), each
    in [0, 1]: colour saturation (max - min of R, G, B) and contrast (standard deviation of the brightness in an
    image), both averaged over pixels and images, and variety (standard deviation across the images per pixel)."""
    from PIL import Image
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=float) / 255  # (H, W, 3)
    rows, cols = (np.array(pixels.shape[:2]) - padding) // (size + padding)
    grid = pixels[padding:padding + rows * (size + padding), padding:padding + cols * (size + padding)]
    tiles = grid.reshape(rows, size + padding, cols, size + padding, 3)[:, :size, :, :size]
    images = tiles.transpose(0, 2, 1, 3, 4).reshape(-1, size, size, 3)  # (rows * cols, size, size, 3)
    return {"saturation": (images.max(-1) - images.min(-1)).mean(), "contrast": images.mean(-1).std((1, 2)).mean(),
            "variety": images.std(0).mean()}
