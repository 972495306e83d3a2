"""The fused Rust loop and the per-step numpy reference agree token for token."""

import numpy as np
import polars as pl
import pytest

from tsd import _core, reference
from tsd.psi import craft_psi_from_p
from tsd.targets import make_p, make_zipf
from tsd.tsu.sim import SimTSU
from tsd.verify import accept_correct_step


@pytest.mark.parametrize(
    ("target", "k", "tau", "eps"),
    [
        (make_p(1000, 7), 64, 1.0, "auto"),
        (make_p(300, 3), 16, 0.7, 1e-6),
        (make_zipf(500, 1.2, 5), 32, 1.3, "auto"),
        (make_p(40, 1), 40, 1.0, "auto"),
        (make_p(50, 2), 5, 1.0, 0.0),
    ],
)
def test_fused_loop_replays_in_the_reference(target, k, tau, eps) -> None:  # type: ignore[no-untyped-def]
    psi = craft_psi_from_p(target.p, k, tau, eps)
    steps = 4000
    walk = _core.m0_run(target.logp, psi, 11, 0, steps)
    proposed, logq, accepted, emitted = (
        walk[c] for c in ("proposed", "logq", "accepted", "emitted")
    )
    ref = reference.run_m0(target.logp, psi, 11, steps)
    np.testing.assert_array_equal(proposed, ref.proposed)
    np.testing.assert_array_equal(accepted, ref.accepted)
    np.testing.assert_array_equal(emitted, ref.emitted)
    np.testing.assert_allclose(logq, ref.logq, rtol=1e-12)
    assert 0 < accepted.sum() < steps


def test_tsu_logq_is_bit_identical_to_the_reference_map() -> None:
    target = make_p(700, 4)
    psi = craft_psi_from_p(target.p, 48, 0.9, "auto")
    tokens, logq = SimTSU(seed=3).sample_many(psi, 0, 20_000)
    assert np.array_equal(logq.view(np.uint64), psi.logq(tokens.tolist()).view(np.uint64))
    assert not np.isin(tokens, psi.ids).all(), "some draws should come from the tail"


def test_single_step_apis_match_the_fused_loop() -> None:
    target = make_p(200, 9)
    psi = craft_psi_from_p(target.p, 20, 1.0, "auto")
    walk = _core.m0_run(target.logp, psi, 5, 100, 300)
    proposed, logq, accepted, emitted = (
        walk[c] for c in ("proposed", "logq", "accepted", "emitted")
    )
    tsu = SimTSU(seed=5)
    for i in range(300):
        draws = tsu.draw([psi], np.array([100 + i], dtype=np.uint64))
        token, lq = int(draws.tokens[0, 0]), float(draws.logq[0, 0])
        assert (token, lq) == (proposed[i], logq[i])
        decision = accept_correct_step(target.logp, psi, token, lq, seed=5, step=100 + i)
        assert decision == (accepted[i], emitted[i])


def test_reference_words_are_the_cores() -> None:
    words = reference.rng_words(7, reference.STREAM_TSU, 0, 2)
    assert [hex(int(w)) for w in words[0]] == ["0xc009f9dcf4607a2d", "0x15edac821d3aba42"]


def test_core_columns_are_named_and_polars_ready() -> None:
    """Walks cross the boundary as named columns that polars reads as they are."""
    target = make_p(30, 2)
    psi = craft_psi_from_p(target.p, 8, 1.0, "auto")
    frame = pl.DataFrame(_core.m0_run(target.logp, psi, 3, 0, 50))
    assert frame.schema == pl.Schema(
        {"proposed": pl.UInt32, "logq": pl.Float64, "accepted": pl.Boolean, "emitted": pl.UInt32}
    )
    draws = _core.tsu_draw_many(psi, 3, 0, 50)
    assert frame["proposed"].to_list() == draws["tokens"].tolist()
