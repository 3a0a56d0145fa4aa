"""Part 3: wrong arguments of run_vae_training.py and plot_latent_space.py end in one sentence with exit status 2,
in process and as a user starts them."""
import sys

import pytest

import plot_latent_space
import run_vae_training
from tests.fakes import one_sentence_error, run_script


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "argument --epochs: -1 must be at least 1"),
    (["--epochs", "ten"], "argument --epochs: 'ten' is not a whole number"),
    (["--batch_size", "0"], "argument --batch_size: 0 must be at least 1"),
    (["--kl_loss_weight", "-1"], "argument --kl_loss_weight: -1.0 must be a finite number that is not negative"),
    (["--lr", "0"], "argument --lr: 0.0 must be a finite number greater than 0"),
])
def test_bad_arguments(capsys, argv, message):
    assert message in one_sentence_error(capsys, run_vae_training, argv)


def test_bad_argument_of_the_plot_script(capsys):
    assert "argument --kl_loss_weight: 'x' is not a number" in one_sentence_error(
        capsys, plot_latent_space, ["--kl_loss_weight", "x"])


def test_scripts_as_subprocesses_fail_without_traceback(tmp_path):
    result = run_script("run_vae_training.py", "--batch_size", "0")
    assert result.returncode == 2 and "argument --batch_size: 0 must be at least 1" in result.stderr
    run_dir = tmp_path / "never_trained"
    result = run_script("plot_latent_space.py", "--kl_loss_weight", "0", "--model_dir", run_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "error: {} does not exist; train the model first with `python run_vae_training.py " \
        "--kl_loss_weight 0.0 --output_dir {}`\n".format(run_dir / "model.pth", run_dir)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
