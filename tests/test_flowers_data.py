"""Part 4's data: the flowers decoded once, augmented on tensors with the distribution of the course's
per-image transforms, and one-sentence errors for missing, empty or damaged folders."""
import sys

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from lib.flowers import FlowersInMemory, flowers_dataset, per_image_transform
from lib.utils.errors import UserError
from tests.fakes import make_flower_folder


def test_photos_are_stored_as_the_per_image_resize_makes_them_and_batched_per_epoch(tmp_path):
    root = make_flower_folder(tmp_path, count=10)
    data = FlowersInMemory(root, 32)
    for k, (path, _) in enumerate(flowers_dataset(root).samples):
        with Image.open(path) as image:
            resized = torch.from_numpy(np.array(TF.resize(image.convert("RGB"), 32))).permute(2, 0, 1)
        height, width = data.sizes[k].tolist()
        assert min(height, width) == 32 and torch.equal(data.data[k, :, :height, :width], resized)
    batches = data.epoch(4, torch.Generator().manual_seed(0))
    assert [tuple(b.shape) for b in batches] == [(4, 3, 32, 32), (4, 3, 32, 32), (2, 3, 32, 32)]
    images = torch.cat(batches)
    assert images.dtype == torch.float32 and -1 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("size", [(64, 80), (90, 64)])
def test_the_augmentation_has_the_distribution_of_the_per_image_transforms(tmp_path, size):
    """Both paths give exactly the same crops and flips of a 40x32 (or 32x45) photo, with the same frequencies:
    P(flip) = 1/2, P(centre crop) = 1/2 + 1/(2 (room + 1)), every other offset 1/(2 (room + 1))."""
    root = make_flower_folder(tmp_path, count=1, sizes=[size])
    (path, _), = flowers_dataset(root).samples
    with Image.open(path) as image:
        photo = image.convert("RGB")
    resized = TF.resize(photo, 32)
    width, height = resized.size
    candidates = {(top, left, flip): TF.normalize(TF.to_tensor(TF.hflip(crop) if flip else crop), [0.5] * 3,
                                                  [0.5] * 3)
                  for top in range(height - 31) for left in range(width - 31)
                  for crop in [TF.crop(resized, top, left, 32, 32)] for flip in (False, True)}
    fast = FlowersInMemory(root, 32).augment(torch.zeros(2000, dtype=torch.long), torch.Generator().manual_seed(1))
    torch.manual_seed(2)
    transform = per_image_transform(32)
    slow = [transform(photo) for _ in range(400)]
    room, long_axis = max(width, height) - 32, int(width > height)
    expected = np.full(room + 1, 0.5 / (room + 1))
    expected[int(round(room / 2))] += 0.5  # the centre crop, half to even like torchvision's
    for images in (fast, slow):
        keys = [[key for key, candidate in candidates.items() if torch.equal(image, candidate)] for image in images]
        assert all(len(found) == 1 for found in keys)  # each image is exactly one crop and flip
        offsets = np.array([found[0][long_axis] for found in keys])
        observed = np.bincount(offsets, minlength=room + 1) / len(keys)
        assert np.all(np.abs(observed - expected) < 5 * np.sqrt(expected * (1 - expected) / len(keys)))
        flips = np.mean([found[0][2] for found in keys])
        assert abs(flips - 0.5) < 5 * np.sqrt(0.25 / len(keys))


def test_missing_empty_and_damaged_folders_end_in_one_sentence(tmp_path, capsys):
    with pytest.raises(UserError, match="the flowers folder .*nowhere does not exist; put the course's "
                                        "dataset_flowers_64px there, or pass its place with --data_dir"):
        flowers_dataset(str(tmp_path / "nowhere"))
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no images in folders"):
        flowers_dataset(str(tmp_path / "empty"))
    root = make_flower_folder(tmp_path / "photos", count=4)
    (tmp_path / "photos" / "train" / "1" / "notes.txt").write_text("not an image")
    assert len(FlowersInMemory(root, 32)) == 4
    assert "warning: skipping {} (not an image)".format(tmp_path / "photos" / "train" / "1" / "notes.txt") in \
        capsys.readouterr().err
    (tmp_path / "photos" / "val" / "2" / "image_9999.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    with pytest.raises(UserError, match="image_9999.jpg is not a readable image .*; delete or replace it"):
        FlowersInMemory(root, 32)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
