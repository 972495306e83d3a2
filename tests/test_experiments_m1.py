"""M1: the bigram walk is exact, matches the reference walk, and meets the success criteria."""

from pathlib import Path

import numpy as np
import pytest

from tests.support import SHAKESPEARE
from tsd import _core, errors, reference
from tsd.experiments.m1 import M1Summary, run_m1
from tsd.psi import craft_psi_from_p
from tsd.stats import chi2_gof
from tsd.targets import Bigram, bigram_from_corpus, bigram_from_text, make_bigram, stationary
from tsd.telemetry import make_run_dir, write_telemetry

needs_corpus = pytest.mark.skipif(
    not SHAKESPEARE.is_file(), reason=f"Tiny Shakespeare not found at {SHAKESPEARE}"
)


def test_walk_replays_in_the_reference() -> None:
    target = make_bigram(32, 5.0, seed=3)
    psis = [craft_psi_from_p(row, 6, 0.9, "auto") for row in target.p]
    chain = _core.BigramChain(target.logp, psis)
    walk = chain.run(11, 0, 5000, 4)
    assert list(walk) == ["prev", "proposed", "logq", "accepted", "emitted"]
    ref = reference.run_m1(target.logp, psis, 11, 5000, 4)
    np.testing.assert_array_equal(walk["prev"], ref.prev)
    np.testing.assert_array_equal(walk["proposed"], ref.steps.proposed)
    np.testing.assert_array_equal(walk["accepted"], ref.steps.accepted)
    np.testing.assert_array_equal(walk["emitted"], ref.steps.emitted)
    np.testing.assert_allclose(walk["logq"], ref.steps.logq, rtol=1e-12)


def test_every_transition_row_follows_its_context() -> None:
    """χ² per context over the walk's (prev, emitted) pairs: exactness along the chain."""
    rows = np.random.Generator(np.random.PCG64(5)).dirichlet(np.full(6, 2.0), size=6)
    target = Bigram(p=rows, logp=np.log(rows), description="dense 6-token chain")
    psis = [craft_psi_from_p(row, 2, 1.0, "auto") for row in target.p]
    walk = _core.BigramChain(target.logp, psis).run(2, 0, 600_000, 0)
    prev, accepted, emitted = walk["prev"], walk["accepted"], walk["emitted"]
    assert 0.2 < accepted.mean() < 0.98
    pairs = np.bincount(prev.astype(np.int64) * 6 + emitted, minlength=36).reshape(6, 6)
    for context in range(6):
        assert chi2_gof(pairs[context], target.p[context]).p_value > 0.001
    # The same counts must reject a row shifted by 0.01 (the test has power).
    shifted = target.p[0].copy()
    shifted[np.argmax(shifted)] -= 0.01
    shifted[np.argmin(shifted)] += 0.01
    assert chi2_gof(pairs[0], shifted).p_value < 0.001


def test_stationary_distribution_is_exact() -> None:
    target = make_bigram(64, 10.0, seed=1)
    pi = stationary(target.p)
    np.testing.assert_allclose(pi @ target.p, pi, atol=1e-14)
    assert pi.sum() == pytest.approx(1.0)


def test_a_reducible_chain_has_no_stationary_distribution() -> None:
    two_islands = np.array([[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5]])
    with pytest.raises(errors.InvalidArgumentError, match="reducible"):
        stationary(two_islands)


def test_synthetic_recipe_is_seeded_and_normalised() -> None:
    a, b = make_bigram(256, 50.0, 7), make_bigram(256, 50.0, 7)
    np.testing.assert_array_equal(a.p, b.p)
    np.testing.assert_allclose(a.p.sum(axis=1), 1.0)
    assert not np.array_equal(a.p, make_bigram(256, 50.0, 8).p)


def _assert_success(summary: M1Summary) -> None:
    assert summary.fixed_context_passes >= 3
    assert summary.acceptance_overlap_gap < 0.03
    assert summary.psi_bytes_max <= 1024


def test_synthetic_default_meets_the_success_criteria() -> None:
    _assert_success(run_m1(K=64, eps="auto", steps=50_000, seed=7).summary)


@needs_corpus
def test_tiny_shakespeare_meets_the_success_criteria() -> None:
    _assert_success(run_m1(corpus=SHAKESPEARE, K=64, eps="auto", steps=50_000, seed=7).summary)


@needs_corpus
def test_shakespeare_payloads_stay_under_a_kilobyte_at_k128() -> None:
    target = bigram_from_corpus(SHAKESPEARE)
    assert target.vocab == 65
    assert max(craft_psi_from_p(row, 64, 1.0, "auto").size_bytes for row in target.p) <= 1024


def test_k128_payloads_stay_under_a_kilobyte() -> None:
    summary = run_m1(K=128, steps=2000, fixed_steps=2000, seed=7).summary
    assert summary.psi_bytes_max <= 1024


def test_aggregate_mode_counts_the_same_walk() -> None:
    steps_mode = run_m1(vocab=40, c=5.0, K=8, steps=20_000, fixed_steps=1000, seed=4)
    aggregate = run_m1(
        vocab=40, c=5.0, K=8, steps=20_000, fixed_steps=1000, seed=4, telemetry="aggregate"
    )
    assert aggregate.telemetry is None
    assert steps_mode.contexts.equals(aggregate.contexts)
    steps_summary, aggregate_summary = steps_mode.summary.to_dict(), aggregate.summary.to_dict()
    for key in ("acceptance_rate", "mean_overlap", "chi2_stat", "mean_ce_gap"):
        assert steps_summary[key] == pytest.approx(aggregate_summary[key], rel=1e-12)


def test_per_step_columns_are_the_context_rows() -> None:
    result = run_m1(vocab=20, c=5.0, K=4, steps=3000, fixed_steps=1000, seed=2)
    frame = result.telemetry
    assert frame is not None
    assert frame["prev_token"][1:].to_list() == frame["emitted_token"][:-1].to_list()
    joined = frame.join(
        result.contexts.select("context", "overlap_mass"),
        left_on="prev_token",
        right_on="context",
    )
    assert (joined["overlap_mass"] == joined["overlap_mass_right"]).all()


def test_zero_eps_gives_an_infinite_ce_gap_reported_as_null() -> None:
    summary = run_m1(vocab=30, c=5.0, K=4, eps=0.0, steps=2000, fixed_steps=1000).summary
    assert summary.mean_ce_gap is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"aaaa", "single distinct character"),
        (b"ab\xff\xfecd", r"not UTF-8 text \(undecodable byte at offset 2\)"),
    ],
)
def test_bad_corpora_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(content)
    with pytest.raises(errors.CorpusError, match=message):
        bigram_from_corpus(path)


def test_missing_and_directory_corpora_are_named(tmp_path: Path) -> None:
    with pytest.raises(errors.CorpusError, match="no such file"):
        bigram_from_corpus(tmp_path / "missing.txt")
    with pytest.raises(errors.CorpusError, match="is a directory"):
        bigram_from_corpus(tmp_path)


def test_text_bigram_uses_laplace_smoothing() -> None:
    target = bigram_from_text("abab", "toy")
    # Counts a→b: 2, b→a: 1; +1 each over 2 symbols.
    np.testing.assert_allclose(target.p, [[1 / 4, 3 / 4], [2 / 3, 1 / 3]])
    assert target.symbols == ("a", "b")


def test_same_seed_gives_identical_m1_telemetry(tmp_path: Path) -> None:
    runs = [run_m1(vocab=48, c=10.0, K=8, steps=8000, fixed_steps=2000, seed=5) for _ in range(2)]
    frames = [r.telemetry for r in runs]
    assert frames[0] is not None
    assert frames[1] is not None
    assert frames[0].equals(frames[1])
    assert runs[0].summary == runs[1].summary
    paths = [write_telemetry(make_run_dir(tmp_path), f, "m1_metrics")["parquet"] for f in frames]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    other = run_m1(vocab=48, c=10.0, K=8, steps=8000, fixed_steps=2000, seed=6).telemetry
    assert other is not None
    assert not frames[0].equals(other)


def test_chunking_does_not_change_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = {"vocab": 40, "c": 5.0, "K": 6, "steps": 5000, "fixed_steps": 1000, "seed": 3}
    whole = run_m1(**kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr("tsd.experiments.m0.CHUNK_STEPS", 777)
    seen: list[int] = []
    chunked = run_m1(**kwargs, progress=seen.append)  # type: ignore[arg-type]
    assert whole.telemetry is not None
    assert whole.telemetry.equals(chunked.telemetry)
    aggregate = run_m1(**kwargs, telemetry="aggregate")  # type: ignore[arg-type]
    assert aggregate.contexts.equals(whole.contexts)
    assert seen == [*range(777, 5000, 777), 5000]
