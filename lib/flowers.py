"""The flowers set for the DCGAN: ImageFolder semantics, the course's augmentation, two interchangeable loaders.

Augmentation per image (the course's): resize the shorter edge to ``image_size``; then with probability 1/2 a
random crop, else a center crop, to a square; horizontal flip with probability 1/2; scale to [-1, 1].

- :func:`per_image_loader`: the tutorial's path, ``torchvision.datasets.ImageFolder`` with PIL transforms per
  image and a ``DataLoader`` with worker processes.
- :class:`FlowersInMemory`: decodes and resizes every image once into one uint8 tensor on the training device,
  then shuffles, crops, flips and normalises whole epochs with a few tensor operations (drawn on the CPU,
  applied on the device). The resize is
  deterministic, so doing it once is exact; the crop offsets and flips are drawn per image with the same
  distribution as the PIL transforms (the resized images are not square, so random-crop offsets vary).

A file in a class folder whose extension is not an image type (a README, .DS_Store) is skipped with a warning
naming it, like ImageFolder ignores it. A file with an image extension that does not decode stops the run with
its path: that is a damaged download, and silently training on fewer images would change the data set.
"""
import os
import sys

import torch

from lib.data_setup import FLOWERS_DIRNAME
from lib.utils.errors import UserError, require_folder

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def default_flowers_dir():
    """``$FLOWERS_ROOT`` if set (and not empty), else ``dataset_flowers_64px/`` in the current folder."""
    return os.environ.get("FLOWERS_ROOT") or FLOWERS_DIRNAME  # set but empty counts as unset, as MNIST_ROOT


def per_image_transform(image_size=32):
    """The course's augmentation as torchvision transforms on one PIL image -> ``(3, S, S)`` float in [-1, 1]."""
    import torchvision.transforms as T
    return T.Compose([
        T.Resize(image_size),  # shorter edge -> image_size, aspect kept
        T.RandomChoice([T.RandomCrop(image_size), T.CenterCrop(image_size)]),  # each with probability 1/2
        T.RandomHorizontalFlip(),
        T.ToTensor(),  # [0, 1]
        T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),  # [-1, 1]
    ])


def flowers_image_folder(root, transform=None, warn=True, flag="--data_dir"):
    """``torchvision.datasets.ImageFolder`` over ``root`` (all splits and classes); UserError when unusable.

    Files without an image extension are skipped, each named in a warning on stderr when ``warn``. ``flag`` is
    the calling script's option for the folder, named in the error messages.
    """
    hint = ("put the course's {} there (python prepare_data.py does it) or pass {} or set "
            "FLOWERS_ROOT".format(FLOWERS_DIRNAME, flag))
    require_folder(root, "flowers folder", hint)
    from torchvision.datasets import ImageFolder  # after the check: a missing folder is told without its 3 s import
    skipped = []

    def is_image(path):
        if path.lower().endswith(IMAGE_EXTENSIONS):
            return True
        skipped.append(path)
        return False

    try:
        dataset = ImageFolder(root, transform=transform, is_valid_file=is_image)
    except FileNotFoundError as err:  # no class folder, or a class folder without images
        raise UserError("the flowers folder {} holds no images in the expected layout <class folder>/<image> "
                        "({}); {}".format(root, str(err).rstrip("."), hint))
    if warn:
        for path in skipped:
            print("warning: skipping {} (not an image file)".format(path), file=sys.stderr)
    return dataset


def decode_image(path, image_size):
    """Open one image as RGB and resize its shorter edge to ``image_size`` (PIL bilinear, as the transform)."""
    from PIL import Image
    import torchvision.transforms.functional as TF
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except Exception as err:  # PIL raises many types for a damaged file
        raise UserError("{} is not a readable image ({}); delete or replace it".format(
            path, str(err).splitlines()[0][:100] if str(err) else type(err).__name__))
    return TF.resize(image, image_size)


def check_images_decode(dataset):
    """Decode every image of an ImageFolder once, so a damaged file stops the run before training starts."""
    for path, _ in dataset.samples:
        decode_image(path, 8)


class FlowersInMemory:
    """All images decoded once into ``(N, 3, H, W)`` uint8 on ``device``, batches augmented on tensors.

    Images are resized so their shorter edge is ``image_size`` and stored top-left aligned in a tensor padded
    to the largest height and width; ``sizes`` ``(N, 2)`` holds each image's own height and width.
    """

    def __init__(self, root, image_size=32, device="cpu", warn=True):
        import numpy as np
        dataset = flowers_image_folder(root, warn=warn)
        self.paths = [path for path, _ in dataset.samples]
        self.image_size = image_size
        self.device = torch.device(device)
        arrays = [np.asarray(decode_image(path, image_size)) for path in self.paths]  # (h, w, 3) uint8 each
        heights = [a.shape[0] for a in arrays]
        widths = [a.shape[1] for a in arrays]
        data = np.zeros((len(arrays), max(heights), max(widths), 3), dtype=np.uint8)
        for k, array in enumerate(arrays):  # one copy per file; the augmentation itself is batched
            data[k, :array.shape[0], :array.shape[1]] = array
        self.data = torch.from_numpy(data).permute(0, 3, 1, 2).contiguous().to(self.device)  # (N, 3, H, W)
        self.sizes = torch.tensor(list(zip(heights, widths)), dtype=torch.long, device=self.device)  # (N, 2)

    def __len__(self):
        return self.data.shape[0]

    def augment(self, index, generator=None):
        """Crop, flip and normalise the images ``index`` ``(B,)`` -> ``(B, 3, S, S)`` float32 in [-1, 1].

        Per image, with probability 1/2 a uniformly placed crop, else the center crop (offset
        ``round((size - S) / 2)``, rounding half to even as torchvision does), then a flip with probability 1/2.
        The random draws come from ``generator``, a CPU ``torch.Generator`` (None: torch's global one), whatever
        the device: a run's data order then resumes on any device, and a CPU run repeats bit for bit.
        """
        n, s, device = index.shape[0], self.image_size, self.device
        index = index.to(device)
        room = self.sizes[index] - s  # (B, 2) free pixels along height and width
        random_crop = (torch.rand(n, 1, generator=generator) < 0.5).to(device)  # (B, 1)
        uniform = torch.rand(n, 2, generator=generator).to(device)  # (B, 2)
        flip = (torch.rand(n, generator=generator) < 0.5).to(device)  # (B,)
        random_offset = (uniform * (room + 1)).floor().long().clamp_(max=room)  # uniform on 0..room
        center_offset = torch.round(room.double() / 2.0).long()
        offset = torch.where(random_crop, random_offset, center_offset)  # (B, 2) top, left
        steps = torch.arange(s, device=device)
        rows = offset[:, 0, None] + steps  # (B, S)
        cols = offset[:, 1, None] + torch.where(flip[:, None], s - 1 - steps, steps)  # (B, S), flipped reversed
        channels = torch.arange(3, device=device)
        crops = self.data[index[:, None, None, None], channels[None, :, None, None],
                          rows[:, None, :, None], cols[:, None, None, :]]  # (B, 3, S, S) uint8
        return (crops.float() / 255.0 - 0.5) / 0.5  # the same arithmetic as ToTensor + Normalize

    def epoch(self, batch_size, generator=None):
        """Shuffle and augment all images for one epoch; returns a list of batches (the last may be smaller).

        ``generator``: a CPU ``torch.Generator`` for the shuffle and the augmentation (see :meth:`augment`).
        """
        order = torch.randperm(len(self), generator=generator)
        images = self.augment(order, generator)
        return list(torch.split(images, batch_size))


def per_image_loader(root, image_size=32, batch_size=128, num_workers=2, generator=None, check=True,
                     pin_memory=False):
    """The tutorial's data path: ImageFolder + per-image PIL transforms + a shuffling ``DataLoader``.

    Returns a DataLoader yielding ``(images (B, 3, S, S) in [-1, 1], labels (B,))``. ``generator`` seeds the
    shuffling and the worker processes' random transforms. ``pin_memory`` (for a CUDA device) puts batches in
    page-locked memory, from which ``.to(device, non_blocking=True)`` copies without blocking.
    """
    dataset = flowers_image_folder(root, transform=per_image_transform(image_size))
    if check:
        check_images_decode(dataset)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers,
                                       generator=generator, worker_init_fn=_ignore_ctrl_c, pin_memory=pin_memory)


def _ignore_ctrl_c(worker_id):
    """Workers leave Ctrl-C and SIGTERM to the main process, which finishes the epoch and writes a checkpoint."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
