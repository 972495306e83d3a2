"""Plots: heat-map labels stay readable on every cell."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from tsd.plots import heatmaps


def test_heatmap_labels_are_dark_on_light_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: object, **kwargs: object) -> None:
        saved.append(self)
        save(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Figure, "savefig", keep)
    grid = np.array([[0.1, 0.2], [0.8, 0.9]])
    heatmaps([4, 8], [1.0, 2.0], {"acceptance": grid}, "title", tmp_path / "h.png")
    (figure,) = saved
    colours = {text.get_text(): text.get_color() for text in figure.axes[0].texts}
    assert colours == {"0.1": "white", "0.2": "white", "0.8": "black", "0.9": "black"}
