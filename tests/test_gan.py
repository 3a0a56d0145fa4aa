"""Part 4: the DCGAN networks, their initialisation, and loading the course's checkpoint layout."""
import os
import sys

import pytest
import torch
from torch import nn

from lib.model_gan import Discriminator, Generator, weights_init
from lib.utils.checkpoints import load_checkpoint, load_state_dict_checked
from lib.utils.errors import UserError

REFERENCE = os.environ.get("COURSE_GENERATOR", "")  # the course's gan_model_g_2500_epochs.pth, where it is


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_output_shapes_and_ranges():
    torch.manual_seed(0)
    generator, discriminator = Generator(4), Discriminator(4)
    images = generator(torch.randn(5, 64, 1, 1))
    assert images.shape == (5, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    probabilities = discriminator(images)
    assert probabilities.shape == (5, 1, 1, 1) and probabilities.min() > 0 and probabilities.max() < 1
    assert Generator(2, 1, 16)(torch.randn(2, 16, 1, 1)).shape == (2, 1, 32, 32)
    assert Discriminator(2, 1)(torch.randn(2, 1, 32, 32)).shape == (2, 1, 1, 1)


def test_parameter_counts():
    assert count(Generator(channels_multiplier=4, latent_size=64)) == 43748
    assert count(Discriminator(channels_multiplier=4)) == 3056
    assert count(Generator()) == 952096  # the course's default (channels_multiplier 32), as in its checkpoint


def test_layer_lists_follow_the_specification():
    g = Generator(4).layers
    assert isinstance(g, nn.ModuleList)
    assert [type(m) for m in g] == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU] * 4 + [nn.Conv2d, nn.Tanh]
    convs = [m for m in g if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding) for m in convs] == [
        (64, 32, (4, 4), (1, 1), (0, 0)), (32, 16, (4, 4), (2, 2), (1, 1)), (16, 8, (4, 4), (2, 2), (1, 1)),
        (8, 4, (4, 4), (2, 2), (1, 1)), (4, 3, (3, 3), (1, 1), (1, 1))]
    d = Discriminator(4).layers
    assert isinstance(d, nn.ModuleList)
    assert [type(m) for m in d] == [nn.Conv2d, nn.LeakyReLU] + [nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU] * 2 + [
        nn.Conv2d, nn.Sigmoid]
    convs = [m for m in d if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding) for m in convs] == [
        (3, 4, (4, 4), (2, 2), (1, 1)), (4, 8, (4, 4), (2, 2), (1, 1)), (8, 16, (4, 4), (2, 2), (1, 1)),
        (16, 1, (4, 4), (1, 1), (0, 0))]
    assert all(m.bias is None for m in list(g) + list(d) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    assert all(m.negative_slope == 0.2 and m.inplace for m in d if isinstance(m, nn.LeakyReLU))


def test_weights_init_statistics():
    torch.manual_seed(0)
    model = nn.Sequential(Generator(32), Discriminator(32))
    linear = nn.Linear(8, 8)
    before = linear.weight.clone()
    model.apply(weights_init)
    linear.apply(weights_init)
    conv = torch.cat([m.weight.flatten() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    bn_weight = torch.cat([m.weight for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    bn_bias = torch.cat([m.bias for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    assert conv.numel() > 10 ** 6 and abs(conv.mean()) < 1e-4 and abs(conv.std() - 0.02) < 2e-4
    assert bn_weight.numel() == 672 and abs(bn_weight.mean() - 1) < 0.003 and abs(bn_weight.std() - 0.02) < 0.003
    assert torch.all(bn_bias == 0)
    assert torch.equal(linear.weight, before), "layers other than conv and batch norm stay untouched"


def reference_layout_state_dict():
    """A state dict with the keys and shapes of the course's gan_model_g_2500_epochs.pth, built here."""
    state = {"layers.0.weight": torch.randn(64, 256, 4, 4)}
    for index, channels in ((1, 256), (4, 128), (7, 64), (10, 32)):
        state.update({"layers.{}.weight".format(index): torch.rand(channels) + 0.5,
                      "layers.{}.bias".format(index): torch.randn(channels),
                      "layers.{}.running_mean".format(index): torch.randn(channels),
                      "layers.{}.running_var".format(index): torch.rand(channels) + 0.5,
                      "layers.{}.num_batches_tracked".format(index): torch.tensor(17685)})
        if index < 10:
            state["layers.{}.weight".format(index + 2)] = torch.randn(channels, channels // 2, 4, 4)
    state["layers.12.weight"] = torch.randn(3, 32, 3, 3)
    return state


def test_strict_loading_of_the_reference_layout(tmp_path):
    state = reference_layout_state_dict()
    generator = Generator(channels_multiplier=32, num_input_channels=3, latent_size=64)
    assert set(generator.state_dict()) == set(state)
    path = str(tmp_path / "g.pth")
    torch.save(state, path)
    load_state_dict_checked(generator, load_checkpoint(path, "train first"), path)
    assert torch.equal(generator.layers[9].weight, state["layers.9.weight"])
    with pytest.raises(UserError, match=r"layers.0.weight has shape \(64, 256, 4, 4\) in the file but "
                                        r"\(64, 128, 4, 4\) in the model"):
        load_state_dict_checked(Generator(16), state, path)


def test_reference_checkpoint_loads_on_the_cpu():
    """Optional: the course's GPU-trained file loads strictly onto the CPU and draws images in [-1, 1]."""
    if not os.path.isfile(REFERENCE):
        pytest.skip("the course's reference checkpoint is not on this machine")
    generator = load_state_dict_checked(Generator(), load_checkpoint(REFERENCE, "missing"), REFERENCE).eval()
    with torch.no_grad():
        images = generator(torch.randn(8, 64, 1, 1))
    assert images.shape == (8, 3, 32, 32) and images.min() >= -1 and images.max() <= 1 and images.std() > 0.2


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
