"""benchmark.py on tiny fake data sets: the four loops run, train and are tabled; missing data is one sentence."""
import json
import math
import sys

import pytest

import benchmark
from tests.fakes import one_sentence


def test_benchmark_times_and_tables_the_four_loops(fake_data_dir, flowers, tmp_path, capsys):
    out = tmp_path / "bench"
    benchmark.main(["--gan_epochs", "1", "--vae_epochs", "2", "--flowers_dir", flowers, "--mnist_dir", fake_data_dir,
                    "--output_dir", str(out), "--device", "cpu", "--quiet"])
    result = json.loads((out / "benchmark.json").read_text())
    rows = result["rows"]
    assert [(row["model"], row["loop"].split(":")[0], row["epochs"]) for row in rows] == [
        ("GAN", "tutorial", 1), ("GAN", "project", 1), ("VAE", "tutorial", 2), ("VAE", "project", 2)]
    for tutorial, project in (rows[:2], rows[2:]):
        assert tutorial["speedup"] == 1 and tutorial["seconds_per_epoch"] > 0
        assert project["speedup"] == pytest.approx(tutorial["seconds_per_epoch"] / project["seconds_per_epoch"])
    for row in rows[:2]:  # loss_D = -log D(x) - log(1 - D(G(z))) and loss_G, both positive
        assert all(0 < loss < 10 for loss in row["last_epoch_loss"])
    # Both VAE loops start from the same weights and see the same 512 digits, in another order: after two epochs
    # they are as far below 784 ln 2 = 543 nats (every pixel 1/2) as each other (505.6 and 504.7 measured).
    tutorial, project = rows[2]["last_epoch_loss"], rows[3]["last_epoch_loss"]
    assert tutorial < 784 * math.log(2) - 20 and project == pytest.approx(tutorial, rel=0.01)
    table = (out / "benchmark.md").read_text()
    assert "| VAE | project: train_epoch on a TensorLoader | 2 | {:.3f} | {:.2f}x |".format(
        rows[3]["seconds_per_epoch"], rows[3]["speedup"]) in table
    printed = capsys.readouterr().out
    assert table.strip() in printed and "GAN tutorial:" not in printed  # --quiet: the table only


def test_benchmark_names_missing_data_before_timing(fake_data_dir, tmp_path, capsys):
    err = one_sentence(capsys, benchmark.main, ["--flowers_dir", tmp_path / "nowhere", "--mnist_dir", fake_data_dir,
                                                "--output_dir", tmp_path / "bench", "--device", "cpu"])
    assert "nowhere does not exist" in err and not (tmp_path / "bench").exists()


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
