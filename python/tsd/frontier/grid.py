"""tsd's payload knobs and their evaluation: every (K, code bits, τ, ε scale) of a grid crafted
from the draft d by the core, measured against the target p (the acceptance the verifier
sees) and against d itself (the proposer's proxy), with sizes from the real encoder."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_float, check_int
from tsd.errors import InvalidArgumentError
from tsd.frontier.acceptance import ClippedSums, PayloadColumns, payload_acceptance
from tsd.frontier.defaults import DEFAULT_EPS_SCALES, DEFAULT_TAUS

Floats = NDArray[np.float64]
# K beyond 16 in the default grid, roughly geometric up to 1,024.
SPARSE_KS = (20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512,
             640, 768, 1024)  # fmt: skip
# Keeps (V − K)·ε below 1 after a scale-up, with room for binary32 rounding.
MAX_TAIL_MASS = 0.999


@dataclass(frozen=True)
class Knobs:
    """One payload setting: K explicit ids, `bits`-bit score codes, temperature τ, and ε as
    `eps_scale` times "auto" (the draft's mass outside the ids spread over the other tokens)."""

    K: int
    bits: int
    tau: float
    eps_scale: float


@dataclass(frozen=True)
class Grid:
    """The knob values searched; every combination is one candidate payload setting."""

    ks: tuple[int, ...]
    bits: tuple[int, ...]
    taus: tuple[float, ...]
    eps_scales: tuple[float, ...]

    def __post_init__(self) -> None:
        for name, values in (("ks", self.ks), ("bits", self.bits), ("taus", self.taus),
                             ("eps_scales", self.eps_scales)):  # fmt: skip
            if not values:
                raise InvalidArgumentError(f"{name}: needs at least one value")
        for k in self.ks:
            check_int("K", k, 1)
        for b in self.bits:
            check_int("bits", b, 1, 8)
        for t in self.taus:
            check_float("tau", t, positive=True)
        for s in self.eps_scales:
            if check_float("eps_scale", s) < 0:
                raise InvalidArgumentError(f"eps_scale: must be >= 0, got {s}")

    def knobs(self, vocab: int) -> list[Knobs]:
        """Every setting whose K fits the vocabulary, in grid order."""
        return [Knobs(k, b, t, s) for k in self.ks if k <= vocab for b in self.bits
                for t in self.taus for s in self.eps_scales]  # fmt: skip


def default_grid(vocab: int) -> Grid:
    """K from 1 to min(V, 1024) (every K to 16, then roughly geometric), every width 1–8, τ
    from 0.5 to 1.25, and ε from none to twice "auto"."""
    ks = sorted(k for k in (*range(1, 17), *SPARSE_KS) if k <= vocab)
    return Grid(tuple(ks), tuple(range(1, 9)), DEFAULT_TAUS, DEFAULT_EPS_SCALES)


def scaled_eps(auto: Floats, scale: float, tail_count: NDArray[np.int64]) -> Floats:
    """`scale` × auto ε per row; a scale-up is capped so that the tail mass stays below
    `MAX_TAIL_MASS` (never below auto itself)."""
    scaled = auto * scale
    if scale <= 1.0:
        return np.asarray(scaled, dtype=np.float64)
    cap = np.where(tail_count > 0, MAX_TAIL_MASS / np.maximum(tail_count, 1), 0.0)
    return np.asarray(np.minimum(scaled, np.maximum(auto, cap)), dtype=np.float64)


def evaluate(p: Floats, d: Floats, knobs: Sequence[Knobs]) -> list[dict[str, Any]]:
    """One row per setting: its knobs (`settings`), per-context acceptance against p
    (`accept`) and d (`proxy`) and encoded bytes (`bytes`), as arrays over the B contexts."""
    clipped_p, clipped_d = ClippedSums(p), ClippedSums(d)
    crafted: dict[tuple[int, int], PayloadColumns] = {}
    rows = []
    for knob in knobs:
        key = (knob.K, knob.bits)
        if key not in crafted:
            payloads = _core.craft_psi_rows(d, knob.K, 1.0, None, knob.bits)
            crafted[key] = PayloadColumns.from_payloads(payloads)
        columns = crafted[key]
        eps = scaled_eps(columns.eps, knob.eps_scale, columns.vocab - columns.k)
        rows.append({
            "method": "tsd",
            "settings": asdict(knob),
            "accept": payload_acceptance(p, columns, knob.tau, eps, clipped_p),
            "proxy": payload_acceptance(d, columns, knob.tau, eps, clipped_d),
            "bytes": columns.size_bytes.astype(np.float64),
        })  # fmt: skip
    return rows
