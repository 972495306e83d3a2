"""The thrml chain backend: a directed chain of categorical nodes, one sequential block per
position, draws exact blocks from the product of its realised conditionals in one sweep; the
log q it returns is the realised conditional's, bit for bit; and chain drafting through it
keeps speculative decoding exact. Skipped without the thermo-speculative[thrml] extra.

Power: the joint test's 10^6 blocks must also reject the law of a sampler that ignores the
transitions (every position from its row 0).
"""

import numpy as np
import pytest

from tests.support import thrml_heavy
from tests.support.chains import exact_joint, random_chain
from tests.support.tables import DRAFT, TARGET, TableLM, joint_of_first_three
from tsd import PsiChain
from tsd.drafters import make_drafter
from tsd.speculative import speculative_generate
from tsd.stats import chi2_gof
from tsd.tsu import make_tsu

pytestmark = thrml_heavy
ALPHA = 0.001


def realised_joint(chain: PsiChain, tsu: object) -> np.ndarray:
    """P(block) under the backend's realised conditionals, over all V^L blocks."""
    vocab, length = chain.vocab, chain.L
    out = np.empty(vocab**length)
    for cell in range(out.size):
        block = [(cell // vocab ** (length - 1 - i)) % vocab for i in range(length)]
        conditionals = chain.conditionals_for(block)
        out[cell] = np.exp(
            sum(tsu.realised_logq(c)[t] for c, t in zip(conditionals, block, strict=True))  # type: ignore[attr-defined]
        )
    return out


def test_a_million_blocks_follow_the_realised_conditionals() -> None:
    chain = random_chain(5, 3, 2, seed=6, eps_share=0.2)
    tsu = make_tsu("thrml", 8)
    steps = np.arange(1_000_000, dtype=np.uint64) * np.uint64(3)
    draws = tsu.draw([chain] * steps.size, steps)
    tokens, logq = draws.tokens, draws.logq
    joint = realised_joint(chain, tsu)
    assert joint.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(joint, exact_joint(chain), atol=1e-6, rtol=0)
    cells = np.bincount(
        (tokens[:, 0] * 25 + tokens[:, 1] * 5 + tokens[:, 2]).astype(np.int64), minlength=125
    )
    assert chi2_gof(cells, joint).p_value > ALPHA
    assert chi2_gof(cells, exact_joint(chain, row_of="first")).p_value < ALPHA
    # Every returned log q is the realised conditional's value, bit for bit.
    for b in range(0, steps.size, 997):
        block = tokens[b].tolist()
        for position, psi in enumerate(chain.conditionals_for(block)):
            expected = tsu.realised_logq(psi)[block[position]]
            assert logq[b, position].view(np.uint64) == expected.view(np.uint64)


def test_same_seed_same_blocks_and_large_vocabularies() -> None:
    chain = random_chain(300, 4, 260, seed=9)
    steps = np.arange(2000, dtype=np.uint64) * np.uint64(4)
    first = make_tsu("thrml", 9).draw([chain] * steps.size, steps)
    again = make_tsu("thrml", 9).draw([chain] * steps.size, steps)
    other = make_tsu("thrml", 10).draw([chain] * steps.size, steps)
    np.testing.assert_array_equal(first.tokens, again.tokens)
    np.testing.assert_array_equal(first.logq, again.logq)
    assert not np.array_equal(first.tokens, other.tokens)
    tokens = first.tokens
    assert tokens.max() < 300
    # 261 slots: uint8 states would wrap, so slots above 255 must be reachable.
    assert any(np.isin(tokens[:, i], chain.ids[i][255:]).any() for i in range(4))


def test_chain_drafting_through_thrml_is_exact() -> None:
    prompts = [np.array([0], dtype=np.uint32)] * 30_000
    drafter = make_drafter("chain", TableLM(DRAFT), make_tsu("thrml", 3), L=3, K=2)
    generation = speculative_generate(TableLM(TARGET), drafter, prompts, max_new_tokens=3, seed=3)
    out = np.stack(generation.outputs).astype(np.int64)
    cells = np.bincount(out[:, 0] * 16 + out[:, 1] * 4 + out[:, 2], minlength=64)
    assert chi2_gof(cells, joint_of_first_three(TARGET, 0)).p_value > ALPHA
    assert generation.stats.tsu_calls == generation.stats.target_calls
