"""Sample quality by the features of a small classifier: Frechet distance (FD) and kernel inception distance (KID).

No Inception network can be downloaded here, so, as MNIST GAN papers do with a LeNet, a small CNN is trained on
the data set's own labels (:class:`FeatureClassifier`, :func:`cached_classifier`) and its penultimate layer gives
the features. FD (Heusel et al. 2017) fits a Gaussian to each feature set; KID (Binkowski et al. 2018) is the
unbiased squared MMD with the kernel k(x, y) = (x.y / d + 1) ** 3, averaged over random subsets: it has no bias
from the sample size, which matters with a few hundred real images. Numbers of different feature networks cannot
be compared with each other, nor with published FID values.
"""
import json
import math
import os

import numpy as np
import torch
from torch import nn

from lib.utils.checkpoints import load_checkpoint
from lib.utils.errors import UserError
from lib.utils.files import save_torch

FEATURES = 128  # width of the penultimate layer, the feature space of FD and KID


# ----------------------------------------------------------------------------------------------------------------
# The two distances, on feature arrays (n, d)

def _mean_and_covariance(features):
    x = np.asarray(features, dtype=np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _psd_sqrt(matrix):
    """Square root of a symmetric positive semi-definite matrix (negative rounding errors clipped to 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """Frechet distance between Gaussians fitted to two feature sets ``(n, d)`` and ``(m, d)``.

    ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2); the matrix square roots come from symmetric
    eigendecompositions, so the result is real without the complex detour of ``scipy.linalg.sqrtm``. The
    estimate is biased upwards for small sets: compare only numbers from sets of equal sizes.
    """
    mu_a, cov_a = _mean_and_covariance(features_a)
    mu_b, cov_b = _mean_and_covariance(features_b)
    root_a = _psd_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def kernel_inception_distance(features_a, features_b, subset_size=200, num_subsets=100, seed=0):
    """Unbiased squared MMD with the cubic polynomial kernel, over ``num_subsets`` random subsets of each set.

    Each subset draws ``subset_size`` rows (at most the smaller set's size) without replacement from each set.
    Per subset: mean k(a, a') over pairs a != a' + the same for b - 2 mean k(a, b). Returns (mean, standard
    deviation) over the subsets; the mean is near 0 (either sign) for two samples of one distribution.
    """
    a = torch.as_tensor(np.asarray(features_a), dtype=torch.float64)
    b = torch.as_tensor(np.asarray(features_b), dtype=torch.float64)
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise ValueError("KID needs at least two feature vectors in each set")
    generator = torch.Generator().manual_seed(seed)
    pick_a = torch.rand(num_subsets, len(a), generator=generator).argsort(dim=1)[:, :m]  # (S, m) without
    pick_b = torch.rand(num_subsets, len(b), generator=generator).argsort(dim=1)[:, :m]  # replacement
    x, y = a[pick_a], b[pick_b]  # (S, m, d)
    dim = a.shape[1]

    def kernel(u, v):  # (S, m, d), (S, m, d) -> (S, m, m)
        return (u @ v.transpose(1, 2) / dim + 1) ** 3

    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    off_diagonal = m * (m - 1)
    mmd = ((k_xx.sum((1, 2)) - k_xx.diagonal(dim1=1, dim2=2).sum(1)) / off_diagonal
           + (k_yy.sum((1, 2)) - k_yy.diagonal(dim1=1, dim2=2).sum(1)) / off_diagonal
           - 2 * k_xy.mean((1, 2)))  # (S,)
    return float(mmd.mean()), float(mmd.std(unbiased=True)) if num_subsets > 1 else 0.0


# ----------------------------------------------------------------------------------------------------------------
# The feature network

class FeatureClassifier(nn.Module):
    """A small CNN classifier whose penultimate layer (:data:`FEATURES` units) gives the features.

    ``stages`` blocks of 3x3 conv + batch norm + ReLU + 2x2 max pool, each halving the size and doubling the
    channels from ``width``; then a fully connected layer to the features (ReLU) and one to the class logits.
    """

    def __init__(self, in_channels=3, image_size=32, num_classes=10, stages=3, width=32):
        super().__init__()
        layers, channels = [], in_channels
        for k in range(stages):
            out = width * 2 ** k
            layers += [nn.Conv2d(channels, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(True),
                       nn.MaxPool2d(2)]  # (B, out, size / 2^(k+1), same)
            channels = out
        side = image_size // 2 ** stages
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(channels * side * side, FEATURES), nn.ReLU(True))  # (B, FEATURES)
        self.head = nn.Linear(FEATURES, num_classes)  # (B, num_classes)
        # RMS of the training images' features, set after training: features are divided by it, so that they are
        # of order 1 like Inception features and KID's cubic kernel stays in a readable range.
        self.register_buffer("feature_scale", torch.ones(()))

    def forward(self, x):
        """Images ``(B, C, S, S)`` -> class logits ``(B, num_classes)``."""
        return self.head(self.body(x))

    @torch.no_grad()
    def features(self, images, batch_size=500):
        """Penultimate activations ``(N, FEATURES)`` as a float64 numpy array, in eval mode, batch by batch."""
        self.eval()
        features = torch.cat([self.body(batch).double() for batch in torch.split(images, batch_size)])
        return (features / self.feature_scale.double()).numpy()


def train_classifier(config, images, labels, augment=None, epochs=30, batch_size=64, lr=1e-3, seed=0,
                     progress=None):
    """Train a :class:`FeatureClassifier` (built from the dict ``config``) on ``images`` ``(N, C, S, S)``.

    ``augment(index, generator)`` returns the (randomly augmented) images of ``index`` ``(B,)``; None uses
    ``images`` as they are. Adam with weight decay, seeded: the same inputs train the same network on a CPU.
    ``progress`` is a tqdm-like bar advanced once per epoch, or None. Afterwards ``feature_scale`` is set to the
    RMS of the features of all training images (augmented once).
    """
    torch.manual_seed(seed)
    model = FeatureClassifier(**config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for index in torch.split(order, batch_size):
            batch = augment(index, generator) if augment is not None else images[index]
            loss = nn.functional.cross_entropy(model(batch), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if progress is not None:
            progress.update(1)
    model.eval()
    everything = torch.arange(len(labels))
    features = model.features(augment(everything, generator) if augment is not None else images)
    model.feature_scale.fill_(float(np.sqrt((features ** 2).mean())))
    return model


@torch.no_grad()
def accuracy(model, images, labels, batch_size=500):
    """Share of ``images`` that ``model`` classifies as ``labels``."""
    model.eval()
    predicted = torch.cat([model(batch).argmax(1) for batch in torch.split(images, batch_size)])
    return float((predicted == labels).double().mean())


def cached_classifier(path, config, train, log=print):
    """The classifier stored at ``path`` if it was made with ``config``; else ``train()`` it and store it there.

    ``train()`` returns ``(model, info)``, ``info`` a JSON-able dict (accuracy, data sizes) kept with the
    weights. ``config`` holds everything that defines the network and its training, so a changed recipe trains
    anew. Returns ``(model, info, reused)``.
    """
    if os.path.isfile(path):
        stored = load_checkpoint(path, "")
        if isinstance(stored, dict) and stored.get("config") == json.dumps(config, sort_keys=True):
            model = FeatureClassifier(**config["network"])
            model.load_state_dict(stored["weights"])
            return model.eval(), json.loads(stored["info"]), True
        log("the cached classifier {} was made with other settings; training it again".format(path))
    model, info = train()
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        save_torch({"config": json.dumps(config, sort_keys=True), "info": json.dumps(info),
                    "weights": model.state_dict()}, path)
    except OSError as err:
        raise UserError("cannot write the classifier cache {} ({}); pass a writable --cache_dir".format(
            path, err.strerror or err))
    return model, info, False


def summarise(values):
    """(mean, sample standard deviation) of a list of numbers; the deviation is 0 for a single number."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def format_mean_std(mean, std, digits=1):
    """'12.3 ± 0.4'."""
    if mean is None or not math.isfinite(mean):
        return "n/a"
    return "{:.{d}f} ± {:.{d}f}".format(mean, std, d=digits)
