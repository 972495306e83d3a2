"""Closed-form acceptance of exact verification for Gaussians: α = ∫ min(p, q) = 1 − TV.

Equal isotropic σ in any dimension: α = 2Φ(−‖Δμ‖ / 2σ). One dimension with unequal σ: the
densities cross at two points x₁ < x₂, the narrower density is the larger one between them,
so α = [F_wide(x₂) − F_wide(x₁)] + [F_narrow(x₁) + 1 − F_narrow(x₂)]. A diagonal Gaussian
with unequal σ in several dimensions has no closed form (min does not factor over dimensions,
so per-dimension products are wrong): `overlap_diagonal_mc` estimates α = E_q[min(1, p/q)] by
Monte Carlo and returns the estimate with its standard error.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd._checks import check_float, check_int, check_seed
from tsd.errors import InvalidArgumentError

__all__ = ["overlap_1d", "overlap_diagonal_mc", "overlap_equal_sigma"]


def _phi(x: float) -> float:
    """The standard normal CDF Φ(x)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _law(
    field: str, mean: ArrayLike, sigma: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    mu = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    sd = np.broadcast_to(np.asarray(sigma, dtype=np.float64), mu.shape)
    if mu.ndim != 1 or not np.isfinite(mu).all():
        raise InvalidArgumentError(f"{field}_mean: must be a finite vector, got {mu}")
    if not (np.isfinite(sd).all() and (sd > 0).all()):
        raise InvalidArgumentError(f"{field}_sigma: must be finite and > 0, got {sd}")
    return mu, np.array(sd)


def overlap_equal_sigma(mean_p: ArrayLike, mean_q: ArrayLike, sigma: float) -> float:
    """α for N(μ_p, σ²I) against N(μ_q, σ²I): 2Φ(−‖μ_p − μ_q‖ / 2σ)."""
    s = check_float("sigma", sigma, positive=True)
    mu_p, _ = _law("p", mean_p, s)
    mu_q, _ = _law("q", mean_q, s)
    if mu_p.shape != mu_q.shape:
        raise InvalidArgumentError(f"mean_q: has shape {mu_q.shape}, mean_p has {mu_p.shape}")
    return 2.0 * _phi(-float(np.linalg.norm(mu_p - mu_q)) / (2.0 * s))


def overlap_1d(mean_p: float, sigma_p: float, mean_q: float, sigma_q: float) -> float:
    """α for N(μ_p, σ_p²) against N(μ_q, σ_q²) in one dimension, from the two crossing points."""
    mp, mq = check_float("mean_p", mean_p), check_float("mean_q", mean_q)
    sp = check_float("sigma_p", sigma_p, positive=True)
    sq = check_float("sigma_q", sigma_q, positive=True)
    if sp == sq:
        return 2.0 * _phi(-abs(mp - mq) / (2.0 * sp))
    (mn, sn), (mw, sw) = sorted([(mp, sp), (mq, sq)], key=lambda law: law[1])
    # log N_n(x) = log N_w(x)  <=>  a x² + b x + c = 0.
    a = 1.0 / (2.0 * sn**2) - 1.0 / (2.0 * sw**2)
    b = mw / sw**2 - mn / sn**2
    c = mn**2 / (2.0 * sn**2) - mw**2 / (2.0 * sw**2) + math.log(sn / sw)
    root = math.sqrt(b * b - 4.0 * a * c)
    x1, x2 = sorted(((-b - root) / (2.0 * a), (-b + root) / (2.0 * a)))
    wide = _phi((x2 - mw) / sw) - _phi((x1 - mw) / sw)
    narrow = _phi((x1 - mn) / sn) + 1.0 - _phi((x2 - mn) / sn)
    return wide + narrow


def overlap_diagonal_mc(
    mean_p: ArrayLike,
    sigma_p: ArrayLike,
    mean_q: ArrayLike,
    sigma_q: ArrayLike,
    samples: int = 200_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Monte Carlo α = E_{x~q}[min(1, p(x)/q(x))] for diagonal Gaussians: (estimate, standard
    error), from `samples` draws of numpy's PCG64 seeded with `seed`."""
    mu_p, sd_p = _law("p", mean_p, sigma_p)
    mu_q, sd_q = _law("q", mean_q, sigma_q)
    if mu_p.shape != mu_q.shape:
        raise InvalidArgumentError(f"mean_q: has shape {mu_q.shape}, mean_p has {mu_p.shape}")
    n = check_int("samples", samples, 2)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    x = mu_q + sd_q * rng.standard_normal((n, mu_q.size))

    def log_density(mu: NDArray[np.float64], sd: NDArray[np.float64]) -> NDArray[np.float64]:
        z = (x - mu) / sd
        out: NDArray[np.float64] = -0.5 * (z * z).sum(axis=1) - np.log(sd).sum()
        return out

    ratio = np.minimum(1.0, np.exp(log_density(mu_p, sd_p) - log_density(mu_q, sd_q)))
    return float(ratio.mean()), float(ratio.std(ddof=1) / math.sqrt(n))
