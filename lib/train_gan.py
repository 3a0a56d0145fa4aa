"""Part 4: the DCGAN's training step (the course's update_discriminator and update_generator) and the loop that
runs it over the flowers, writing a run folder: sample grids, losses, weights and a checkpoint to continue from."""
import copy
import glob
import json
import os
import types

import torch
from tqdm import tqdm

from lib.flowers import FlowersInMemory
from lib.loss_vae import binary_cross_entropy
from lib.model_gan import Discriminator, Generator, weights_init
from lib.sample_gan import samples_in_train_mode
from lib.utils.checkpoints import CHECKPOINT_NAME, load_optimizer_state, random_state, restore_random_state
from lib.utils.devices import has_fast_bfloat16, keep_freed_memory, seed_everything
from lib.utils.errors import UserError
from lib.utils.files import atomic_path, save_curves, save_image_grid, save_text, save_torch
from lib.utils.runs import StopRequest, check_finite

IMAGE_SIZE = 32  # the networks are built for 32x32 images
NUM_FIXED_NOISE = 1024  # latent vectors kept for the whole run; the grids show the first 64
HISTORY_KEYS = ("iteration", "epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")


# Sheet task 4: one step of each network, as the DCGAN tutorial writes it. ``bf16`` runs the forward passes in
# bfloat16 (autocast); the losses and the weights stay float32. The steps return tensors only, so that a GPU never
# waits for the host; the course's functions read D's means as floats from them.

def discriminator_step(discriminator, generator, real_images, noise, label, optimizerD, bf16=False):
    """One Adam step of D on a real batch and a fresh fake batch, maximising log D(x) + log(1 - D(G(z))).

    ``real_images`` ``(B, C, 32, 32)`` in [-1, 1]; ``noise`` ``(B, nz, 1, 1)``; ``label`` all ones ``(B,)``.
    Returns ``(errD_real, D_x, errD_fake, D_G_z1, fake_images)``: the losses on the real and on the fake batch and
    D's mean output on each (0-d tensors, the means detached), and ``fake_images`` = G(noise), not detached, for
    :func:`generator_step`.
    """
    device = real_images.device.type
    discriminator.zero_grad()
    with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        output = discriminator(real_images).view(-1)  # (B,) D's probability that each image is real
    errD_real = binary_cross_entropy(output, label)   # -log D(x)
    errD_real.backward()
    D_x = output.detach().mean()
    with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        fake_images = generator(noise)                           # (B, C, 32, 32)
        output = discriminator(fake_images.detach()).view(-1)  # detached: this step must not reach G
    errD_fake = binary_cross_entropy(output, 1 - label)         # -log(1 - D(G(z)))
    errD_fake.backward()
    D_G_z1 = output.detach().mean()
    optimizerD.step()
    return errD_real, D_x, errD_fake, D_G_z1, fake_images


def generator_step(discriminator, generator, fake_images, label, optimizerG, bf16=False):
    """One Adam step of G, maximising log D(G(z)) on the fakes of :func:`discriminator_step`.

    Returns ``(errG, D_G_z2)``: the loss and D's mean output on the fakes after D's step (0-d tensors, the mean
    detached).
    """
    generator.zero_grad()
    with torch.autocast(fake_images.device.type, dtype=torch.bfloat16, enabled=bf16):
        output = discriminator(fake_images).view(-1)  # (B,) the updated D on the same fakes
    errG = binary_cross_entropy(output, label)       # fakes labelled real: -log D(G(z))
    errG.backward()
    D_G_z2 = output.detach().mean()
    optimizerG.step()
    return errG, D_G_z2


def update_discriminator(discriminator, generator, real_images, noise, label, optimizerD, bf16=False):
    """Sheet task 4: :func:`discriminator_step`, with D's means ``D_x`` and ``D_G_z1`` as floats.

    Returns ``(errD_real, D_x, errD_fake, D_G_z1, fake_images)``: the losses (0-d tensors), D's mean output on the
    real and on the fake batch (floats), and ``fake_images`` = G(noise), not detached, for :func:`update_generator`.
    """
    errD_real, D_x, errD_fake, D_G_z1, fake_images = discriminator_step(
        discriminator, generator, real_images, noise, label, optimizerD, bf16)
    return errD_real, D_x.item(), errD_fake, D_G_z1.item(), fake_images


def update_generator(discriminator, generator, fake_images, label, optimizerG, bf16=False):
    """Sheet task 4: :func:`generator_step`, with D's mean output on the fakes after D's step as a float.

    Returns ``(errG, D_G_z2)``: the loss as a 0-d tensor and ``D_G_z2`` a float.
    """
    errG, D_G_z2 = generator_step(discriminator, generator, fake_images, label, optimizerG, bf16)
    return errG, D_G_z2.item()


def gan_update(run, run_g, run_d, real, label):
    """One update of the project's loop: D's step, G's step and G's moving average, on the batch ``real`` ``(B, 3,
    32, 32)`` with ``label`` all ones ``(B,)`` and a fresh noise. Returns the float32 tensor ``(5,)`` on the run's
    device of loss_D, loss_G, D(x) and D(G(z)) before and after D's step; it reads nothing back to the host."""
    noise = torch.randn(len(real), run.args.nz, 1, 1, device=run.device)  # (B, nz, 1, 1)
    errD_real, D_x, errD_fake, D_G_z1, fake = discriminator_step(
        run_d, run_g, real, noise, label, run.optimizerD, run.args.bf16)
    errG, D_G_z2 = generator_step(run_d, run_g, fake, label, run.optimizerG, run.args.bf16)
    run.ema.update(run.generator)
    return torch.stack([(errD_real + errD_fake).detach(), errG.detach(), D_x.float(), D_G_z1.float(),
                        D_G_z2.float()])


class ModelEMA:
    """An exponential moving average of a model's weights and batch-norm statistics, kept beside training. Debiased:
    after t updates it is sum_k decay^(t-k) w_k / sum_k decay^(t-k) over the weights w_k after update k, so the
    initial weights get no share. Averaging G over the last few hundred updates removes much of the oscillation of
    GAN training from its samples (Yazici et al. 2019)."""

    def __init__(self, model, decay):
        self.decay, self.updates = decay, 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        share = (1 - self.decay) / (1 - self.decay ** self.updates)  # 1 at the first update
        for mean, value in zip(self.model.state_dict().values(), model.state_dict().values()):
            if mean.dtype.is_floating_point:
                mean.lerp_(value, share)
            else:
                mean.copy_(value)  # num_batches_tracked


def train_gan(args, run_dir, checkpoint=None):
    """Train the DCGAN on the flowers with the settings ``args`` (those of run_gan_training.py, ``args.device``
    a device name) into ``run_dir``, or continue the run of ``checkpoint`` (a loaded ``checkpoint.pth``) there;
    returns the run. The folder receives ``training_images.png``, ``fixed_noise.pt``, ``samples/iter_NNNNNN.png``
    (every 10 updates up to 100, then every 100), ``checkpoint.pth``, ``generator.pth``, ``generator_ema.pth``,
    ``discriminator.pth``, ``history.json`` and ``losses.png`` (every ``args.checkpoint_every`` epochs and at the
    end), and at the end ``samples_final.png``, ``samples_final_ema.png`` and ``progress.gif`` before the last
    checkpoint. Ctrl-C or SIGTERM ends the epoch, writes the checkpoint and raises ``Interrupted``."""
    keep_freed_memory()  # each step reuses the last one's freed pages instead of faulting in new ones
    run = set_up_run(args, run_dir, checkpoint)
    run_g, run_d = compile_models(run) if args.compile else (run.generator, run.discriminator)
    if checkpoint is None:
        start_run_folder(run)
    label = torch.ones(args.batch_size, device=run.device)  # (B,) the target "real"
    updates = args.epochs * -(-len(run.data) // args.batch_size)
    with tqdm(total=updates, initial=run.iteration, unit="update", disable=args.quiet) as bar, \
            StopRequest(run_dir, "run_gan_training.py", bar.write) as stop:
        for run.epoch in stop.epochs(run.epoch + 1, args.epochs, save=lambda: save_state(run)):
            # loss_D, loss_G, D(x), D(G(z)) before and after D's step, summed on the device: read once an epoch
            sums, batches = torch.zeros(5, device=run.device), 0
            for real in run.data.epoch(args.batch_size, run.data_generator):
                real = real.contiguous(memory_format=run.memory_format)  # (B, 3, 32, 32)
                sums += gan_update(run, run_g, run_d, real, label[:len(real)])
                run.iteration += 1
                batches += 1
                # the grids read G's images back to the host: a sync every 10 updates, then every 100
                if run.iteration % (10 if run.iteration <= 100 else 100) == 0:
                    save_samples(run, os.path.join("samples", "iter_{:06d}.png".format(run.iteration)))
                bar.update()
            end_epoch(run, (sums / batches).tolist())
            bar.set_postfix_str("epoch {}/{}: loss_D {:.3f}, loss_G {:.3f}, D(x) {:.3f}, D(G(z)) {:.3f} / "
                                "{:.3f}".format(run.epoch, args.epochs, *[run.history[key][-1]
                                                                          for key in HISTORY_KEYS[2:]]))
        finish_run(run)
    return run


def set_up_run(args, run_dir, checkpoint=None):
    """Everything a run holds, seeded by ``args.seed`` on ``args.device`` and continued from ``checkpoint`` if given:
    the networks (with ``weights_init``), their Adam optimizers, G's moving average, the fixed noise ``(1024, nz, 1,
    1)``, the flowers and a CPU generator for their order and augmentation (on every device), the history."""
    device = torch.device(args.device)
    if args.bf16 and not has_fast_bfloat16(device):
        raise UserError("{} has no bfloat16 arithmetic (it needs a GPU of compute capability 8.0 or newer, or a "
                        "CPU with AVX-512 BF16), where bfloat16 is many times slower; {}".format(
                            "the GPU {} (compute capability {}.{})".format(device, *torch.cuda.get_device_capability(
                                device)) if device.type == "cuda" else "this CPU",
                            "this run was started with --bf16: continue it on such hardware, or start a new run "
                            "without --bf16" if checkpoint else "leave --bf16 out"))
    seed_everything(args.seed)
    generator = Generator(args.ngf, 3, args.nz)
    generator.apply(weights_init)
    discriminator = Discriminator(args.ndf, 3)
    discriminator.apply(weights_init)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    generator.to(device, memory_format=memory_format)
    discriminator.to(device, memory_format=memory_format)
    adam = dict(lr=args.lr, betas=(args.beta1, args.beta2))
    run = types.SimpleNamespace(
        args=args, run_dir=run_dir, device=device, memory_format=memory_format, generator=generator,
        discriminator=discriminator, optimizerG=torch.optim.Adam(generator.parameters(), **adam),
        ema=ModelEMA(generator, args.ema_decay), optimizerD=torch.optim.Adam(discriminator.parameters(), **adam),
        iteration=0, epoch=0,
        fixed_noise=torch.randn(NUM_FIXED_NOISE, args.nz, 1, 1, device=device), data=FlowersInMemory(
            args.data_dir, IMAGE_SIZE, device), data_generator=torch.Generator().manual_seed(args.seed),
        history={key: [] for key in HISTORY_KEYS})
    if checkpoint is None:
        return run
    generator.load_state_dict(checkpoint["generator"])
    discriminator.load_state_dict(checkpoint["discriminator"])
    load_optimizer_state(run.optimizerG, checkpoint["optimizer_g"])
    load_optimizer_state(run.optimizerD, checkpoint["optimizer_d"])
    run.ema.model.load_state_dict(checkpoint["ema"]["model"])
    run.ema.updates = checkpoint["ema"]["updates"]
    run.fixed_noise = checkpoint["fixed_noise"].to(device)
    run.history, run.iteration, run.epoch = checkpoint["history"], checkpoint["iteration"], checkpoint["epoch"]
    restore_random_state(checkpoint["rng"], run.data_generator, device)
    return run


def start_run_folder(run):
    """A new run's folder: the fixed noise, 64 augmented training images, G's first samples, the checkpoint of
    epoch 0."""
    os.makedirs(os.path.join(run.run_dir, "samples"), exist_ok=True)
    save_torch(run.fixed_noise.cpu(), os.path.join(run.run_dir, "fixed_noise.pt"))
    examples = torch.Generator().manual_seed(run.args.seed + 1)  # not the training's random streams
    shown = run.data.augment(torch.randperm(len(run.data), generator=examples)[:64], examples)
    save_image_grid(shown, os.path.join(run.run_dir, "training_images.png"), value_range=(-1, 1))
    save_samples(run, os.path.join("samples", "iter_000000.png"))
    save_state(run)


def compile_models(run):
    """``torch.compile`` both networks and run them once on every shape, mode and dtype the training will use, so
    that a machine where compiling fails (no Triton on Windows or older GPUs) is told so before the first epoch,
    and the run compiles a fixed set of graphs. The weights, statistics and random streams are left as they were."""
    args = run.args
    saved = [copy.deepcopy(model.state_dict()) for model in (run.generator, run.discriminator)]
    run_g, run_d = torch.compile(run.generator), torch.compile(run.discriminator)
    sizes = sorted({args.batch_size, len(run.data) % args.batch_size} - {0})  # full batches, and a shorter last one
    try:
        with torch.random.fork_rng(devices=[run.device] if run.device.type == "cuda" else []):
            for size in sizes:
                noise = torch.randn(size, args.nz, 1, 1, device=run.device)
                real = torch.zeros(size, 3, IMAGE_SIZE, IMAGE_SIZE, device=run.device)  # float32, as the data
                with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=args.bf16):
                    fake = run_g(noise)
                    outputs = run_d(real.contiguous(memory_format=run.memory_format)).sum() + run_d(
                        fake.detach()).sum() + run_d(fake).sum()  # D's three inputs, as in update_discriminator
                outputs.backward()
    except Exception as err:  # dynamo and inductor fail with many types of exception
        raise UserError("--compile does not work on this machine ({}: {}); leave --compile out".format(
            type(err).__name__, (str(err).strip().splitlines() or [""])[0][:200]))
    for model, state in zip((run.generator, run.discriminator), saved):
        model.load_state_dict(state)
        model.zero_grad(set_to_none=True)
    return run_g, run_d


def end_epoch(run, means):
    """Add the epoch's ``means`` (loss_D, loss_G, D(x), D(G(z)) before and after D's step) to the history; write
    the checkpoint and the loss plot when they are due. A NaN stops the run, the last checkpoint kept."""
    check_finite(means, run.epoch, run.run_dir, {"lr": (run.args.lr, 2e-4), "beta1": (run.args.beta1, 0.5),
                                                 "beta2": (run.args.beta2, 0.999)})
    for key, value in zip(HISTORY_KEYS, [run.iteration, run.epoch] + means):
        run.history[key].append(value)
    if run.epoch % run.args.checkpoint_every == 0 and run.epoch < run.args.epochs:
        save_state(run)


def save_state(run):
    """``checkpoint.pth`` (everything to continue the run exactly), ``generator.pth``, ``generator_ema.pth``,
    ``discriminator.pth``, ``history.json`` and ``losses.png``."""
    save_torch({"generator": run.generator.state_dict(), "discriminator": run.discriminator.state_dict(),
                "optimizer_g": run.optimizerG.state_dict(), "optimizer_d": run.optimizerD.state_dict(),
                "ema": {"model": run.ema.model.state_dict(), "updates": run.ema.updates},
                "fixed_noise": run.fixed_noise.cpu(), "history": run.history, "iteration": run.iteration,
                "epoch": run.epoch, "rng": random_state(run.data_generator, run.device), "args": vars(run.args)},
               os.path.join(run.run_dir, CHECKPOINT_NAME))
    for name, model in (("generator", run.generator), ("generator_ema", run.ema.model),
                        ("discriminator", run.discriminator)):
        save_torch(model.state_dict(), os.path.join(run.run_dir, name + ".pth"))
    save_text(json.dumps(run.history, indent=1), os.path.join(run.run_dir, "history.json"))
    if run.history["epoch"]:
        plot_history(run.history, os.path.join(run.run_dir, "losses.png"))


def save_samples(run, name, model=None):
    """The grid of G's (or ``model``'s) images of the first 64 fixed latent vectors, normalised with their own
    batch statistics as in training, as ``name`` in the run folder."""
    images = samples_in_train_mode(model or run.generator, run.fixed_noise[:64])
    save_image_grid(images, os.path.join(run.run_dir, name), value_range=(-1, 1))


def finish_run(run):
    """The final samples of G and of its moving average and progress.gif, then the last checkpoint."""
    save_samples(run, "samples_final.png")
    save_samples(run, "samples_final_ema.png", run.ema.model)
    write_progress_gif(run.run_dir)
    save_state(run)


def write_progress_gif(run_dir, max_frames=100):
    """``progress.gif``: the run's sample grids in order (at most ``max_frames``, evenly spaced), 0.15 s each,
    the last held 2 s; the DCGAN tutorial's animation of G's progress, as a file."""
    from PIL import Image
    paths = sorted(glob.glob(os.path.join(run_dir, "samples", "iter_*.png")))
    paths = [paths[round(k * (len(paths) - 1) / (max_frames - 1))] for k in range(max_frames)] \
        if len(paths) > max_frames else paths
    frames = [Image.open(path).convert("RGB") for path in paths]
    palette = frames[-1].quantize(256, method=Image.FASTOCTREE)  # one palette for all frames: no flicker
    frames = [frame.quantize(palette=palette, dither=Image.NONE) for frame in frames]
    with atomic_path(os.path.join(run_dir, "progress.gif")) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                       duration=[150] * (len(frames) - 1) + [2000])


def plot_history(history, path):
    """The two losses, and D's mean outputs, over the epochs."""
    save_curves(path, history["epoch"], (9, 3.3), [
        ([(history["loss_d"], "-", "discriminator"), (history["loss_g"], "-", "generator")],
         dict(ylabel="BCE loss (epoch mean)", title="losses")),
        ([(history["d_x"], "-", "D(x)"), (history["d_g_z1"], "-", "D(G(z)) before D's step"),
          (history["d_g_z2"], "-", "D(G(z)) after D's step")],
         dict(ylabel="mean output of D", title="discriminator outputs", ylim=(0, 1)))])
