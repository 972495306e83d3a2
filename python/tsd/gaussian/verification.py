"""Verification of Gaussian drafts against a diagonal Gaussian target: exact by default, the
lossy modes by name (`lenient` with a bias b >= 1, `resample-target` as in STRIDE).

`verify_blocks` takes B blocks of K drafted steps, keeps each block's longest accepted prefix
and emits the correction at its first rejection; `verify` is the K = 1 case over N rows.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd import _core
from tsd._checks import check_float, check_seed
from tsd._core import PsiGaussianBatch
from tsd.errors import InvalidArgumentError
from tsd.gaussian.payload import as_rows
from tsd.gaussian.sampling import as_steps

__all__ = ["MODES", "BlockVerdicts", "Mode", "RowVerdicts", "verify", "verify_blocks"]

Mode = Literal["exact", "lenient", "resample-target"]
MODES: tuple[Mode, ...] = ("exact", "lenient", "resample-target")


@dataclass(frozen=True)
class BlockVerdicts:
    """Per block: accepted prefix length (B,), emitted values (B, K, d) NaN past
    `emitted_len`, rows emitted (B,), residual tries at the rejection (B,)."""

    accepted: NDArray[np.uint32]
    emitted: NDArray[np.float64]
    emitted_len: NDArray[np.uint32]
    tries: NDArray[np.uint32]


@dataclass(frozen=True)
class RowVerdicts:
    """Per row: whether the draft was kept (N,), the emitted value (N, d), residual tries (N,)."""

    accepted: NDArray[np.bool_]
    emitted: NDArray[np.float64]
    tries: NDArray[np.uint32]


def _as_blocks(field: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{field}: must be numeric, got {exc}") from None
    if array.ndim != 3:
        raise InvalidArgumentError(f"{field}: must be (blocks, K, d), got shape {array.shape}")
    return array


def _check_mode(mode: str, bias: float) -> tuple[str, float]:
    if mode not in MODES:
        raise InvalidArgumentError(f"mode: must be one of {', '.join(MODES)}, got {mode!r}")
    return mode, check_float("bias", bias)


def verify_blocks(
    payloads: PsiGaussianBatch,
    drafts: ArrayLike,
    target_mean: ArrayLike,
    target_sigma: ArrayLike,
    seed: int,
    starts: ArrayLike,
    mode: Mode = "exact",
    bias: float = 1.0,
) -> BlockVerdicts:
    """Verify B blocks of K drafted steps: `payloads` holds the B·K payloads block by block,
    `drafts`, `target_mean` and `target_sigma` are (B, K, d); step i of block b uses step
    `starts[b] + i` of `seed`."""
    name, b = _check_mode(mode, bias)
    values = _as_blocks("drafts", drafts)
    columns = _core.gauss_verify_blocks(
        payloads,
        values,
        _as_blocks("target_mean", target_mean),
        _as_blocks("target_sigma", target_sigma),
        check_seed(seed),
        as_steps("starts", starts, values.shape[0]),
        name,
        b,
    )
    return BlockVerdicts(
        accepted=columns["accepted"],
        emitted=columns["emitted"],
        emitted_len=columns["emitted_len"],
        tries=columns["tries"],
    )


def verify(
    payloads: PsiGaussianBatch,
    drafts: ArrayLike,
    target_mean: ArrayLike,
    target_sigma: ArrayLike,
    seed: int,
    steps: ArrayLike,
    mode: Mode = "exact",
    bias: float = 1.0,
) -> RowVerdicts:
    """Verify N independent drafted rows ((N, d) each), row b at step `steps[b]` of `seed`."""
    values = as_rows("drafts", drafts)
    n, d = values.shape
    targets = [
        as_rows(f, v) for f, v in (("target_mean", target_mean), ("target_sigma", target_sigma))
    ]
    for field, target in zip(("target_mean", "target_sigma"), targets, strict=True):
        if target.shape != values.shape:
            raise InvalidArgumentError(
                f"{field}: has shape {target.shape}, drafts has {values.shape}"
            )
    blocks = verify_blocks(
        payloads,
        values.reshape(n, 1, d),
        targets[0].reshape(n, 1, d),
        targets[1].reshape(n, 1, d),
        seed,
        steps,
        mode,
        bias,
    )
    return RowVerdicts(
        accepted=blocks.accepted == 1, emitted=blocks.emitted[:, 0, :], tries=blocks.tries
    )
