"""benchmark.py on tiny fake data: both loops of both models run, the table and the curves it writes add up, and it
asks for both figures (test_benchmark_curves.py draws one)."""
import json
import os
import sys

import pytest
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import benchmark
from tests.fakes import make_flower_folder
from tests.fakes import write_fake_mnist


def fake_bfloat16_hardware(monkeypatch, fast):
    """As on a CPU with (``fast``) or without bfloat16 arithmetic in hardware: the bfloat16 row runs only where it
    is fast."""
    import lib.train_gan
    import lib.utils.devices
    for module in (lib.utils.devices, lib.train_gan):
        monkeypatch.setattr(module, "has_fast_bfloat16", lambda device: fast)


def note_curves(monkeypatch):
    """Make benchmark.py note the loss-curve figures it would draw instead of drawing them (test_benchmark_curves.py
    draws them): matplotlib's import and two figures are 2.5 s of the 10 s this file has. Returns
    ``{path: (loop names, loss keys)}``."""
    asked = {}

    def note(curves, keys, title, path):
        asked[path] = (list(curves), [key for key, _ in keys])
    monkeypatch.setattr(benchmark, "plot_curves", note)
    return asked


def test_benchmark_writes_a_consistent_table_and_asks_for_both_figures(tmp_path, monkeypatch, capsys):
    fake_bfloat16_hardware(monkeypatch, False)
    figures = note_curves(monkeypatch)
    # 2 photos, one batch an epoch: every GAN loop still runs its 2 epochs and is timed and tabled
    monkeypatch.setenv("FLOWERS_ROOT", make_flower_folder(tmp_path / "flowers", count=2))
    write_fake_mnist(tmp_path / "mnist", n_train=300, n_test=100)
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path / "mnist"))
    out = tmp_path / "bench"
    benchmark.main(["--gan_epochs", "2", "--vae_epochs", "2", "--device", "cpu", "--threads", "1",
                    "--output_dir", str(out)])
    result = json.loads((out / "benchmark.json").read_text())
    rows = result["rows"]
    assert [(row["model"], row["loop"]) for row in rows] == [
        ("gan", "tutorial"), ("gan", "project float32"), ("vae", "tutorial"), ("vae", "project")]
    for row in rows:
        tutorial = next(r for r in rows if r["model"] == row["model"] and r["loop"] == "tutorial")
        assert row["speedup"] == pytest.approx(tutorial["seconds_per_epoch"] / row["seconds_per_epoch"])
    for loop in result["curves"]["gan"].values():  # one point per epoch; BCE losses are positive and finite
        assert len(loop["loss_d"]) == len(loop["loss_g"]) == 2 and min(loop["loss_d"] + loop["loss_g"]) > 0
    tutorial, project = result["curves"]["vae"]["tutorial"], result["curves"]["vae"]["project"]
    # the same seed gives both VAE loops the same batches: their losses differ by rounding only
    assert project["test_loss"] == pytest.approx(tutorial["test_loss"], rel=1e-3)
    assert tutorial["test_loss"][1] < tutorial["test_loss"][0]
    table = (out / "benchmark.md").read_text()
    row = rows[1]
    assert "| gan | project float32 | 2 | {:.3f} | {:.2f}x |".format(row["seconds_per_epoch"], row["speedup"]) in table
    assert figures == {str(out / "gan_loss_curves.png"): (["tutorial", "project float32"], ["loss_d", "loss_g"]),
                       str(out / "vae_loss_curves.png"): (["tutorial", "project"], ["train_loss", "test_loss"])}
    out = capsys.readouterr().out
    assert "written to" in out and "no bfloat16 row: this CPU has no bfloat16 arithmetic in hardware" in out


def test_a_device_with_bfloat16_hardware_gets_the_bfloat16_row(tmp_path, monkeypatch, capsys):
    fake_bfloat16_hardware(monkeypatch, True)  # here emulated, 0.3 s an image on a CPU without it: one epoch of 2
    note_curves(monkeypatch)
    monkeypatch.setenv("FLOWERS_ROOT", make_flower_folder(tmp_path / "flowers", count=2))
    out = tmp_path / "bench"
    benchmark.main(["--gan_epochs", "1", "--vae_epochs", "0", "--device", "cpu", "--threads", "1",
                    "--output_dir", str(out)])
    result = json.loads((out / "benchmark.json").read_text())
    rows = result["rows"]
    assert [row["loop"] for row in rows] == ["tutorial", "project float32", "project bfloat16 autocast"]
    assert rows[2]["speedup"] == pytest.approx(rows[0]["seconds_per_epoch"] / rows[2]["seconds_per_epoch"])
    bfloat16 = result["curves"]["gan"]["project bfloat16 autocast"]
    assert len(bfloat16["loss_d"]) == len(bfloat16["loss_g"]) == 1 and min(bfloat16["loss_d"] + bfloat16["loss_g"]) > 0
    assert "no bfloat16 row" not in capsys.readouterr().out


def test_ctrl_c_in_a_loop_writes_nothing(tmp_path, monkeypatch, capsys):
    import lib.benchmark.loops

    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(lib.benchmark.loops, "gan_tutorial", interrupted)
    monkeypatch.setenv("FLOWERS_ROOT", make_flower_folder(tmp_path / "flowers", count=6))
    with pytest.raises(SystemExit) as stop:
        benchmark.main(["--gan_epochs", "1", "--vae_epochs", "0", "--device", "cpu", "--output_dir",
                        str(tmp_path / "bench")])
    assert stop.value.code == 130 and not (tmp_path / "bench").exists()
    assert "interrupted; nothing was written" in capsys.readouterr().err


def test_benchmark_refuses_a_negative_epoch_count(capsys):
    with pytest.raises(SystemExit) as stop:
        benchmark.main(["--gan_epochs", "-1"])
    assert stop.value.code == 2
    assert "argument --gan_epochs: -1 must not be negative" in capsys.readouterr().err


def test_benchmark_refuses_to_time_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:  # an empty table "written" would look like a result
        benchmark.main(["--gan_epochs", "0", "--vae_epochs", "0", "--output_dir", str(tmp_path / "bench")])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(  # after the program's name
        ": error: --gan_epochs and --vae_epochs are both 0, so there is nothing to time; give one of "
        "them at least 1")
    assert not os.path.exists(str(tmp_path / "bench"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
