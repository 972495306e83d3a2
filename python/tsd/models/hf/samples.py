"""Text sampled from a target to train drafts on: the target's own answers to a set of prompts,
so an n-gram draft learns the target's style rather than a corpus's. Sampling a few thousand
tokens costs minutes on a CPU, so the ids are cached under the cache root, keyed by everything
that decides them."""

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.models.hf.model import HFModel
from tsd.models.hf.prompts import encode_prompts
from tsd.models.hf.weights import cache_root
from tsd.speculative import baseline_generate
from tsd.telemetry import atomic_write

__all__ = ["target_samples"]


def _answers(model: HFModel, outputs: Sequence[NDArray[np.uint32]]) -> NDArray[np.uint32]:
    """Each output up to and including its first end-of-sequence token, concatenated."""
    eos = getattr(model.tokenizer, "eos_token_id", None)
    kept = []
    for out in outputs:
        ends = np.flatnonzero(out == eos) if eos is not None else np.empty(0, np.int64)
        kept.append(out[: int(ends[0]) + 1] if len(ends) else out)
    return np.concatenate(kept).astype(np.uint32)


def target_samples(
    model: HFModel,
    texts: Sequence[str],
    *,
    tokens_per_prompt: int,
    seed: int,
    batch_size: int = 16,
    chat_template: bool = True,
    cache: Path | None = None,
    progress: Callable[[str], None] = print,
) -> NDArray[np.uint32]:
    """The ids of the target's answers to `texts` (sampled from its law, `tokens_per_prompt`
    each, cut at end of sequence), from the cache when the same request was sampled before."""
    if not texts:
        raise InvalidArgumentError("texts: need at least one prompt to sample answers to")
    n_new = check_int("tokens_per_prompt", tokens_per_prompt, 1)
    run_seed = check_seed(seed)
    width = check_int("batch_size", batch_size, 1)
    key = json.dumps(
        [model.name, str(model.dtype), model.law.describe(), list(texts), n_new, run_seed,
         chat_template],
    )  # fmt: skip
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = (cache or cache_root()) / "samples" / f"{digest}.npy"
    if path.is_file():
        cached: NDArray[np.uint32] = np.load(path).astype(np.uint32)
        return cached
    progress(
        f"sampling {len(texts)} answers of {n_new} tokens from {model.name} (cached in {path})"
    )
    prompts = encode_prompts(model.tokenizer, texts, chat_template=chat_template)
    outputs: list[NDArray[np.uint32]] = []
    for start in range(0, len(prompts), width):
        batch = prompts[start : start + width]
        outputs += baseline_generate(
            model, batch, max_new_tokens=n_new, seed=run_seed + start
        ).outputs
    ids = _answers(model, outputs)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.save(handle, ids)

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)
    return ids
