"""Refactors keep behaviour: M0, M1 and speculative decoding give the same bits as recorded.

`tests/data/behaviour_digests.json` holds SHA-256 digests of every telemetry column and every
generated token, recorded on the code before the seams refactor (issue 9). A refactor that
changes one drawn token, one log q bit or one counter fails here. Columns are keyed by their
values' digest, so a column renamed on purpose keeps its digest under the new name.
Regenerate only for a deliberate change of the randomness contract (and say so in the
CHANGELOG): `python -c "from tests.test_behaviour_unchanged import write; write()"`.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tsd.drafters import make_drafter
from tsd.experiments import run_m0, run_m1
from tsd.experiments.speculative import synthetic_text
from tsd.models import CharVocab, NgramLM, split_corpus
from tsd.speculative import speculative_generate
from tsd.tsu.sim import SimTSU

DIGESTS = Path(__file__).parent / "data" / "behaviour_digests.json"


def _digest(values: Any) -> str:
    array = np.ascontiguousarray(np.asarray(values))
    return hashlib.sha256(array.dtype.str.encode() + array.tobytes()).hexdigest()


def _frame_digests(frame: pl.DataFrame) -> list[str]:
    """One digest per column, sorted, so column order and names do not matter."""
    return sorted(_digest(frame[name].to_numpy()) for name in frame.columns)


def _generation_digests() -> dict[str, Any]:
    text = synthetic_text(40_000, seed=3)
    vocab = CharVocab.from_text(text)
    train, heldout = split_corpus(text)
    target, draft = NgramLM.train(train, vocab, 4), NgramLM.train(train, vocab, 2)
    prompts = [vocab.encode(heldout[i * 50 : i * 50 + 20]) for i in range(4)]
    out: dict[str, Any] = {}
    for drafting, k in (("token", 16), ("chain", 4)):
        drafter = make_drafter(drafting, draft, SimTSU(11), L=3, K=k)
        generation = speculative_generate(target, drafter, prompts, max_new_tokens=60, seed=11)
        stats = generation.stats
        out[drafting] = {
            "outputs": _digest(np.concatenate(generation.outputs)),
            "counters": [
                stats.tokens,
                stats.target_calls,
                stats.num_draft_tokens,
                stats.num_accepted_tokens,
                stats.psi_bytes,
                stats.tsu_calls,
                list(stats.reached_by_position),
                list(stats.num_accepted_tokens_per_pos),
            ],
        }
    return out


def behaviour_digests() -> dict[str, Any]:
    """Digests of one M0 run, one M1 run (per step and per context) and two generations."""
    m0 = run_m0(vocab=500, K=32, steps=20_000, seed=5)
    m1 = run_m1(vocab=64, K=16, steps=20_000, fixed_steps=5_000, seed=5)
    assert m1.telemetry is not None
    return {
        "m0_steps": _frame_digests(m0.telemetry),
        "m0_accepted": int(m0.telemetry["accepted"].sum()),
        "m1_steps": _frame_digests(m1.telemetry),
        "m1_contexts": _frame_digests(m1.contexts.drop("symbol")),
        "m1_accepted": int(m1.telemetry["accepted"].sum()),
        "generation": _generation_digests(),
    }


def write() -> None:
    """Record the digests of the code as it is (a deliberate contract change only)."""
    DIGESTS.write_text(json.dumps(behaviour_digests(), indent=1) + "\n")


def test_behaviour_matches_the_recorded_digests() -> None:
    recorded = json.loads(DIGESTS.read_text())
    assert behaviour_digests() == recorded
