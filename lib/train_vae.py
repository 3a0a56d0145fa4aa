"""Part 3: train the VAE on MNIST, with per-epoch losses, reconstruction images and resumable checkpoints.

One step (:func:`train_one_epoch`): encode and decode a batch, :class:`lib.loss_vae.VAELoss`, backward, Adam. The
same loop without checkpoints, resume and stop requests, as the course's notebook writes it, is
:func:`lib.benchmark.loops.vae_tutorial`.

The hot loop keeps its loss sums as tensors and reads them once per epoch (and every 50 steps for the progress
bar unless --quiet), so the host does not wait on the device after every step. A checkpoint is written
atomically after every epoch; Ctrl-C (or SIGTERM) finishes the current step, writes a checkpoint that resumes
mid-epoch, and raises :class:`TrainingInterrupted`; a second one stops at once with
:class:`lib.utils.errors.Interrupted`, naming the newest checkpoint. What this shares with the GAN's trainer (stop
requests, the random states in a checkpoint, the NaN guard, the messages that name the newest checkpoint) is
:mod:`lib.training_run`.
"""
import dataclasses
import inspect
import os
import signal
import typing

import torch
from tqdm import tqdm

from lib.loss_vae import VAELoss
from lib.mnist import mnist_loaders
from lib.training_run import CHECKPOINT_NAME, LastCheckpoint, NonFiniteLoss, StopRequest, check_finite, \
    non_finite_loss_error, random_state, restore_random_state, save_history, stopped_at_once_error
from lib.utils.checkpoints import load_optimizer_state
from lib.utils.devices import keep_freed_memory
from lib.utils.errors import UserError
from lib.utils.files import prepare_output_dir, save_figure, save_image_grid, save_torch

MODEL_NAME = "model.pth"
LOSSES_NAME = "losses.json"
CHECKPOINT_FORMAT = "vae-training-checkpoint-1"
N_RECONSTRUCTED = 8        # test digits shown above their reconstructions, as in vae_output_15_epochs.png
N_TRAINING_SAMPLES = 16    # training images in the strip written at the start of the first epoch


def setup_mnist_dataloader(batch_size=128, data_dir=None, device="cpu", per_sample=False, shuffle_seed=None,
                           download=True):
    """``(train_loader, test_loader)`` over MNIST: batches of ``(images (B, 1, 28, 28) in [0, 1], labels (B,))``.

    The train loader shuffles, the test loader does not; the last partial batch is kept. ``data_dir`` holds
    ``MNIST/raw/`` (default ``$MNIST_ROOT`` or ``data``); missing files come from ``.gz`` copies or a download.
    By default the images are decoded once into tensors on ``device``; ``per_sample=True`` uses torchvision's
    per-image ``ToTensor`` in a ``DataLoader`` instead (same batches for the same ``shuffle_seed``). The course's
    API; the loading itself is :func:`lib.mnist.mnist_loaders`.
    """
    return mnist_loaders(batch_size, data_dir, device, per_sample, shuffle_seed, download)


class TrainingInterrupted(Exception):
    """Ctrl-C or SIGTERM (``signal_number``) stopped training after a complete step; ``checkpoint_path`` resumes it
    exactly."""

    def __init__(self, checkpoint_path, epoch, step, steps_per_epoch, signal_number=signal.SIGINT):
        super().__init__("training interrupted in epoch {} after {} of {} batches".format(
            epoch, step, steps_per_epoch) if step else "training interrupted after epoch {}".format(epoch - 1))
        self.checkpoint_path, self.epoch, self.step, self.steps_per_epoch = \
            checkpoint_path, epoch, step, steps_per_epoch
        self.signal_number = signal_number


def make_adam(parameters, lr):
    """Adam with the fused kernel where the installed torch has one for these tensors (one pass per tensor instead
    of about ten; the same update rule), else the default implementation."""
    # On any device, the CPU too. The GAN's build_optimizers asks for it on CUDA only: fused Adam rounds
    # differently, so changing either would change the bits of their seeded CPU runs.
    parameters = list(parameters)
    if "fused" in inspect.signature(torch.optim.Adam).parameters:
        try:
            return torch.optim.Adam(parameters, lr=lr, fused=True)
        except (RuntimeError, ValueError):  # e.g. a device without a fused kernel
            pass
    return torch.optim.Adam(parameters, lr=lr)


@torch.no_grad()
def held_out_losses(model, loader, criterion, device):
    """The loss on data not trained on (the test set): reconstruction and unweighted KL term per image over
    ``loader`` (a tensor ``(2,)`` in nats, not yet synchronised), and the first ``N_RECONSTRUCTED`` inputs with
    their reconstructions. Uses the eval mode (z = mu). (Not named test_*: pytest would collect it where a test
    imports it.)"""
    was_training = model.training
    model.eval()
    sums = torch.zeros(2, device=device)
    shown = None
    for x, _ in loader:
        x = x.to(device, non_blocking=True)
        reconstruction, mu, logvar = model(x)
        _, reconstruction_sum, kl_sum = criterion.parts(reconstruction, x, mu, logvar)
        sums += torch.stack([reconstruction_sum, kl_sum])
        if shown is None:
            shown = (x[:N_RECONSTRUCTED], reconstruction[:N_RECONSTRUCTED])
    model.train(was_training)
    return sums / len(loader.dataset), shown


def plot_losses(history, path=None):
    """Loss curves per image: train and test loss on the left, the test loss's two parts on the right.

    Saved to ``path`` and closed; with ``path=None`` the figure is returned open instead (for ``--show``).
    """
    import matplotlib.pyplot as plt
    fig, (ax_total, ax_parts) = plt.subplots(1, 2, figsize=(12, 4.6))
    epochs = history["epochs"]
    ax_total.plot(epochs, history["train_loss"], "o-", label="train loss (z sampled)")
    ax_total.plot(epochs, history["test_loss"], "s-", label="test loss (z = mu)")
    ax_total.set_title("VAE loss, KL weight {}".format(history["kl_loss_weight"]))
    ax_parts.plot(epochs, history["test_reconstruction"], "s-", color="tab:green",
                  label="reconstruction (binary cross-entropy)")
    ax_parts.set_title("test loss terms")
    ax_kl = ax_parts.twinx()
    ax_kl.plot(epochs, history["test_kl"], "^-", color="tab:red", label="KL(q(z|x) || N(0, I)), unweighted")
    ax_kl.set_ylabel("KL per image (nats)", color="tab:red")
    for ax, label in ((ax_total, "loss per image (nats)"), (ax_parts, "reconstruction per image (nats)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label, color="tab:green" if ax is ax_parts else "black")
        ax.grid(alpha=0.3)
    ax_total.legend()
    ax_parts.legend(handles=ax_parts.get_lines() + ax_kl.get_lines(), loc="upper center", bbox_to_anchor=(0.5, -0.13),
                    ncol=2, fontsize=9)  # below the panel: the two curves cross anywhere inside it
    fig.tight_layout()
    if path is None:
        return fig
    save_figure(fig, path, dpi=110)
    plt.close(fig)


@dataclasses.dataclass
class _VaeRun:
    """What one call of :func:`train_vae` works with, built by :func:`set_up_run`, advanced by the epochs."""
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    criterion: VAELoss
    data_generator: typing.Optional[torch.Generator]  # the train loader's shuffle order, saved in checkpoints
    device: torch.device
    output_dir: str
    num_epochs: int
    lr: float
    kl_loss_weight: float
    n_train: int  # training images per epoch
    steps_per_epoch: int
    run_args: dict
    history: dict  # per-image losses per epoch, as in losses.json
    last_checkpoint: LastCheckpoint  # the newest checkpoint.pth, named when a run fails
    checkpoint: typing.Optional[dict] = None  # the checkpoint resumed from, until its epoch is under way again
    done_epochs: int = 0
    start_step: int = 0  # batches of epoch done_epochs + 1 the checkpoint already trained
    partial_loss: float = 0.0  # their loss sum


def train_vae(model, train_loader, test_loader, num_epochs=15, lr=1e-3, kl_loss_weight=1., save_images=True,
              device="cpu", output_dir="results", quiet=False, checkpoint=None, run_args=None, callback=None):
    """Train ``model`` with Adam on the VAE loss; write images, checkpoints, ``model.pth`` and losses per epoch.

    Args:
        model: a :class:`lib.model_vae.VAE` (or any module with the same forward).
        train_loader, test_loader: batches of ``(images (B, C, H, W) in [0, 1], labels)``. The train loader's
            ``generator`` (if any) is saved in checkpoints so a resumed run shuffles as the original would.
        num_epochs: epochs in total (a resumed run counts the epochs already done).
        lr: Adam learning rate. kl_loss_weight: weight of the KL term.
        save_images: write ``reconstruction_{epoch}.png``, ``training_samples.png`` and ``loss_curve.png``.
        device: where the model trains. output_dir: the run's folder.
        quiet: no progress bar. checkpoint: a dict from ``checkpoint.pth`` to resume from.
        run_args: a dict of the script's arguments, stored in the checkpoint.
        callback: ``callback(model, epoch, step)`` after every optimizer step (tests use it to interrupt).

    Returns:
        the history dict also written to ``losses.json``: per-image losses per epoch (test loss = test
        reconstruction + kl_loss_weight * test KL, with z = mu).

    Raises:
        TrainingInterrupted: a Ctrl-C or SIGTERM before the last epoch ended (a checkpoint resumes the run).
        lib.utils.errors.Interrupted: a second one, which stops at once. UserError: a NaN or infinite loss.
    """
    device = torch.device(device)
    keep_freed_memory()
    prepare_output_dir(output_dir)
    run = set_up_run(model, train_loader, num_epochs, lr, kl_loss_weight, device, output_dir, checkpoint, run_args)
    model.train()
    epoch = None
    try:
        with StopRequest() as stop:
            for epoch in range(run.done_epochs + 1, num_epochs + 1):
                try:
                    loss_sum = train_one_epoch(run, train_loader, epoch, stop, save_images, quiet, callback)
                    end_epoch(run, test_loader, epoch, loss_sum, save_images)
                except NonFiniteLoss:
                    raise non_finite_loss_error(run.last_checkpoint, epoch, "try a smaller --lr") from None
                if stop.requested and epoch < num_epochs:
                    raise TrainingInterrupted(run.last_checkpoint.path, epoch + 1, 0, run.steps_per_epoch,
                                              stop.requested)
    except KeyboardInterrupt:  # a second signal: stop now (the atomic writes leave no half-written file)
        raise stopped_at_once_error("run_vae_training.py", output_dir, run.last_checkpoint, epoch) from None

    save_torch(model.state_dict(), os.path.join(output_dir, MODEL_NAME))
    save_history(run.history, os.path.join(output_dir, LOSSES_NAME))
    if save_images and run.history["epochs"]:
        plot_losses(run.history, os.path.join(output_dir, "loss_curve.png"))
    return run.history


def set_up_run(model, train_loader, num_epochs, lr, kl_loss_weight, device, output_dir, checkpoint, run_args):
    """The model on ``device`` with a fresh Adam and the VAE loss, and an empty history; or, given a
    ``checkpoint``, the weights, Adam moments, history and position of the run it was written by."""
    model.to(device)
    n_train, steps_per_epoch = len(train_loader.dataset), len(train_loader)
    run = _VaeRun(model, make_adam(model.parameters(), lr), VAELoss(kl_loss_weight),
                  getattr(train_loader, "generator", None), device, output_dir, num_epochs, lr, kl_loss_weight,
                  n_train, steps_per_epoch, run_args or {},
                  {"kl_loss_weight": kl_loss_weight, "epochs": [], "train_loss": [], "test_loss": [],
                   "test_reconstruction": [], "test_kl": []},
                  LastCheckpoint.of_run(os.path.join(output_dir, CHECKPOINT_NAME), checkpoint))
    if checkpoint is None:
        return run
    model.load_state_dict(checkpoint["model"])
    load_optimizer_state(run.optimizer, checkpoint["optimizer"])
    run.history, run.checkpoint = checkpoint["history"], checkpoint
    run.done_epochs, run.start_step, run.partial_loss = checkpoint["epoch"], checkpoint["step"], \
        checkpoint["partial_loss"]
    if (checkpoint.get("n_train"), checkpoint.get("steps_per_epoch")) != (n_train, steps_per_epoch):
        raise UserError("the checkpoint was written while training on {} images in {} batches per epoch, but the "
                        "data now gives {} images in {} batches; resume with the same data and batch size".format(
                            checkpoint.get("n_train"), checkpoint.get("steps_per_epoch"), n_train, steps_per_epoch))
    return run


def _start_epoch(run, train_loader):
    """``(epoch_start_rng, batches, step, loss_sum)`` for the next epoch: the random state at its start (for a
    checkpoint written during it), the iterator over its batches, the steps done and their loss sum (0-d tensor).

    Resuming, the interrupted epoch is replayed: its shuffle is drawn again from the state at its start, the
    batches the checkpoint trained are skipped, and the random state at the interruption is put back.
    """
    checkpoint = run.checkpoint
    if checkpoint is not None:
        restore_random_state(checkpoint["rng"]["epoch_start"], run.device, run.data_generator)
    epoch_start_rng = random_state(run.device, run.data_generator)
    batches = iter(train_loader)
    loss_sum = torch.zeros((), device=run.device)
    step = 0
    if checkpoint is not None:
        for step in range(1, run.start_step + 1):
            next(batches)
        restore_random_state(checkpoint["rng"]["now"], run.device, run.data_generator)
        loss_sum += run.partial_loss
        run.checkpoint = None
    return epoch_start_rng, batches, step, loss_sum


def train_one_epoch(run, train_loader, epoch, stop, save_images, quiet, callback):
    """One Adam step per batch of epoch ``epoch`` (the rest of it when resuming); returns the epoch's summed loss
    (nats; :class:`VAELoss` sums over each batch, so divide by ``run.n_train`` for the loss per image), a 0-d tensor
    left on the device (no synchronisation per step; a NaN stays in it).

    A stop request short of the epoch's end writes a checkpoint that resumes after this step and raises
    :class:`TrainingInterrupted`.
    """
    epoch_start_rng, batches, step, loss_sum = _start_epoch(run, train_loader)
    model, optimizer = run.model, run.optimizer
    progress = tqdm(total=run.steps_per_epoch, initial=step, desc="epoch {}/{}".format(epoch, run.num_epochs),
                    disable=quiet, leave=False, dynamic_ncols=True)
    for x, _ in batches:
        x = x.to(run.device, non_blocking=True)
        if save_images and epoch == 1 and step == 0:
            save_image_grid(x[:N_TRAINING_SAMPLES], os.path.join(run.output_dir, "training_samples.png"),
                            nrow=N_TRAINING_SAMPLES)
        reconstruction, mu, logvar = model(x)
        loss = run.criterion(reconstruction, x, mu, logvar)  # a NaN stays in the sum, checked per epoch
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach()  # stays on the device: no synchronisation per step
        step += 1
        if not quiet:
            progress.update()
            if step % 50 == 0:
                progress.set_postfix(loss="{:.1f}".format(loss_sum.item() / (step * x.shape[0])))
        if callback is not None:
            callback(model, epoch, step)
        if stop.requested and step < run.steps_per_epoch:
            progress.close()
            check_finite([loss_sum.item()])  # a NaN state is no checkpoint to resume from
            _write_checkpoint(run, epoch_start_rng, epoch - 1, step, loss_sum.item())
            raise TrainingInterrupted(run.last_checkpoint.path, epoch, step, run.steps_per_epoch, stop.requested)
    progress.close()
    return loss_sum


def end_epoch(run, test_loader, epoch, loss_sum, save_images):
    """After epoch ``epoch``: evaluate on ``test_loader``, add the epoch to the history and print it, and write
    ``reconstruction_{epoch}.png``, the checkpoint and ``losses.json``. ``loss_sum``: the epoch's 0-d loss sum."""
    test_terms, shown = held_out_losses(run.model, test_loader, run.criterion, run.device)
    train_loss, test_reconstruction, test_kl = (torch.cat([(loss_sum / run.n_train).view(1), test_terms])
                                                .tolist())  # the one synchronisation per epoch
    weight = run.kl_loss_weight
    test_loss = test_reconstruction + weight * test_kl if weight else test_reconstruction
    check_finite((train_loss, test_reconstruction, test_kl))
    for key, value in zip(("epochs", "train_loss", "test_loss", "test_reconstruction", "test_kl"),
                          (epoch, train_loss, test_loss, test_reconstruction, test_kl)):
        run.history[key].append(value)
    print("epoch {:{w}d}/{}: train loss {:.2f}, test loss {:.2f} = reconstruction {:.2f} + {:g} x KL {:.2f} "
          "(per image)".format(epoch, run.num_epochs, train_loss, test_loss, test_reconstruction, weight, test_kl,
                               w=len(str(run.num_epochs))), flush=True)
    if save_images:
        save_image_grid(torch.cat(shown), os.path.join(run.output_dir, "reconstruction_{}.png".format(epoch)),
                        nrow=N_RECONSTRUCTED)
    _write_checkpoint(run, random_state(run.device, run.data_generator), epoch, 0, 0.0)
    save_history(run.history, os.path.join(run.output_dir, LOSSES_NAME))


def _write_checkpoint(run, epoch_start_rng, epochs, step, loss_sum):
    """checkpoint.pth after ``epochs`` complete epochs and ``step`` batches of the next, whose loss sum is
    ``loss_sum`` (a float); ``epoch_start_rng``: the random state at the start of that next epoch."""
    save_torch({"format": CHECKPOINT_FORMAT, "model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                "epoch": epochs, "step": step, "partial_loss": loss_sum, "num_epochs": run.num_epochs,
                "n_train": run.n_train, "steps_per_epoch": run.steps_per_epoch,
                "kl_loss_weight": run.kl_loss_weight, "lr": run.lr, "history": run.history, "args": run.run_args,
                "rng": {"epoch_start": epoch_start_rng, "now": random_state(run.device, run.data_generator)}},
               run.last_checkpoint.path)
    run.last_checkpoint.mark(epochs, step)
