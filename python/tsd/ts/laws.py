"""Conditional laws for forecasting: a function from contexts (N, window, d) to the next step's
per-dimension mean and log-variance (N, d), as float64 numpy arrays. The speculative loop sees
only this, so a forecaster, a closed-form process or a test double all plug in the same way."""

import math
from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray

from tsd._checks import check_float
from tsd.gaussian import LOGVAR_MIN
from tsd.ts.models import Forecaster

__all__ = ["Array", "Law", "forecaster_law", "sigma_of", "with_sigma"]

Array = NDArray[np.float64]
# Contexts (N, window, d) -> mean (N, d), log-variance (N, d).
Law = Callable[[Array], tuple[Array, Array]]


def sigma_of(logvar: Array) -> Array:
    """The standard deviations a law's log-variances stand for."""
    return np.exp(0.5 * logvar)


def _numpy(tensor: torch.Tensor) -> Array:
    return tensor.detach().numpy().astype(np.float64)


def forecaster_law(model: Forecaster) -> Law:
    """`model`'s next-step law. A mean-only (deterministic) head becomes the narrowest Gaussian
    the ψ can carry (log σ² = `LOGVAR_MIN`): a point draft sent as a payload."""
    model.eval()

    def law(contexts: Array) -> tuple[Array, Array]:
        with torch.no_grad():
            mean, logvar = model(torch.from_numpy(contexts.astype(np.float32)))
        means = _numpy(mean)
        if logvar is None:
            return means, np.full_like(means, LOGVAR_MIN)
        return means, _numpy(logvar)

    return law


def with_sigma(law: Law, sigma: float) -> Law:
    """`law` with every σ replaced by `sigma` (the seed system's `--spec-sigma` applied at
    forecast time, standardised units); the means are unchanged."""
    logvar = 2.0 * math.log(check_float("spec_sigma", sigma, positive=True))

    def law_with_sigma(contexts: Array) -> tuple[Array, Array]:
        means, _ = law(contexts)
        return means, np.full_like(means, logvar)

    return law_with_sigma
