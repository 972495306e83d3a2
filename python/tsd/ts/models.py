"""Forecasters: a multilayer perceptron over a context window (relative to its last value) with
a Gaussian head (per-dimension mean and log-variance of the next step). The target's head is
learned or fixed (`--spec-sigma`, in standardised units); a stochastic draft learns both; a
deterministic draft has a mean only. Log-variances are clamped to the Gaussian ψ's range, so
every head can be sent as a payload."""

import math
from dataclasses import asdict, dataclass

import torch

from tsd._checks import check_float, check_int
from tsd.errors import InvalidArgumentError
from tsd.gaussian import LOGVAR_MAX, LOGVAR_MIN

__all__ = ["HEADS", "Architecture", "Forecaster"]

# "learned": mean and log-variance; "fixed": mean, log-variance 2·log(sigma); "mean": no variance.
HEADS = ("learned", "fixed", "mean")


@dataclass(frozen=True)
class Architecture:
    """What a forecaster is: context `window`, series dimension `dim`, `layers` hidden layers of
    `hidden` units, its head, and the fixed head's σ (ignored by the other heads)."""

    window: int
    dim: int
    hidden: int
    layers: int
    head: str
    sigma: float = 1.0

    def __post_init__(self) -> None:
        check_int("window", self.window, 1)
        check_int("dim", self.dim, 1)
        check_int("hidden", self.hidden, 1)
        check_int("layers", self.layers, 1)
        if self.head not in HEADS:
            raise InvalidArgumentError(f"head: {self.head!r} is not one of {', '.join(HEADS)}")
        check_float("spec_sigma", self.sigma, positive=True)

    def to_dict(self) -> dict[str, object]:
        """The fields, for checkpoints and summaries."""
        return asdict(self)


class Forecaster(torch.nn.Module):
    """Context (B, window, dim) -> mean (B, dim) and log-variance (B, dim) of the next step
    (the "mean" head returns a log-variance of None)."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        width = arch.window * arch.dim
        blocks: list[torch.nn.Module] = []
        for _ in range(arch.layers):
            blocks += [torch.nn.Linear(width, arch.hidden), torch.nn.GELU()]
            width = arch.hidden
        self.body = torch.nn.Sequential(*blocks)
        outputs = 2 * arch.dim if arch.head == "learned" else arch.dim
        self.out = torch.nn.Linear(width, outputs)

    def forward(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next step's mean, the last context value plus a learned increment, and its
        log-variance (None for the "mean" head). The network sees the window relative to its
        last value, so a trending series' later levels, unseen in training, change nothing."""
        last = context[:, -1, :]
        features = self.out(self.body((context - last[:, None, :]).flatten(1)))
        dim = self.arch.dim
        if self.arch.head == "mean":
            return last + features, None
        if self.arch.head == "fixed":
            fixed = min(max(2.0 * math.log(self.arch.sigma), LOGVAR_MIN), LOGVAR_MAX)
            return last + features, torch.full_like(features, fixed)
        logvar = features[:, dim:].clamp(LOGVAR_MIN, LOGVAR_MAX)
        return last + features[:, :dim], logvar
