"""benchmark.py's loss-curve figure: one panel per loss, one line per loop, written as a PNG. (The benchmark's runs
and table: test_benchmark.py.)"""
import os
import sys

import matplotlib.pyplot as plt
import pytest

import benchmark


def test_one_panel_per_loss_and_one_line_per_loop(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to look at it
    curves = {"tutorial": {"loss_d": [1.4, 1.1, 0.9], "loss_g": [0.7, 0.9, 1.2]},
              "project float32": {"loss_d": [1.3, 1.0, 0.8], "loss_g": [0.8, 1.0, 1.3]}}
    path = str(tmp_path / "gan_loss_curves.png")
    benchmark.plot_curves(curves, (("loss_d", "discriminator loss"), ("loss_g", "generator loss")), "DCGAN", path)
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    (figure,) = figures
    assert [ax.get_title() for ax in figure.axes] == ["discriminator loss", "generator loss"]
    for ax, key in zip(figure.axes, ("loss_d", "loss_g")):
        assert [line.get_label() for line in ax.get_lines()] == list(curves)
        assert [list(line.get_ydata()) for line in ax.get_lines()] == [curves[name][key] for name in curves]
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]  # epochs count from 1
    assert [text.get_text() for text in figure.texts] == ["DCGAN"]  # the suptitle
    monkeypatch.undo()
    plt.close(figure)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
