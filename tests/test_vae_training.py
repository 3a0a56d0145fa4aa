"""Part 3: training the VAE on a small MNIST-format data set: the loss falls and the files appear, the Monte Carlo
test loss is the training loss's expectation, a stopped run resumes exactly, a diverging one stops cleanly."""
import json
import os
import signal
import sys

import pytest
import torch
from PIL import Image

import lib.train_vae
from lib.loss_vae import VAELoss, binary_cross_entropy, kl_divergence
from lib.mnist import TensorLoader
from lib.model_vae import VAE
from lib.train_vae import setup_mnist_dataloader, train_vae
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import seed_everything
from lib.utils.errors import Interrupted, UserError

POSIX_SIGNALS = pytest.mark.skipif(os.name == "nt", reason="SIGTERM cannot be raised in-process on Windows")


def train(data_dir, output_dir, epochs=3, checkpoint=None, **kwargs):
    """One seeded run as run_vae_training.py makes it: seed, loaders (batch 128: 4 per epoch), model, train."""
    seed_everything(0 if checkpoint is None else 123)  # a resumed run must not depend on the seed it starts with
    train_loader, test_loader = setup_mnist_dataloader(128, data_dir, seed=0)
    model = VAE()
    os.makedirs(str(output_dir), exist_ok=True)
    history = train_vae(model, train_loader, test_loader, epochs, output_dir=str(output_dir), checkpoint=checkpoint,
                        quiet=True, **kwargs)
    return model, history


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)


@pytest.fixture(scope="module")
def reference_run(fake_data_dir, tmp_path_factory):
    """3 uninterrupted epochs with every file, which the other tests compare against."""
    output_dir = tmp_path_factory.mktemp("reference")
    model, history = train(fake_data_dir, output_dir)
    return model.state_dict(), history, str(output_dir)


def test_a_short_run_lowers_the_loss_and_writes_its_files(reference_run):
    weights, history, output_dir = reference_run
    assert history["epochs"] == [1, 2, 3] and history["kl_loss_weight"] == 1.0
    assert history["train_loss"][2] < history["train_loss"][0] - 50  # 542, 505, 463 nats per image
    assert history["test_loss"][2] < history["test_loss"][0] - 50    # 519, 480, 430
    for loss, reconstruction, kl in zip(history["test_loss"], history["test_reconstruction"], history["test_kl"]):
        assert loss == pytest.approx(reconstruction + kl) and kl > 0
    assert sorted(os.listdir(output_dir)) == ["checkpoint.pth", "loss_curve.png", "losses.json", "model.pth",
                                              "reconstruction_1.png", "reconstruction_2.png", "reconstruction_3.png",
                                              "training_samples.png"]
    with open(os.path.join(output_dir, "losses.json")) as handle:
        assert json.load(handle) == history
    # 28-pixel digits with torchvision's 2-pixel padding: 16 in a row, and 8 test digits above their reconstructions
    assert Image.open(os.path.join(output_dir, "training_samples.png")).size == (16 * 30 + 2, 32)
    assert Image.open(os.path.join(output_dir, "reconstruction_3.png")).size == (8 * 30 + 2, 2 * 30 + 2)
    assert Image.open(os.path.join(output_dir, "loss_curve.png")).size == (1200, 456)
    assert same_weights(load_checkpoint(os.path.join(output_dir, "model.pth"), ""), weights)
    assert load_checkpoint(os.path.join(output_dir, "checkpoint.pth"), "")["history"] == history


def test_the_test_loss_is_the_expectation_of_the_training_loss():
    """Against brute force: the training loss (train mode, one z ~ q(z|x) per image) averaged over many copies of
    the images. A loss decoded from z = mu, which a wrong estimator would give, lies 30 standard errors away."""
    torch.manual_seed(0)
    model = VAE(in_height=2, in_width=3, hidden_size=4)
    model.fc22.bias.data.fill_(1.0)  # sigma about 1.6: the reconstruction term depends on the noise
    images, labels = torch.rand(5, 1, 2, 3), torch.arange(5)
    loader = TensorLoader(images, labels, batch_size=2)  # batches of 2, 2 and 1
    rng_before = torch.get_rng_state()
    loss, reconstruction, kl = lib.train_vae.test_loss(model, loader, kl_loss_weight=0.5, draws=100000)
    assert torch.equal(torch.get_rng_state(), rng_before)  # its noise has a generator of its own
    assert lib.train_vae.test_loss(model, loader, 0.5, draws=100000) == (loss, reconstruction, kl)  # same noise
    with torch.no_grad():
        mu, logvar = model.encode(images)
        assert kl == pytest.approx(kl_divergence(mu, logvar).item() / 5, rel=1e-6)  # exact, not sampled
        assert loss == pytest.approx(reconstruction + 0.5 * kl, rel=1e-12)
        copies = images.repeat(100000, 1, 1, 1)  # (500000, 1, 2, 3)
        x_reconstructed, mu, logvar = model.train()(copies)
        per_image = binary_cross_entropy(x_reconstructed, copies, reduction="none").sum((1, 2, 3))  # (500000,)
        expected = VAELoss(0.5)(x_reconstructed, copies, mu, logvar).item() / len(copies)
        at_mu = binary_cross_entropy(model.decode(mu), copies, reduction="sum").item() / len(copies)
    # Two independent means of 500,000 terms each: their difference has standard error sqrt(2) std / sqrt(500,000).
    standard_error = (2 * per_image.var().item() / len(copies)) ** 0.5
    assert abs(loss - expected) < 4 * standard_error
    assert abs(reconstruction - at_mu) > 30 * standard_error


@POSIX_SIGNALS
@pytest.mark.parametrize("number, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_resumes_to_the_uninterrupted_runs_weights(reference_run, fake_data_dir, tmp_path,
                                                                 monkeypatch, number, status):
    weights, history, _ = reference_run
    epoch_of_train_vae = lib.train_vae.train_epoch

    def signal_in_epoch_2(model, loader, criterion, optimizer, epoch, *args):
        if epoch == 2:
            signal.raise_signal(number)  # the real signal, caught by train_vae's StopRequest
        return epoch_of_train_vae(model, loader, criterion, optimizer, epoch, *args)
    monkeypatch.setattr(lib.train_vae, "train_epoch", signal_in_epoch_2)
    handler_before = signal.getsignal(number)
    with pytest.raises(Interrupted) as stopped:
        train(fake_data_dir, tmp_path, save_images=False)
    checkpoint_path = str(tmp_path / "checkpoint.pth")
    assert str(stopped.value) == "training stopped after epoch 2 of 3; {} holds it: continue with `python " \
                                 "run_vae_training.py --resume {}`".format(checkpoint_path, tmp_path)
    assert stopped.value.exit_status == status and signal.getsignal(number) is handler_before
    assert sorted(os.listdir(str(tmp_path))) == ["checkpoint.pth", "losses.json"]  # the epoch ended, no model.pth
    monkeypatch.undo()
    checkpoint = load_checkpoint(checkpoint_path, "")
    assert checkpoint["history"]["epochs"] == [1, 2]
    resumed, resumed_history = train(fake_data_dir, tmp_path, checkpoint=checkpoint, save_images=False)
    assert same_weights(resumed.state_dict(), weights) and resumed_history == history


@POSIX_SIGNALS
def test_a_second_ctrl_c_stops_at_once_and_keeps_the_last_checkpoint(fake_data_dir, tmp_path, monkeypatch):
    epoch_of_train_vae = lib.train_vae.train_epoch

    def ctrl_c_twice_in_epoch_2(model, loader, criterion, optimizer, epoch, *args):
        if epoch == 2:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
        return epoch_of_train_vae(model, loader, criterion, optimizer, epoch, *args)
    monkeypatch.setattr(lib.train_vae, "train_epoch", ctrl_c_twice_in_epoch_2)
    with pytest.raises(Interrupted) as stopped:
        train(fake_data_dir, tmp_path, save_images=False)
    checkpoint_path = str(tmp_path / "checkpoint.pth")
    assert str(stopped.value) == "training stopped at once in epoch 2; {} holds it: continue with `python " \
                                 "run_vae_training.py --resume {}`".format(checkpoint_path, tmp_path)
    assert stopped.value.exit_status == 130
    assert load_checkpoint(checkpoint_path, "")["history"]["epochs"] == [1]


@POSIX_SIGNALS
def test_a_signal_in_the_last_epoch_finishes_the_run_and_then_stops(reference_run, fake_data_dir, tmp_path,
                                                                    monkeypatch):
    weights, history, _ = reference_run
    epoch_of_train_vae = lib.train_vae.train_epoch

    def sigterm_in_epoch_3(model, loader, criterion, optimizer, epoch, *args):
        if epoch == 3:
            signal.raise_signal(signal.SIGTERM)
        return epoch_of_train_vae(model, loader, criterion, optimizer, epoch, *args)
    monkeypatch.setattr(lib.train_vae, "train_epoch", sigterm_in_epoch_3)
    with pytest.raises(Interrupted) as stopped:  # so that run_all does not go on to its next step
        train(fake_data_dir, tmp_path, save_images=False)
    assert str(stopped.value) == "training finished its last epoch before stopping; the run in {} is " \
                                 "complete".format(tmp_path)
    assert stopped.value.exit_status == 143
    assert same_weights(load_checkpoint(str(tmp_path / "model.pth"), ""), weights)
    assert load_checkpoint(str(tmp_path / "checkpoint.pth"), "")["history"] == history


def test_a_diverging_run_stops_in_one_sentence_naming_the_setting_at_fault(fake_data_dir, tmp_path, monkeypatch):
    with pytest.raises(UserError, match=r"^the loss became NaN or infinite in epoch 1, so training stopped \(no "
                                        r"checkpoint was written\); start a new run with --lr 1e\+30 \(default "
                                        r"0.001\) nearer the default$"):
        train(fake_data_dir, tmp_path / "at_once", epochs=1, lr=1e30, save_images=False)
    assert os.listdir(str(tmp_path / "at_once")) == []
    with pytest.raises(UserError, match=r"start a new run with --kl_loss_weight 1e\+40 \(default 1\) nearer the "
                                        r"default$"):  # not the learning rate
        train(fake_data_dir, tmp_path / "kl", epochs=1, kl_loss_weight=1e40, save_images=False)
    good, _ = train(fake_data_dir, tmp_path, epochs=1, save_images=False)
    epoch_of_train_vae = lib.train_vae.train_epoch

    def lr_1e30_in_epoch_2(model, loader, criterion, optimizer, epoch, *args):
        optimizer.param_groups[0]["lr"] = 1e30
        return epoch_of_train_vae(model, loader, criterion, optimizer, epoch, *args)
    monkeypatch.setattr(lib.train_vae, "train_epoch", lr_1e30_in_epoch_2)
    with pytest.raises(UserError, match="^the loss became NaN or infinite in epoch 2, so training stopped \\({} holds "
                                        "an earlier epoch\\); start a new run with another --seed$".format(
                                            tmp_path / "checkpoint.pth")):
        train(fake_data_dir, tmp_path, epochs=2, save_images=False,
              checkpoint=load_checkpoint(str(tmp_path / "checkpoint.pth"), ""))
    checkpoint = load_checkpoint(str(tmp_path / "checkpoint.pth"), "")
    assert checkpoint["history"]["epochs"] == [1] and same_weights(checkpoint["model"], good.state_dict())
    assert sorted(os.listdir(str(tmp_path))) == ["at_once", "checkpoint.pth", "kl", "losses.json", "model.pth"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
