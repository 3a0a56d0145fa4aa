"""Part 3 of the report: the VAE's reconstructions, latent spaces, loss table and the answers on the KL weight."""
import math
import os

from lib.report.measures import compare_in_words, reconstruction_measures
from lib.report.words import fmt, join_words, percent, trend, weight_name
from lib.utils.errors import plural

EXERCISE_VAE_EPOCHS = 15
LATENT_HEIGHT = 4.2  # inches: two latent-space figures and their captions fill an A4 page below the heading


def vae_answers(runs, measures, reference_measures):
    """The three answers of part 3.3 as lists of paragraphs, computed from ``runs`` (VaeRun per weight).

    Args:
        runs: list of VaeRun, any order, at least two.
        measures: dict weight -> (sharpness, variety) of its reconstructions (:func:`reconstruction_measures`),
            or None where the figure could not be measured.
        reference_measures: the same measured on the course's reference figure, or None.
    """
    known = {w: m for w, m in measures.items() if m is not None}
    return _observations(runs, known, reference_measures), _explanations(runs, known), _role_of_the_kl(runs)


def _observations(runs, known, reference_measures):
    """What the runs show, as paragraphs: reconstruction, KL and their sum per weight, and where measured the
    reconstruction figures (``known``: weight -> (sharpness, variety)), the latent spreads and the course's
    reference figure (``reference_measures``)."""
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
    return observe


def _explanations(runs, known):
    """Why the weights give what they give, as paragraphs: the objective, then W = 0, the largest W and W = 1;
    ``known``: weight -> (sharpness, variety) of the measured reconstruction figures."""
    best = min(runs, key=lambda r: r.reconstruction)
    best_bound = min(runs, key=lambda r: r.reconstruction + r.kl)
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
    return explain


def _role_of_the_kl(runs):
    """The role of the KL term, as paragraphs: what it does, what this run measured, the prior samples."""
    by_weight = sorted(runs, key=lambda r: r.weight)
    zero = next((r for r in runs if r.weight == 0.0), None)
    high = max(runs, key=lambda r: r.weight)
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
    return role


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
