"""Teachers: the target whose law a draft is distilled from, scoring every position of a batch
of windows at once: a Kneser–Ney n-gram (the character world) or a transformers model (its
law, temperature and filters included), and the sparse summary of a dense row."""

from typing import Protocol

import numpy as np
import torch

from tsd._checks import check_int
from tsd.models import NgramLM
from tsd.models.hf import HFModel
from tsd.train.rows import TeacherRows

__all__ = ["HFTeacher", "NgramTeacher", "Teacher", "top_k_rows"]


class Teacher(Protocol):
    """Scores windows: ln p(· | window[:t + 1]) for every window and position, dense."""

    vocab_size: int

    def rows(self, ids: torch.Tensor) -> TeacherRows: ...


class NgramTeacher:
    """An n-gram model as a teacher; a position sees at most the order − 1 tokens before it
    within its window, as the student sees only its window."""

    def __init__(self, model: NgramLM) -> None:
        self.model = model
        self.vocab_size = model.vocab_size

    def rows(self, ids: torch.Tensor) -> TeacherRows:
        """Dense float64 rows, (B, T, V)."""
        windows = ids.numpy().astype(np.uint32)
        batch, width = windows.shape
        keep = self.model.order - 1
        histories = [
            window[max(0, t + 1 - keep) : t + 1] for window in windows for t in range(width)
        ]
        logp = self.model.logprobs_batch(histories).reshape(batch, width, self.vocab_size)
        return TeacherRows(torch.from_numpy(logp))


class HFTeacher:
    """A transformers model as a teacher, under its law, one no-cache forward per batch;
    rows in `dtype` (float32 halves the memory of SmolLM2's 49,152-token rows)."""

    def __init__(self, model: HFModel, dtype: torch.dtype = torch.float32) -> None:
        self.model = model
        self.vocab_size = model.vocab_size
        self.dtype = dtype

    def rows(self, ids: torch.Tensor) -> TeacherRows:
        """Dense rows, (B, T, V)."""
        with torch.no_grad():
            logits = self.model.module(input_ids=ids, use_cache=False).logits
            return TeacherRows(self.model.law.log_probs(logits).to(self.dtype))


def top_k_rows(dense: TeacherRows, k: int) -> TeacherRows:
    """The teacher's `k` most probable tokens at each position and the mass of the rest, as
    one sparse row of k + 1 outcomes (what a cache of a large vocabulary's rows keeps)."""
    size = dense.logp.shape[-1]
    top = check_int("top_k", k, 1, size - 1)
    values, ids = torch.topk(dense.logp, top, dim=-1, sorted=True)
    rest = dense.logp.scatter(-1, ids, -torch.inf).logsumexp(dim=-1, keepdim=True)
    return TeacherRows(torch.cat([values, rest], dim=-1), ids)
