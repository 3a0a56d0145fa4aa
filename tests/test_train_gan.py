"""Part 4: update_discriminator and update_generator (the course's API) against the tutorial's losses, and the
training loop's fast steps against them."""
import copy
import functools
import sys

import pytest
import torch
from torch import nn

from lib.model_gan import Discriminator, Generator, weights_init
from lib.train_gan import discriminator_step, generator_step, update_discriminator, update_generator


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


def test_fast_steps_match_the_course_api_and_bf16_runs():
    results = []
    for _ in range(2):
        generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
        results.append((generator, discriminator, real, noise, label, optimizer_g, optimizer_d))
    g1, d1, real, noise, label, og1, od1 = results[0]
    g2, d2, _, _, _, og2, od2 = results[1]
    errD_real, D_x, errD_fake, D_G_z1, fake = update_discriminator(d1, g1, real, noise, label, od1)
    errG, D_G_z2 = update_generator(d1, g1, fake, label, og1)
    t_real, t_x, t_fake, t_z1, fake2 = discriminator_step(d2, g2, real, noise, label, od2)
    t_g, t_z2 = generator_step(d2, g2, fake2, label, og2)
    assert torch.equal(errD_real, t_real) and torch.equal(errD_fake, t_fake) and torch.equal(errG, t_g)
    assert (D_x, D_G_z1, D_G_z2) == (t_x.item(), t_z1.item(), t_z2.item())
    autocast = functools.partial(torch.autocast, "cpu", dtype=torch.bfloat16)
    b_real, b_x, b_fake, b_z1, b_fake_images = discriminator_step(d2, g2, real, noise, label, od2, autocast)
    b_g, b_z2 = generator_step(d2, g2, b_fake_images, label, og2, autocast)
    assert b_real.dtype == b_g.dtype == torch.float32 and all(torch.isfinite(t) for t in (b_real, b_fake, b_g))
    assert all(p.dtype == torch.float32 for p in list(g2.parameters()) + list(d2.parameters()))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
