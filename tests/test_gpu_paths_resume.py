"""The GPU paths proven on a CPU, continued from test_gpu_paths.py: a resumed run takes how to run from its own
command line and the Adam of its device, and --compile is tried before anything is written."""
import glob
import os
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import lib.train_gan as train_gan_module
import run_gan_training
from lib.utils.files import save_torch
from tests.fakes import make_flower_folder, skip_loss_plots
from tests.test_gpu_paths import TINY, checkpoint_of, same_weights, train, user_error


@pytest.fixture(autouse=True)
def no_loss_plots(monkeypatch):
    """No test here looks at losses.png: its runs skip drawing it (matplotlib's import alone is 1 s)."""
    skip_loss_plots(monkeypatch)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """A 2-epoch run straight through, on the flowers fixture's 8 photos: what a resumed and a compiled run of
    the same settings must equal. Trained once for both tests that compare with it."""
    flowers = make_flower_folder(tmp_path_factory.mktemp("flowers") / "flowers", count=8)
    with pytest.MonkeyPatch.context() as monkeypatch:
        skip_loss_plots(monkeypatch)
        return train(flowers, tmp_path_factory.mktemp("straight"), "--epochs", "2")


# ----------------------------------------------------------------------------------------------------------------
# 5, 6. A resumed run takes how to run from its own command line, and the Adam implementation of its device

def test_resume_takes_run_time_flags_from_the_command_line(flowers, tmp_path, monkeypatch):
    run_dir = train(flowers, tmp_path / "out", "--channels_last", "no", "--checkpoint_every", "5",
                    "--plot_every", "5", "--num_workers", "0")
    compiled = []
    monkeypatch.setattr(train_gan_module, "compile_models", lambda g, d, *args: compiled.append(1) or (g, d))
    run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--channels_last", "auto", "--checkpoint_every",
                           "1", "--plot_every", "1", "--num_workers", "1", "--compile", "--device", "cpu", "--quiet"])
    stored = checkpoint_of(run_dir)["args"]
    assert stored["channels_last"] is True  # auto, resolved for the CPU this run continues on
    assert (stored["checkpoint_every"], stored["plot_every"], stored["num_workers"]) == (1, 1, 1)
    assert stored["compile"] is True and compiled == [1]


def test_a_gpu_run_resumed_on_the_cpu_steps_with_the_cpus_adam(flowers, tmp_path, straight):
    run_dir = train(flowers, tmp_path / "gpu_made")
    checkpoint = checkpoint_of(run_dir)
    for name in ("optimizer_g", "optimizer_d"):  # as written by a CUDA run, whose Adam is the fused one
        for group in checkpoint[name]["param_groups"]:
            group["fused"] = True
    save_torch(checkpoint, os.path.join(run_dir, "checkpoint.pth"))
    run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cpu", "--quiet"])
    resumed = checkpoint_of(run_dir)
    assert all(not group.get("fused") for name in ("optimizer_g", "optimizer_d")
               for group in resumed[name]["param_groups"])
    assert same_weights(straight, run_dir)  # the CPU's Adam continued the run exactly


# ----------------------------------------------------------------------------------------------------------------
# 7. --compile is tried before anything is written

def test_compile_failure_is_one_sentence_and_leaves_no_run_folder(flowers, tmp_path, capsys, monkeypatch):
    def compile_without_triton(model, *args, **kwargs):
        def compiled(*inputs):
            raise RuntimeError("Cannot find a working triton installation. Either the package is not installed "
                               "or it is too old.\nMore details")
        return compiled
    monkeypatch.setattr(torch, "compile", compile_without_triton)
    err = user_error(capsys, ["--data_dir", flowers, "--output_dir", str(tmp_path / "out"), "--compile"] + TINY)
    assert "--compile does not work on this machine (RuntimeError: Cannot find a working triton installation" in err
    assert "leave --compile out" in err and not glob.glob(str(tmp_path / "out" / "run_*"))


def test_compile_trial_changes_nothing_in_the_run(flowers, tmp_path, monkeypatch, straight):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda model, *args, **kwargs: compiled.append(model) or model)
    with_trial = train(flowers, tmp_path / "compiled", "--compile", "--epochs", "2")
    assert len(compiled) == 2
    assert same_weights(with_trial, straight)  # the eager run of the same settings


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
