"""Part 4: the loss plot a GAN run draws (losses.png): both losses and D's outputs per epoch, with markers while a
run is short enough that a line alone would hide its points. (The runs: test_gan_runs.py.)"""
import sys

import pytest

import lib.gan_run_folder as gan_run_folder_module
from lib.train_gan import HISTORY_KEYS


def flat_history(epochs):
    """A history of ``epochs`` epochs in which every number is 0.5."""
    history = {key: [0.5] * epochs for key in HISTORY_KEYS}
    history["epoch"] = list(range(1, epochs + 1))
    return history


@pytest.mark.parametrize("epochs, marker", [(1, "o"), (20, "o"), (21, "None")])
def test_loss_plot_marks_the_points_of_a_short_run(tmp_path, monkeypatch, epochs, marker):
    figures = []
    monkeypatch.setattr(gan_run_folder_module, "save_figure", lambda fig, path, **kwargs: figures.append(fig))
    gan_run_folder_module.plot_history(flat_history(epochs), str(tmp_path / "losses.png"))
    lines = [line for ax in figures[0].axes for line in ax.get_lines()]
    assert len(lines) == 5  # a one-epoch line without a marker would draw nothing visible
    assert [line.get_marker() for line in lines] == [marker] * 5


def test_the_plot_is_written_as_a_png(tmp_path):
    path = tmp_path / "losses.png"
    gan_run_folder_module.plot_history(flat_history(3), str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
