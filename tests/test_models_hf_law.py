"""TargetLaw is the law transformers samples from: temperature, then top-k, then top-p
(transformers' own warpers, in that order), then a softmax; bad settings name their field."""

import numpy as np
import pytest
import torch
from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from tests.support.tiny_hf import assert_rows_close
from tsd.errors import InvalidArgumentError
from tsd.models.hf import TargetLaw


def transformers_law(
    logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None
) -> np.ndarray:
    """What `generate(do_sample=True, ...)` samples from, by transformers' warpers."""
    ids = torch.zeros((logits.shape[0], 1), dtype=torch.long)
    scores = TemperatureLogitsWarper(temperature)(ids, logits.clone())
    if top_k is not None:
        scores = TopKLogitsWarper(top_k)(ids, scores)
    if top_p is not None:
        scores = TopPLogitsWarper(top_p)(ids, scores)
    return torch.log_softmax(scores, dim=-1).numpy()


def random_logits(seed: int, vocab: int, *, ties: bool) -> torch.Tensor:
    """Logits for 64 rows; with `ties`, values drawn from a few levels, so many tie."""
    rng = np.random.Generator(np.random.PCG64(seed))
    if ties:
        values = rng.integers(-3, 4, size=(64, vocab)).astype(np.float64) * 0.7
    else:
        values = rng.normal(0.0, 2.5, size=(64, vocab))
    return torch.from_numpy(values)


SETTINGS = [
    (1.0, None, None),
    (0.7, None, None),
    (1.6, 5, None),
    (1.0, 1, None),
    (0.9, None, 0.8),
    (1.3, None, 0.35),
    (0.8, 7, 0.9),
    (1.0, 4, 0.5),
    (2.0, 30, 0.999),
    (1.0, None, 1.0),
]


@pytest.mark.parametrize(("temperature", "top_k", "top_p"), SETTINGS)
def test_the_law_equals_transformers_warpers(
    temperature: float, top_k: int | None, top_p: float | None
) -> None:
    law = TargetLaw(temperature, top_k, top_p)
    for seed in range(4):
        logits = random_logits(seed, 24, ties=False)
        assert_rows_close(
            law.log_probs(logits).numpy(), transformers_law(logits, temperature, top_k, top_p)
        )


@pytest.mark.parametrize("top_k", [1, 3, 6, 11])
def test_tied_logits_keep_every_tie_at_the_top_k_cut(top_k: int) -> None:
    law = TargetLaw(1.2, top_k)
    logits = random_logits(7, 16, ties=True)
    got = law.log_probs(logits).numpy()
    assert_rows_close(got, transformers_law(logits, 1.2, top_k, None))
    kept = np.isfinite(got).sum(axis=1)
    assert (kept >= top_k).all()
    assert (kept > top_k).any()


def test_single_precision_logits_give_a_float64_law() -> None:
    logits = random_logits(3, 12, ties=False)
    law = TargetLaw(0.8, 6, 0.9)
    got = law.log_probs(logits.float())
    assert got.dtype == torch.float64
    assert_rows_close(got.numpy(), transformers_law(logits.float().double(), 0.8, 6, 0.9))


BAD = [
    ({"temperature": 0.0}, "temperature: must be finite and > 0, got 0.0"),
    ({"temperature": -1.0}, "temperature: must be finite and > 0"),
    ({"temperature": float("nan")}, "temperature: must be finite and > 0, got nan"),
    ({"temperature": float("inf")}, "temperature: must be finite and > 0, got inf"),
    ({"temperature": "1"}, "temperature: must be a number"),
    ({"top_k": 0}, r"top_k: must be in >= 1, got 0"),
    ({"top_k": -3}, r"top_k: must be in >= 1, got -3"),
    ({"top_k": 2.5}, "top_k: must be an integer"),
    ({"top_k": True}, "top_k: must be an integer"),
    ({"top_p": 0.0}, "top_p: must be finite and > 0"),
    ({"top_p": 1.5}, r"top_p: must be in \(0, 1\], got 1.5"),
    ({"top_p": float("nan")}, "top_p: must be finite and > 0"),
    ({"top_p": "0.9"}, "top_p: must be a number"),
]


@pytest.mark.parametrize(("fields", "message"), BAD, ids=[b[1] for b in BAD])
def test_bad_settings_name_their_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        TargetLaw(**fields)  # type: ignore[arg-type]


def test_describe() -> None:
    assert TargetLaw().describe() == "T=1"
    assert TargetLaw(0.7, 40, 0.95).describe() == "T=0.7, top-k=40, top-p=0.95"
