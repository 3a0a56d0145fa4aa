"""Sample quality: Frechet distance (FD) and kernel inception distance (KID) of the VAE's prior samples and of the
GAN's generators, in the features of a small classifier trained on the data set's own labels; the digits that
classifier reads in the VAE's figures; and whether the GAN's samples copy training photos (nearest neighbours).

No Inception network can be downloaded on an offline machine, so, as MNIST GAN papers do with a LeNet, a small CNN
(:class:`FeatureNet`) is trained once per data set and cached; its penultimate layer gives the features. FD
(Heusel et al. 2017) compares Gaussians fitted to two feature sets; KID (Binkowski et al. 2018) is the unbiased
squared MMD with the kernel k(x, y) = (x.y / d + 1)^3, free of FD's upward bias on small sets.
"""
import os
import tempfile

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from lib.explore_latent_space import decode_prior_samples
from lib.flowers import FlowersInMemory, flowers_dataset
from lib.mnist import TensorLoader, load_mnist
from lib.model_vae import VAE
from lib.sample_gan import DEFAULT_SAMPLING, SAMPLING_MODES, draw, latent_vectors, load_generator, run_generators
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.errors import UserError
from lib.utils.files import prepare_output_dir, save_image_grid, save_torch

NOTE = ("FD and KID use the features of a classifier trained here: they compare this project's models with each "
        "other and cannot be compared with published FID values")
FEATURES = 128  # width of the penultimate layer: the feature space
# How each classifier is made (network and training); a cached one made otherwise is trained again. Tests shrink them.
MNIST_RECIPE = {"in_channels": 1, "image_size": 28, "stages": 2, "width": 16, "epochs": 1, "batch_size": 128,
                "lr": 1e-3, "seed": 0}
FLOWERS_RECIPE = {"in_channels": 3, "image_size": 32, "stages": 3, "width": 32, "epochs": 40, "batch_size": 64,
                  "lr": 1e-3, "seed": 0}


def frechet_distance(a, b):
    """FD between Gaussians fitted to the features ``a`` ``(n, d)`` and ``b`` ``(m, d)``:
    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2). Biased upwards on small sets: compare only
    numbers measured on sets of the same sizes."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(values.clip(0))) @ vectors.T  # symmetric square roots keep everything real
    middle = root_a @ cov_b @ root_a
    cross = np.sqrt(np.linalg.eigvalsh((middle + middle.T) / 2).clip(0)).sum()  # tr((S_a^1/2 S_b S_a^1/2)^1/2)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def kernel_inception_distance(a, b, subset_size=1000, num_subsets=100, seed=0):
    """KID of the features ``a`` ``(n, d)`` and ``b`` ``(m, d)``: the unbiased squared MMD with the kernel
    (x.y / d + 1)^3, averaged over ``num_subsets`` random subsets of ``subset_size`` rows of each set (drawn
    without replacement); two sets that fit in one subset are compared whole. Near 0, of either sign, for two
    samples of one distribution."""
    a, b = torch.as_tensor(np.asarray(a), dtype=torch.float64), torch.as_tensor(np.asarray(b), dtype=torch.float64)
    m, d = min(subset_size, len(a), len(b)), a.shape[1]
    if m == len(a) == len(b):
        num_subsets = 1  # every subset would be the whole of both sets
    generator, one = torch.Generator().manual_seed(seed), torch.ones((), dtype=torch.float64)
    estimates = []
    for _ in range(num_subsets):  # one at a time: three m x m kernel matrices (24 MB at m = 1000)
        x, y = a[torch.randperm(len(a), generator=generator)[:m]], b[torch.randperm(len(b), generator=generator)[:m]]
        # addmm and an in-place cube: no m x m temporaries beyond the three kernel matrices
        k_xx, k_yy, k_xy = [torch.addmm(one, u, v.T, alpha=1 / d).pow_(3) for u, v in ((x, x), (y, y), (x, y))]
        within = (k_xx.sum() - k_xx.trace() + k_yy.sum() - k_yy.trace()) / (m * (m - 1))  # pairs i != j only
        estimates.append(within - 2 * k_xy.mean())
    return float(torch.stack(estimates).mean())


class FeatureNet(nn.Module):
    """A small CNN classifier whose penultimate layer (:data:`FEATURES` units) gives the features.

    Built from a recipe's ``stages`` blocks of 3x3 conv, batch norm, ReLU and 2x2 max pooling, each halving the
    image and doubling the channels from ``width``; then a linear layer to the features (ReLU) and one to the
    ``classes`` logits.
    """

    def __init__(self, recipe):
        super().__init__()
        layers, channels, width = [], recipe["in_channels"], recipe["width"]
        for k in range(recipe["stages"]):
            layers += [nn.Conv2d(channels, width * 2 ** k, 3, padding=1, bias=False), nn.BatchNorm2d(width * 2 ** k),
                       nn.ReLU(), nn.MaxPool2d(2)]  # (B, width 2^k, S / 2^(k+1), S / 2^(k+1))
            channels = width * 2 ** k
        side = recipe["image_size"] // 2 ** recipe["stages"]
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(channels * side * side, FEATURES), nn.ReLU())  # (B, FEATURES)
        self.head = nn.Linear(FEATURES, recipe["classes"])
        # The features' RMS on the training images, set after training: divided by it, features are of order 1,
        # where KID's cubic kernel is well scaled (as Inception features are).
        self.register_buffer("scale", torch.ones(()))

    def forward(self, images):
        """Images ``(B, C, S, S)`` -> class logits ``(B, classes)``."""
        return self.head(self.body(images))

    @torch.no_grad()
    def features(self, images, batch_size=1000):
        """Images ``(N, C, S, S)`` on the model's device -> features ``(N, FEATURES)``, a float64 numpy array."""
        self.eval()
        return (torch.cat([self.body(chunk) for chunk in images.split(batch_size)]).double() / self.scale).cpu().numpy()


def train_classifier(recipe, labels, batch, device, quiet=False):
    """A :class:`FeatureNet` trained with Adam, seeded, on ``recipe["epochs"]`` shuffled passes over ``labels``
    ``(N,)``; ``batch(index, generator)`` returns the images ``(B, C, S, S)`` of ``index`` ``(B,)`` on ``device``."""
    torch.manual_seed(recipe["seed"])
    model = FeatureNet(recipe).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"], weight_decay=5e-4)
    generator, labels = torch.Generator().manual_seed(recipe["seed"]), labels.cpu()
    for _ in tqdm(range(recipe["epochs"]), desc="training the feature classifier", unit="epoch", disable=quiet):
        model.train()
        for index in torch.randperm(len(labels), generator=generator).split(recipe["batch_size"]):
            loss = nn.functional.cross_entropy(model(batch(index, generator)), labels[index].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.scale.fill_(float(np.sqrt((model.features(batch(torch.arange(len(labels)), generator)) ** 2).mean())))
    return model.eval()


@torch.no_grad()
def predict(model, images):
    """The classes ``(N,)`` (CPU) that ``model`` reads in ``images`` ``(N, C, S, S)`` on its device."""
    model.eval()
    return torch.cat([model(chunk).argmax(1).cpu() for chunk in images.split(1000)])


def accuracy(model, images, labels):
    """The share of ``images`` ``(N, C, S, S)`` that ``model`` assigns to their ``labels`` ``(N,)``."""
    return float((predict(model, images) == labels.cpu()).double().mean())


def grid_tiles(path, size, channels=3, padding=2):
    """The images of a grid PNG that save_image_grid wrote (``size`` px images, ``padding`` px apart), read back
    row by row -> ``(rows * cols, channels, size, size)`` in [0, 1]; ``channels`` 1 reads grey images."""
    from PIL import Image
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L" if channels == 1 else "RGB"), dtype=np.float32).reshape(
            image.height, image.width, channels) / 255                         # (H, W, C)
    rows, cols = (np.array(pixels.shape[:2]) - padding) // (size + padding)
    grid = pixels[padding:padding + rows * (size + padding), padding:padding + cols * (size + padding)]
    tiles = grid.reshape(rows, size + padding, cols, size + padding, -1)[:, :size, :, :size]
    return torch.from_numpy(np.ascontiguousarray(tiles.transpose(0, 2, 4, 1, 3))).flatten(0, 1)


def read_vae_figures(classifier, vae, test_images, test_labels, device="cpu"):
    """The digits ``classifier`` reads in the VAE's figures: ``prior_sample_digits``, the counts of digits 0..9
    among the 100 prior samples of prior_samples.png (the same z, by decode_prior_samples), and
    ``reconstruction_digits``, ``{"true", "read"}`` for the 8 test digits of the reconstruction figure and its
    reconstructions, drawn by lib.train_vae.save_reconstructions itself and read back from its PNG."""
    from lib.train_vae import save_reconstructions
    prior = predict(classifier, decode_prior_samples(vae, device=device))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "reconstruction.png")
        save_reconstructions(vae, TensorLoader(test_images, test_labels), path)
        tiles = grid_tiles(path, test_images.shape[-1], channels=1)        # (2 * 8, 1, 28, 28): digits, then theirs
    count = len(tiles) // 2
    return {"prior_sample_digits": torch.bincount(prior, minlength=10).tolist(),
            "reconstruction_digits": {"true": test_labels[:count].tolist(),
                                      "read": predict(classifier, tiles[count:].to(device)).tolist()}}


def cached_classifier(path, recipe, train, device, log=print):
    """The classifier cached at ``path`` if ``recipe`` (plain values: network, training, data) made it; else
    ``train()``'s ``(model, info)``, then cached there. Returns ``(model, info)``; ``info["cached"]`` says which."""
    stored = load_checkpoint(path, "") if os.path.isfile(path) else None
    if isinstance(stored, dict) and stored.get("recipe") == recipe:
        model = FeatureNet(recipe)
        model.load_state_dict(stored["weights"])
        return model.to(device).eval(), dict(stored["info"], cached=True)
    prepare_output_dir(os.path.dirname(path) or ".", "--cache_dir")  # before the training, not after
    log("training the feature classifier {} ({})".format(path, "made with another recipe or data before"
                                                         if stored is not None else "once; it is cached"))
    model, info = train()
    save_torch({"recipe": recipe, "info": info, "weights": model.state_dict()}, path)
    return model, dict(info, cached=False)


def scores(pairs):
    """FD and KID of each ``(fake, real)`` pair of feature arrays (pair k's KID subsets drawn with seed k), each
    as ``{"mean", "std", "values"}``: the mean and sample standard deviation (0 for one pair) over the pairs."""
    values = {"fd": [frechet_distance(fake, real) for fake, real in pairs],
              "kid": [kernel_inception_distance(fake, real, seed=k) for k, (fake, real) in enumerate(pairs)]}
    return {key: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "values": v}
            for key, v in values.items()}


def load_vae(folder, kl_loss_weight, device="cpu"):
    """The VAE of ``folder/model.pth`` (sizes read from its weights) on ``device``, in eval mode."""
    path = os.path.join(folder, "model.pth")
    state = load_checkpoint(path, "train it first with `python run_vae_training.py --kl_loss_weight {:g} "
                                  "--output_dir {}`".format(kl_loss_weight, folder))
    if not isinstance(state, dict) or "fc1.weight" not in state or "fc21.weight" not in state:
        raise UserError("{} holds no VAE weights; pass the results of run_vae_training.py".format(path))
    model = VAE(hidden_size=state["fc1.weight"].shape[0], latent_size=state["fc21.weight"].shape[0])
    return load_state_dict_checked(model, state, path).to(device).eval()


def evaluate_vae(runs, data_dir="data", cache_dir="results_eval", seeds=3, device="cpu", quiet=False, log=print):
    """FD and KID of digits decoded from the prior z ~ N(0, I) of each VAE, as many as there are test digits
    (10,000), against the MNIST test digits, for the sampling seeds 0 .. ``seeds`` - 1; and the floor: as many
    training digits, drawn with each seed, against the test digits. ``runs``: ``{kl_loss_weight: run folder}``.

    Returns ``{"classifier": info, "samples": n, "floor": scores, "runs": {kl_loss_weight: scores}}``, scores
    as :func:`scores` makes them, each run's with the digits of :func:`read_vae_figures`.
    """
    vaes = {weight: load_vae(folder, weight, device) for weight, folder in runs.items()}  # before minutes of work
    train_images, train_labels = load_mnist(data_dir, True, device)
    test_images, test_labels = load_mnist(data_dir, False, device)
    recipe = dict(MNIST_RECIPE, classes=10, data=[len(train_labels), round(float(train_images.double().sum()), 1)])

    def train():
        model = train_classifier(recipe, train_labels, lambda index, _: train_images[index.to(device)], device, quiet)
        return model, {"test_accuracy": accuracy(model, test_images, test_labels), "test_images": len(test_labels)}

    model, info = cached_classifier(os.path.join(cache_dir, "mnist_classifier.pth"), recipe, train, device, log)
    real = model.features(test_images)
    floors = [torch.randperm(len(train_images), generator=torch.Generator().manual_seed(seed))[:len(real)]
              for seed in range(seeds)]  # which training digits, per seed
    result = {"classifier": info, "samples": len(real), "runs": {},
              "floor": scores([(model.features(train_images[index.to(device)]), real) for index in floors])}
    for weight, vae in vaes.items():
        codes = [torch.randn(len(real), vae.latent_size, generator=torch.Generator().manual_seed(seed))
                 for seed in range(seeds)]  # (n, latent) per seed
        with torch.no_grad():
            result["runs"][weight] = scores([(model.features(vae.decode(z.to(device))), real) for z in codes])
        result["runs"][weight].update(read_vae_figures(model, vae, test_images, test_labels, device))
    return result


def labelled_flowers(root, device="cpu"):
    """Every photo under ``root`` (a :class:`FlowersInMemory` at 32 px), its split ``(N,)`` (numpy strings:
    "train", "val", "test"), and its class ``(N,)`` int64, from the course's layout ``<split>/<class>/<image>``."""
    data = FlowersInMemory(root, FLOWERS_RECIPE["image_size"], device)
    parts = [os.path.relpath(path, root).split(os.sep) for path, _ in flowers_dataset(root).samples]
    if any(len(part) != 3 for part in parts) or "train" not in {part[0] for part in parts}:
        raise UserError("the flowers folder {} is not laid out as train/<class>/<image> (with val/ and test/ "
                        "beside it), which the feature classifier trains on; pass the course's "
                        "dataset_flowers_64px with --data_dir".format(root))
    classes = np.unique([part[1] for part in parts], return_inverse=True)[1]
    return data, np.array([part[0] for part in parts]), torch.from_numpy(classes).long()


def photo_views(data, index, places=(0.0, 0.5, 1.0), mirrored=True):
    """Fixed views of the photos ``index`` ``(B,)`` of ``data`` (a :class:`FlowersInMemory`): square crops at the
    ``places`` along each photo's spare rows and columns (0 the top left, 0.5 the centre, 1 the bottom right),
    each also mirrored if ``mirrored``, as the GAN's crops and flips show the photos -> ``(views * B, 3, S, S)``
    in [-1, 1], view-major (row v * B + b is photo b's view v)."""
    s, device = data.image_size, data.device
    index = index.to(device)
    steps, channels = torch.arange(s, device=device), torch.arange(3, device=device)
    views = []
    for place in places:
        offset = torch.round((data.sizes[index] - s).double() * place).long()   # (B, 2) top, left
        rows, cols = offset[:, :1] + steps, offset[:, 1:] + steps             # (B, S) each
        crops = data.data[index[:, None, None, None], channels[None, :, None, None], rows[:, None, :, None],
                          cols[:, None, None, :]]                             # (B, 3, S, S) uint8
        views += [crops, crops.flip(-1)] if mirrored else [crops]
    return (torch.cat(views).float() / 255 - 0.5) / 0.5


def nearest(queries, references):
    """For each row of ``queries`` ``(n, d)`` its nearest row of ``references`` ``(m, d)`` (Euclidean):
    ``(distances (n,), indices (n,))``, float64 and int64 on the CPU."""
    queries, references = torch.as_tensor(queries).double().cpu(), torch.as_tensor(references).double().cpu()
    best = [torch.cdist(chunk, references).min(1) for chunk in queries.split(1000)]  # (n, m) in pieces
    return torch.cat([b.values for b in best]), torch.cat([b.indices for b in best])


def distance_summary(distances, val_distances=None):
    """The median, 5th percentile and smallest of ``distances`` ``(n,)``; with the val photos' distances, also
    ``share_below_val_p05``, the share of ``distances`` below the val photos' 5th percentile: about 0.05 for
    images as new as real photos, more for copies of training photos. (Not below the val photos' smallest
    distance: the course's splits share a few near-duplicate photos, which sit at distance 0.)"""
    summary = {"median": float(distances.median()), "p05": float(torch.quantile(distances, 0.05)),
               "min": float(distances.min())}
    if val_distances is not None:
        summary["share_below_val_p05"] = float((distances < torch.quantile(val_distances, 0.05)).double().mean())
    return summary


class TrainingPhotos:
    """The memorisation check's reference: 6 views (:func:`photo_views`) of every photo of the train split, in
    pixels (``(V, 3 * S * S)``, on a 0..1 scale) and in the classifier's features (``(V, FEATURES)``); and the
    val photos' (centre crops) distances to their nearest view, the yardstick for the samples'."""

    def __init__(self, model, data, train_index, val_index):
        self.views = photo_views(data, train_index)                    # (6 * B, 3, S, S)
        self.pixels = (self.views.flatten(1).cpu() + 1) / 2
        self.features = model.features(self.views)
        self.val = photo_views(data, val_index, places=(0.5,), mirrored=False)
        self.val_pixels, self.val_index = nearest((self.val.flatten(1).cpu() + 1) / 2, self.pixels)
        self.val_features = nearest(model.features(self.val), self.features)[0]

    def check(self, model, samples, figure):
        """Each sample's ``(n, 3, S, S)`` distance to its nearest training view in pixels (RMS difference on a
        0..1 scale) and in features (Euclidean), summarised against the val photos' (:func:`distance_summary`).
        Writes ``figure``: the 8 samples nearest to a training photo (row 1), their nearest views in pixels (row
        2) and in features (row 3), and the 8 val photos nearest to a training photo (row 4) above theirs (row 5)."""
        dims = self.pixels.shape[1] ** 0.5
        pixel_distance, pixel_index = nearest((samples.flatten(1).cpu() + 1) / 2, self.pixels)
        feature_distance, feature_index = nearest(model.features(samples), self.features)
        closest, val_closest = pixel_distance.argsort()[:8], self.val_pixels.argsort()[:8]
        save_image_grid(torch.cat([samples.cpu()[closest], self.views.cpu()[pixel_index[closest]],
                                   self.views.cpu()[feature_index[closest]], self.val.cpu()[val_closest],
                                   self.views.cpu()[self.val_index[val_closest]]]), figure, value_range=(-1, 1))
        return {"samples": len(samples), "figure": figure,
                "pixels": distance_summary(pixel_distance / dims, self.val_pixels / dims),
                "features": distance_summary(feature_distance, self.val_features)}

    def summary(self):
        """The val photos' distances, summarised as the samples' are."""
        dims = self.pixels.shape[1] ** 0.5
        return {"reference_views": len(self.views), "val_photos": len(self.val),
                "pixels": distance_summary(self.val_pixels / dims), "features": distance_summary(self.val_features)}


def figure_name(path):
    """``nearest_<run folder>_<file>.png`` for a generator file ``path``: one name per generator."""
    parent, name = os.path.split(os.path.normpath(path))
    return "nearest_{}.png".format("_".join(filter(None, [os.path.basename(parent), os.path.splitext(name)[0]])))


def evaluate_generators(paths, data_dir, cache_dir="results_eval", seeds=3, device="cpu", quiet=False, log=print,
                        figure_dir="results_eval"):
    """FD and KID of each generator of ``paths`` (files, or run folders standing for their generator files, see
    lib.sample_gan.run_generators) in each sampling mode, and the real floor, for the seeds 0 .. ``seeds`` - 1;
    and the memorisation check of each generator as saved (:class:`TrainingPhotos`).

    Per seed s, the 800 real photos are augmented once (the GAN's crop and flip) and split at random into halves
    A and B of 400, both drawn with seed s; the floor compares A with B, and each generator's 400 images from
    z ~ N(0, I) (seed s) are compared with B. Every row so compares 400 with 400 images: FD's small-set bias is
    the same for all. The memorisation check takes every seed's images of the default sampling mode, and writes
    one figure per generator into ``figure_dir``. Returns ``{"classifier", "images_per_side", "rows",
    "nearest"}``: a row ``{"label", "sampling"}`` and the scores of :func:`scores`; ``nearest`` the val photos'
    distances (:meth:`TrainingPhotos.summary`) and ``"generators"``, a ``{"label", **check}`` per generator.
    """
    files = sum([run_generators(path) if os.path.isdir(path) else [path] for path in paths], [])
    generators = [(os.path.normpath(path), load_generator(path, device)) for path in files]  # before the work
    data, splits, labels = labelled_flowers(data_dir, device)
    train_index, held_out, val_index = [torch.from_numpy(np.flatnonzero(chosen))
                                        for chosen in (splits == "train", splits != "train", splits == "val")]
    if not len(val_index):
        raise UserError("the flowers folder {} has no val/ split, against which the memorisation check measures "
                        "the samples; pass the course's dataset_flowers_64px with --data_dir".format(data_dir))
    recipe = dict(FLOWERS_RECIPE, classes=int(labels.max()) + 1,
                  data=[len(train_index), int(data.data[train_index.to(device)].sum())])

    def train():
        model = train_classifier(recipe, labels[train_index], lambda index, random: data.augment(
            train_index[index], random), device, quiet)
        images = data.augment(held_out, torch.Generator().manual_seed(1))
        return model, {"held_out_accuracy": accuracy(model, images, labels[held_out]), "held_out_images": len(held_out)}

    model, info = cached_classifier(os.path.join(cache_dir, "flowers_classifier.pth"), recipe, train, device, log)
    prepare_output_dir(figure_dir, "--figure_dir")
    halves = []
    for seed in range(seeds):
        random = torch.Generator().manual_seed(seed)
        features = model.features(data.augment(torch.arange(len(data)), random))
        order, half = torch.randperm(len(features), generator=random).numpy(), len(features) // 2
        halves.append((features[order[:half]], features[order[half:2 * half]]))
    photos = TrainingPhotos(model, data, train_index, val_index)
    rows = [dict(label="real photos: half A vs half B", sampling="floor", **scores(halves))]
    memory = []
    for path, generator in generators:
        nz = generator.layers[0].in_channels
        for mode in SAMPLING_MODES:
            images = [draw(generator, latent_vectors(len(real), nz, 1.0, seed, device), mode)
                      for seed, (_, real) in enumerate(halves)]
            rows.append(dict(label=path, sampling=mode, **scores(
                [(model.features(fake), real) for fake, (_, real) in zip(images, halves)])))
            if mode == DEFAULT_SAMPLING:
                memory.append(dict(label=path, sampling=mode, **photos.check(
                    model, torch.cat(images), os.path.join(figure_dir, figure_name(path)))))
    return {"classifier": info, "images_per_side": len(halves[0][1]), "rows": rows,
            "nearest": dict(photos.summary(), generators=memory)}


def table(header, rows):
    """An aligned Markdown table of ``rows`` (lists of strings) under ``header``."""
    widths = [max(len(row[k]) for row in [header] + rows) for k in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"
             for row in [header] + rows]
    return "\n".join(lines[:1] + ["|" + "|".join("-" * (width + 2) for width in widths) + "|"] + lines[1:])


def mean_std(score, scale=1.0):
    """'1.23 ± 0.04': a score's mean and spread, times ``scale``."""
    return "{:.2f} ± {:.2f}".format(score["mean"] * scale, score["std"] * scale)
