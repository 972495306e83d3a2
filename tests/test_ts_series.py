"""tsd.ts.series: the shipped series (co2's gaps filled by linear interpolation, macrodata's
growth rates), user CSVs with bad values refused by name, windows, and a time-ordered split
standardised from the train part only."""

from pathlib import Path

import numpy as np
import pytest

from tsd.errors import InvalidArgumentError
from tsd.ts.series import Series, _statsmodels_csv, load_csv, load_dataset, split_series, windows

needs_statsmodels = pytest.mark.skipif(
    __import__("importlib").util.find_spec("statsmodels") is None,
    reason="the shipped series come with statsmodels (extra ts)",
)


@needs_statsmodels
def test_co2_fills_each_gap_linearly_between_its_neighbours() -> None:
    raw = _statsmodels_csv("co2", "co2")["co2"].to_numpy().astype(np.float64)
    series = load_dataset("co2")
    assert series.values.shape == (len(raw), 1)
    assert len(raw) == 2284
    gaps = np.flatnonzero(np.isnan(raw))
    assert len(gaps) == 59
    assert np.isfinite(series.values).all()
    known = np.flatnonzero(~np.isnan(raw))
    np.testing.assert_array_equal(series.values[known, 0], raw[known])
    for gap in gaps:
        left = known[known < gap].max()
        right = known[known > gap].min()
        share = (gap - left) / (right - left)
        expected = raw[left] + share * (raw[right] - raw[left])
        assert series.values[gap, 0] == pytest.approx(expected, rel=1e-12)


@needs_statsmodels
def test_macrodata_is_three_growth_rates_in_percent() -> None:
    series = load_dataset("macrodata")
    assert series.columns == ("realgdp", "realcons", "realinv")
    assert series.values.shape == (202, 3)
    # First quarter of 1959 to the second: real GDP 2710.349 -> 2778.801.
    assert series.values[0, 0] == pytest.approx(100 * np.log(2778.801 / 2710.349))


def test_an_unknown_dataset_is_named() -> None:
    with pytest.raises(InvalidArgumentError, match="dataset: unknown 'nope'"):
        load_dataset("nope")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(text)
    return path


def test_a_csv_is_read_column_by_column(tmp_path: Path) -> None:
    series = load_csv(write(tmp_path, "t,a,b\n1,1.5,2\n2,2.5,3\n"), ["b", "a"])
    np.testing.assert_array_equal(series.values, [[2.0, 1.5], [3.0, 2.5]])


@pytest.mark.parametrize(
    ("text", "columns", "match"),
    [
        ("a\n1\nNaN\n3\n", ["a"], "column: a in .* has 1 NaN, infinite or empty values"),
        ("a\n1\ninf\n", ["a"], "first at data row 2: inf"),
        ("a\n1\n\n3\n", ["a"], "column: a"),
        ("a,b\n1,x\n", ["b"], "column: b in .* is not numeric"),
        ("a\n1\n", ["z"], "column: z not in"),
        ("a\n1\n", [], "column: give at least one"),
    ],
)
def test_bad_csv_input_is_named(tmp_path: Path, text: str, columns: list[str], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        load_csv(write(tmp_path, text), columns)


def test_a_missing_csv_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="csv: no file"):
        load_csv(tmp_path / "absent.csv", ["a"])


def test_windows_are_each_context_and_its_next_step() -> None:
    values = np.arange(12.0).reshape(6, 2)
    inputs, targets = windows(values, 3)
    assert inputs.shape == (3, 3, 2)
    np.testing.assert_array_equal(inputs[1], values[1:4])
    np.testing.assert_array_equal(targets, values[3:])


def test_the_split_is_in_time_order_and_standardised_from_train_only() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(120, 2)).cumsum(axis=0)
    window = 5
    splits = split_series(Series("s", ("a", "b"), values, "test"), window)
    count = len(values) - window
    train, val = int(count * 0.7), int(count * 0.15)
    assert [len(splits.train[0]), len(splits.val[0]), len(splits.test[0])] == [
        train, val, count - train - val,
    ]  # fmt: skip
    seen = values[: train + window]
    np.testing.assert_allclose(splits.mean, seen.mean(axis=0))
    np.testing.assert_allclose(splits.scale, seen.std(axis=0))
    np.testing.assert_allclose(splits.test[1][-1], (values[-1] - splits.mean) / splits.scale)
    later = values.copy()
    later[train + window :] += 1000.0
    moved = split_series(Series("s", ("a", "b"), later, "test"), window)
    np.testing.assert_array_equal(moved.mean, splits.mean)
    np.testing.assert_array_equal(moved.scale, splits.scale)


def test_a_series_shorter_than_the_window_is_an_error() -> None:
    series = Series("s", ("a",), np.arange(10.0)[:, None], "test")
    with pytest.raises(InvalidArgumentError, match="window: a series of 10 steps is too short"):
        split_series(series, 8)


def test_a_constant_column_is_named() -> None:
    values = np.stack([np.arange(40.0), np.ones(40)], axis=1)
    with pytest.raises(InvalidArgumentError, match="column: b is constant"):
        split_series(Series("s", ("a", "b"), values, "test"), 4)
