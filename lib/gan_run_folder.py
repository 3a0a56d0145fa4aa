"""The DCGAN run folder: its name, what a run writes into it while it trains, and the checkpoint read to resume.

A run's folder (see :func:`lib.train_gan.train_gan`) holds ``training_images.png``, ``fixed_noise.pt``, the grids
``samples/iter_{iteration:06d}.png``, ``samples_final.png`` and ``samples_final_ema.png``, ``losses.png``,
``history.json``, ``generator.pth``, ``generator_ema.pth``, ``discriminator.pth``, ``checkpoint.pth`` and
``progress.gif``. The writers take the :class:`lib.train_gan.GanRun` being trained and write nothing when its
``run_dir`` is None (a benchmark); every file is written atomically. :func:`save_state` is the one place a
checkpoint is written, and marks it in the run's :class:`lib.training_run.LastCheckpoint`.
"""
import os
import time

import torch

from lib.animation import write_progress_gif
from lib.flowers import flowers_image_folder, per_image_transform
from lib.gan_sampling import sample_images
from lib.training_run import CHECKPOINT_NAME, random_state, save_history
from lib.utils.checkpoints import load_checkpoint
from lib.utils.errors import UserError, require_folder
from lib.utils.files import save_figure, save_image_grid, save_torch

SAMPLE_GRID = 64  # the first SAMPLE_GRID fixed latent vectors are drawn in the grids
CHECKPOINT_KEYS = ("generator", "discriminator", "optimizer_g", "optimizer_d", "iteration", "epoch",
                   "fixed_noise", "history", "rng", "args")


def run_name(args):
    """``run_<hyperparameters>_<timestamp>``, unique in ``args.output_dir``."""
    name = "run_ep{}_bs{}_lr{:g}_nz{}_ngf{}_ndf{}_seed{}{}{}_{}".format(
        args.epochs, args.batch_size, args.lr, args.nz, args.ngf, args.ndf, args.seed,
        "_bf16" if args.bf16 else "", "_perimage" if args.per_image_loader else "", time.strftime("%Y%m%d-%H%M%S"))
    candidate, k = name, 2
    while os.path.exists(os.path.join(args.output_dir, candidate)):
        candidate, k = "{}-{}".format(name, k), k + 1
    return candidate


def is_sample_iteration(iteration):
    """Grids every 10 iterations up to 100 (the fast early changes), then every 100."""
    return iteration % (10 if iteration <= 100 else 100) == 0


def plot_history(history, path):
    """Both losses, and D's mean outputs, over the epochs; written atomically to ``path``."""
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
    style = {"marker": "o"} if len(history["epoch"]) <= 20 else {}  # a line of one epoch alone would not show
    ax_loss.plot(history["epoch"], history["loss_d"], label="discriminator", **style)
    ax_loss.plot(history["epoch"], history["loss_g"], label="generator", **style)
    ax_loss.set(xlabel="epoch", ylabel="BCE loss (epoch mean)", title="losses")
    ax_d.plot(history["epoch"], history["d_x"], label="D(x)", **style)
    ax_d.plot(history["epoch"], history["d_g_z1"], label="D(G(z)) before D's update", **style)
    ax_d.plot(history["epoch"], history["d_g_z2"], label="D(G(z)) after D's update", **style)
    ax_d.set(xlabel="epoch", ylabel="mean output of D", title="discriminator outputs", ylim=(0, 1))
    for ax in (ax_loss, ax_d):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


def write_run_start(run):
    """A new run's folder: fixed_noise.pt, training_images.png, the samples of iteration 0, checkpoint of epoch 0."""
    if run.run_dir is None:
        return
    os.makedirs(os.path.join(run.run_dir, "samples"), exist_ok=True)
    save_torch(run.fixed_noise.cpu(), os.path.join(run.run_dir, "fixed_noise.pt"))
    save_image_grid(_training_examples(run.args, run.data), os.path.join(run.run_dir, "training_images.png"),
                    nrow=8, padding=2, value_range=(-1, 1))
    save_samples(run, os.path.join("samples", "iter_{:06d}.png".format(0)))
    save_state(run, 0)


def write_epoch_outputs(run, done):
    """After ``done`` of the run's epochs, short of the last: the checkpoint and the loss plot when they are due."""
    if run.run_dir is None or done >= run.args.epochs:
        return
    if done % run.args.checkpoint_every == 0:
        save_state(run, done)
    if done % run.args.plot_every == 0:
        plot_history(run.history, os.path.join(run.run_dir, "losses.png"))


def write_final_outputs(run, finished):
    """progress.gif, rebuilt from every grid so far (after a resume too); for a ``finished`` run also the final
    samples of G and of its EMA, losses.png and the last checkpoint."""
    if run.run_dir is None:
        return
    write_progress_gif(run.run_dir)
    if finished:
        save_samples(run, "samples_final.png")
        save_samples(run, "samples_final_ema.png", run.ema.model)
        plot_history(run.history, os.path.join(run.run_dir, "losses.png"))
        save_state(run, len(run.history["epoch"]))


def save_state(run, epoch):
    """checkpoint.pth (resumable) after ``epoch`` complete epochs, generator.pth, generator_ema.pth,
    discriminator.pth and history.json; the run's ``last_checkpoint`` is marked once checkpoint.pth is written."""
    if run.run_dir is None:
        return
    rng = random_state(run.device, run.data_generator)
    save_torch({"generator": run.generator.state_dict(), "discriminator": run.discriminator.state_dict(),
                "optimizer_g": run.optimizer_g.state_dict(), "optimizer_d": run.optimizer_d.state_dict(),
                "iteration": run.iteration, "epoch": epoch, "fixed_noise": run.fixed_noise.cpu(),
                "history": run.history, "rng": rng, "args": vars(run.args), "ema": run.ema.state_dict()},
               run.last_checkpoint.path)
    run.last_checkpoint.mark(epoch)
    save_torch(run.generator.state_dict(), os.path.join(run.run_dir, "generator.pth"))
    save_torch(run.ema.model.state_dict(), os.path.join(run.run_dir, "generator_ema.pth"))
    save_torch(run.discriminator.state_dict(), os.path.join(run.run_dir, "discriminator.pth"))
    save_history(run.history, os.path.join(run.run_dir, "history.json"))


def save_samples(run, name, model=None):
    """The grid of G's (or ``model``'s) images of the first SAMPLE_GRID fixed latent vectors, as ``name``."""
    if run.run_dir is None:
        return
    model = run.generator if model is None else model
    training = model.training
    model.train()  # batch statistics of the fixed noise, the EMA copy too (it is kept in eval mode)
    save_image_grid(sample_images(model, run.fixed_noise[:SAMPLE_GRID]), os.path.join(run.run_dir, name),
                    nrow=8, padding=2, value_range=(-1, 1))
    model.train(training)


def _training_examples(args, data=None):
    """64 augmented training images ``(64, 3, 32, 32)``, drawn without touching the training random streams."""
    if data is not None:
        generator = torch.Generator()
        generator.manual_seed(args.seed + 1)
        index = torch.randperm(len(data), generator=generator)[:SAMPLE_GRID]
        return data.augment(index, generator).cpu()
    with torch.random.fork_rng(devices=[]):  # the PIL transforms draw from the global CPU generator
        torch.manual_seed(args.seed + 1)
        dataset = flowers_image_folder(args.data_dir, transform=per_image_transform(args.image_size), warn=False)
        index = torch.randperm(len(dataset))[:SAMPLE_GRID].tolist()
        return torch.stack([dataset[i][0] for i in index])


def load_run_checkpoint(run_dir):
    """The ``checkpoint.pth`` of a run folder, checked to be one written by :func:`lib.train_gan.train_gan`."""
    path = os.path.join(run_dir, CHECKPOINT_NAME)
    require_folder(run_dir, "run folder",
                   "pass a folder results_gan/run_... written by run_gan_training.py to --resume")
    checkpoint = load_checkpoint(path, "pass a run folder of run_gan_training.py that holds one to --resume")
    if not isinstance(checkpoint, dict) or any(key not in checkpoint for key in CHECKPOINT_KEYS):
        raise UserError("{} is not a resumable checkpoint of run_gan_training.py; pass a run folder it "
                        "wrote to --resume".format(path))
    return checkpoint
