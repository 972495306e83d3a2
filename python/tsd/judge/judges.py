"""Judges: at a mismatch (the draft's token is not the greedy target's), accept the draft
token as if it matched, or reject it. Every judge is LOSSY: accepting a mismatch changes the
output away from the target's greedy decoding, so a judge is never the default and its
records say `lossy`.

- `AutoJudge(head, threshold)`: accept when the trained head's `prob_important < threshold`.
- `KLJudge(threshold)`: training-free; accept when KL(p_target ‖ p_draft) < threshold, on
  the models' full T=1 distributions at the position.
- `TopKJudge(k)`: accept when the draft token is among the target's top k (ties included).
"""

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from tsd.errors import InvalidArgumentError
from tsd.judge.head import JudgeHead, check_threshold

__all__ = [
    "JUDGE_KINDS",
    "AutoJudge",
    "Judge",
    "KLJudge",
    "Mismatch",
    "TopKJudge",
    "make_judge",
]

JUDGE_KINDS = ("autojudge", "kl", "topk")


@dataclass(frozen=True)
class Mismatch:
    """n mismatches at once: their features (None when the judge needs none), the target's and
    the draft's T=1 log-softmax over the V tokens at each position, and the draft tokens."""

    features: np.ndarray | None
    target_logp: np.ndarray
    draft_logp: np.ndarray
    draft_tokens: np.ndarray

    def __post_init__(self) -> None:
        """Refuse shapes that do not line up, naming the field."""
        n = self.draft_tokens.shape[0] if self.draft_tokens.ndim == 1 else -1
        if n < 0:
            raise InvalidArgumentError(
                f"draft_tokens: must be a vector, got shape {self.draft_tokens.shape}"
            )
        for name in ("target_logp", "draft_logp"):
            array = getattr(self, name)
            if array.ndim != 2 or array.shape[0] != n:
                raise InvalidArgumentError(f"{name}: must be (n={n}, V), got shape {array.shape}")
        if self.target_logp.shape != self.draft_logp.shape:
            raise InvalidArgumentError(
                f"draft_logp: shape {self.draft_logp.shape} differs from target_logp's "
                f"{self.target_logp.shape}"
            )
        vocab = self.target_logp.shape[1]
        if n and not (self.draft_tokens.min() >= 0 and self.draft_tokens.max() < vocab):
            raise InvalidArgumentError(f"draft_tokens: ids must lie in [0, {vocab})")
        if self.features is not None and (self.features.ndim != 2 or len(self.features) != n):
            raise InvalidArgumentError(f"features: must be (n={n}, d), got {self.features.shape}")


class Judge(Protocol):
    """Decides, for n mismatches at once, which to accept (True: unimportant, keep the draft's
    token) and which to reject (False: the target's token replaces it). All judges are lossy."""

    @property
    def name(self) -> str:
        """A label for records, such as `kl@0.5`."""
        ...

    @property
    def needs_features(self) -> bool:
        """Whether `accept` reads `Mismatch.features`."""
        ...

    @property
    def lossy(self) -> bool:
        """True for every judge: accepting a mismatch leaves the target's greedy output."""
        ...

    def accept(self, mismatch: Mismatch) -> np.ndarray:
        """(n,) bool: True where the mismatch is accepted."""
        ...


@dataclass(frozen=True)
class AutoJudge:
    """LOSSY. The AutoJudge head: accept when `head.prob_important(features) < threshold`
    (the reference's rule); threshold 0 accepts nothing, a threshold above every probability
    accepts every mismatch."""

    head: JudgeHead
    threshold: float
    needs_features: ClassVar[bool] = True
    lossy: ClassVar[bool] = True

    def __post_init__(self) -> None:
        """The threshold is a probability."""
        check_threshold(self.threshold)

    @property
    def name(self) -> str:
        """`autojudge@THRESHOLD`, the threshold written in full so distinct ones never share
        a name."""
        return f"autojudge@{float(self.threshold)!r}"

    def accept(self, mismatch: Mismatch) -> np.ndarray:
        """Accept the mismatches the head calls unimportant at this threshold."""
        if mismatch.features is None:
            raise InvalidArgumentError("features: the AutoJudge reads the mismatch features")
        return np.asarray(self.head.prob_important(mismatch.features) < self.threshold)


@dataclass(frozen=True)
class KLJudge:
    """LOSSY, training-free. Accept when KL(p_target ‖ p_draft) < threshold (nats), on the
    full T=1 distributions; a token the draft gives zero mass and the target some makes the
    divergence infinite, so it is rejected."""

    threshold: float
    needs_features: ClassVar[bool] = False
    lossy: ClassVar[bool] = True

    def __post_init__(self) -> None:
        """The threshold is a non-negative number of nats."""
        if not (np.isfinite(self.threshold) and self.threshold >= 0):
            raise InvalidArgumentError(
                f"threshold: the KL judge's threshold must be finite and >= 0, got "
                f"{self.threshold!r}"
            )

    @property
    def name(self) -> str:
        """`kl@THRESHOLD`, the threshold written in full."""
        return f"kl@{float(self.threshold)!r}"

    def divergence(self, mismatch: Mismatch) -> np.ndarray:
        """KL(p_target ‖ p_draft) per mismatch, terms with p_target = 0 counting zero."""
        target_p = np.exp(mismatch.target_logp)
        support = target_p > 0
        gap = np.zeros_like(target_p)
        np.subtract(mismatch.target_logp, mismatch.draft_logp, out=gap, where=support)
        return np.asarray(np.sum(target_p * gap, axis=1))

    def accept(self, mismatch: Mismatch) -> np.ndarray:
        """Accept where the target's and the draft's distributions are close."""
        return np.asarray(self.divergence(mismatch) < self.threshold)


@dataclass(frozen=True)
class TopKJudge:
    """LOSSY. Accept when the draft token is among the target's k most likely: fewer than k
    tokens have a strictly higher target log-probability (so ties at the k-th place count in)."""

    k: int
    needs_features: ClassVar[bool] = False
    lossy: ClassVar[bool] = True

    def __post_init__(self) -> None:
        """k is a positive integer."""
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or self.k < 1:
            raise InvalidArgumentError(
                f"k: the top-k judge needs an integer k >= 1, got {self.k!r}"
            )

    @property
    def name(self) -> str:
        """`topk@K`."""
        return f"topk@{self.k}"

    def accept(self, mismatch: Mismatch) -> np.ndarray:
        """Accept draft tokens ranked within the target's top k."""
        rows = np.arange(mismatch.draft_tokens.shape[0])
        chosen = mismatch.target_logp[rows, mismatch.draft_tokens]
        higher = np.sum(mismatch.target_logp > chosen[:, None], axis=1)
        return np.asarray(higher < self.k)


def make_judge(kind: str, value: float, head: JudgeHead | None = None) -> Judge:
    """A judge by kind: `autojudge` (value: threshold in [0, 1], needs `head`), `kl` (value:
    threshold in nats) or `topk` (value: k, a whole number)."""
    if kind == "autojudge":
        if head is None:
            raise InvalidArgumentError("autojudge_checkpoint: the AutoJudge needs a trained head")
        return AutoJudge(head, check_threshold(value))
    if kind == "kl":
        return KLJudge(float(value))
    if kind == "topk":
        if not np.isfinite(value) or float(value) != int(value):
            raise InvalidArgumentError(f"k: the top-k judge needs a whole number, got {value!r}")
        return TopKJudge(int(value))
    raise InvalidArgumentError(f"judge: unknown kind {kind!r}; known: {', '.join(JUDGE_KINDS)}")
