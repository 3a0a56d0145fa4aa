"""Part 4: the DCGAN's training loop: what a run writes, resuming it exactly (also with another memory format),
stopping on a signal, a NaN, --bf16 on hardware without bfloat16, and --compile's graphs."""
import copy
import functools
import json
import os
import signal
import sys

import pytest
import torch
from PIL import Image

import lib.train_gan
import run_gan_training
from lib.utils.checkpoints import load_checkpoint, load_optimizer_state
from lib.utils.errors import Interrupted, UserError
from tests.fakes import TINY_GAN, assert_same_weights, gan_weights, train_tiny_gan


def test_a_run_writes_its_folder(flowers, tmp_path):
    run_dir = train_tiny_gan(flowers, tmp_path, "--epochs", "6")  # 2 updates per epoch: 12 updates
    names = sorted(os.listdir(run_dir))
    assert names == sorted(["checkpoint.pth", "discriminator.pth", "fixed_noise.pt", "generator.pth",
                            "generator_ema.pth", "history.json", "losses.png", "progress.gif", "samples",
                            "samples_final.png", "samples_final_ema.png", "training_images.png"])
    assert sorted(os.listdir(os.path.join(run_dir, "samples"))) == ["iter_000000.png", "iter_000010.png"]
    history = json.load(open(os.path.join(run_dir, "history.json")))
    assert history["epoch"] == [1, 2, 3, 4, 5, 6] and history["iteration"] == [2, 4, 6, 8, 10, 12]
    assert all(0 < value < 1 for key in ("d_x", "d_g_z1", "d_g_z2") for value in history[key])
    with Image.open(os.path.join(run_dir, "samples_final.png")) as grid:
        assert grid.size == (8 * 34 + 2, 8 * 34 + 2)  # 8 x 8 images of 32 px, 2 px apart
    with Image.open(os.path.join(run_dir, "progress.gif")) as gif:
        assert gif.n_frames == 2 and gif.size == grid.size
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    assert checkpoint["epoch"] == 6 and checkpoint["ema"]["updates"] == 12
    assert checkpoint["fixed_noise"].shape == (1024, 64, 1, 1)


def test_a_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one(flowers, tmp_path, monkeypatch):
    straight = train_tiny_gan(flowers, tmp_path / "straight", "--epochs", "3")
    end_epoch = lib.train_gan.end_epoch

    def ctrl_c_in_epoch_2(run, means):  # as if Ctrl-C came during epoch 2
        end_epoch(run, means)
        if run.epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(lib.train_gan, "end_epoch", ctrl_c_in_epoch_2)
    with pytest.raises(Interrupted) as stopped:
        train_tiny_gan(flowers, tmp_path / "stopped", "--epochs", "3")
    assert stopped.value.exit_status == 130 and "--resume" in str(stopped.value)
    (run_dir,) = [str(path) for path in (tmp_path / "stopped").iterdir()]
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 2
    monkeypatch.setattr(lib.train_gan, "end_epoch", end_epoch)
    run_gan_training.main(["--resume", run_dir, "--device", "cpu", "--quiet"])
    assert_same_weights(gan_weights(run_dir), gan_weights(straight))
    assert_same_weights([load_checkpoint(os.path.join(path, "generator_ema.pth"), "") for path in (run_dir,)],
                        [load_checkpoint(os.path.join(straight, "generator_ema.pth"), "")])
    assert json.load(open(os.path.join(run_dir, "history.json"))) == \
        json.load(open(os.path.join(straight, "history.json")))


@pytest.mark.parametrize("first, then", [("yes", "no"), ("no", "yes")])
def test_a_resume_in_another_memory_format_keeps_adams_moments_in_their_parameters_layout(flowers, tmp_path,
                                                                                          first, then):
    run_dir = train_tiny_gan(flowers, tmp_path, "--epochs", "1", "--channels_last", first)
    runs = []
    original = lib.train_gan.train_gan
    with pytest.MonkeyPatch.context() as patch:  # keep the run the script trains
        patch.setattr(lib.train_gan, "train_gan", lambda *a: runs.append(original(*a)) or runs[-1])
        run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--channels_last", then, "--device", "cpu",
                               "--quiet"])
    (run,) = runs
    layout = torch.channels_last if then == "yes" else torch.contiguous_format
    for model, optimizer in ((run.generator, run.optimizerG), (run.discriminator, run.optimizerD)):
        for parameter in model.parameters():
            assert parameter.dim() != 4 or parameter.is_contiguous(memory_format=layout)
            for moment in ("exp_avg", "exp_avg_sq"):
                assert optimizer.state[parameter][moment].stride() == parameter.stride()
    assert run.epoch == 2 and all(torch.isfinite(p).all() for p in run.generator.parameters())


def test_moments_of_another_layout_give_the_same_update_even_in_a_fused_adam():
    """A fused CPU Adam reads the moments' memory as if laid out like the parameter: without the copy into the
    parameter's layout it computes another update, silently."""
    torch.manual_seed(0)
    source = torch.nn.Conv2d(8, 8, 3).to(memory_format=torch.channels_last)
    adam = torch.optim.Adam(source.parameters())
    source(torch.randn(2, 8, 5, 5)).square().sum().backward()
    adam.step()
    state = adam.state_dict()
    results = []
    for fused in (False, True):
        model = torch.nn.Conv2d(8, 8, 3)
        model.load_state_dict(source.state_dict())
        optimizer = torch.optim.Adam(model.parameters(), fused=fused)
        load_optimizer_state(optimizer, copy.deepcopy(state))  # step counters are tensors Adam increments
        model.weight.grad, model.bias.grad = torch.ones_like(model.weight), torch.ones_like(model.bias)
        optimizer.step()
        results.append(model.weight.detach().clone())
    assert torch.allclose(results[0], results[1], atol=1e-7)


def test_a_nan_loss_stops_the_run_and_keeps_the_last_checkpoint(flowers, tmp_path):
    with pytest.raises(UserError, match=r"the loss became NaN or infinite in epoch 1, so training stopped; the "
                                        r"newest checkpoint in .* is kept; start again with a smaller --lr"):
        train_tiny_gan(flowers, tmp_path / "runs", "--lr", "1e30", "--epochs", "3")
    (run_dir,) = [str(path) for path in (tmp_path / "runs").iterdir()]
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 0


def test_a_bf16_run_resumed_without_bfloat16_hardware_says_what_continues_it(flowers, tmp_path, monkeypatch):
    run_dir = train_tiny_gan(flowers, tmp_path)
    checkpoint = load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")
    checkpoint["args"]["bf16"] = True  # as if started with --bf16
    torch.save(checkpoint, os.path.join(run_dir, "checkpoint.pth"))
    monkeypatch.setattr(lib.train_gan, "has_fast_bfloat16", lambda device: False)
    with pytest.raises(UserError, match="this run was started with --bf16: continue it on such hardware, or start "
                                        "a new run without --bf16"):
        run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cpu", "--quiet"])
    with pytest.raises(UserError, match="this CPU has no bfloat16 arithmetic .* leave --bf16 out"):
        train_tiny_gan(flowers, tmp_path, "--bf16")


def test_compile_builds_a_fixed_set_of_graphs_while_warming_up(flowers, tmp_path, monkeypatch):
    """Full and last batches, D's input with and without gradients: six graphs, all made by the trial before the
    first epoch, under dynamo's recompile limit (8), and none made while training."""
    import torch._dynamo
    from torch._dynamo.utils import counters
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))  # no C++ compiler
    torch._dynamo.reset()
    counters.clear()
    graphs_after_warm_up = []
    compile_models = lib.train_gan.compile_models

    def counted(run):
        result = compile_models(run)
        graphs_after_warm_up.append(counters["stats"]["unique_graphs"])
        return result

    monkeypatch.setattr(lib.train_gan, "compile_models", counted)
    flowers_10 = os.path.join(flowers, "..", "more")
    from tests.fakes import make_flower_folder
    make_flower_folder(flowers_10, count=10)  # batches of 4, 4 and 2
    with _no_recompile_warning():
        train_tiny_gan(flowers_10, tmp_path, "--epochs", "2", "--compile")
    assert graphs_after_warm_up == [counters["stats"]["unique_graphs"]] == [6]
    limit = getattr(torch._dynamo.config, "recompile_limit", None) or torch._dynamo.config.cache_size_limit  # < 2.7
    assert counters["stats"]["unique_graphs"] < limit
    torch._dynamo.reset()


class _no_recompile_warning:
    """Fails if dynamo warns that it hit its recompile limit and fell back to eager code."""

    def __enter__(self):
        import warnings
        self.catcher = warnings.catch_warnings(record=True)
        self.caught = self.catcher.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self.catcher.__exit__(*exc)
        assert not [w for w in self.caught if "recompile" in str(w.message) or "cache_size" in str(w.message)]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
