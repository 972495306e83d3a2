"""Console tables: what a reader sees in each cell."""

import polars as pl
import pytest

from tsd.console import print_rows_table


def test_empty_cells_print_as_a_dash_and_floats_to_six_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    frame = pl.DataFrame({"method": ["baseline", "speculative"], "L": [None, 2], "x": [1 / 3, 2.0]})
    print_rows_table("t", frame)
    out = capsys.readouterr().out
    assert "None" not in out
    baseline = next(line for line in out.splitlines() if "baseline" in line)
    assert "–" in baseline
    assert "0.333333" in baseline
