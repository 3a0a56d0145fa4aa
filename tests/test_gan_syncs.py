"""Part 4: the project's GAN update never waits for the host, counted with a dispatch mode on the CPU, and the
course's update_discriminator and update_generator give the same step's values as floats."""
import copy
import sys

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import run_gan_training
from lib.train_gan import discriminator_step, gan_update, generator_step, set_up_run, update_discriminator, \
    update_generator
from tests.fakes import TINY_GAN
from tests.test_train_gan import tiny_gan

READ = torch.ops.aten._local_scalar_dense.default  # what .item(), float(), bool() and `if tensor` dispatch to


class CountingMode(TorchDispatchMode):
    """Counts the aten operators run (a stand-in for kernel launches) and the reads of a tensor's value by the host
    (a sync on a GPU), except reads of the tensors ``on_host``: Adam's step counters, which stay on the CPU when the
    weights are on a GPU (Adam's default, not capturable), so reading them waits for nothing."""

    def __init__(self, on_host=()):
        super().__init__()
        self.on_host, self.ops, self.reads = [id(t) for t in on_host], 0, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops += 1
        if func is READ and id(args[0]) not in self.on_host:
            self.reads += 1
        return func(*args, **(kwargs or {}))


def tiny_run(flowers):
    """The run of run_gan_training.py on the 8 fixture photos, tiny networks, batch 4 and its other defaults."""
    args = run_gan_training.build_parser().parse_args(["--data_dir", flowers] + TINY_GAN)
    args.channels_last = True  # what --channels_last auto picks on the CPU
    return set_up_run(args, "unused")


def counted_updates(run, updates):
    """``[(ops, reads)]`` of each of ``updates`` updates of the project's loop, after a first one that creates
    Adam's state; and the sums of the step's values over the counted updates."""
    label = torch.ones(run.args.batch_size)
    batches = iter(())

    def next_batch():
        nonlocal batches
        real = next(batches, None)
        if real is None:
            batches = iter(run.data.epoch(run.args.batch_size, run.data_generator))
            real = next(batches)
        return real.contiguous(memory_format=run.memory_format)

    gan_update(run, run.generator, run.discriminator, next_batch(), label)
    steps = [state["step"] for optimizer in (run.optimizerD, run.optimizerG) for state in optimizer.state.values()]
    counts, sums = [], torch.zeros(5)
    for _ in range(updates):
        real = next_batch()
        with CountingMode(on_host=steps) as mode:
            sums += gan_update(run, run.generator, run.discriminator, real, label[:len(real)])
        counts.append((mode.ops, mode.reads))
    return counts, sums


def test_the_projects_update_reads_nothing_back_to_the_host(flowers):
    counts, sums = counted_updates(tiny_run(flowers), 4)
    assert [reads for _, reads in counts] == [0, 0, 0, 0]
    ops = [ops for ops, _ in counts]
    assert len(set(ops)) == 1 and 100 < ops[0] < 2000, ops  # the same operators every update
    assert sums.shape == (5,) and torch.isfinite(sums).all() and (sums[2:] / 4 > 0).all() and (sums[2:] / 4 < 1).all()


def test_the_counter_sees_a_read_that_comes_back(flowers, monkeypatch):
    """The count of the test above is not blind: a .item() or a Python check of a loss in the step is counted."""
    import lib.train_gan

    def reading_step(*args, **kwargs):
        errG, D_G_z2 = generator_step(*args, **kwargs)
        D_G_z2.item()
        if not torch.isfinite(errG):
            raise AssertionError("not reached")
        return errG, D_G_z2

    monkeypatch.setattr(lib.train_gan, "generator_step", reading_step)
    counts, _ = counted_updates(tiny_run(flowers), 2)
    assert [reads for _, reads in counts] == [2, 2]


@pytest.mark.parametrize("bf16", [False, True])
def test_the_course_functions_return_the_steps_values_as_floats(bf16):
    generator, discriminator, optimizer_g, optimizer_d, real, noise, label = tiny_gan()
    models = (copy.deepcopy(generator), copy.deepcopy(discriminator))
    optimizers = (torch.optim.Adam(models[0].parameters(), lr=2e-4, betas=(0.5, 0.999)),
                  torch.optim.Adam(models[1].parameters(), lr=2e-4, betas=(0.5, 0.999)))
    optimizers[0].load_state_dict(optimizer_g.state_dict())
    optimizers[1].load_state_dict(optimizer_d.state_dict())
    course = update_discriminator(discriminator, generator, real, noise, label, optimizer_d, bf16)
    step = discriminator_step(models[1], models[0], real, noise, label, optimizers[1], bf16)
    course += update_generator(discriminator, generator, course[4], label, optimizer_g, bf16)
    step += generator_step(models[1], models[0], step[4], label, optimizers[0], bf16)
    for k in (1, 3, 6):  # D_x, D_G_z1, D_G_z2
        assert isinstance(course[k], float) and step[k].dim() == 0 and not step[k].requires_grad
        assert course[k] == step[k].item() and 0 < course[k] < 1
    for k in (0, 2, 5):  # errD_real, errD_fake, errG: the same tensors' values
        assert torch.equal(course[k], step[k])
    assert torch.equal(course[4], step[4])
    for a, b in zip(list(generator.parameters()) + list(discriminator.parameters()),
                    list(models[0].parameters()) + list(models[1].parameters())):
        assert torch.equal(a, b)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
