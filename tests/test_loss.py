"""Part 3: the VAE loss: the value of the issue, the KL term and its weight, binary cross-entropy in value and
gradient."""
import sys

import pytest
import torch
import torch.nn.functional as F

from lib.loss_vae import VAELoss, binary_cross_entropy, kl_divergence


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
    target, torch_target = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours = binary_cross_entropy(ours_in, target, reduction="sum")
    expected = F.binary_cross_entropy(torch_in, torch_target, reduction="sum")
    assert ours.item() == pytest.approx(expected.item(), rel=1e-6)
    ours.backward()
    expected.backward()
    assert torch.isfinite(ours_in.grad).all() and torch.equal(ours_in.grad, torch_in.grad)
    assert torch.equal(target.grad, torch_target.grad)  # infinite where a probability is exactly 0 or 1, as torch's
    nan_input = torch.full((1, 1, 2, 2), float("nan"))
    assert torch.isnan(binary_cross_entropy(nan_input, torch.zeros(1, 1, 2, 2), reduction="sum"))  # not raised


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
