"""Build submission.pdf: the pen-and-paper answers, written from this run's measured numbers, and its figures.

Everything in the PDF comes from this repository: the results folders of the layout the project shares (see
README), the Monte Carlo check of :mod:`lib.bertrand` and the seeded numbers of :mod:`lib.distributions`.
The course's reference material is never put into the PDF. Sample quality is reported as FD/KID in the features of
small classifiers (evaluate_gan.py, evaluate_vae.py: ``sample_quality.json``, ``prior_quality.json``), which
also measure the course's 2500-epoch generator; where those files are missing, the course's images are measured
by two pixel statistics (edge detail, variety) and compared in words.

The pages are laid out by :class:`lib.report.document.Document` (the PDF library fpdf2; no TeX needed); each part's
answers are written by its own module (:mod:`lib.report.part1_bertrand` to :mod:`lib.report.part4_gan`).
"""
import collections
import datetime
import os

from lib import bertrand
from lib.report.document import Document
from lib.report.part1_bertrand import MONTE_CARLO_DRAWS, MONTE_CARLO_SEED, write_bertrand
from lib.report.part2_distributions import write_distributions
from lib.report.part3_vae import write_vae
from lib.report.part4_gan import write_gan
from lib.report.results import (KL_WEIGHTS, TEMPERATURE_PATTERN, load_gan_run, load_vae_run, newest_gan_run,
                                vae_dir)
from lib.report.words import join_words, weight_name
from lib.utils.errors import UserError, plural, require_folder


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
