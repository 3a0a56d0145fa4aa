"""The VAE model and its loss: shapes, initialisation order, sampling, and the loss value of the issue."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.loss_vae import VAELoss, binary_cross_entropy_sum, kl_divergence
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


def test_loss_value_of_the_issue():
    torch.manual_seed(420)
    x = torch.rand(2, 1, 28, 28)
    x_reconstructed = torch.rand(2, 1, 28, 28)
    mu = torch.randn(2, 2)
    logvar = torch.randn(2, 2)
    loss = VAELoss()(x_reconstructed, x, mu, logvar)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(1571.545166015625, rel=1e-6)


def test_kl_term_is_zero_at_the_prior_and_grows_with_the_weight():
    assert kl_divergence(torch.zeros(3, 2), torch.zeros(3, 2)).item() == 0
    torch.manual_seed(0)
    x, x_reconstructed = torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28)
    mu, logvar = torch.randn(3, 2), torch.randn(3, 2)
    bce = F.binary_cross_entropy(x_reconstructed, x, reduction="sum")
    kl = 0.5 * torch.sum(mu ** 2 + logvar.exp() - 1 - logvar)
    assert kl > 0
    losses = [VAELoss(w)(x_reconstructed, x, mu, logvar) for w in (0.0, 1.0, 30.0)]
    assert losses[0] < losses[1] < losses[2]
    for w, loss in zip((0.0, 1.0, 30.0), losses):
        assert torch.allclose(loss, bce + w * kl)
    assert VAELoss(5.0)(x_reconstructed, x, torch.zeros(3, 2), torch.zeros(3, 2)) == pytest.approx(bce.item())


def test_reconstruction_term_equals_torch_binary_cross_entropy_in_value_and_gradient():
    torch.manual_seed(3)
    x = (torch.rand(4, 1, 28, 28) > 0.5).float() * torch.rand(4, 1, 28, 28)
    x[0, 0, 0, :4] = torch.tensor([0.0, 1.0, 0.0, 1.0])
    logits = torch.randn(4, 1, 28, 28) * 4
    logits[0, 0, 0, :4] = torch.tensor([-200.0, -200.0, 200.0, 200.0])  # probabilities exactly 0 and 1
    ours_in = torch.sigmoid(logits).requires_grad_()
    torch_in = ours_in.detach().clone().requires_grad_()
    target = x.clone().requires_grad_()
    ours = binary_cross_entropy_sum(ours_in, target)
    expected = F.binary_cross_entropy(torch_in, x, reduction="sum")
    assert ours.item() == pytest.approx(expected.item(), rel=1e-6)
    ours.backward()
    expected.backward()
    assert torch.isfinite(ours_in.grad).all() and torch.equal(ours_in.grad, torch_in.grad)
    expected_target_grad = torch.log(1 - torch_in.detach()).clamp(min=-100) - torch.log(torch_in.detach()).clamp(
        min=-100)
    assert torch.allclose(target.grad, expected_target_grad)
    nan_input = torch.full((1, 1, 2, 2), float("nan"))
    assert torch.isnan(binary_cross_entropy_sum(nan_input, torch.zeros(1, 1, 2, 2)))  # reported, not raised


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
