"""A plain numpy reference for the Gaussian TSU and verifier: the test oracle.

It follows the documented procedure step by step (docs/GAUSSIAN.md) from the core's own
random words (`rng_lane_words`) and the same portable elementary functions (`libm_map`: the
`libm` crate's exp, log, sin, cos, sqrt), composing them itself: the lane layout, Box–Muller,
dequantisation, the summation order of the log density and the accept/residual rules are
written out here independently, so their results agree with the core bit for bit.
"""

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._core import PsiGaussian

__all__ = ["LN_TWO_PI", "ReferenceGaussian", "normals", "verify_row"]

LN_TWO_PI = 1.8378770664093453
TWO_PI = 6.283185307179586
STREAM_TSU = _core.RNG_STREAM_TSU
STREAM_VERIFY = _core.RNG_STREAM_VERIFY


def _libm(name: str, values: NDArray[np.float64]) -> NDArray[np.float64]:
    return _core.libm_map(name, np.ascontiguousarray(values, dtype=np.float64))


def _units(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    return (words >> np.uint64(11)).astype(np.float64) * 2.0**-53


def normals(seed: int, stream: int, step: int, first_lane: int, d: int) -> NDArray[np.float64]:
    """d standard normals by Box–Muller: lane j gives r·cos θ, r·sin θ."""
    words = _core.rng_lane_words(seed, stream, step, first_lane, (d + 1) // 2)
    radius = _libm("sqrt", -2.0 * _libm("log", 1.0 - _units(words[:, 0])))
    theta = TWO_PI * _units(words[:, 1])
    pairs = np.stack([radius * _libm("cos", theta), radius * _libm("sin", theta)], axis=1)
    return pairs.reshape(-1)[:d]


class ReferenceGaussian:
    """A diagonal Gaussian's mean, σ, log-variance ℓ and precision w, as the core derives them."""

    def __init__(
        self,
        mean: NDArray[np.float64],
        sigma: NDArray[np.float64],
        logvar: NDArray[np.float64],
        precision: NDArray[np.float64],
    ) -> None:
        self.mean, self.sigma, self.logvar, self.precision = mean, sigma, logvar, precision

    @classmethod
    def from_payload(cls, psi: PsiGaussian) -> "ReferenceGaussian":
        """μ = offset + step · code in binary64; ℓ = code / 8; σ = exp(code / 16); w = exp(−ℓ)."""
        codes = psi.logvar_codes.astype(np.float64)
        mean = np.float64(psi.offset) + np.float64(psi.step) * psi.mean_codes.astype(np.float64)
        logvar = codes * 0.125
        return cls(mean, _libm("exp", codes * 0.0625), logvar, _libm("exp", -logvar))

    @classmethod
    def from_target(
        cls, mean: NDArray[np.float64], sigma: NDArray[np.float64]
    ) -> "ReferenceGaussian":
        """ℓ = 2 ln σ, w = 1 / (σ · σ)."""
        return cls(mean, sigma, 2.0 * _libm("log", sigma), 1.0 / (sigma * sigma))

    def log_density(self, x: NDArray[np.float64]) -> float:
        """−0.5 · (Σ_i ((x_i − μ_i)² · w_i + ℓ_i) + d · ln 2π), summed left to right."""
        total = 0.0
        for i in range(self.mean.size):
            z = float(x[i]) - float(self.mean[i])
            total += z * z * float(self.precision[i]) + float(self.logvar[i])
        return -0.5 * (total + self.mean.size * LN_TWO_PI)

    def draw(self, seed: int, stream: int, step: int, first_lane: int) -> NDArray[np.float64]:
        """μ + σ · z for the normals of (seed, stream, step) from `first_lane`."""
        out: NDArray[np.float64] = self.mean + self.sigma * normals(
            seed, stream, step, first_lane, self.mean.size
        )
        return out


def verify_row(
    q: ReferenceGaussian,
    p: ReferenceGaussian,
    x: NDArray[np.float64],
    seed: int,
    step: int,
    mode: str = "exact",
    bias: float = 1.0,
) -> tuple[bool, NDArray[np.float64], int]:
    """(accepted, emitted, tries) by the documented accept rule and residual lane layout."""
    ratio = float(_libm("exp", np.array([p.log_density(x) - q.log_density(x)]))[0])
    threshold = bias * ratio if mode == "lenient" else ratio
    words = _core.rng_lane_words(seed, STREAM_VERIFY, step, 0, 1)
    if _units(words[:, 0])[0] < threshold:
        return True, x, 0
    if mode == "resample-target":
        return False, p.draw(seed, STREAM_VERIFY, step, 1), 1
    lanes = (p.mean.size + 1) // 2
    for t in range(_core.GAUSS_MAX_RESIDUAL_TRIES):
        first = 1 + t * (lanes + 1)
        y = p.draw(seed, STREAM_VERIFY, step, first)
        log_ratio = np.array([q.log_density(y) - p.log_density(y)])
        keep = 1.0 - float(_libm("exp", log_ratio)[0])
        accept_word = _core.rng_lane_words(seed, STREAM_VERIFY, step, first + lanes, 1)
        if _units(accept_word[:, 0])[0] < keep:
            return False, y, t + 1
    raise AssertionError("the reference residual used its whole try budget")
