"""Distillation objectives: divergences between the teacher's law p and the student's law q,
per position, as exact functions of their log-probabilities over the same outcomes.

The acceptance of speculative decoding at a position is Σ_y min(p, q) = 1 − TV(p, q), so
total variation is the objective that aims at acceptance itself (DistillSpec's argument);
the KL divergences and JSD bound it (Pinsker) and give smoother gradients."""

import math
from collections.abc import Callable

import torch

from tsd.errors import InvalidArgumentError

__all__ = [
    "MIX_WEIGHT",
    "OBJECTIVES",
    "acceptance",
    "check_objective",
    "forward_kl",
    "jensen_shannon",
    "mix",
    "objective",
    "reverse_kl",
    "total_variation",
]

# mix = MIX_WEIGHT · forward KL + (1 − MIX_WEIGHT) · TV: KL's gradient reaches every token the
# teacher likes from the first step, TV's aims at acceptance once the laws overlap.
MIX_WEIGHT = 0.5

Divergence = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _kl(logp: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q) over the last axis, with 0 · ln 0 = 0 wherever p is zero."""
    p = logp.exp()
    gap = torch.where(p > 0, logp - logq, torch.zeros_like(logp))
    return (p * gap).sum(dim=-1)


def forward_kl(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q): mass-covering, the usual distillation loss (cross-entropy to p less H(p))."""
    return _kl(teacher_logp, student_logp)


def reverse_kl(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """KL(q ‖ p): mode-seeking, the student puts no mass where the teacher has little."""
    return _kl(student_logp, teacher_logp)


def jensen_shannon(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """JSD(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2; bounded by ln 2."""
    logm = torch.logaddexp(teacher_logp, student_logp) - math.log(2.0)
    return 0.5 * _kl(teacher_logp, logm) + 0.5 * _kl(student_logp, logm)


def total_variation(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """TV(p, q) = ½ Σ_y |p − q| = 1 − acceptance."""
    return 0.5 * (teacher_logp.exp() - student_logp.exp()).abs().sum(dim=-1)


def mix(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """MIX_WEIGHT · KL(p ‖ q) + (1 − MIX_WEIGHT) · TV(p, q)."""
    return MIX_WEIGHT * forward_kl(teacher_logp, student_logp) + (1 - MIX_WEIGHT) * (
        total_variation(teacher_logp, student_logp)
    )


def acceptance(teacher_logp: torch.Tensor, student_logp: torch.Tensor) -> torch.Tensor:
    """Σ_y min(p, q): the probability that a draw from q is accepted against p."""
    return torch.minimum(teacher_logp.exp(), student_logp.exp()).sum(dim=-1)


OBJECTIVES: dict[str, Divergence] = {
    "fkl": forward_kl,
    "rkl": reverse_kl,
    "jsd": jensen_shannon,
    "tv": total_variation,
    "mix": mix,
}


def check_objective(name: str) -> str:
    """`name` if it is a known objective, else an error naming the known ones."""
    if name not in OBJECTIVES:
        raise InvalidArgumentError(
            f"objective: must be one of {', '.join(OBJECTIVES)}, got {name!r}"
        )
    return name


def objective(name: str) -> Divergence:
    """The divergence `name` stands for (per position, over the last axis)."""
    return OBJECTIVES[check_objective(name)]
