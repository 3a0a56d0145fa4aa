"""The sample-quality numbers of the VAE: FD and KID of decoded prior samples against the MNIST test set.

Features come from a small CNN trained on the MNIST training set (:mod:`lib.evaluation.sample_quality`), cached
after its first training. For each KL weight W, 10,000 codes z ~ N(0, I) are decoded (pixel probabilities, the
images the decoder means) and compared with the 10,000 test digits, for each of ``seeds`` sampling seeds. The
floor compares 10,000 training digits with the test digits. This puts a number on the role of the KL term: it is
what makes the prior a distribution the decoder can draw digits from.
"""
import json
import os

import torch

from lib.evaluation import PRIOR_QUALITY_NAME
from lib.evaluation.sample_quality import accuracy, cached_classifier, frechet_distance, kernel_inception_distance, \
    train_classifier
from lib.mnist import default_data_dir, load_mnist_tensors
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.errors import UserError
from lib.utils.files import save_text

CLASSIFIER_FILE = "mnist_classifier.pth"
CLASSIFIER_CONFIG = {"network": {"in_channels": 1, "image_size": 28, "num_classes": 10, "stages": 2, "width": 16},
                     "epochs": 1, "batch_size": 128, "lr": 1e-3, "seed": 0, "recipe": 1}
NUM_SAMPLES = 10000
KID_SUBSET = 1000
KID_SUBSETS = 100


def mnist_classifier(data_dir, cache_dir, quiet=False, log=print):
    """The cached MNIST feature classifier, trained on the training set if needed: ``(model, info, reused)``."""
    train_images, train_labels = load_mnist_tensors(data_dir, True)
    test_images, test_labels = load_mnist_tensors(data_dir, False)
    config = dict(CLASSIFIER_CONFIG, images=[len(train_labels), len(test_labels)])

    def train():
        from tqdm import tqdm
        with tqdm(total=config["epochs"], desc="training the MNIST classifier", unit="epoch", disable=quiet,
                  dynamic_ncols=True) as bar:
            model = train_classifier(config["network"], train_images, train_labels, None, config["epochs"],
                                     config["batch_size"], config["lr"], config["seed"], bar)
        return model, {"accuracy_test": accuracy(model, test_images, test_labels), "test_images": len(test_labels)}

    model, info, reused = cached_classifier(os.path.join(cache_dir, CLASSIFIER_FILE), config, train, log)
    return model, dict(info, reused=reused), (train_images, test_images)


def load_vae(folder):
    """The trained VAE of a run folder (its model.pth; sizes read from the weights), in eval mode."""
    from lib.model_vae import VAE
    path = os.path.join(folder, "model.pth")
    state = load_checkpoint(path, "train it first with python run_vae_training.py (or ./run_all.sh)")
    if not isinstance(state, dict) or "fc1.weight" not in state or "fc21.weight" not in state:
        raise UserError("{} holds no VAE weights; pass a results folder of run_vae_training.py".format(path))
    model = VAE(hidden_size=state["fc1.weight"].shape[0], latent_size=state["fc21.weight"].shape[0])
    return load_state_dict_checked(model, state, path).eval()


def _scores(fake, real, seed):
    kid, kid_std = kernel_inception_distance(fake, real, KID_SUBSET, KID_SUBSETS, seed)
    return {"fd": frechet_distance(fake, real), "kid": kid, "kid_std": kid_std}


def evaluate_vae_runs(folders, data_dir=None, cache_dir="results_eval", seeds=3, quiet=False, log=print):
    """FD/KID of prior samples for every VAE run folder, and of the training digits (the floor).

    Returns a dict: ``classifier`` (test accuracy, reuse), ``floor`` (scores of 10,000 training digits), and
    ``runs``: ``{folder: {"kl_loss_weight", "seeds": [scores per seed]}}``; scores are dicts fd, kid, kid_std.
    """
    models = [(folder, load_vae(folder)) for folder in folders]  # a missing model stops before the training
    model, info, (train_images, test_images) = mnist_classifier(data_dir or default_data_dir(), cache_dir, quiet,
                                                                log)
    real = model.features(test_images)
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:NUM_SAMPLES]
    result = {"classifier": info, "floor": _scores(model.features(train_images[pick]), real, 0), "runs": {},
              "samples": NUM_SAMPLES, "kid_subset": KID_SUBSET, "kid_subsets": KID_SUBSETS}
    for folder, vae in models:
        scores = []
        for seed in range(seeds):
            z = torch.randn(NUM_SAMPLES, vae.latent_size, generator=torch.Generator().manual_seed(seed))
            with torch.no_grad():
                images = vae.decode(z)  # (N, 1, 28, 28) pixel probabilities
            scores.append(_scores(model.features(images), real, seed))
        result["runs"][folder] = {"kl_loss_weight": _training_weight(folder), "seeds": scores}
    return result


def _training_weight(folder):
    try:
        with open(os.path.join(folder, "losses.json")) as handle:
            return float(json.load(handle).get("kl_loss_weight"))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_run_files(result):
    """``prior_quality.json`` in each run folder: its scores, the floor and the classifier's accuracy."""
    for folder, run in result["runs"].items():
        save_text(json.dumps(dict(run, floor=result["floor"], classifier=result["classifier"],
                                  samples=result["samples"]), indent=1), os.path.join(folder, PRIOR_QUALITY_NAME))


def format_table(result):
    """A Markdown table: one row per run (mean ± standard deviation over the seeds) and the floor."""
    from lib.evaluation.sample_quality import format_mean_std, summarise
    lines = ["| samples | FD | KID x 1000 |", "| --- | --- | --- |"]
    for folder, run in result["runs"].items():
        fd = summarise([s["fd"] for s in run["seeds"]])
        kid = summarise([1000 * s["kid"] for s in run["seeds"]])
        weight = run["kl_loss_weight"]
        lines.append("| prior samples, KL weight {} ({}) | {} | {} |".format(
            "?" if weight is None else "{:g}".format(weight), os.path.normpath(folder), format_mean_std(*fd, 2),
            format_mean_std(*kid, 2)))
    floor = result["floor"]
    lines.append("| real floor: {} training digits | {:.2f} | {:.2f} ± {:.2f} (subsets) |".format(
        result["samples"], floor["fd"], 1000 * floor["kid"], 1000 * floor["kid_std"]))
    return "\n".join(lines)
