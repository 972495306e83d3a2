"""The verifier's hardening: any memory layout of the target rows is read correctly, every
row it samples from passes the single step's check, and the top step follows the core's rule."""

import numpy as np
import pytest
from numpy.typing import NDArray

from tsd import _core, errors
from tsd.psi import craft_psi_from_p
from tsd.tsu.sim import SimTSU
from tsd.verify import accept_correct_step

LAST_STEP = 2**64 - 2
P = np.array([0.4, 0.3, 0.2, 0.1])
PSI = craft_psi_from_p(P, 2)


def blocks(
    batch: int, block: int, vocab: int, seed: int
) -> tuple[NDArray[np.float64], list[_core.PsiTopK], NDArray[np.uint32], NDArray[np.float64]]:
    """B sequences of L drafts over random targets: (target rows, payloads, tokens, log q)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    rows = np.log(rng.dirichlet(np.full(vocab, 0.5), size=batch * (block + 1)))
    psis = [craft_psi_from_p(q, 3) for q in rng.dirichlet(np.ones(vocab), size=batch * block)]
    draws = SimTSU(seed).draw(psis, np.arange(batch * block, dtype=np.uint64))
    return rows, psis, draws.tokens[:, 0].copy(), draws.logq[:, 0].copy()


def verify(
    rows: NDArray[np.float64],
    psis: list[_core.PsiTopK],
    tokens: NDArray[np.uint32],
    logq: NDArray[np.float64],
    block: int,
    step: int = 0,
    realised: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.uint32], NDArray[np.uint32], NDArray[np.uint64]]:
    batch = len(psis) // block
    verdicts = _core.verify_blocks(
        rows, psis, tokens, logq, np.full(batch, block, np.uint32),
        np.arange(batch, dtype=np.uint64), np.full(batch, step, np.uint64),
        realised_logq=realised,
    )  # fmt: skip
    return verdicts.accepted, verdicts.emitted, verdicts.offsets


def test_fortran_ordered_and_strided_targets_are_read_as_their_values() -> None:
    rows, psis, tokens, logq = blocks(200, 3, 12, seed=5)
    expected = verify(rows, psis, tokens, logq, 3)
    fortran = np.asfortranarray(rows)
    padded = np.zeros((rows.shape[0], 2 * rows.shape[1]))
    padded[:, ::2] = rows
    for layout in (fortran, padded[:, ::2], np.flipud(np.flipud(rows).copy())):
        got = verify(layout, psis, tokens, logq, 3)
        for column, want in zip(got, expected, strict=True):
            np.testing.assert_array_equal(column, want)
    realised = np.stack([psi.dense_logq() for psi in psis])
    with_realised = verify(rows, psis, tokens, logq, 3, realised=np.asfortranarray(realised))
    np.testing.assert_array_equal(with_realised[1], expected[1])


def test_rows_summing_to_a_half_are_refused_as_in_a_single_step() -> None:
    half = np.log(P / 2)
    with pytest.raises(errors.InvalidArgumentError, match=r"sums to 0\.5"):
        accept_correct_step(half, PSI, 0, float(PSI.logq([0])[0]), seed=0, step=0)
    # Whatever the decisions, each block samples one of its rows: halved rows are an error.
    rows, psis, tokens, logq = blocks(50, 2, 4, seed=1)
    halved = rows - np.log(2)
    with pytest.raises(
        errors.InvalidArgumentError, match=r"target_logp: sequence \d+: row \d: .*sums to 0\.5"
    ):
        verify(halved, psis, tokens, logq, 2)
    realised = np.stack([psi.dense_logq() for psi in psis]) - np.log(2)
    with pytest.raises(errors.InvalidArgumentError, match=r"realised_logq.*sums to 0\.(5|49999)"):
        verify(rows, psis, tokens, logq, 2, realised=realised)


def test_one_rule_for_the_top_step_in_every_verifier() -> None:
    logq = float(PSI.logq([0])[0])
    accept_correct_step(np.log(P), PSI, 0, logq, seed=0, step=LAST_STEP)
    with pytest.raises(errors.InvalidArgumentError, match="step"):
        accept_correct_step(np.log(P), PSI, 0, logq, seed=0, step=LAST_STEP + 1)
    with pytest.raises(errors.InvalidArgumentError, match="step"):
        _core.accept_correct(np.log(P), PSI, 0, logq, 0, LAST_STEP + 1)
    # A block of L = 2 verifies at step .. step + 2 (two drafts and the bonus).
    rows, psis, tokens, draws_logq = blocks(1, 2, 4, seed=2)
    verify(rows, psis, tokens, draws_logq, 2, step=LAST_STEP - 2)
    with pytest.raises(errors.InvalidArgumentError, match="step"):
        verify(rows, psis, tokens, draws_logq, 2, step=LAST_STEP - 1)
