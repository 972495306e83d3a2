"""The feature vector of a mismatch (AutoJudge's calc_hiddens): a model's last hidden state,
after its final norm, at the mismatch position with the draft's token fed there, as float32.
"target" uses the target's; "target+draft" joins the target's and the draft's.

Each sequence runs alone (batch of one, no padding), so a vector depends on its tokens only,
bit for bit, never on which other mismatches were computed with it."""

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import HFModel

__all__ = ["FEATURE_SOURCES", "feature_size", "mismatch_features"]

FEATURE_SOURCES = ("target", "target+draft")


def check_feature_source(feature_source: str, draft: HFModel | None) -> None:
    """A known source, with a draft where the source needs one."""
    if feature_source not in FEATURE_SOURCES:
        raise InvalidArgumentError(
            f"feature_source: must be one of {', '.join(FEATURE_SOURCES)}, got {feature_source!r}"
        )
    if feature_source == "target+draft" and draft is None:
        raise InvalidArgumentError("feature_source: target+draft needs the draft model")


def _hidden_size(model: HFModel) -> int:
    size = getattr(model.module.config, "hidden_size", None)
    if size is None:
        raise ModelError(f"model: {model.name} has no hidden_size in its config")
    return int(size)


def feature_size(target: HFModel, draft: HFModel | None, feature_source: str) -> int:
    """The length of one feature vector for these models and source."""
    check_feature_source(feature_source, draft)
    size = _hidden_size(target)
    if feature_source == "target+draft" and draft is not None:
        size += _hidden_size(draft)
    return size


def _last_hidden(model: HFModel, ids: Sequence[int], position: int) -> NDArray[np.float32]:
    """The model's final-norm hidden state at `position` of `ids[: position + 1]`, run alone."""
    body = getattr(model.module, "model", None)
    if body is None:
        raise ModelError(f"model: {model.name} has no decoder body (module.model) to read")
    with torch.inference_mode():
        tokens = torch.tensor([list(ids[: position + 1])], dtype=torch.long, device=model.device)
        hidden = body(input_ids=tokens).last_hidden_state[0, position]
    return np.asarray(hidden.float().cpu().numpy(), dtype=np.float32)


def mismatch_features(
    target: HFModel,
    draft: HFModel | None,
    sequences: list[list[int]],
    positions: list[int],
    feature_source: str,
) -> NDArray[np.float32]:
    """(n, d) float32: for each sequence (prompt and answer tokens, the draft's token at
    `positions[i]`), the hidden state at that position (see the module doc)."""
    check_feature_source(feature_source, draft)
    if len(sequences) != len(positions):
        raise InvalidArgumentError(
            f"positions: {len(sequences)} sequences need as many positions, got {len(positions)}"
        )
    d = feature_size(target, draft, feature_source)
    out = np.empty((len(sequences), d), dtype=np.float32)
    for i, (ids, position) in enumerate(zip(sequences, positions, strict=True)):
        if not 0 <= position < len(ids):
            raise InvalidArgumentError(
                f"positions: position {position} of sequence {i} is outside its {len(ids)} tokens"
            )
        parts = [_last_hidden(target, ids, position)]
        if feature_source == "target+draft" and draft is not None:
            parts.append(_last_hidden(draft, ids, position))
        out[i] = np.concatenate(parts)
    return out
