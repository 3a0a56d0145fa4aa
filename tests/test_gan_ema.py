"""Beyond the sheet, part 4: the generator's moving average and the training animation."""
import glob
import os
import sys

import numpy as np
import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)
from PIL import Image
from torch import nn

import generate_gan_images
import run_gan_training
from lib.animation import write_progress_gif
from lib.ema import ModelEMA
from lib.utils.checkpoints import load_checkpoint
from tests.fakes import make_flower_folder, skip_loss_plots

TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def test_ema_is_the_debiased_weighted_mean_of_the_iterates():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    decay = 0.9
    ema = ModelEMA(model, decay)
    iterates = []
    for step in range(5):
        with torch.no_grad():
            for tensor in list(model.parameters()) + [model[1].running_mean, model[1].running_var]:
                tensor.copy_(torch.randn(tensor.shape))
        model[1].num_batches_tracked.fill_(10 + step)
        iterates.append({k: v.clone() for k, v in model.state_dict().items()})
        ema.update(model)
    weights = torch.tensor([decay ** (4 - k) for k in range(5)], dtype=torch.float64)
    weights /= weights.sum()  # 0.24, 0.27, 0.30, 0.33, 0.37 for k = 1..5: no share for the initial weights
    for key, value in ema.model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            assert value.item() == 14  # integers are copied, not averaged
        else:
            expected = sum(w * it[key].double() for w, it in zip(weights, iterates))
            assert torch.allclose(value.double(), expected, atol=1e-6), key
    assert ema.updates == 5 and not ema.model.training
    assert all(not p.requires_grad for p in ema.model.parameters())
    restored = ModelEMA(model, 0.5)
    restored.load_state_dict(ema.state_dict())
    assert restored.decay == decay and restored.updates == 5
    with pytest.raises(ValueError):
        ModelEMA(model, 1.0)


@pytest.fixture
def flowers(tmp_path):
    return make_flower_folder(tmp_path / "flowers", count=8)


def run(flowers, output_dir, *extra):
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir)] + TINY + list(extra))
    return glob.glob(os.path.join(str(output_dir), "run_*"))[0]


def test_a_run_writes_its_average_and_animation_and_a_resume_continues_them_exactly(
        flowers, tmp_path, capsys, monkeypatch):
    skip_loss_plots(monkeypatch)  # three runs whose losses.png is never looked at
    straight = run(flowers, tmp_path / "straight", "--epochs", "6", "--ema_decay", "0.9")
    for name in ("generator_ema.pth", "samples_final_ema.png", "progress.gif"):
        assert os.path.isfile(os.path.join(straight, name)), name
    # 6 epochs of 2 updates: grids at iterations 0, 10: two frames
    with Image.open(os.path.join(straight, "progress.gif")) as gif:
        assert gif.n_frames == 2 and gif.size == (274, 274)
    ema_state = load_checkpoint(os.path.join(straight, "generator_ema.pth"), "")
    generator_state = load_checkpoint(os.path.join(straight, "generator.pth"), "")
    checkpoint = load_checkpoint(os.path.join(straight, "checkpoint.pth"), "")
    assert checkpoint["ema"]["updates"] == 12 and checkpoint["ema"]["decay"] == 0.9
    assert all(torch.equal(ema_state[k], v) for k, v in checkpoint["ema"]["model"].items())
    assert not torch.equal(ema_state["layers.0.weight"], generator_state["layers.0.weight"])

    resumed = run(flowers, tmp_path / "resumed", "--epochs", "2", "--ema_decay", "0.9")
    os.remove(os.path.join(resumed, "progress.gif"))
    run_gan_training.main(["--resume", resumed, "--epochs", "6", "--quiet", "--device", "cpu"])
    again = load_checkpoint(os.path.join(resumed, "generator_ema.pth"), "")
    assert all(torch.equal(ema_state[k], again[k]) for k in ema_state), "a resumed run ends with the same EMA"
    with Image.open(os.path.join(resumed, "progress.gif")) as gif:
        assert gif.n_frames == 2, "the animation is rebuilt after a resume"

    output = str(tmp_path / "ema_samples.png")  # the running statistics: the standing ones are test_gan_sampling's
    generate_gan_images.main(["--checkpoint", os.path.join(straight, "generator_ema.pth"), "--output", output,
                              "--num_images", "8", "--sampling", "running", "--device", "cpu", "--quiet"])
    assert Image.open(output).size == (274, 36)  # one row of 8
    capsys.readouterr()


def test_progress_gif_keeps_the_frames_in_order_and_bounded(tmp_path):
    os.makedirs(str(tmp_path / "samples"))
    for k in range(7):  # frame k is a flat grey of brightness 30 k
        Image.new("RGB", (20, 20), (30 * k,) * 3).save(str(tmp_path / "samples" / "iter_{:06d}.png".format(k * 10)))
    assert write_progress_gif(str(tmp_path / "nothing")) is None
    path = write_progress_gif(str(tmp_path), max_frames=4)
    with Image.open(path) as gif:
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(gif.convert("RGB").getpixel((5, 5))[0])
    assert frames == [0, 60, 120, 180]  # first and last kept, evenly spaced between
    assert os.path.getsize(path) < 10000


def test_progress_gif_keeps_the_colours_of_its_grids(tmp_path):
    """256 colours are within 9.5 of 255 per channel on average of smooth colourful images: fast octree and median
    cut 6 to 8.8 (Pillow 8.0 to 12), 128 colours or dithering 10.3 to 10.8, 16 colours 21."""
    os.makedirs(str(tmp_path / "samples"))
    rng = np.random.RandomState(0)
    grids = []
    for k in range(3):  # 6x6 random colours blended to 96x96: smooth gradients of every hue
        grid = Image.fromarray(rng.randint(0, 256, size=(6, 6, 3)).astype(np.uint8)).resize((96, 96), Image.BILINEAR)
        grid.save(str(tmp_path / "samples" / "iter_{:06d}.png".format(10 * k)))
        grids.append(np.asarray(grid, dtype=float))
    with Image.open(write_progress_gif(str(tmp_path))) as gif:
        errors = []
        for k in range(gif.n_frames):
            gif.seek(k)
            errors.append(np.abs(np.asarray(gif.convert("RGB"), dtype=float) - grids[k]).mean())
    assert len(errors) == 3 and max(errors) < 9.5, errors


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
