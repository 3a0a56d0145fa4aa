"""Load every number and figure the answers need from the results folders, with the few rules that turn numbers
into words (each threshold below is quoted in the hand-in); a missing file ends in one sentence."""
import functools
import glob
import json
import os

import numpy as np

from lib.utils.errors import UserError
from lib.utils.files import KL_WEIGHTS, vae_run_dir

PRIOR_RADIUS = 2.448  # the circle that holds 95 % of N(0, I) in 2-d: sqrt(-2 ln 0.05)
ACTIVE_NATS = 0.01  # a latent dimension whose mean KL is below this says almost nothing about the image
APART, MIXED = 0.75, 0.5  # a digit lies apart when this share of its codes is nearest its own mean code; mixed below
SEPARATES, FOOLED = 0.9, 0.1  # the discriminator wins when D(x) > SEPARATES and D(G(z)) < FOOLED (last tenth)
ALIKE = 0.25  # two temperatures look alike when their paired difference is below this share of the unpaired one
SIMILAR = 0.1  # two measures of image grids count as equal when they differ by less than this share
SAME_DIGITS = 0.01  # two reconstruction figures show the same test digits when their top rows differ less than this
# The course's reference images, where a student's clone of the course has them: its root, like COURSE_GENERATOR.
COURSE_IMAGES = {"vae": "vae_output_15_epochs.png", "gan_500": "gan_output_500_epochs.png",
                 "gan_2500": "gan_output_2500_epochs.png"}
TEMPERATURE_KEYS = ("temperatures", "grids", "neighbours", "checkpoint", "generator", "sampling",
                    "seed")  # what the report reads from temperatures.json
LATENT_MEASURES = ("kl_per_dim", "nearest_mean_accuracy", "per_digit_accuracy", "inside_prior_bulk",
                   "digit_radius_median", "step_size")


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
    (default: the one under ``root``/results_gan whose checkpoint was written last). The course's reference
    images are looked for in the current folder (COURSE_IMAGES).
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
    results["rule"] = {"prior_radius": PRIOR_RADIUS, "active_nats": ACTIVE_NATS, "apart": APART, "mixed": MIXED,
                       "separates": SEPARATES, "fooled": FOOLED, "alike": ALIKE, "similar": SIMILAR,
                       "same_digits": SAME_DIGITS}  # quoted
    results["course"] = course_comparison(results["vae"][0], results["gan"], out_dir)
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
    """The last epoch's test losses (nats per image), the latent space's measures, what the classifier read in its
    figures (full runs) and the figures of the VAE trained with KL weight ``weight`` in ``folder``."""
    train = "python run_vae_training.py --kl_loss_weight {:g} --output_dir {}".format(weight, folder)
    plot = "python plot_latent_space.py --kl_loss_weight {:g} --model_dir {}".format(weight, folder)
    losses = read_json(os.path.join(folder, "losses.json"), train)
    stats = read_json(os.path.join(folder, "latent_stats.json"), plot)
    mu, sigma = np.array(stats["class_mu"]), np.array(stats["class_std"])  # (10 digits, 2) each
    run = {key: losses[key][-1] for key in ("epochs", "test_loss", "test_reconstruction", "test_kl")}
    run.update(weight=weight, draws=losses["test_draws"], sigma=sigma.mean(), low=stats["grid_low"],
               sum=run["test_reconstruction"] + run["test_kl"],  # the loss as with W = 1
               high=stats["grid_high"], grid_size=stats["grid_size"],
               spread=np.sqrt(((mu - mu.mean(0)) ** 2).sum(1).mean()),  # RMS distance of the digits' means
               reconstruction=figure(os.path.join(folder, "reconstruction_{}.png".format(run["epochs"])), train))
    run.update({name: figure(os.path.join(folder, name + ".png"), plot)
                for name in ("latent_space", "latent_codes", "prior_samples")})
    run.update(latent_measures(stats))
    run.update(classifier_readings(os.path.join(folder, "prior_quality.json")))
    return run


def latent_measures(stats):
    """The measures of latent_stats.json (LATENT_MEASURES, written by plot_latent_space.py) and the words they
    choose: the active dimensions, the digits whose codes lie apart or mixed, the digits whose median code lies
    outside the prior's 95 % circle. ``{"measured": False}`` for a file written before these were measured."""
    if any(key not in stats for key in LATENT_MEASURES):
        return {"measured": False}
    accuracy, radius = np.array(stats["per_digit_accuracy"]), np.array(stats["digit_radius_median"])  # (10,) each
    return {"measured": True, "kl_per_dim": stats["kl_per_dim"], "step": stats["step_size"],
            "active": [j for j, kl in enumerate(stats["kl_per_dim"]) if kl >= ACTIVE_NATS],
            "active_count": sum(kl >= ACTIVE_NATS for kl in stats["kl_per_dim"]),
            "accuracy": stats["nearest_mean_accuracy"], "digit_accuracy": accuracy.tolist(),
            "apart": np.flatnonzero(accuracy >= APART).tolist(), "mixed": np.flatnonzero(accuracy < MIXED).tolist(),
            "inside": stats["inside_prior_bulk"], "radius": radius.tolist(),
            "outside": [(int(d), radius[d]) for d in np.flatnonzero(radius > PRIOR_RADIUS)]}


def classifier_readings(path):
    """What evaluate_vae.py's MNIST classifier read (prior_quality.json, full runs only): ``prior_read``, the
    digits of the 100 prior samples as ``[(digit, count), ...]``, most often read first; for the final
    reconstruction figure's ``read_of`` (8) digits, ``read_right`` (how many read as their digit) and
    ``misread``, ``[(true digit, digit read, times), ...]`` in the figure's order; None where not read."""
    quality = read_json(path, "python evaluate_vae.py") if os.path.isfile(path) else {}
    counts, digits = quality.get("prior_sample_digits"), quality.get("reconstruction_digits")
    prior = sorted(((d, c) for d, c in enumerate(counts) if c), key=lambda pair: -pair[1]) if counts else None
    pairs = [(t, r) for t, r in zip(digits["true"], digits["read"]) if t != r] if digits else None
    misread = [pair + (pairs.count(pair),) for k, pair in enumerate(pairs) if pair not in pairs[:k]] if digits else None
    return {"prior_read": prior, "misread": misread, "read_of": len(digits["true"]) if digits else None,
            "read_right": len(digits["true"]) - len(pairs) if digits else None}


def newest_run(results_dir):
    """The run folder under ``results_dir`` whose checkpoint.pth was written last, or None."""
    runs = glob.glob(os.path.join(glob.escape(results_dir), "run_*", "checkpoint.pth"))
    return os.path.dirname(max(runs, key=os.path.getmtime)) if runs else None


def gan_results(results_dir, run, figure):
    """The GAN run's settings, its discriminator's outputs (discriminator_outputs), its figures with their
    measures (grid_measures), and the temperature figure in ``results_dir`` (None where it was not drawn)."""
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
    grids = {key: need(os.path.join(run, name), resume) for key, name in
             (("real", "training_images.png"), ("samples", "samples_final.png"), ("ema", "samples_final_ema.png"))}
    result = dict(discriminator_outputs(history), settings=settings, epochs=history["epoch"][-1],
                  losses=figure(os.path.join(run, "losses.png"), resume),
                  measures={key: grid_measures(path) for key, path in grids.items()},
                  temperatures=temperature_figure(results_dir, figure))
    result.update({key: figure(path, resume) for key, path in grids.items()})
    measures = result["measures"]
    result.update(rougher=compare(measures["samples"]["roughness"], measures["ema"]["roughness"]),
                  more_saturated=compare(measures["ema"]["saturation"], measures["real"]["saturation"]))
    return result


def compare(a, b):
    """1 if ``a`` exceeds ``b`` by more than the share SIMILAR of the larger, -1 if ``b`` exceeds ``a`` so, else 0."""
    return 0 if abs(a - b) <= SIMILAR * max(abs(a), abs(b)) else 1 if a > b else -1


def discriminator_outputs(history):
    """The epoch means D(x) and D(G(z)) (before the generator's step) of history.json: ``{"d_x": {"run", "tail",
    "low", "high"}, "d_g_z": {...}}`` (the mean over the run, over its last tenth, and that tenth's range), ``tail``
    (its epochs), ``reached`` (epochs of it with D(G(z)) >= D(x)) and ``winner``: "discriminator" if its means are
    D(x) > SEPARATES and D(G(z)) < FOOLED, "generator" if D(G(z)) >= D(x), else None (neither overpowered)."""
    tail = max(1, len(history["epoch"]) // 10)
    result = {"tail": tail}
    for name, key in (("d_x", "d_x"), ("d_g_z", "d_g_z1")):
        values = np.asarray(history[key], dtype=float)  # (epochs,)
        result[name] = {"run": values.mean(), "tail": values[-tail:].mean(), "low": values[-tail:].min(),
                        "high": values[-tail:].max()}
    result["reached"] = int((np.asarray(history["d_g_z1"][-tail:]) >= np.asarray(history["d_x"][-tail:])).sum())
    real, fake = result["d_x"]["tail"], result["d_g_z"]["tail"]
    result["winner"] = "discriminator" if real > SEPARATES and fake < FOOLED else "generator" if fake >= real else None
    return result


def temperature_figure(results_dir, figure):
    """The optional task's figure ``results_dir``/temperatures.png and what generate_gan_images.py wrote beside it
    in temperatures.json, or None where it was not drawn. The keys read (TEMPERATURE_KEYS): "temperatures"
    [T, ...]; "grids", one ``{"saturation", "contrast", "variety"}`` per T (as grid_measures); "neighbours", one
    ``{"temperatures": [T_k, T_k+1], "paired_difference", "unpaired_difference"}`` per pair of neighbouring
    temperatures: the mean absolute pixel difference (0 to 1) of the images drawn from the same z, and from
    different z (lib.sample_gan.draw_temperatures); "checkpoint"; "generator" ("course", "ema",
    "raw" or "course_loop"); "sampling" ("running", "standing" or "batch"); "seed". Adds "figure" and "pairs", one
    ``{"low", "high", "paired", "unpaired", "alike"}`` per neighbouring pair (alike: paired < ALIKE * unpaired)."""
    path = os.path.join(results_dir, "temperatures.png")
    if not os.path.isfile(os.path.splitext(path)[0] + ".json"):
        return None
    drawn = read_json(os.path.splitext(path)[0] + ".json", "python generate_gan_images.py")
    missing = [key for key in TEMPERATURE_KEYS if key not in drawn]
    if missing:
        raise UserError("{}.json holds no {}; draw the figure again with `python generate_gan_images.py`".format(
            os.path.splitext(path)[0], " or ".join(missing)))
    drawn["pairs"] = [{"low": pair["temperatures"][0], "high": pair["temperatures"][1],
                       "paired": pair["paired_difference"], "unpaired": pair["unpaired_difference"],
                       "alike": pair["paired_difference"] < ALIKE * pair["unpaired_difference"]}
                      for pair in drawn["neighbours"]]
    drawn["figure"] = figure(path, "python generate_gan_images.py")
    return drawn


def course_comparison(vae, gan, out_dir, folder="."):
    """Our figures measured against the course's reference images that ``folder`` holds (COURSE_IMAGES).
    ``"vae"``: None without the course's figure; else ``{"same_digits", "top_difference"}`` (the test digits' rows)
    and, if both figures show the same test digits, the mean absolute pixel differences (0 to 1) ``"ours_course"``
    of the two reconstruction rows and ``"ours_digits"`` and ``"course_digits"`` of each from the digits (our W =
    ``vae``'s run). ``"gan"``:
    ``{500: measures, 2500: measures}`` of the course's grids present (grid_measures), each with
    ``"distance"``, the mean absolute difference of its measures from those of our moving average's samples."""
    paths = {key: os.path.join(folder, name) for key, name in COURSE_IMAGES.items()}
    comparison = {"vae": None, "gan": {}}
    if os.path.isfile(paths["vae"]):
        ours = grid_tiles(os.path.join(out_dir, vae["reconstruction"]), 28)  # (16, 28, 28, 3): digits, then
        course = grid_tiles(paths["vae"], 28)                                   # their reconstructions
        top = np.abs(ours[:8] - course[:8]).mean() if ours.shape == course.shape else 1.0  # the test digits' rows
        same = top < SAME_DIGITS
        comparison["vae"] = {"same_digits": bool(same), "top_difference": top}
        if same:
            comparison["vae"].update(ours_course=np.abs(ours[8:] - course[8:]).mean(),
                                     ours_digits=np.abs(ours[8:] - ours[:8]).mean(),
                                     course_digits=np.abs(course[8:] - course[:8]).mean())
    for epochs in (500, 2500):
        if os.path.isfile(paths["gan_{}".format(epochs)]):
            measures = grid_measures(paths["gan_{}".format(epochs)])
            measures["distance"] = np.mean([abs(value - gan["measures"]["ema"][key])
                                            for key, value in measures.items()])
            comparison["gan"][epochs] = measures
    return comparison


def grid_tiles(path, size=32, padding=2):
    """The images of an image grid (``size`` px images, ``padding`` px apart, as save_image_grid tiles them), row
    by row: ``(rows * cols, size, size, 3)`` in [0, 1]."""
    from PIL import Image
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=float) / 255  # (H, W, 3)
    rows, cols = (np.array(pixels.shape[:2]) - padding) // (size + padding)
    grid = pixels[padding:padding + rows * (size + padding), padding:padding + cols * (size + padding)]
    tiles = grid.reshape(rows, size + padding, cols, size + padding, 3)[:, :size, :, :size]
    return tiles.transpose(0, 2, 1, 3, 4).reshape(-1, size, size, 3)


def grid_measures(path):
    """Measures of the 32 px image grid ``path``, each in [0, 1]: colour saturation (max - min of R, G, B) and
    contrast (standard deviation of the brightness in an image), both averaged over pixels and images; variety
    (standard deviation across the images per pixel); and roughness, the mean absolute brightness difference of
    neighbouring pixels (fine stripes and checkerboards raise it)."""
    images = grid_tiles(path)          # (N, 32, 32, 3)
    brightness = images.mean(-1)       # (N, 32, 32)
    roughness = (np.abs(np.diff(brightness, axis=1)).mean() + np.abs(np.diff(brightness, axis=2)).mean()) / 2
    return {"saturation": (images.max(-1) - images.min(-1)).mean(), "contrast": brightness.std((1, 2)).mean(),
            "variety": images.std(0).mean(), "roughness": roughness}
