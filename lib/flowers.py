"""The flowers for the DCGAN: every photo decoded once, then each epoch shuffled and augmented in a few tensor
operations, with the same distribution as the course's per-image transforms (:func:`per_image_transform`)."""
import os
import sys

import numpy as np
import torch

from lib.utils.errors import UserError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def per_image_transform(image_size=32):
    """The course's augmentation of one PIL image, as torchvision transforms -> ``(3, S, S)`` in [-1, 1]."""
    import torchvision.transforms as T
    return T.Compose([T.Resize(image_size),  # the shorter edge to image_size
                      T.RandomChoice([T.RandomCrop(image_size), T.CenterCrop(image_size)]),  # 1/2 each
                      T.RandomHorizontalFlip(),
                      T.ToTensor(),
                      T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])


def flowers_dataset(root, transform=None):
    """``torchvision.datasets.ImageFolder`` over ``root`` (every split and class; the labels go unused). A file
    that is no image (a README, .DS_Store) is skipped with a warning; a missing or empty folder is a UserError."""
    from torchvision.datasets import ImageFolder
    hint = "put the course's dataset_flowers_64px there, or pass its place with --data_dir"
    if not os.path.isdir(root):
        raise UserError("the flowers folder {} does not exist; {}".format(root, hint))

    def is_image(path):
        if path.lower().endswith(IMAGE_SUFFIXES):
            return True
        print("warning: skipping {} (not an image)".format(path), file=sys.stderr)
        return False

    try:
        return ImageFolder(root, transform=transform, is_valid_file=is_image)
    except FileNotFoundError:
        raise UserError("the flowers folder {} holds no images in folders (<class>/<image>); {}".format(root, hint))


class FlowersInMemory:
    """All photos of ``root``, resized once so that their shorter edge is ``image_size``, in one uint8 tensor
    ``(N, 3, H, W)`` on ``device`` (top left aligned, padded to the largest size; ``sizes`` ``(N, 2)`` holds
    each photo's own height and width)."""

    def __init__(self, root, image_size=32, device="cpu"):
        from PIL import Image
        from torchvision.transforms.functional import resize
        self.image_size, self.device = image_size, torch.device(device)
        arrays = []
        for path, _ in flowers_dataset(root).samples:
            try:
                with Image.open(path) as image:
                    arrays.append(np.asarray(resize(image.convert("RGB"), image_size)))  # as T.Resize does
            except OSError as err:
                raise UserError("{} is not a readable image ({}); delete or replace it".format(path, err))
        sizes = np.array([a.shape[:2] for a in arrays])  # (N, 2) heights and widths
        data = np.zeros((len(arrays),) + tuple(sizes.max(0)) + (3,), dtype=np.uint8)
        for k, array in enumerate(arrays):
            data[k, :array.shape[0], :array.shape[1]] = array
        self.data = torch.from_numpy(data).permute(0, 3, 1, 2).contiguous().to(self.device)  # (N, 3, H, W)
        self.sizes = torch.from_numpy(sizes).to(self.device)

    def __len__(self):
        return len(self.data)

    def augment(self, index, generator=None):
        """The photos ``index`` ``(B,)`` cropped, flipped and scaled -> ``(B, 3, S, S)`` float32 in [-1, 1].

        Per photo, with probability 1/2 a crop at a uniformly drawn place, else the centre crop, then a
        horizontal flip with probability 1/2. The draws come from the CPU ``generator`` whatever the device, so
        a run's data order resumes on any device.
        """
        n, s, device = len(index), self.image_size, self.device
        index = index.to(device)
        room = self.sizes[index] - s  # (B, 2) spare rows and columns
        random_crop = (torch.rand(n, 1, generator=generator) < 0.5).to(device)  # (B, 1)
        uniform = torch.rand(n, 2, generator=generator).to(device)              # (B, 2)
        flip = (torch.rand(n, generator=generator) < 0.5).to(device)            # (B,)
        random_offset = (uniform * (room + 1)).floor().long().clamp_(max=room)
        centre_offset = torch.round(room.double() / 2).long()  # rounds half to even, as CenterCrop
        offset = torch.where(random_crop, random_offset, centre_offset)  # (B, 2) top, left
        steps = torch.arange(s, device=device)
        rows = offset[:, :1] + steps                                                # (B, S)
        cols = offset[:, 1:] + torch.where(flip[:, None], s - 1 - steps, steps)    # (B, S), reversed if flipped
        crops = self.data[index[:, None, None, None], torch.arange(3, device=device)[None, :, None, None],
                          rows[:, None, :, None], cols[:, None, None, :]]          # (B, 3, S, S) uint8
        return (crops.float() / 255 - 0.5) / 0.5

    def epoch(self, batch_size, generator=None):
        """One epoch: every photo once, shuffled and augmented, in batches (the last one may be smaller)."""
        order = torch.randperm(len(self), generator=generator)
        return self.augment(order, generator).split(batch_size)
