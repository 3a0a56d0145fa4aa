"""The sample-quality table of DCGAN generators: FD and KID against the real flowers, with a real-image floor.

Features come from a small CNN trained on the flowers' ``train`` split (10 classes, 32x32, the GAN's augmentation;
:mod:`lib.evaluation.sample_quality`), cached after its first training. For each of ``seeds`` sampling seeds s:

- the 800 real images (all splits, as the GAN trains on them) are augmented once with seed s and split at random
  into two disjoint halves A and B of 400;
- the floor compares A with B: what two samples of the real distribution score against each other;
- each generator draws 400 images from z ~ N(0, I) with seed s in each sampling mode, compared with B.

So every FD compares 400 images with 400 (FD is biased upwards for small sets, equally for every row), and the
spread over the seeds covers the sampling, the augmentation and the choice of halves.
"""
import os

import numpy as np
import torch

from lib.evaluation.sample_quality import accuracy, cached_classifier, format_mean_std, frechet_distance, \
    kernel_inception_distance, summarise, train_classifier
from lib.flowers import FlowersInMemory, flowers_image_folder
from lib.gan_sampling import SAMPLING_MODES, draw, latent_vectors, load_generator, run_settings, \
    with_standing_statistics
from lib.utils.errors import UserError

SPLITS = ("train", "val", "test")
CLASSIFIER_FILE = "flowers_classifier.pth"
CLASSIFIER_CONFIG = {"network": {"in_channels": 3, "image_size": 32, "num_classes": 10, "stages": 3, "width": 32},
                     "epochs": 40, "batch_size": 64, "lr": 1e-3, "seed": 0, "recipe": 2}
KID_SUBSET = 200  # images per KID subset (of the 400 per side)
KID_SUBSETS = 100


def load_splits(root):
    """``{split: (FlowersInMemory, labels (N,))}`` for train, val and test under ``root``, with shared classes."""
    splits, classes = {}, None
    for split in SPLITS:
        folder = os.path.join(root, split)
        if not os.path.isdir(folder):
            raise UserError("the flowers folder {} has no {}/ split; the sample-quality classifier needs the "
                            "course's train, val and test folders (python prepare_data.py puts them there)".format(
                                root, split))
        dataset = flowers_image_folder(folder, warn=False)
        if classes is not None and dataset.classes != classes:
            raise UserError("the class folders of {} differ from those of {}; every split needs the same "
                            "classes".format(folder, os.path.join(root, SPLITS[0])))
        classes = dataset.classes
        splits[split] = (FlowersInMemory(folder, 32, "cpu", warn=False), torch.tensor(dataset.targets))
    return splits


def flowers_classifier(splits, cache_dir, quiet=False, log=print):
    """The cached feature classifier, trained on the train split if needed; ``(model, info, reused)``."""
    config = dict(CLASSIFIER_CONFIG, images={split: len(splits[split][1]) for split in SPLITS})
    network = dict(config["network"], num_classes=len(set(splits["train"][1].tolist())))
    config["network"] = network

    def train():
        from tqdm import tqdm
        data, labels = splits["train"]
        with tqdm(total=config["epochs"], desc="training the flowers classifier", unit="epoch",
                  disable=quiet, dynamic_ncols=True) as bar:
            model = train_classifier(network, None, labels, data.augment, config["epochs"], config["batch_size"],
                                     config["lr"], config["seed"], bar)
        held_out = [(data.augment(torch.arange(len(data)), torch.Generator().manual_seed(1)), labels)
                    for data, labels in (splits["val"], splits["test"])]
        images, labels = torch.cat([h[0] for h in held_out]), torch.cat([h[1] for h in held_out])
        return model, {"accuracy_val_test": accuracy(model, images, labels), "val_test_images": len(labels)}

    return cached_classifier(os.path.join(cache_dir, CLASSIFIER_FILE), config, train, log)


def real_halves(splits, model, seed):
    """Features of the 800 real images, augmented with ``seed``, split into two random halves ``(A, B)``."""
    random = torch.Generator().manual_seed(seed)
    images = torch.cat([data.augment(torch.arange(len(data)), random) for data, _ in splits.values()])
    features = model.features(images)
    order = torch.randperm(len(features), generator=random).numpy()
    half = len(order) // 2
    return features[order[:half]], features[order[half:2 * half]]


def generator_entries(paths):
    """``(label, file)`` for each ``--checkpoint``: a file as it is, a run folder as its generator.pth and, if
    present, generator_ema.pth."""
    entries = []
    for path in paths:
        if os.path.isdir(path):
            files = [os.path.join(path, name) for name in ("generator.pth", "generator_ema.pth")]
            files = [f for f in files if os.path.isfile(f)]
            if not files:
                raise UserError("the folder {} holds no generator.pth; pass a run folder of run_gan_training.py or "
                                "a generator file to --checkpoint".format(path))
        else:
            files = [path]
        for file in files:
            folder = os.path.basename(os.path.dirname(os.path.abspath(file)))
            label = os.path.join(folder, os.path.basename(file)) if folder.startswith("run_") else \
                os.path.basename(file)
            entries.append((label, file))
    return entries


def evaluate_generators(paths, data_dir, cache_dir="results_eval", seeds=3, modes=SAMPLING_MODES, device="cpu",
                        quiet=False, log=print):
    """FD and KID of every generator in ``paths`` and every sampling mode, and of the real floor.

    Returns a dict: ``classifier`` (accuracy and whether the cache was reused), ``rows`` (one per generator and
    mode, plus the floor: label, path, mode, per-seed ``fd``, ``kid`` and ``kid_std`` lists) and the settings.
    """
    entries = generator_entries(paths)
    generators = []
    for label, path in entries:  # load all first: a bad file stops before minutes of work
        settings = run_settings(path)
        nz = settings.get("nz", 64)
        generators.append((label, path, nz, load_generator(path, settings.get("ngf", 32), nz, device)))
    splits = load_splits(data_dir)
    model, info, reused = flowers_classifier(splits, cache_dir, quiet, log)
    halves = [real_halves(splits, model, seed) for seed in range(seeds)]
    rows = [_row("real images: half A vs half B", None, "floor",
                 [(frechet_distance(a, b),) + kernel_inception_distance(a, b, KID_SUBSET, KID_SUBSETS, seed)
                  for seed, (a, b) in enumerate(halves)])]
    for label, path, nz, generator in generators:
        # a few seconds of train-mode passes, made only when the standing mode is asked for
        standing = with_standing_statistics(generator, nz) if "standing" in modes else None
        for mode in modes:
            scores = []
            for seed, (_, real) in enumerate(halves):
                noise = latent_vectors(len(real), nz, 1.0, seed, device)
                images = draw(standing if mode == "standing" else generator, noise,
                              "running" if mode == "standing" else mode).cpu()
                fake = model.features(images)
                scores.append((frechet_distance(fake, real),)
                              + kernel_inception_distance(fake, real, KID_SUBSET, KID_SUBSETS, seed))
            rows.append(_row(label, path, mode, scores))
    return {"classifier": dict(info, reused=reused), "rows": rows, "seeds": seeds,
            "images_per_side": len(halves[0][0]), "kid_subset": KID_SUBSET, "kid_subsets": KID_SUBSETS}


def _row(label, path, mode, scores):
    fd, kid, kid_std = (list(column) for column in zip(*scores))
    return {"label": label, "path": path, "mode": mode, "fd": fd, "kid": kid, "kid_std": kid_std}


def format_table(result):
    """The result of :func:`evaluate_generators` as a Markdown table (KID in units of 10^-3)."""
    header = ["generator", "sampling", "FD", "KID x 1000", "KID subset std x 1000"]
    lines = []
    for row in result["rows"]:
        fd, fd_spread = summarise(row["fd"])
        kid, kid_spread = summarise(np.asarray(row["kid"]) * 1000)
        lines.append([row["label"], row["mode"], format_mean_std(fd, fd_spread, 2),
                      format_mean_std(kid, kid_spread, 2), "{:.2f}".format(1000 * float(np.mean(row["kid_std"])))])
    widths = [max(len(str(cells[k])) for cells in [header] + lines) for k in range(len(header))]
    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    text = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |" for cells in [header] + lines]
    return "\n".join(text[:1] + [rule] + text[1:])
