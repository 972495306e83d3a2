"""Plots: heat-map labels stay readable on every cell; the LM speedup plot draws every series."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from tsd.plots import heatmaps, speedup_vs_block


@pytest.fixture
def saved(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every figure saved while the test runs, in order (still written to disk)."""
    figures: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: object, **kwargs: object) -> None:
        figures.append(self)
        save(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_heatmap_labels_are_dark_on_light_cells(tmp_path: Path, saved: list[Figure]) -> None:
    grid = np.array([[0.1, 0.2], [0.8, 0.9]])
    heatmaps([4, 8], [1.0, 2.0], {"acceptance": grid}, "title", tmp_path / "h.png")
    (figure,) = saved
    colours = {text.get_text(): text.get_color() for text in figure.axes[0].texts}
    assert colours == {"0.1": "white", "0.2": "white", "0.8": "black", "0.9": "black"}


def test_speedup_plot_draws_one_line_per_series_and_the_baseline(
    tmp_path: Path, saved: list[Figure]
) -> None:
    series = {
        "speculative early-exit:10 (token ψ)": (np.array([1, 2, 4]), np.array([0.9, 1.2, 1.4])),
        "hf-assisted early-exit:10": (np.array([1, 2]), np.array([0.8, 1.1])),
    }
    path = speedup_vs_block(series, "title", tmp_path / "s.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    (figure,) = saved
    (axes,) = figure.axes
    labels = [line.get_label() for line in axes.get_lines()]
    assert labels == ["baseline", *series]
    assert list(axes.get_lines()[0].get_ydata()) == [1.0, 1.0]
    assert list(axes.get_lines()[1].get_ydata()) == [0.9, 1.2, 1.4]
    assert [int(t) for t in axes.get_xticks()] == [1, 2, 4]
