"""Part 3: the VAE model: layer sizes, the initialisation order, eval mode and the reparameterisation."""
import math
import sys

import pytest
import torch
from torch import nn

from lib.model_vae import VAE


def test_shapes_and_parameter_count():
    model = VAE()
    assert sum(p.numel() for p in model.parameters()) == 158388
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    assert shapes == [(784, 100), (100, 2), (100, 2), (2, 100), (100, 784)]
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 2)
    reconstruction, mu2, logvar2 = model(x)
    assert reconstruction.shape == (5, 1, 28, 28) and mu2.shape == logvar2.shape == (5, 2)
    decoded = model.decode(torch.randn(7, 2) * 10)
    assert decoded.shape == (7, 1, 28, 28) and decoded.min() >= 0 and decoded.max() <= 1
    other = VAE(in_channels=3, in_height=8, in_width=6, hidden_size=10, latent_size=4)
    assert other(torch.rand(2, 3, 8, 6))[0].shape == (2, 3, 8, 6)


def test_layers_are_created_in_the_order_that_fixes_the_initialisation():
    torch.manual_seed(7)
    model = VAE()
    torch.manual_seed(7)
    expected = [nn.Linear(784, 100), nn.Linear(100, 2), nn.Linear(100, 2), nn.Linear(2, 100), nn.Linear(100, 784)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for got, want in zip(linears, expected):
        assert torch.equal(got.weight, want.weight) and torch.equal(got.bias, want.bias)


def test_eval_mode_is_deterministic_and_uses_mu():
    torch.manual_seed(0)
    model = VAE().eval()
    x = torch.rand(4, 1, 28, 28)
    first, mu, logvar = model(x)
    second, _, _ = model(x)
    assert torch.equal(first, second)
    assert torch.equal(model.reparameterize(mu, logvar), mu)
    assert torch.equal(first, model.decode(mu))
    model.train()
    assert not torch.equal(model(x)[0], first)  # training mode samples z


def test_reparameterization_is_one_draw_with_the_right_mean_and_spread():
    model = VAE().train()
    n = 200000
    mu = torch.tensor([1.0, -2.0]).repeat(n, 1)
    logvar = torch.log(torch.tensor([4.0, 0.25])).repeat(n, 1)
    torch.manual_seed(1)
    z = model.reparameterize(mu, logvar)
    torch.manual_seed(1)
    assert torch.allclose(z, mu + torch.exp(0.5 * logvar) * torch.randn_like(mu))  # exactly one randn_like
    # Sample mean within 5 standard errors, sample standard deviation within 1 %.
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=5 * 2 / math.sqrt(n))
    assert torch.allclose(z.std(0), torch.tensor([2.0, 0.5]), rtol=0.01)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
