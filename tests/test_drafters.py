"""The drafter seam: what a DraftBlock holds for each drafter, and that a backend that does
not realise F(ψ) hands the verifier its realised rows."""

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.support.tables import DRAFT, TableLM
from tsd import errors
from tsd.drafters import ChainDrafter, TokenDrafter, make_drafter
from tsd.psi import PsiTopK
from tsd.tsu.sim import SimTSU


class ShiftedTSU(SimTSU):
    """Reports a realised distribution other than F(ψ) (for the bookkeeping test only)."""

    realises_f_psi = False

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        return psi.dense_logq() - 1.0


@pytest.mark.parametrize(("name", "calls"), [("token", 3), ("chain", 1)])
def test_a_draft_block_describes_its_drafts(name: str, calls: int) -> None:
    drafter = make_drafter(name, TableLM(DRAFT), SimTSU(5), L=3, K=2)
    assert isinstance(drafter, TokenDrafter if name == "token" else ChainDrafter)
    bases = np.array([0, 1 << 40], dtype=np.uint64)
    block = drafter.draft([[0], [1, 2]], bases)
    assert block.tokens.shape == block.logq.shape == (2, 3)
    assert block.tsu_calls == calls
    assert block.realised_logq is None
    for b in range(2):
        assert len(block.payloads[b]) == 3
        for i, psi in enumerate(block.payloads[b]):
            token = int(block.tokens[b, i])
            assert psi.logq([token])[0] == block.logq[b, i]
    assert all(size > 0 for size in block.psi_bytes)


def test_a_backend_that_is_not_f_psi_sends_its_realised_rows() -> None:
    block = TokenDrafter(TableLM(DRAFT), ShiftedTSU(5), L=2, K=2).draft(
        [[0]], np.zeros(1, np.uint64)
    )
    assert block.realised_logq is not None
    expected = np.stack([psi.dense_logq() - 1.0 for psi in block.payloads[0]])
    np.testing.assert_array_equal(block.realised_logq, expected)


def test_drafter_arguments_are_named() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="L"):
        make_drafter("token", TableLM(DRAFT), SimTSU(0), L=33, K=2)
    with pytest.raises(errors.InvalidArgumentError, match="K"):
        make_drafter("chain", TableLM(DRAFT), SimTSU(0), L=2, K=5)
    with pytest.raises(errors.InvalidArgumentError, match="tau"):
        make_drafter("token", TableLM(DRAFT), SimTSU(0), L=2, K=2, tau=0.0)
