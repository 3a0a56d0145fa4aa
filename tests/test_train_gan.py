"""Part 4: update_discriminator and update_generator (the course's API) against the tutorial's losses, and in
bfloat16."""
import copy
import sys

import pytest
import torch
from torch import nn

from lib.model_gan import Discriminator, Generator, weights_init
from lib.train_gan import update_discriminator, update_generator


def tiny_gan(seed=0):
    torch.manual_seed(seed)
    generator, discriminator = Generator(4, 3, 16), Discriminator(4)
    generator.apply(weights_init)
    discriminator.apply(weights_init)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(6, 3, 32, 32) * 2 - 1
    noise = torch.randn(6, 16, 1, 1)
    return generator, discriminator, optimizer_g, optimizer_d, real, noise, torch.ones(6)


def snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def changed(model, before):
    return [not torch.equal(p, q) for p, q in zip(model.parameters(), before)]


def test_update_discriminator_follows_the_tutorial():
    generator, discriminator, _, optimizer_d, real, noise, label = tiny_gan()
    g_before, d_before = snapshot(generator), snapshot(discriminator)
    d_copy = copy.deepcopy(discriminator)  # D before its step: the losses are computed with these weights
    errD_real, D_x, errD_fake, D_G_z1, fake = update_discriminator(discriminator, generator, real, noise, label,
                                                                   optimizer_d)
    assert all(changed(discriminator, d_before)) and not any(changed(generator, g_before))
    assert all(p.grad is None for p in generator.parameters()), "the fake batch is detached for D's step"
    assert isinstance(D_x, float) and isinstance(D_G_z1, float) and 0 <= D_x <= 1 and 0 <= D_G_z1 <= 1
    for err in (errD_real, errD_fake):
        assert isinstance(err, torch.Tensor) and err.dim() == 0 and err.item() >= 0
    assert fake.shape == (6, 3, 32, 32) and fake.requires_grad
    with torch.no_grad():
        assert torch.equal(fake, generator(noise)), "fake_images is generator(noise) (same BN mode, same weights)"
        out_real, out_fake = d_copy(real).view(-1), d_copy(fake).view(-1)
    assert torch.allclose(errD_real, nn.BCELoss()(out_real, label))
    assert torch.allclose(errD_fake, nn.BCELoss()(out_fake, torch.zeros(6)))
    assert D_x == pytest.approx(out_real.mean().item(), abs=1e-6)
    assert D_G_z1 == pytest.approx(out_fake.mean().item(), abs=1e-6)


def test_update_generator_changes_only_the_generator():
    generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
    _, _, _, _, fake = update_discriminator(discriminator, generator, real, noise, label, optimizer_d)
    g_before, d_before = snapshot(generator), snapshot(discriminator)
    d_after = copy.deepcopy(discriminator)
    errG, D_G_z2 = update_generator(discriminator, generator, fake, label, optimizer_g)
    assert all(changed(generator, g_before)) and not any(changed(discriminator, d_before))
    assert isinstance(errG, torch.Tensor) and errG.dim() == 0 and errG.item() >= 0
    assert isinstance(D_G_z2, float) and 0 <= D_G_z2 <= 1
    with torch.no_grad():
        output = d_after(fake).view(-1)
    assert torch.allclose(errG, nn.BCELoss()(output, label)) and D_G_z2 == pytest.approx(output.mean().item())


def test_bf16_steps_keep_losses_and_weights_in_float32():
    generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
    errD_real, D_x, errD_fake, D_G_z1, fake = update_discriminator(discriminator, generator, real, noise, label,
                                                                   optimizer_d, bf16=True)
    assert fake.dtype == torch.bfloat16  # G ran in bfloat16
    errG, D_G_z2 = update_generator(discriminator, generator, fake, label, optimizer_g, bf16=True)
    assert errD_real.dtype == errD_fake.dtype == errG.dtype == torch.float32
    assert all(torch.isfinite(err) for err in (errD_real, errD_fake, errG)) and 0 < D_x < 1 and 0 < D_G_z2 < 1
    assert all(p.dtype == torch.float32 for p in list(generator.parameters()) + list(discriminator.parameters()))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
