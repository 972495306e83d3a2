"""Losses: the target's Gaussian negative log-likelihood of the next value (with a fixed σ it
is a scaled MSE), the deterministic draft's MSE to the target's mean, and the stochastic
draft's Gaussian NLL of the target's mean plus teacher noise, with a regulariser that keeps its
log-variance near the target's (the seed system's guard against collapsing variance)."""

import math

import torch

__all__ = ["draft_mse_loss", "draft_nll_loss", "gaussian_nll"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Mean over entries of −log N(value; mean, exp(logvar))."""
    return (0.5 * (logvar + (value - mean).square() * torch.exp(-logvar)) + HALF_LOG_2PI).mean()


def draft_mse_loss(mean: torch.Tensor, teacher_mean: torch.Tensor) -> torch.Tensor:
    """The deterministic draft's loss: mean squared distance to the target's mean."""
    return (mean - teacher_mean).square().mean()


def draft_nll_loss(
    mean: torch.Tensor,
    logvar: torch.Tensor,
    teacher_mean: torch.Tensor,
    teacher_logvar: torch.Tensor,
    noise: torch.Tensor,
    teacher_noise: float,
    var_reg: float,
) -> torch.Tensor:
    """The stochastic draft's loss: NLL of teacher_mean + teacher_noise·noise under the draft,
    plus var_reg times the mean squared gap between the draft's and the target's log-variance."""
    value = teacher_mean + teacher_noise * noise
    gap = (logvar - teacher_logvar).square().mean()
    return gaussian_nll(mean, logvar, value) + var_reg * gap
