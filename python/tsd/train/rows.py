"""The teacher's side of a training batch: its law at every position of every window, either
dense (all V outcomes) or sparse (its top k tokens plus one bucket for the rest), and the
student's law on the same outcomes, so an objective compares like with like."""

from dataclasses import dataclass

import torch

__all__ = ["Batch", "TeacherRows", "student_logp"]


@dataclass(frozen=True)
class TeacherRows:
    """ln p over the outcomes at each position, (B, T, k). Dense when `ids` is None (the
    outcomes are the V tokens); sparse otherwise: `ids` (B, T, k − 1) names the teacher's top
    tokens, the first k − 1 columns of `logp` are theirs and the last is the tail's mass."""

    logp: torch.Tensor
    ids: torch.Tensor | None = None


@dataclass(frozen=True)
class Batch:
    """Windows of token ids (B, T), the teacher's rows after each prefix, and each position's
    weight in the loss (B, T): 1 where the position is trained on, 0 elsewhere."""

    ids: torch.Tensor
    teacher: TeacherRows
    weights: torch.Tensor


def student_logp(logits: torch.Tensor, teacher: TeacherRows) -> torch.Tensor:
    """ln q on the teacher's outcomes, in the teacher's dtype: the full rows for a dense
    teacher; for a sparse one, q at its top tokens and the log of q's mass on all others
    (a log-sum-exp over the masked row, so a tail of nearly zero stays finite and exact)."""
    logq = torch.log_softmax(logits.to(teacher.logp.dtype), dim=-1)
    if teacher.ids is None:
        return logq
    top = logq.gather(-1, teacher.ids)
    rest = logq.scatter(-1, teacher.ids, -torch.inf).logsumexp(dim=-1, keepdim=True)
    return torch.cat([top, rest], dim=-1)
