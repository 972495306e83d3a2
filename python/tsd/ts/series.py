"""Series: the datasets shipped inside statsmodels' wheel (read as CSV files from the installed
package, so nothing is downloaded and statsmodels itself is never imported) or a user CSV, as a
(T, d) float64 array; windows over it; a time-ordered train/val/test split standardised with
the train part's mean and scale only."""

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError
from tsd.extras import require_extra

__all__ = [
    "DATASETS",
    "FRACTIONS",
    "Series",
    "Splits",
    "load_csv",
    "load_dataset",
    "split_series",
    "windows",
]

# Train, validation and test shares of the windows, in time order.
FRACTIONS = (0.7, 0.15, 0.15)
# Name -> what it is and how its raw file becomes the series.
DATASETS = {
    "co2": "Mauna Loa CO2, weekly 1958-2001 (2,284 values, 59 gaps filled by linear interpolation)",
    "macrodata": "US macro quarterly 1959-2009: growth of real GDP, consumption and investment "
    "(202 quarters -> 202 log-differences x 100, d = 3)",
}
MACRO_COLUMNS = ("realgdp", "realcons", "realinv")

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Series:
    """A multivariate series: `values` (T, d) in time order, one name per column, where it
    came from and what was done to it (`source`)."""

    name: str
    columns: tuple[str, ...]
    values: Array
    source: str

    def digest(self) -> str:
        """A short fingerprint of the values (checkpoints refuse another series)."""
        return hashlib.sha256(np.ascontiguousarray(self.values).tobytes()).hexdigest()[:16]


def _statsmodels_csv(folder: str, name: str) -> pl.DataFrame:
    """A dataset CSV from the installed statsmodels package, found without importing it."""
    require_extra("ts", ["statsmodels"], needed_by=f"dataset {name}")
    spec = importlib.util.find_spec("statsmodels")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / folder / f"{folder}.csv"
    return pl.read_csv(path, infer_schema_length=None)


def _interpolate(values: Array) -> Array:
    """Fill NaN gaps of each column linearly between their finite neighbours (the ends by the
    nearest finite value)."""
    out = values.copy()
    index = np.arange(len(values))
    for column in range(values.shape[1]):
        known = np.isfinite(values[:, column])
        out[:, column] = np.interp(index, index[known], values[known, column])
    return out


def load_dataset(name: str) -> Series:
    """The shipped series `name` (one of `DATASETS`)."""
    if name == "co2":
        raw = _statsmodels_csv("co2", name)["co2"].cast(pl.Float64).to_numpy()[:, None]
        return Series(name, ("co2",), _interpolate(raw), DATASETS[name])
    if name == "macrodata":
        frame = _statsmodels_csv("macrodata", name)
        levels = frame.select(MACRO_COLUMNS).cast(pl.Float64).to_numpy()
        growth = 100.0 * np.diff(np.log(levels), axis=0)
        return Series(name, MACRO_COLUMNS, growth, DATASETS[name])
    raise InvalidArgumentError(f"dataset: unknown {name!r}; known: {', '.join(DATASETS)}")


def load_csv(path: Path, columns: Sequence[str]) -> Series:
    """Columns `columns` of the CSV at `path`, rows in file order; a missing file or column,
    a non-numeric column or a NaN or infinite value is an error naming it (no silent filling:
    a user series is taken as it is)."""
    if not columns:
        raise InvalidArgumentError("column: give at least one --column with --csv")
    if not path.is_file():
        raise InvalidArgumentError(f"csv: no file at {path}")
    try:
        frame = pl.read_csv(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"csv: {path} is not a readable CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            f"column: {', '.join(missing)} not in {path} (columns: {', '.join(frame.columns)})"
        )
    for column in columns:
        if not frame[column].dtype.is_numeric():
            raise InvalidArgumentError(f"column: {column} in {path} is not numeric")
    values = frame.select(columns).cast(pl.Float64).to_numpy()
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise InvalidArgumentError(
            f"column: {columns[col]} in {path} has {int(bad.sum())} NaN, infinite or empty "
            f"values (first at data row {row + 1}: {values[row, col]})"
        )
    return Series(path.stem, tuple(columns), values, f"{path}: {', '.join(columns)}")


def windows(values: Array, window: int) -> tuple[Array, Array]:
    """Every context of `window` steps and the step that follows it: (N, window, d), (N, d)."""
    count = len(values) - window
    index = np.arange(window)[None, :] + np.arange(count)[:, None]
    return values[index], values[window:]


@dataclass(frozen=True)
class Splits:
    """Standardised windows for training, validation and test, and the train part's mean and
    scale (per column) that map them back to the series' units."""

    train: tuple[Array, Array]
    val: tuple[Array, Array]
    test: tuple[Array, Array]
    mean: Array
    scale: Array


def split_series(series: Series, window: int) -> Splits:
    """Cut the windows of `series` in time order into `FRACTIONS`, standardised by the mean and
    standard deviation of the values the train windows see (no look-ahead). Each part needs at
    least one window; a shorter series is an error naming the window."""
    check_int("window", window, 1)
    length = len(series.values)
    count = length - window
    sizes = [int(count * share) for share in FRACTIONS[:2]]
    if count < 3 or min(sizes) < 1 or count - sum(sizes) < 1:
        raise InvalidArgumentError(
            f"window: a series of {length} steps is too short for a window of {window} "
            f"(each of train, val and test needs at least one window after it)"
        )
    seen = series.values[: sizes[0] + window]
    mean = seen.mean(axis=0)
    scale = seen.std(axis=0)
    flat = [series.columns[i] for i in np.flatnonzero(scale == 0.0)]
    if flat:
        raise InvalidArgumentError(f"column: {', '.join(flat)} is constant over the train part")
    inputs, targets = windows((series.values - mean) / scale, window)
    cut = np.cumsum(sizes)
    return Splits(
        train=(inputs[: cut[0]], targets[: cut[0]]),
        val=(inputs[cut[0] : cut[1]], targets[cut[0] : cut[1]]),
        test=(inputs[cut[1] :], targets[cut[1] :]),
        mean=mean,
        scale=scale,
    )
