"""Part 4 of the report: the GAN's samples, losses, temperatures and FD/KID table, and the answers on them."""
import collections
import os
import re

import numpy as np

from lib.report.measures import compare_in_words, sample_statistics
from lib.report.words import join_words, percent
from lib.utils.errors import plural

EXERCISE_GAN_EPOCHS = 500
REFERENCE_2500_SAMPLES = "reference_2500_epochs_T1.0.png"  # written by run_all into results_gan/, never shown


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
