"""Beyond the sheet, part 4: the generator's moving average, standing statistics and the training animation."""
import glob
import os

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import generate_gan_images
import run_gan_training
from lib.animation import write_progress_gif
from lib.ema import ModelEMA
from lib.gan_sampling import draw, with_standing_statistics
from lib.model_gan import Generator, weights_init
from lib.train_gan import latent_vectors
from lib.utils import load_checkpoint, seed_everything
from tests.fakes import make_flower_folder

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


def test_a_run_writes_its_average_and_animation_and_a_resume_continues_them_exactly(flowers, tmp_path, capsys):
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

    output = str(tmp_path / "ema_samples.png")
    generate_gan_images.main(["--checkpoint", os.path.join(straight, "generator_ema.pth"), "--output", output,
                              "--num_images", "8", "--device", "cpu", "--quiet"])
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


def stale_generator():
    """A generator whose running statistics no longer fit its weights, as after the last updates of training."""
    seed_everything(0)
    generator = Generator(8, 3, 16)
    generator.apply(weights_init)
    generator.train()
    with torch.no_grad():
        for _ in range(20):
            generator(torch.randn(64, 16, 1, 1))  # running statistics of these weights
        for layer in generator.layers:
            if isinstance(layer, nn.BatchNorm2d):  # then the weights move on
                layer.weight.mul_(1.5).add_(0.2)
                layer.bias.add_(0.3)
            elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                layer.weight.mul_(1.6)
    return generator.eval()


def colour_statistics(images):
    """Per-channel mean and standard deviation of a batch ``(n, 3, H, W)`` -> ``(6,)``."""
    return torch.cat([images.mean((0, 2, 3)), images.std((0, 2, 3))])


def test_standing_statistics_restore_the_colours_of_train_mode_samples():
    generator = stale_generator()
    z = latent_vectors(512, 16, 1.0, seed=1)
    target = colour_statistics(draw(generator, z, "batch", batch_size=128))  # what training sees
    running = colour_statistics(draw(generator, z, "running"))
    standing = colour_statistics(draw(generator, z, "standing"))
    error_running, error_standing = (running - target).abs().max(), (standing - target).abs().max()
    assert error_standing < 0.02 and error_running > 5 * error_standing, (error_running, error_standing)
    assert generator.layers[1].momentum == 0.1, "the generator itself is left as it was"
    copy = with_standing_statistics(generator, 16)
    assert copy.layers[1].momentum == 0.1 and copy.layers[1].num_batches_tracked.item() == 100


def test_temperature_acts_with_standing_statistics(tmp_path, capsys):
    generator = stale_generator()
    path = str(tmp_path / "generator.pth")
    torch.save(generator.state_dict(), path)
    grids = {}
    for temperature in ("1.0", "0.25"):
        output = str(tmp_path / "T{}.png".format(temperature))
        generate_gan_images.main(["--checkpoint", path, "--ngf", "8", "--nz", "16", "--temperature", temperature,
                                  "--num_images", "64", "--output", output, "--device", "cpu"])
        grids[temperature] = torch.tensor(np.asarray(Image.open(output).convert("L")), dtype=torch.float32)
    assert "standing statistics" in capsys.readouterr().out
    # the same directions at a quarter of the variance: clearly other images, and less varied ones
    assert (grids["1.0"] - grids["0.25"]).abs().mean() > 5
    z = latent_vectors(256, 16, 1.0, seed=0)
    varied = draw(generator, z, "standing").std(0).mean()
    cold = draw(generator, z * 0.5, "standing").std(0).mean()
    assert cold < 0.8 * varied


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
