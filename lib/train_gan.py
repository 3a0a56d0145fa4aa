"""Part 4: the DCGAN training step (the course's API) and the training loop that runs it over the flowers.

One update is :func:`update_discriminator` followed by :func:`update_generator`, in the tutorial's order. The
loop (:func:`train_gan`) runs them over the flowers set and writes a run folder (:mod:`lib.gan_run_folder`), with
the checkpoint, stop and NaN machinery both trainers share (:mod:`lib.training_run`). It keeps host
synchronisation out of the hot path: per-epoch sums stay tensors and are read once per epoch. The same loop
without any of that, as the DCGAN tutorial writes it, is :func:`lib.benchmark.loops.gan_tutorial`. Both steps'
loss, ``nn.BCELoss`` letting a NaN through for the loop to report, is at the end (:func:`_bce`).
"""
import contextlib
import dataclasses
import functools
import math
import os
import time
import typing

import torch
from torch import nn

from lib.ema import EMA_DECAY, ModelEMA
from lib.flowers import FlowersInMemory, flowers_image_folder, per_image_loader
from lib.gan_run_folder import is_sample_iteration, save_samples, save_state, write_epoch_outputs, \
    write_final_outputs, write_run_start
from lib.model_gan import Discriminator, Generator, weights_init
from lib.training_run import CHECKPOINT_NAME, LastCheckpoint, NonFiniteLoss, StopRequest, check_finite, \
    non_finite_loss_error, restore_random_state, stopped_at_once_error
from lib.utils.checkpoints import load_optimizer_state
from lib.utils.devices import has_fast_bfloat16, keep_freed_memory, pick_device, seed_everything
from lib.utils.errors import UserError

NUM_FIXED_NOISE = 1024  # fixed latent vectors saved with a run; grids draw the first gan_run_folder.SAMPLE_GRID
HISTORY_KEYS = ("iteration", "epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")
IMAGE_SIZE = 32  # the networks are built for 32x32 images


# ----------------------------------------------------------------------------------------------------------------
# One update. The *_step functions keep D's mean outputs as tensors (no host sync, for the loop); the course's
# update_* functions wrap them and return those means as Python floats.

def _maybe_autocast(autocast):
    """The context a step's forward passes run in: ``autocast()`` (bfloat16 with --bf16), or nothing for None."""
    return autocast() if autocast is not None else contextlib.nullcontext()


def _d_probabilities(discriminator, images, autocast):
    """D's probability that each of ``images`` ``(B, C, 32, 32)`` is real: ``(B,)`` float32, the forward pass under
    ``autocast`` if given."""
    with _maybe_autocast(autocast):
        output = discriminator(images)  # (B, 1, 1, 1)
    return output.view(-1).float()  # BCE in float32: outside autocast, where CUDA would refuse it


@contextlib.contextmanager
def _without_weight_grads(model, active=True):
    """Within the block (if ``active``), ``model``'s forward passes record no gradients for its weights; gradients
    still flow through it to its inputs."""
    if active:
        model.requires_grad_(False)
    try:
        yield
    finally:
        if active:
            model.requires_grad_(True)


def discriminator_step(discriminator, generator, real_images, noise, label, optimizerD, autocast=None):
    """:func:`update_discriminator`, with ``D_x`` and ``D_G_z1`` as 0-d tensors (no host synchronisation)."""
    discriminator.zero_grad()
    output = _d_probabilities(discriminator, real_images, autocast)  # (B,)
    errD_real = _bce(output, label)
    errD_real.backward()
    D_x = output.detach().mean()  # D's mean belief that the real images are real: 1 for a perfect D
    with _maybe_autocast(autocast):
        fake_images = generator(noise)  # (B, C, 32, 32)
    output = _d_probabilities(discriminator, fake_images.detach(), autocast)  # detached: this step must not reach G
    errD_fake = _bce(output, 1 - label)
    errD_fake.backward()
    D_G_z1 = output.detach().mean()  # D's mean belief that the fakes are real, before D's update: 0 for a perfect D
    optimizerD.step()
    return errD_real, D_x, errD_fake, D_G_z1, fake_images


def generator_step(discriminator, generator, fake_images, label, optimizerG, autocast=None,
                   discriminator_grads=True):
    """:func:`update_generator`, with ``D_G_z2`` as a 0-d tensor (no host synchronisation).

    ``discriminator_grads=False`` skips the gradients of D's weights, which this step only accumulates for
    the next :func:`discriminator_step` to zero: the weights evolve bit for bit the same, 5 % faster on a CPU.
    """
    generator.zero_grad()
    with _without_weight_grads(discriminator, not discriminator_grads):
        output = _d_probabilities(discriminator, fake_images, autocast)  # D just updated; grads reach G
    errG = _bce(output, label)  # real labels: G maximises log D(G(z))
    errG.backward()
    D_G_z2 = output.detach().mean()  # the same belief after D's update: what G has to raise
    optimizerG.step()
    return errG, D_G_z2


def update_discriminator(discriminator, generator, real_images, noise, label, optimizerD):
    """One discriminator update on a real batch and a fresh fake batch (computed by :func:`discriminator_step`).

    Args:
        real_images: ``(B, C, 32, 32)`` in [-1, 1].
        noise: latent vectors ``(B, nz, 1, 1)`` for the fake batch.
        label: all ones, shape ``(B,)``; the fake batch is scored against ``1 - label``.
    Returns:
        ``(errD_real, D_x, errD_fake, D_G_z1, fake_images)``: the two BCE losses as 0-d tensors, the mean of D's
        outputs on the real and on the fake batch as floats, and ``fake_images = generator(noise)``
        ``(B, C, 32, 32)`` (not detached, for :func:`update_generator`).
    """
    errD_real, D_x, errD_fake, D_G_z1, fake_images = discriminator_step(
        discriminator, generator, real_images, noise, label, optimizerD)
    return errD_real, D_x.item(), errD_fake, D_G_z1.item(), fake_images


def update_generator(discriminator, generator, fake_images, label, optimizerG):
    """One generator update: make D call ``fake_images`` real (computed by :func:`generator_step`).

    Returns ``(errG, D_G_z2)``: the BCE loss of D's outputs on ``fake_images`` against ``label`` (all ones)
    as a 0-d tensor, and the mean of those outputs (after D's update) as a float.
    """
    errG, D_G_z2 = generator_step(discriminator, generator, fake_images, label, optimizerG)
    return errG, D_G_z2.item()


# ----------------------------------------------------------------------------------------------------------------
# Building blocks of a run

def build_models(nz=64, ngf=32, ndf=32, device="cpu", channels_last=False):
    """Generator and Discriminator with ``weights_init`` applied (in the tutorial's order), on ``device``."""
    generator = Generator(ngf, 3, nz)
    generator.apply(weights_init)
    discriminator = Discriminator(ndf, 3)
    discriminator.apply(weights_init)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return generator.to(device, memory_format=memory_format), discriminator.to(device, memory_format=memory_format)


def build_optimizers(generator, discriminator, lr=2e-4, beta1=0.5, beta2=0.999, fused=False):
    """Adam for each network; ``fused`` uses the single-kernel implementation (same update rule)."""
    kwargs = {"lr": lr, "betas": (beta1, beta2)}
    if fused:
        kwargs["fused"] = True
    return torch.optim.Adam(generator.parameters(), **kwargs), torch.optim.Adam(discriminator.parameters(), **kwargs)


def check_settings(args, device):
    """Refuse, with a :class:`UserError`, settings these networks or this ``device`` cannot train with, and a
    flowers folder without images."""
    if args.image_size != IMAGE_SIZE:
        raise UserError("the networks are built for {0}x{0} images, so --image_size must be {0}".format(IMAGE_SIZE))
    if args.bf16 and not has_fast_bfloat16(device):
        if device.type == "cuda":
            raise UserError("--bf16 was asked for but the GPU {} ({}, compute capability {}.{}) has no bfloat16 "
                            "arithmetic (it needs compute capability 8.0 or newer: A100, RTX 30xx, H100, ...); "
                            "leave --bf16 out".format(device, torch.cuda.get_device_name(device),
                                                      *torch.cuda.get_device_capability(device)))
        raise UserError("--bf16 was asked for but this CPU has no bfloat16 arithmetic in hardware (it needs "
                        "AVX-512), where bfloat16 runs about 17 times slower than float32; leave --bf16 out")
    flowers_image_folder(args.data_dir, warn=False)


def compile_models(generator, discriminator, batch_size, nz, autocast=None):
    """``torch.compile`` both networks and run one forward and backward pass through them on a batch of the
    training's shape, so a machine where compiling fails (no Triton on Windows or on older GPUs) is told in one
    sentence before anything is written; the pass also does the compiling the first update would do. The
    networks' weights, batch-norm statistics and gradients, and torch's random streams, are left as they were."""
    if not hasattr(torch, "compile"):
        raise UserError("--compile needs PyTorch 2.0 or newer (this is {}); leave --compile out".format(
            torch.__version__))
    device = next(generator.parameters()).device
    buffers = [buffer.clone() for model in (generator, discriminator) for buffer in model.buffers()]
    noise_source = torch.Generator().manual_seed(0)  # the trial must not move torch's global random stream
    noise = torch.randn(batch_size, nz, 1, 1, generator=noise_source).to(device)
    try:
        run_g, run_d = torch.compile(generator), torch.compile(discriminator)
        with _maybe_autocast(autocast):
            output = run_d(run_g(noise))  # (B, 1, 1, 1)
        output.float().sum().backward()
    except Exception as err:  # dynamo and inductor fail in many exception types
        lines = [line for line in str(err).splitlines() if line.strip()]
        raise UserError("--compile does not work on this machine ({}: {}); leave --compile out".format(
            type(err).__name__, lines[0][:200] if lines else "no message"))
    finally:
        with torch.no_grad():
            for buffer, value in zip((b for model in (generator, discriminator) for b in model.buffers()), buffers):
                buffer.copy_(value)
        generator.zero_grad(set_to_none=True)
        discriminator.zero_grad(set_to_none=True)
    return run_g, run_d


# ----------------------------------------------------------------------------------------------------------------
# The loop: train_gan reads as its table of contents; the steps below it follow in the order they run.

@dataclasses.dataclass
class GanRun:
    """What one call of :func:`train_gan` works with, built by :func:`set_up_run`, advanced by the epochs."""
    args: typing.Any  # the argparse namespace of run_gan_training.py
    run_dir: typing.Optional[str]  # None: train without writing anything
    device: torch.device
    generator: Generator
    discriminator: Discriminator
    run_g: torch.nn.Module  # the modules the loop calls: compiled with --compile, else the two above
    run_d: torch.nn.Module
    optimizer_g: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer
    fixed_noise: torch.Tensor  # (NUM_FIXED_NOISE, nz, 1, 1)
    autocast: typing.Optional[typing.Callable]  # a bfloat16 autocast context with --bf16, else None
    memory_format: torch.memory_format
    data_generator: torch.Generator  # CPU generator of the data order and augmentation
    epoch_batches: typing.Callable  # () -> iterable of real batches (B, 3, 32, 32) for one epoch
    data: typing.Optional[FlowersInMemory]  # None with --per_image_loader
    iterations_per_epoch: int
    last_checkpoint: LastCheckpoint  # the newest checkpoint.pth (none when run_dir is None), named when a run fails
    ema: typing.Optional[ModelEMA] = None
    history: dict = dataclasses.field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    iteration: int = 0
    start_epoch: int = 0
    labels: dict = dataclasses.field(default_factory=dict)  # all-ones label (B,) per batch size B, made once


def train_gan(args, run_dir=None, checkpoint=None, log=print):
    """Train the DCGAN on the flowers set as configured by ``args`` (the fields of run_gan_training.py).

    ``run_dir`` None trains without writing anything (for benchmarks). Otherwise it receives
    ``training_images.png``, ``fixed_noise.pt``, ``samples/iter_{iteration:06d}.png``, ``samples_final.png``,
    ``losses.png``, ``history.json``, ``generator.pth``, ``discriminator.pth``, ``generator_ema.pth`` and
    ``checkpoint.pth`` (written at the start, every ``args.checkpoint_every`` epochs, after a Ctrl-C and at the
    end), and ``progress.gif`` and ``samples_final_ema.png`` (:mod:`lib.ema`, :mod:`lib.animation`), all written by
    :mod:`lib.gan_run_folder`.
    ``checkpoint`` is a loaded ``checkpoint.pth`` to continue from.

    Returns a dict: ``status`` ("finished" or "interrupted"), ``history``, ``epoch_seconds`` (wall time of each
    epoch trained in this call), ``generator``, ``discriminator``, ``iteration``, ``epoch``, ``signal`` (the
    number of the signal that interrupted the run: SIGINT for Ctrl-C, SIGTERM; else None).
    """
    run = set_up_run(args, run_dir, checkpoint, log)
    if checkpoint is None:
        write_run_start(run)

    from tqdm import tqdm
    bar = tqdm(total=args.epochs * run.iterations_per_epoch, initial=run.iteration, disable=args.quiet, unit="it",
               dynamic_ncols=True)
    epoch_seconds = []
    status = "finished"
    try:
        with StopRequest("finishing this epoch, then writing a checkpoint",
                         bar.write if not args.quiet else log) as stop:
            for epoch in range(run.start_epoch, args.epochs):
                started = time.perf_counter()
                means, batches = train_one_epoch(run)
                for key, value in zip(HISTORY_KEYS, [run.iteration, epoch + 1] + means):
                    run.history[key].append(value)
                epoch_seconds.append(time.perf_counter() - started)
                bar.set_postfix_str("epoch {}/{} loss_D {:.3f} loss_G {:.3f} D(x) {:.3f} D(G(z)) {:.3f}/{:.3f}"
                                    .format(epoch + 1, args.epochs, *means), refresh=False)
                bar.update(batches)
                if stop.requested and epoch + 1 < args.epochs:
                    save_state(run, epoch + 1)
                    status = "interrupted"
                    break
                write_epoch_outputs(run, epoch + 1)
    except NonFiniteLoss:
        raise non_finite_loss_error(run.last_checkpoint, len(run.history["epoch"]) + 1,
                                    "start again with a smaller --lr or another --seed") from None
    except KeyboardInterrupt:  # a second signal
        raise stopped_at_once_error("run_gan_training.py", run_dir, run.last_checkpoint,
                                    len(run.history["epoch"]) + 1) from None
    finally:
        bar.close()

    write_final_outputs(run, finished=status == "finished")
    return {"status": status, "history": run.history, "epoch_seconds": epoch_seconds, "generator": run.generator,
            "discriminator": run.discriminator, "iteration": run.iteration, "epoch": len(run.history["epoch"]),
            "signal": stop.requested if status == "interrupted" else None}


def set_up_run(args, run_dir, checkpoint, log=print):
    """Models, optimizers, fixed noise, data and EMA of a run, seeded by ``args.seed``; continued from
    ``checkpoint`` when one is given. The order of the random draws is the run's: changing it changes the run."""
    device = pick_device(args.device)
    check_settings(args, device)
    keep_freed_memory()
    seed_everything(args.seed)
    channels_last = getattr(args, "channels_last", False)
    generator, discriminator = build_models(args.nz, args.ngf, args.ndf, device, channels_last)
    optimizer_g, optimizer_d = build_optimizers(generator, discriminator, args.lr, args.beta1, args.beta2,
                                                fused=device.type == "cuda")
    fixed_noise = torch.randn(NUM_FIXED_NOISE, args.nz, 1, 1, device=device)  # (1024, nz, 1, 1)
    autocast = functools.partial(torch.autocast, device.type, dtype=torch.bfloat16) if args.bf16 else None
    run_g, run_d = generator, discriminator
    if getattr(args, "compile", False):  # opt-in: compiling takes minutes and pays off on GPUs, if at all
        run_g, run_d = compile_models(generator, discriminator, args.batch_size, args.nz, autocast)

    # Data: one uint8 tensor on the device, or the tutorial's per-image DataLoader. Either draws its randomness
    # from a CPU generator, so a checkpoint's data state resumes on any device.
    data_generator = torch.Generator()
    data_generator.manual_seed(args.seed)
    if args.per_image_loader:
        loader = per_image_loader(args.data_dir, IMAGE_SIZE, args.batch_size, args.num_workers, data_generator,
                                  pin_memory=device.type == "cuda")
        data, num_images = None, len(loader.dataset)

        def epoch_batches():
            return (images for images, _ in loader)
    else:
        data = FlowersInMemory(args.data_dir, IMAGE_SIZE, device)
        num_images = len(data)

        def epoch_batches():
            return data.epoch(args.batch_size, data_generator)

    run = GanRun(args, run_dir, device, generator, discriminator, run_g, run_d, optimizer_g, optimizer_d,
                 fixed_noise, autocast, torch.channels_last if channels_last else torch.contiguous_format,
                 data_generator, epoch_batches, data, math.ceil(num_images / args.batch_size),
                 LastCheckpoint.of_run(os.path.join(run_dir, CHECKPOINT_NAME) if run_dir is not None else None,
                                       checkpoint))
    if checkpoint is not None:
        resume_run(run, checkpoint, log)
    run.ema = ModelEMA(generator, getattr(args, "ema_decay", EMA_DECAY))  # not part of training: it only watches G
    if checkpoint is not None and "ema" in checkpoint:  # (a checkpoint from before the EMA starts it afresh)
        run.ema.load_state_dict(checkpoint["ema"])
    return run


def resume_run(run, checkpoint, log=print):
    """Put the weights, optimizer moments, fixed noise, history, counters and random states of ``checkpoint``
    into ``run``, so the run goes on as if it had never stopped."""
    run.generator.load_state_dict(checkpoint["generator"])
    run.discriminator.load_state_dict(checkpoint["discriminator"])
    load_optimizer_state(run.optimizer_g, checkpoint["optimizer_g"])
    load_optimizer_state(run.optimizer_d, checkpoint["optimizer_d"])
    run.fixed_noise = checkpoint["fixed_noise"].to(run.device)
    run.history = {key: list(checkpoint["history"][key]) for key in HISTORY_KEYS}
    run.iteration, run.start_epoch = checkpoint["iteration"], checkpoint["epoch"]
    # a data order drawn on a GPU by older versions cannot be resumed on the CPU generator: seed it by the epoch
    restore_random_state(checkpoint["rng"], run.device, run.data_generator, run.args.seed + run.start_epoch, log)


def train_one_epoch(run):
    """One pass over the flowers: a discriminator and a generator update per batch, the EMA after each.

    Returns ``(means, batches)``: the epoch means of loss_d, loss_g, D(x), D(G(z)) before and after D's step
    as floats, read from the device once (the one host synchronisation per epoch), and the number of batches.
    Raises :class:`NonFiniteLoss` when a mean is NaN or infinite.
    """
    sums = torch.zeros(5, device=run.device)  # loss_d, loss_g, D(x), D(G(z)) before/after D's step
    batches = 0
    for real in run.epoch_batches():
        real = real.to(run.device, memory_format=run.memory_format, non_blocking=True)  # (B, 3, 32, 32)
        size = real.shape[0]
        if size not in run.labels:
            run.labels[size] = torch.ones(size, device=run.device)
        noise = torch.randn(size, run.args.nz, 1, 1, device=run.device)  # (B, nz, 1, 1)
        errD_real, D_x, errD_fake, D_G_z1, fake = discriminator_step(  # a NaN stays in the sums
            run.run_d, run.run_g, real, noise, run.labels[size], run.optimizer_d, run.autocast)
        errG, D_G_z2 = generator_step(run.run_d, run.run_g, fake, run.labels[size], run.optimizer_g, run.autocast,
                                      discriminator_grads=False)
        sums += torch.stack([errD_real.detach() + errD_fake.detach(), errG.detach(), D_x, D_G_z1, D_G_z2])
        run.ema.update(run.generator)  # after G's step; the average never feeds back into training
        run.iteration += 1
        batches += 1
        if is_sample_iteration(run.iteration):
            save_samples(run, os.path.join("samples", "iter_{:06d}.png".format(run.iteration)))
    means = (sums / batches).tolist()  # the one host synchronisation per epoch
    check_finite(means)
    return means, batches


# ----------------------------------------------------------------------------------------------------------------
# The loss of both steps: nn.BCELoss, letting a NaN through

class _BinaryCrossEntropy(torch.autograd.Function):
    """``nn.BCELoss()`` (mean over the batch) without its range check: the value is ``nn.BCELoss``'s own, computed
    on the input with any NaN replaced, plus a term that is exactly 0 for finite inputs and NaN otherwise; the
    gradient is its formula. So values and gradients are bit for bit those of ``nn.BCELoss`` for inputs in [0, 1]
    (tested), and a NaN input gives a NaN loss, which the loop reports, where ``nn.BCELoss`` on a GPU would fail a
    device-side assert that leaves the CUDA context unusable."""

    @staticmethod
    def forward(ctx, probabilities, target):
        ctx.save_for_backward(probabilities, target)
        in_range = torch.nan_to_num(probabilities, nan=0.5)  # (B,) what the range check lets through
        # BCE's own kernel: the same logarithms as nn.BCELoss to the last bit (torch.log's vectorised
        # version can differ from it by one ulp)
        loss = nn.functional.binary_cross_entropy(in_range, target)
        return loss + (probabilities - probabilities).sum()  # + 0 exactly, or NaN where an input was NaN

    @staticmethod
    def backward(ctx, grad_output):
        probabilities, target = ctx.saved_tensors
        grad = grad_output * (probabilities - target) / torch.clamp((1 - probabilities) * probabilities, min=1e-12)
        return grad / probabilities.numel(), None


def _bce(probabilities, target):
    """Binary cross-entropy of ``probabilities`` ``(B,)`` against ``target`` ``(B,)``, averaged: a 0-d tensor."""
    return _BinaryCrossEntropy.apply(probabilities, target)
