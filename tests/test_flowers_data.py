"""The flowers data: ImageFolder semantics, clear errors, and the in-memory augmentation's distribution."""
import os
import sys

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from lib.flowers import FlowersInMemory, decode_image, flowers_image_folder, per_image_loader, per_image_transform
from lib.utils.errors import UserError
from tests.fakes import make_flower_folder


def test_image_folder_finds_every_image_across_splits(tmp_path):
    root = make_flower_folder(tmp_path, count=10)
    (tmp_path / "README.md").write_text("not part of any class folder, ignored silently")
    assert len(flowers_image_folder(root)) == 10


def test_per_image_transform_shape_and_range(tmp_path):
    pixels = np.zeros((64, 80, 3), dtype=np.uint8)
    pixels[:, 40:] = 255  # black left half, white right half: both ends of the range survive the resize
    (tmp_path / "train" / "1").mkdir(parents=True)
    Image.fromarray(pixels).save(str(tmp_path / "train" / "1" / "a.png"))
    dataset = flowers_image_folder(str(tmp_path), transform=per_image_transform(32))
    image, _ = dataset[0]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert image.min() == -1 and image.max() == 1
    data = FlowersInMemory(str(tmp_path), 32)
    fast = data.augment(torch.zeros(16, dtype=torch.long), torch.Generator().manual_seed(0))
    assert fast.shape == (16, 3, 32, 32) and fast.dtype == torch.float32
    assert fast.min() == -1 and fast.max() == 1


def test_in_memory_data_and_epoch_batches(tmp_path):
    root = make_flower_folder(tmp_path, count=10)
    data = FlowersInMemory(root, 32)
    assert len(data) == 10 and data.data.dtype == torch.uint8
    for k, path in enumerate(data.paths):  # stored = the PIL resize of the per-image path, exactly
        resized = torch.from_numpy(np.array(decode_image(path, 32))).permute(2, 0, 1)
        height, width = data.sizes[k].tolist()
        assert min(height, width) == 32 and resized.shape[1:] == (height, width)
        assert torch.equal(data.data[k, :, :height, :width], resized)
    generator = torch.Generator().manual_seed(0)
    batches = data.epoch(4, generator)
    assert [b.shape for b in batches] == [(4, 3, 32, 32), (4, 3, 32, 32), (2, 3, 32, 32)]
    images = torch.cat(batches)
    assert images.dtype == torch.float32 and images.min() >= -1 and images.max() <= 1


def _crop_choices(resized, size=32):
    """All (top, left, flip) -> image the per-image transform can produce from one resized PIL image."""
    width, height = resized.size
    choices = {}
    for top in range(height - size + 1):
        for left in range(width - size + 1):
            crop = TF.crop(resized, top, left, size, size)
            for flip in (False, True):
                image = TF.normalize(TF.to_tensor(TF.hflip(crop) if flip else crop), [0.5] * 3, [0.5] * 3)
                choices[(top, left, flip)] = image
    return choices


def _identify(image, choices):
    found = [key for key, candidate in choices.items() if torch.equal(image, candidate)]
    assert len(found) == 1, "every augmented image must be exactly one crop/flip of the per-image transform"
    return found[0]


@pytest.mark.parametrize("size", [(64, 80), (90, 64)])
def test_fast_augmentation_has_the_per_image_distribution(tmp_path, size):
    """Same support (bit-exact crops and flips) and the same frequencies for both paths, on a 32x40 / 45x32 image."""
    root = make_flower_folder(tmp_path, count=1, sizes=[size])
    data = FlowersInMemory(root, 32)
    path = data.paths[0]
    resized = decode_image(path, 32)
    choices = _crop_choices(resized)
    room = max(resized.size) - 32  # free pixels along the long side: 8 or 13
    long_axis = 1 if resized.size[0] > resized.size[1] else 0  # offsets vary along width (1) or height (0)

    n_fast, n_pil = 4000, 600
    generator = torch.Generator().manual_seed(1)
    fast = data.augment(torch.zeros(n_fast, dtype=torch.long), generator)
    transform = per_image_transform(32)
    torch.manual_seed(2)
    with Image.open(path) as image:
        pil = [transform(image.convert("RGB")) for _ in range(n_pil)]

    for images, n in ((fast, n_fast), (pil, n_pil)):
        keys = [_identify(image, choices) for image in images]
        offsets = np.array([key[long_axis] for key in keys])
        flips = np.array([key[2] for key in keys])
        short_offsets = np.array([key[1 - long_axis] for key in keys])
        assert (short_offsets == 0).all()
        # P(flip) = 1/2; P(center) = 1/2 + 1/(2 (room+1)); every other offset 1/(2 (room+1)).
        center = int(round(room / 2.0))
        expected = np.full(room + 1, 0.5 / (room + 1))
        expected[center] += 0.5
        observed = np.bincount(offsets, minlength=room + 1) / n
        sigma = np.sqrt(expected * (1 - expected) / n)
        assert np.all(np.abs(observed - expected) < 5 * sigma + 1e-9), (observed, expected)
        assert abs(flips.mean() - 0.5) < 5 * np.sqrt(0.25 / n)


def test_center_offset_rounds_like_torchvision(tmp_path):
    """A 45x32 image has 13 free rows: the center crop starts at round(6.5) = 6 (half to even), as in torchvision."""
    root = make_flower_folder(tmp_path, count=1, sizes=[(90, 64)])
    data = FlowersInMemory(root, 32)
    resized = decode_image(data.paths[0], 32)
    center = TF.normalize(TF.to_tensor(TF.center_crop(resized, 32)), [0.5] * 3, [0.5] * 3)
    data_sizes = data.sizes[0].tolist()
    assert data_sizes == [45, 32]
    generator = torch.Generator().manual_seed(3)
    images = data.augment(torch.zeros(200, dtype=torch.long), generator)
    assert any(torch.equal(image, center) for image in images)


def test_non_image_file_is_skipped_with_a_warning(tmp_path, capsys):
    root = make_flower_folder(tmp_path, count=4)
    junk = tmp_path / "train" / "1" / "notes.txt"
    junk.write_text("not an image")
    assert len(FlowersInMemory(root, 32)) == 4
    assert "warning: skipping {} (not an image file)".format(junk) in capsys.readouterr().err


def test_damaged_image_stops_with_its_path(tmp_path):
    root = make_flower_folder(tmp_path, count=4)
    broken = tmp_path / "val" / "2" / "image_9999.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(UserError, match="image_9999.jpg is not a readable image"):
        FlowersInMemory(root, 32)
    with pytest.raises(UserError, match="image_9999.jpg is not a readable image"):
        per_image_loader(root, 32, 4, num_workers=0)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(UserError, match="does not exist; put the course's dataset_flowers_64px there"):
        flowers_image_folder(str(tmp_path / "nowhere"))
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no images"):
        flowers_image_folder(str(tmp_path / "empty"))
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (64, 64)).save(str(tmp_path / "flat" / "a.png"))  # images but no class folder
    with pytest.raises(UserError, match="holds no images in the expected layout"):
        flowers_image_folder(str(tmp_path / "flat"))


def test_per_image_loader_batches(tmp_path):
    root = make_flower_folder(tmp_path, count=6)
    loader = per_image_loader(root, 32, 4, num_workers=0, generator=torch.Generator().manual_seed(0))
    shapes = [images.shape for images, _ in loader]
    assert shapes == [(4, 3, 32, 32), (2, 3, 32, 32)]


def test_course_data_has_800_images():
    """Optional extra check on the course's copy when this machine has it."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "dataset_flowers_64px")
    if not os.path.isdir(root):
        pytest.skip("the course's flowers copy is not on this machine")
    dataset = flowers_image_folder(root)
    assert len(dataset) == 800 and dataset.classes == ["test", "train", "val"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
