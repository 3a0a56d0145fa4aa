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
from lib.utils.checkpoints import load_checkpoint
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


def test_a_nan_loss_stops_the_run_and_names_the_setting_at_fault(flowers, tmp_path):
    with pytest.raises(UserError) as err:
        train_tiny_gan(flowers, tmp_path / "runs", "--lr", "1e30", "--epochs", "3")
    (run_dir,) = [str(path) for path in (tmp_path / "runs").iterdir()]
    assert str(err.value) == "the loss became NaN or infinite in epoch 1, so training stopped ({} holds an earlier " \
                             "epoch); start a new run with --lr 1e+30 (default 0.0002) nearer the default".format(
                                 os.path.join(run_dir, "checkpoint.pth"))
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 0


@pytest.mark.parametrize("where", ["last epoch", "samples_final_ema.png"])
def test_a_signal_in_the_last_epoch_or_while_the_run_finishes_completes_it_first(flowers, tmp_path, monkeypatch, where):
    straight = train_tiny_gan(flowers, tmp_path / "straight", "--epochs", "2")
    end_epoch, save_samples = lib.train_gan.end_epoch, lib.train_gan.save_samples

    def sigterm_in_epoch_2(run, means):
        end_epoch(run, means)
        if run.epoch == 2 and where == "last epoch":
            os.kill(os.getpid(), signal.SIGTERM)

    def sigterm_while_writing(run, name, model=None):
        if name == where:
            os.kill(os.getpid(), signal.SIGTERM)
        save_samples(run, name, model)
    monkeypatch.setattr(lib.train_gan, "end_epoch", sigterm_in_epoch_2)
    monkeypatch.setattr(lib.train_gan, "save_samples", sigterm_while_writing)
    with pytest.raises(Interrupted) as stopped:
        train_tiny_gan(flowers, tmp_path / "stopped", "--epochs", "2")
    (run_dir,) = [str(path) for path in (tmp_path / "stopped").iterdir()]
    assert str(stopped.value) == "training finished its last epoch before stopping; the run in {} is " \
                                 "complete".format(run_dir)
    assert stopped.value.exit_status == 143 and sorted(os.listdir(run_dir)) == sorted(os.listdir(straight))
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 2
    assert_same_weights(gan_weights(run_dir), gan_weights(straight))


def test_a_run_cut_short_while_it_finishes_is_finished_by_resume(flowers, tmp_path, monkeypatch):
    def killed(run_dir):  # as kill -9 or a second Ctrl-C would end it there
        raise KeyboardInterrupt
    straight = train_tiny_gan(flowers, tmp_path / "straight", "--epochs", "2", "--checkpoint_every", "1")
    with monkeypatch.context() as patch:
        patch.setattr(lib.train_gan, "write_progress_gif", killed)
        with pytest.raises(Interrupted, match="training stopped at once in epoch 2; .* holds it: continue with"):
            train_tiny_gan(flowers, tmp_path / "cut", "--epochs", "2", "--checkpoint_every", "1")
    (run_dir,) = [str(path) for path in (tmp_path / "cut").iterdir()]
    assert load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")["epoch"] == 1  # not taken for a finished run
    run_gan_training.main(["--resume", run_dir, "--device", "cpu", "--quiet"])
    assert_same_weights(gan_weights(run_dir), gan_weights(straight))
    assert os.path.isfile(os.path.join(run_dir, "progress.gif"))


def test_a_full_disk_while_the_checkpoint_is_written_ends_in_one_sentence(flowers, tmp_path, monkeypatch):
    save = torch.save

    def full_disk_at_the_checkpoint(obj, path):
        save(obj, path)
        if os.path.basename(path).startswith(".checkpoint.pth"):
            raise RuntimeError("basic_ios::clear: iostream error")
    monkeypatch.setattr(torch, "save", full_disk_at_the_checkpoint)
    with pytest.raises(UserError, match=r"^the disk is full, so .*/checkpoint.pth was not written \(its previous "
                                        r"version, if any, is intact\); free some space and run the command again$"):
        train_tiny_gan(flowers, tmp_path)


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


@pytest.mark.parametrize("bf16", [False, True])
def test_compile_builds_every_graph_while_warming_up(flowers, tmp_path, monkeypatch, bf16):
    """Full and last batches, D's input with and without gradients (and in float32 from the data when the fakes
    are bfloat16): every graph is made by the trial before the first epoch, where a failure is one sentence, under
    dynamo's recompile limit (8); a backend that fails after the trial would end the run in a traceback."""
    import torch._dynamo
    from torch._dynamo.utils import counters
    trial = [True]

    def eager_during_the_trial_only(graph, inputs):
        if not trial[0]:
            raise RuntimeError("a graph compiled while training, outside the trial")
        return graph.forward

    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend=eager_during_the_trial_only))
    monkeypatch.setattr(lib.train_gan, "has_fast_bfloat16", lambda device: True)  # emulated here: slow, but right
    torch._dynamo.reset()
    counters.clear()
    graphs_after_warm_up = []
    compile_models = lib.train_gan.compile_models

    def counted(run):
        result = compile_models(run)
        graphs_after_warm_up.append(counters["stats"]["unique_graphs"])
        trial[0] = False
        return result

    monkeypatch.setattr(lib.train_gan, "compile_models", counted)
    flowers_10 = os.path.join(flowers, "..", "more")
    from tests.fakes import make_flower_folder
    make_flower_folder(flowers_10, count=10)  # batches of 4, 4 and 2
    with _no_recompile_warning():
        train_tiny_gan(flowers_10, tmp_path, "--epochs", "2", "--compile", *["--bf16"] * bf16)
    assert graphs_after_warm_up == [counters["stats"]["unique_graphs"]] == [8 if bf16 else 6]
    limit = getattr(torch._dynamo.config, "recompile_limit", None) or torch._dynamo.config.cache_size_limit  # < 2.7
    assert counters["stats"]["unique_graphs"] <= limit
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
