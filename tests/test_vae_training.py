"""Training the VAE on a tiny MNIST-format data set: the loss falls, outputs appear, runs repeat, resume is exact."""
import json
import os
import signal
import sys

import pytest
import torch
from PIL import Image

from lib.loss_vae import VAELoss
from lib.model_vae import VAE
from lib.train_vae import TrainingInterrupted, held_out_losses, setup_mnist_dataloader, train_vae
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import seed_everything
from lib.utils.errors import UserError
from tests.fakes import skip_loss_plots

LOSS_KEYS = ["kl_loss_weight", "epochs", "train_loss", "test_loss", "test_reconstruction", "test_kl"]


def _train(data_dir, output_dir, epochs=3, per_sample=False, checkpoint=None, callback=None, save_images=False,
           kl_loss_weight=1.0):
    """One seeded run as the script does it: seed, loaders, model, train."""
    seed_everything(0 if checkpoint is None else 123)  # a resumed run must not depend on the seed it starts with
    train_loader, test_loader = setup_mnist_dataloader(128, data_dir, per_sample=per_sample, shuffle_seed=0)
    model = VAE()
    history = train_vae(model, train_loader, test_loader, num_epochs=epochs, kl_loss_weight=kl_loss_weight,
                        save_images=save_images, output_dir=str(output_dir), quiet=True, checkpoint=checkpoint,
                        callback=callback)
    return model, history


def _same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.fixture(scope="module")
def reference_run(fake_data_dir, tmp_path_factory):
    """3 uninterrupted epochs with images, shared by the tests that compare against it; its loss curve is noted, not
    drawn (test_vae_scripts.py draws one)."""
    output_dir = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as monkeypatch:
        plots_asked = skip_loss_plots(monkeypatch)
        model, history = _train(fake_data_dir, output_dir, save_images=True)
    assert plots_asked == [os.path.join(str(output_dir), "loss_curve.png")]
    return model, history, str(output_dir)


def test_short_training_lowers_the_loss_and_writes_the_outputs(reference_run, fake_data_dir):
    model, history, output_dir = reference_run
    data = {"test_loader": setup_mnist_dataloader(128, fake_data_dir)[1]}
    assert history["epochs"] == [1, 2, 3]
    assert history["test_loss"][-1] < history["test_loss"][0] and history["train_loss"][-1] < history["train_loss"][0]
    for rec, kl, total in zip(history["test_reconstruction"], history["test_kl"], history["test_loss"]):
        assert total == pytest.approx(rec + kl) and kl >= 0
    assert sorted(os.listdir(output_dir)) == sorted(  # and loss_curve.png, noted by the fixture
        ["checkpoint.pth", "model.pth", "losses.json", "training_samples.png"]
        + ["reconstruction_{}.png".format(e) for e in (1, 2, 3)])
    with open(os.path.join(output_dir, "losses.json")) as handle:
        assert json.load(handle) == history and list(history) == LOSS_KEYS
    assert Image.open(os.path.join(output_dir, "reconstruction_3.png")).size == (8 * 30 + 2, 2 * 30 + 2)
    saved = load_checkpoint(os.path.join(output_dir, "model.pth"), "")
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())
    # Training lowered the test loss well below that of the initialisation.
    seed_everything(0)
    initial_terms, _ = held_out_losses(VAE(), data["test_loader"], VAELoss(), torch.device("cpu"))
    assert history["test_loss"][-1] < initial_terms.sum().item() - 50


def test_seeded_runs_repeat_and_both_loaders_train_identically(reference_run, fake_data_dir, tmp_path):
    model, history, _ = reference_run
    again, again_history = _train(fake_data_dir, tmp_path / "fast")
    assert _same_weights(model, again) and again_history == history
    per_sample, per_sample_history = _train(fake_data_dir, tmp_path / "slow", per_sample=True)
    assert _same_weights(model, per_sample) and per_sample_history == history


@pytest.mark.parametrize("per_sample", [False, True])
def test_ctrl_c_mid_epoch_then_resume_gives_the_same_weights(reference_run, fake_data_dir, tmp_path,
                                                             per_sample):
    model, history, _ = reference_run

    def press_ctrl_c(model, epoch, step):
        if (epoch, step) == (2, 2):
            os.kill(os.getpid(), signal.SIGINT)  # the real signal, caught by train_vae's handler

    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN where pytest runs with Ctrl-C ignored (`... &`)
    with pytest.raises(TrainingInterrupted) as stop:
        _train(fake_data_dir, tmp_path, per_sample=per_sample, callback=press_ctrl_c)
    assert (stop.value.epoch, stop.value.step, stop.value.steps_per_epoch) == (2, 2, 4)
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler found before the run is put back
    checkpoint = load_checkpoint(stop.value.checkpoint_path, "")
    assert (checkpoint["epoch"], checkpoint["step"]) == (1, 2) and not os.path.exists(tmp_path / "model.pth")
    resumed, resumed_history = _train(fake_data_dir, tmp_path, per_sample=per_sample, checkpoint=checkpoint)
    assert _same_weights(model, resumed) and resumed_history == history


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(fake_data_dir, tmp_path):
    def poison(model, epoch, step):
        if (epoch, step) == (2, 1):
            model.fc4.bias.data.fill_(float("nan"))

    with pytest.raises(UserError, match=r"^the loss became NaN or infinite in epoch 2, so training stopped; the last "
                                        r"good checkpoint .*checkpoint\.pth \(end of epoch 1\) is kept; try a "
                                        r"smaller --lr$"):
        _train(fake_data_dir, tmp_path, callback=poison)
    checkpoint = load_checkpoint(str(tmp_path / "checkpoint.pth"), "")
    assert checkpoint["epoch"] == 1 and all(torch.isfinite(v).all() for v in checkpoint["model"].values())
    assert not os.path.exists(tmp_path / "model.pth")


def test_kl_weight_zero_runs(fake_data_dir, tmp_path):
    _, history = _train(fake_data_dir, tmp_path, epochs=1, kl_loss_weight=0.0)
    assert history["test_loss"] == history["test_reconstruction"] and history["kl_loss_weight"] == 0.0


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
