"""Held-out evaluation, exact: the student's full rows against the teacher's full rows on a
fixed set of held-out windows, averaged over every position of every window."""

from dataclasses import dataclass

import torch

from tsd.train.objectives import acceptance, forward_kl, total_variation

__all__ = ["Evaluation", "HeldOut", "evaluate"]

# Held-out windows per student forward: bounds the memory of SmolLM2-sized rows.
CHUNK = 4


@dataclass(frozen=True)
class HeldOut:
    """Held-out windows (N, T) and the teacher's dense ln p after each prefix (N, T, V)."""

    ids: torch.Tensor
    teacher_logp: torch.Tensor


@dataclass(frozen=True)
class Evaluation:
    """Means over held-out positions: acceptance Σ_y min(p, q), TV(p, q) and KL(p ‖ q)."""

    acceptance: float
    tv: float
    kl: float


def evaluate(student: torch.nn.Module, heldout: HeldOut) -> Evaluation:
    """The student's acceptance, TV and forward KL against the teacher on `heldout`, in
    float64 over the full vocabulary."""
    sums = torch.zeros(3, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, len(heldout.ids), CHUNK):
            ids = heldout.ids[start : start + CHUNK]
            logp = heldout.teacher_logp[start : start + CHUNK].double()
            logq = torch.log_softmax(student(input_ids=ids, use_cache=False).logits.double(), -1)
            sums += torch.stack(
                [
                    acceptance(logp, logq).sum(),
                    total_variation(logp, logq).sum(),
                    forward_kl(logp, logq).sum(),
                ]
            )
    means = (sums / heldout.ids.numel()).tolist()
    return Evaluation(acceptance=means[0], tv=means[1], kl=means[2])
