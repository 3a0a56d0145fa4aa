"""Beyond the sheet: evaluate_vae.py, which scores prior samples by FD and KID with a cached MNIST classifier."""
import itertools
import json
import sys

import numpy as np
import pytest
import torch

import evaluate_vae
import lib.evaluation.vae


def test_evaluate_vae_scores_prior_samples(fake_data_dir, tmp_path, monkeypatch, capsys):
    from lib.model_vae import VAE
    monkeypatch.setattr(lib.evaluation.vae, "NUM_SAMPLES", 200)
    monkeypatch.setattr(lib.evaluation.vae, "KID_SUBSET", 100)
    for weight, std in itertools.product(("1.0", "0.0"), (None,)):
        folder = tmp_path / "results_kl{}".format(weight)
        folder.mkdir()
        torch.manual_seed(int(float(weight)))
        torch.save(VAE().state_dict(), str(folder / "model.pth"))
        (folder / "losses.json").write_text(json.dumps({"kl_loss_weight": float(weight)}))
    evaluate_vae.main(["--results_root", str(tmp_path), "--kl_loss_weights", "1", "0", "--data_dir", fake_data_dir,
                       "--cache_dir", str(tmp_path / "cache"), "--seeds", "2", "--quiet"])
    out = capsys.readouterr().out
    assert "prior samples, KL weight 1" in out and "prior samples, KL weight 0" in out and "real floor" in out
    with open(str(tmp_path / "results_kl1.0" / "prior_quality.json")) as handle:
        stored = json.load(handle)
    assert len(stored["seeds"]) == 2 and stored["kl_loss_weight"] == 1.0
    # the training digits are far closer to the test digits than an untrained decoder's blur
    assert stored["floor"]["fd"] < 0.2 * np.mean([s["fd"] for s in stored["seeds"]])


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
