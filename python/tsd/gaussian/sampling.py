"""Exact draws from Gaussian payloads (the simulated TSU) and from target laws, with the exact
log density of each draw under the realised (dequantised) Gaussian.

Draw b of a batch reads step `steps[b]` of `seed`: the TSU's on its stream, a target draw on
the verifier's stream (lanes of its own), so both are replayable from (seed, step) alone.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd import _core
from tsd._checks import check_seed
from tsd._core import PsiGaussianBatch
from tsd.errors import InvalidArgumentError
from tsd.gaussian.payload import as_rows

__all__ = ["GaussDraws", "as_steps", "draw", "draw_target", "log_density"]


@dataclass(frozen=True)
class GaussDraws:
    """Drawn values (N, d) and the log density of each row under its payload (N,)."""

    values: NDArray[np.float64]
    logq: NDArray[np.float64]


def as_steps(field: str, steps: ArrayLike, rows: int) -> NDArray[np.uint64]:
    """`steps` as a contiguous uint64 array of `rows` entries (non-negative integers)."""
    array = np.asarray(steps)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.dtype.kind not in "iu" or (array.dtype.kind == "i" and (array < 0).any()):
        raise InvalidArgumentError(f"{field}: must be non-negative integers, got {array.dtype}")
    if array.shape != (rows,):
        raise InvalidArgumentError(f"{field}: must have {rows} entries, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.uint64)


def draw(payloads: PsiGaussianBatch, seed: int, steps: ArrayLike) -> GaussDraws:
    """One exact draw per payload, row b at step `steps[b]` of `seed`, with its log density."""
    columns = _core.gauss_draw(payloads, check_seed(seed), as_steps("steps", steps, len(payloads)))
    return GaussDraws(values=columns["values"], logq=columns["logq"])


def log_density(payloads: PsiGaussianBatch, values: ArrayLike) -> NDArray[np.float64]:
    """The exact log density of each row of `values` (N, d) under its payload: the map the TSU's
    returned log densities equal bit for bit."""
    return _core.gauss_log_density(payloads, as_rows("values", values))


def draw_target(
    mean: ArrayLike, sigma: ArrayLike, seed: int, steps: ArrayLike
) -> NDArray[np.float64]:
    """One exact draw from each target row N(mean, diag σ²) ((N, d) each) at `steps[b]` of
    `seed` on the verifier's stream: the bonus draw after a fully accepted block."""
    means = as_rows("target_mean", mean)
    return _core.gauss_draw_target(
        means,
        as_rows("target_sigma", sigma),
        check_seed(seed),
        as_steps("steps", steps, means.shape[0]),
    )
