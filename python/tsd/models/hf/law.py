"""The target law: temperature, top-k and top-p applied to a model's logits, so that the
verifier checks drafts against the warped p that plain sampling would draw from."""

from dataclasses import dataclass

import torch

from tsd._checks import check_float, check_int
from tsd.errors import InvalidArgumentError

__all__ = ["TargetLaw"]


@dataclass(frozen=True)
class TargetLaw:
    """p ∝ softmax(logits / temperature), restricted to the `top_k` most probable tokens, then
    to the smallest set of them holding `top_p` of the mass (the order transformers' warpers
    use); None switches a filter off. The default is the model's own law."""

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        check_float("temperature", self.temperature, positive=True)
        if self.top_k is not None:
            check_int("top_k", self.top_k, 1)
        if self.top_p is not None:
            p = check_float("top_p", self.top_p, positive=True)
            if p > 1.0:
                raise InvalidArgumentError(f"top_p: must be in (0, 1], got {p}")

    def log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """ln p over the last axis, in float64 (−inf outside the kept set)."""
        scores = torch.log_softmax(logits.double() / self.temperature, dim=-1)
        if self.top_k is not None and self.top_k < scores.shape[-1]:
            kth = torch.topk(scores, self.top_k, dim=-1).values[..., -1:]
            # Renormalised over the kept tokens: top-p measures mass within the top-k set.
            scores = torch.log_softmax(scores.masked_fill(scores < kth, -torch.inf), dim=-1)
        if self.top_p is not None and self.top_p < 1.0:
            ordered, order = torch.sort(scores, dim=-1, descending=True)
            probs = ordered.exp()
            # Keep a token while the mass before it is below top_p: the smallest prefix that
            # reaches top_p, and always the most probable token.
            drop = (probs.cumsum(dim=-1) - probs) >= self.top_p
            scores = scores.masked_fill(drop.scatter(-1, order, drop), -torch.inf)
        return torch.log_softmax(scores, dim=-1)

    def describe(self) -> str:
        """The law in one line, for tables and titles."""
        parts = [f"T={self.temperature:g}"]
        if self.top_k is not None:
            parts.append(f"top-k={self.top_k}")
        if self.top_p is not None:
            parts.append(f"top-p={self.top_p:g}")
        return ", ".join(parts)
