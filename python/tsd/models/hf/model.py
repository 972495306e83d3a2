"""A transformers causal LM as a tsd model: a target through KV-cached sessions
(`start`), and a draft through a prefix-cached scorer (`logprobs_batch`)."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from tsd.models.hf.law import TargetLaw
from tsd.models.hf.scorer import PrefixScorer
from tsd.models.hf.session import KVSession
from tsd.models.session import History

if TYPE_CHECKING:
    from transformers import DynamicCache

__all__ = ["ForwardClock", "HFModel"]


@dataclass
class ForwardClock:
    """What a model's forwards cost: wall seconds, calls and positions fed (padding
    included). A benchmark reads it; decoding never does."""

    seconds: float = 0.0
    calls: int = 0
    positions: int = 0

    def reset(self) -> None:
        self.seconds, self.calls, self.positions = 0.0, 0, 0


class HFModel:
    """A causal LM (`module`, a transformers `PreTrainedModel`) and the law decoding samples
    from (`law`); `tokenizer` encodes prompts and decodes outputs where one is known."""

    def __init__(
        self,
        module: Any,
        *,
        law: TargetLaw | None = None,
        tokenizer: Any = None,
        name: str | None = None,
    ) -> None:
        self.module = module.eval()
        self.law = law or TargetLaw()
        self.tokenizer = tokenizer
        self.name = name or str(getattr(module.config, "name_or_path", "") or type(module).__name__)
        self.vocab_size = int(module.get_output_embeddings().weight.shape[0])
        self.max_length = int(getattr(module.config, "max_position_embeddings", 0) or 2**31 - 1)
        parameter = next(module.parameters())
        self.device = parameter.device
        self.dtype = parameter.dtype
        self.clock = ForwardClock()
        self._scorer: PrefixScorer | None = None

    def __repr__(self) -> str:
        return f"HFModel({self.name!r}, {self.law.describe()}, {self.dtype}, {self.device})"

    def start(self, prompts: Sequence[History]) -> KVSession:
        """A KV-cached session over `prompts` (ragged lengths allowed)."""
        return KVSession(self, prompts)

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        """ln p(· | history) under the law for each history, (B, V): histories that extend
        ones seen before reuse their cache (`PrefixScorer`), so drafting costs a forward of
        the new tokens only."""
        if self._scorer is None:
            self._scorer = PrefixScorer(self)
        return self._scorer.logprobs_batch(histories)

    def forward_block(
        self,
        ids: torch.Tensor,
        positions: torch.Tensor,
        allowed: torch.Tensor,
        cache: "DynamicCache",
        keep: int,
        *,
        hidden: bool = False,
    ) -> tuple[NDArray[np.float64], NDArray[np.float32] | None]:
        """One forward of `ids` (B, W) at `positions` through `cache`, query q of row b seeing
        the slots allowed[b, 0, q]; ln p under the law at the last `keep` columns, (B, keep, V),
        and with `hidden` the decoder's last hidden state there (after its final norm, what
        the head reads), (B, keep, d) float32, else None. The hidden path runs the decoder
        body and the head as two calls (the causal LM's own split), so the plain path is
        untouched."""
        began = time.perf_counter()
        states = None
        with torch.inference_mode():
            mask = torch.zeros(allowed.shape, dtype=self.dtype, device=self.device)
            mask.masked_fill_(~allowed, torch.finfo(self.dtype).min)
            inputs = {
                "input_ids": ids,
                "attention_mask": mask,
                "position_ids": positions,
                "cache": cache,
                "use_cache": True,
            }
            if hidden:
                last = self.module.model(**inputs).last_hidden_state[:, -keep:]
                logits = self.module.get_output_embeddings()(last)
                states = last.float().cpu().numpy()
            else:
                logits = self.module(**inputs, logits_to_keep=keep).logits
            logp = self.law.log_probs(logits[:, -keep:]).cpu().numpy()
        self.clock.seconds += time.perf_counter() - began
        self.clock.calls += 1
        self.clock.positions += int(ids.numel())
        return logp, states
