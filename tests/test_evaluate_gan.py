"""Beyond the sheet: evaluate_gan.py, which scores generators by FD and KID with a cached flowers classifier."""
import json
import os
import shutil
import sys

import numpy as np
import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)

import evaluate_gan
import lib.evaluation.gan
import lib.evaluation.sample_quality
from lib.model_gan import Generator, weights_init
from tests.fakes import few_standing_batches, make_flower_folder


@pytest.fixture
def flowers(tmp_path):
    """train/, val/ and test/ folders of random photos in two classes."""
    root = make_flower_folder(tmp_path / "flowers", count=16)
    shutil.copytree(os.path.join(root, "val"), os.path.join(root, "test"))
    return root


def test_evaluate_gan_prints_the_table_and_reuses_its_classifier(flowers, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(lib.evaluation.gan.CLASSIFIER_CONFIG, "epochs", 2)
    few_standing_batches(monkeypatch)  # the standing row is scored; how well it estimates: test_gan_sampling
    # 16 features instead of 128: each of the 12 Frechet distances below takes two eigendecompositions of a
    # features x features matrix, 0.15 s each at 128 (2 of the 10 s), and the table is the same with fewer
    monkeypatch.setattr(lib.evaluation.sample_quality, "FEATURES", 16)
    torch.manual_seed(0)
    generator = Generator(4, 3, 16)  # a tiny generator in a run folder, whose checkpoint names its sizes
    generator.apply(weights_init)
    run_dir = tmp_path / "run_tiny"
    run_dir.mkdir()
    torch.save(generator.state_dict(), str(run_dir / "generator.pth"))
    torch.save({"args": {"ngf": 4, "nz": 16}}, str(run_dir / "checkpoint.pth"))
    output = str(tmp_path / "quality.json")
    argv = ["--checkpoint", str(run_dir), "--data_dir", flowers, "--cache_dir", str(tmp_path / "cache"), "--seeds", "2",
            "--device", "cpu", "--quiet"]
    evaluate_gan.main(argv + ["--output", output])
    first = capsys.readouterr().out
    assert "trained now, cached in" in first and os.path.isfile(str(tmp_path / "cache" / "flowers_classifier.pth"))
    for words in ("real images: half A vs half B | floor", "run_tiny/generator.pth", "| standing", "| running",
                  "| batch"):
        assert words in first, words
    with open(output) as handle:
        result = json.load(handle)
    assert [row["mode"] for row in result["rows"]] == ["floor", "standing", "running", "batch"]
    assert all(len(row["fd"]) == 2 and all(np.isfinite(row["fd"])) for row in result["rows"])
    assert result["images_per_side"] == 12  # 24 images: 8 train, 8 val, 8 test
    # an untrained generator is further from the (random) real images than they are from each other (2.8x here
    # with 16 features, 1.6x with 128)
    assert min(np.mean(row["fd"]) for row in result["rows"][1:]) > 1.25 * np.mean(result["rows"][0]["fd"])
    evaluate_gan.main(argv + ["--modes", "running"])
    second = capsys.readouterr().out
    assert "cached in" in second and "trained now" not in second and "| running" in second
    assert second.split("| running")[1].split("|")[1] == first.split("| running")[1].split("|")[1]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
