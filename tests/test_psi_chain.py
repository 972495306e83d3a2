"""The chain payload: its bytes match docs/PSI_FORMAT.md, bad fields are named with their
position, the simulated TSU's chain draw is the per-position draws bit for bit, and the law of
a drawn block is the product of the closed-form conditionals.

Power: the joint test uses 10^6 blocks over 125 cells; the same counts must reject the law a
sampler ignoring the transitions would produce (every position drawn from its row 0), so the
test cannot pass for a chain that does not chain.
"""

import pickle

import numpy as np
import pytest

from tests.support.chains import exact_joint, random_chain
from tests.support.wire_format import encode_chain
from tsd import PsiChain, _core, errors
from tsd.psi import from_bytes
from tsd.psi_chain import craft_chains
from tsd.stats import chi2_gof
from tsd.tsu.sim import SimTSU

ALPHA = 0.001


@pytest.mark.parametrize(
    ("vocab", "length", "k"), [(1, 1, 1), (6, 3, 2), (65, 4, 8), (5000, 8, 16)]
)
def test_bytes_match_the_documented_layout(vocab: int, length: int, k: int) -> None:
    chain = random_chain(vocab, length, k, seed=vocab + length)
    expected = encode_chain(
        vocab,
        chain.ids.tolist(),
        chain.codes.tolist(),
        chain.scales.tolist(),
        chain.tau,
        chain.eps.tolist(),
    )
    assert chain.to_bytes() == expected
    assert chain.size_bytes == len(expected)
    back = from_bytes(expected)
    assert isinstance(back, PsiChain)
    assert back == chain
    assert pickle.loads(pickle.dumps(chain)) == chain


def test_the_documented_size_example() -> None:
    # docs/PSI_FORMAT.md: V = 65 characters, L = 4, K = 8 takes 289 bytes.
    assert random_chain(65, 4, 8, seed=0).size_bytes == 289


def test_decoders_refuse_the_other_kind_by_name() -> None:
    chain = random_chain(20, 2, 3, seed=1)
    with pytest.raises(errors.PsiKindError, match=r"kind 2 \(chain\).*kind 1 \(top-K\)"):
        _core.PsiTopK.from_bytes(chain.to_bytes())
    with pytest.raises(errors.PsiKindError, match=r"kind 1 \(top-K\).*kind 2 \(chain\)"):
        PsiChain.from_bytes(chain.conditional(0).to_bytes())


def test_bad_fields_name_their_position() -> None:
    good = random_chain(20, 3, 3, seed=2)
    fields = {
        "vocab": 20,
        "ids": good.ids.tolist(),
        "codes": good.codes.tolist(),
        "scales": good.scales.tolist(),
        "tau": 0.9,
        "eps": good.eps.tolist(),
    }

    def build(**changes: object) -> PsiChain:
        return PsiChain(**{**fields, **changes})  # type: ignore[arg-type]

    with pytest.raises(errors.PsiEpsError, match="position 2: eps"):
        build(eps=[0.01, 0.01, 0.5])
    ids = good.ids.tolist()
    ids[1] = [ids[1][1], ids[1][0], ids[1][2]]
    with pytest.raises(errors.PsiIdsNotSortedError, match="position 1"):
        build(ids=ids)
    with pytest.raises(errors.PsiLengthMismatchError, match="codes has 24 entries, expected 27"):
        build(codes=good.codes.tolist()[:-1])
    with pytest.raises(errors.PsiLengthMismatchError, match="ids: row 1"):
        build(ids=[ids[0], ids[1][:2], ids[2]])
    with pytest.raises(errors.PsiEmptyError):
        build(ids=[], codes=[], scales=[], eps=[])
    with pytest.raises(errors.PsiTauError):
        build(tau=0.0)
    long = random_chain(40, 32, 1, seed=3)
    assert long.L == _core.MAX_CHAIN_LEN
    with pytest.raises(errors.PsiChainLengthError, match=r"1\.\.=32, got 33"):
        PsiChain(40, [[0]] * 33, [[0]] * 65, [0.0] * 33, 1.0, [0.0] * 33)


def test_a_flipped_byte_is_a_checksum_error() -> None:
    data = bytearray(random_chain(65, 3, 4, seed=4).to_bytes())
    data[20] ^= 0x08
    with pytest.raises(errors.PsiChecksumError):
        PsiChain.from_bytes(bytes(data))
    with pytest.raises(errors.PsiTruncatedError):
        PsiChain.from_bytes(bytes(data[:-1]))


def test_a_chain_draw_is_the_per_position_draws_bit_for_bit() -> None:
    chain = random_chain(30, 4, 5, seed=5)
    tsu = SimTSU(11)
    steps = np.arange(2000, dtype=np.uint64) * np.uint64(7)
    draws = tsu.draw([chain] * steps.size, steps)
    tokens, logq = draws.tokens, draws.logq
    assert tokens.shape == logq.shape == (steps.size, 4)
    for b in range(steps.size):
        conditionals = chain.conditionals_for(tokens[b].tolist())
        single = tsu.draw(conditionals, steps[b] + np.arange(4, dtype=np.uint64))
        assert np.array_equal(single.tokens[:, 0], tokens[b])
        assert np.array_equal(single.logq[:, 0].view(np.uint64), logq[b].view(np.uint64))
        assert np.array_equal(
            chain.logq(tokens[b].tolist()).view(np.uint64), logq[b].view(np.uint64)
        )


def test_a_million_blocks_follow_the_product_of_the_conditionals() -> None:
    chain = random_chain(5, 3, 2, seed=6, eps_share=0.2)
    joint = exact_joint(chain)
    assert joint.sum() == pytest.approx(1.0, abs=1e-12)
    steps = np.arange(1_000_000, dtype=np.uint64) * np.uint64(3)
    tokens = SimTSU(2).draw([chain] * steps.size, steps).tokens
    cells = np.bincount(
        (tokens[:, 0] * 25 + tokens[:, 1] * 5 + tokens[:, 2]).astype(np.int64), minlength=125
    )
    assert chi2_gof(cells, joint).p_value > ALPHA
    assert chi2_gof(cells, exact_joint(chain, row_of="first")).p_value < ALPHA


def test_draw_arguments_are_checked() -> None:
    chain = random_chain(10, 2, 2, seed=7)
    other = random_chain(10, 3, 2, seed=7)
    with pytest.raises(errors.InvalidArgumentError, match="one L"):
        SimTSU(0).draw([chain, other], np.zeros(2, np.uint64))
    with pytest.raises(errors.InvalidArgumentError, match="steps"):
        SimTSU(0).draw([chain], np.zeros(2, np.uint64))
    # L = 2 from 2^64 − 2 would step past the last step: refused before the core is asked.
    with pytest.raises(errors.InvalidArgumentError, match="steps: entry 0 is 18446744073709551614"):
        SimTSU(0).draw([chain], np.array([2**64 - 2], np.uint64))
    with pytest.raises(errors.InvalidArgumentError, match="one kind"):
        SimTSU(0).draw([chain, chain.conditional(0)], np.zeros(2, np.uint64))
    with pytest.raises(errors.InvalidArgumentError, match="L = 2 needs 2 tokens"):
        chain.logq([1])
    with pytest.raises(errors.InvalidArgumentError, match="position"):
        chain.conditional(2)


def test_the_documented_byte_example() -> None:
    chain = PsiChain(
        6,
        [[0, 5], [2, 3]],
        [[0, 255], [10, 20], [30, 40], [50, 60]],
        [0.02, 0.01],
        0.8,
        [0.05, 0.1],
    )
    documented = (
        "01 02 06 02 02 cdcc4c3f 0ad7a33c cdcc4c3d 26 00 ff 0ad7233c cdcccc3d 1a 0a 14 1e 28 32 3c"
        " 2f733e60"
    )
    assert chain.to_bytes() == bytes.fromhex(documented.replace(" ", ""))


def test_crafted_chains_follow_a_bigram_draft_up_to_quantisation() -> None:
    from tests.test_speculative import TableLM, random_rows  # noqa: PLC0415  (shared fixture)

    draft_rows = random_rows(6, 3, 0.7)
    prefix = np.array([2, 4], dtype=np.uint32)
    (chain,) = craft_chains(TableLM(draft_rows), [prefix], L=3, K=3)
    ids = chain.ids
    assert ids[0].tolist() == sorted(np.argsort(-draft_rows[4], kind="stable")[:3].tolist())
    for position in range(1, 3):
        for slot, previous in enumerate(ids[position - 1]):
            psi = chain.conditional(position, slot)
            q = psi.logq(ids[position].tolist())
            p = np.log(draft_rows[previous][ids[position]])
            # Within a row, log q differs from log p by one constant, up to half a code step.
            gap = (q - q.max()) - (p - p.max())
            assert np.abs(gap - gap.mean()).max() <= chain.scales[position]


def test_a_field_that_disagrees_with_the_ids_is_the_one_named() -> None:
    ids, codes = [[0, 1], [0, 1]], [[1, 2]] * 4
    with pytest.raises(errors.PsiLengthMismatchError, match="scales has 1 entries, expected 2"):
        PsiChain(4, ids, codes, [0.02], 1.0, [0.05, 0.1])
    with pytest.raises(errors.PsiLengthMismatchError, match="eps has 3 entries, expected 2"):
        PsiChain(4, ids, codes, [0.02, 0.02], 1.0, [0.05, 0.1, 0.1])
    with pytest.raises(errors.PsiLengthMismatchError, match="codes has 6 entries, expected 8"):
        PsiChain(4, ids, codes[:3], [0.02, 0.02], 1.0, [0.05, 0.1])


def test_wrong_types_and_negative_ids_are_named() -> None:
    chain = random_chain(10, 2, 2, seed=7)
    with pytest.raises(errors.InvalidArgumentError, match="tokens: entry 0 is -1"):
        chain.logq([-1, 0])
    with pytest.raises(errors.InvalidArgumentError, match="tokens: entry 1"):
        chain.conditionals_for([0, 1.5])
    with pytest.raises(errors.InvalidArgumentError, match=r"position: must be in 0\.\.2"):
        chain.conditional(-1)
    with pytest.raises(errors.InvalidArgumentError, match=r"previous_slot: must be in 0\.\.=2"):
        chain.conditional(1, -1)
    with pytest.raises(errors.InvalidArgumentError, match="position: must be an integer"):
        chain.conditional(0.0)  # type: ignore[arg-type]
    with pytest.raises(errors.PsiVocabError, match="vocab"):
        PsiChain(2**64, [[0]], [[0]], [0.0], 1.0, [0.0])
    with pytest.raises(errors.InvalidArgumentError, match="tau"):
        PsiChain(4, [[0]], [[0]], [0.0], "1", [0.0])  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidArgumentError, match="ids row 0: entry 0"):
        PsiChain(4, [[0.5]], [[0]], [0.0], 1.0, [0.0])
    assert chain.conditional(1) == chain.conditional(1, 0)
    assert PsiChain.from_bytes(bytearray(chain.to_bytes())) == chain


def test_assembling_mismatched_batches_is_an_error_not_a_panic() -> None:
    ids = np.array([[[0, 1]], [[0, 1]]], np.uint32)
    codes = np.zeros((2, 1, 2), np.uint8)
    scales, eps = np.full((2, 1), 0.01, np.float32), np.full((2, 1), 0.1, np.float32)
    with pytest.raises(errors.InvalidArgumentError, match="scales"):
        _core.chains_from_positions(4, 1.0, ids, codes, scales[:1], eps)
    with pytest.raises(errors.InvalidArgumentError, match="eps"):
        _core.chains_from_positions(4, 1.0, ids, codes, scales, eps[:, :0])
    with pytest.raises(errors.InvalidArgumentError, match="codes"):
        _core.chains_from_positions(4, 1.0, ids, codes[:, :, :1], scales, eps)
    chains = _core.chains_from_positions(4, 1.0, np.asfortranarray(ids), codes, scales, eps)
    assert chains == _core.chains_from_positions(4, 1.0, ids, codes, scales, eps)


def test_crafting_an_empty_or_misshapen_batch_is_named() -> None:
    pool = np.full((2, 4), 0.25)
    with pytest.raises(errors.InvalidArgumentError, match="rows"):
        _core.craft_chain_positions(np.zeros((2, 0, 4)), pool, 2, None)
    with pytest.raises(errors.InvalidArgumentError, match="K"):
        _core.craft_chain_positions(np.zeros((0, 1, 4)), np.zeros((0, 4)), 2**62, None)
    with pytest.raises(errors.InvalidArgumentError, match="pool"):
        _core.craft_chain_positions(np.full((2, 1, 4), 0.25), pool.reshape(4, 2), 2, None)


def test_decode_any_returns_the_class_of_the_bytes_kind() -> None:
    chain = random_chain(40, 3, 4, seed=2)
    top_k = chain.conditional(0)
    assert type(_core.decode_any(chain.to_bytes())) is PsiChain
    assert _core.decode_any(chain.to_bytes()) == chain
    assert type(_core.decode_any(top_k.to_bytes())) is _core.PsiTopK
    assert _core.decode_any(top_k.to_bytes()) == top_k
    unknown = bytearray(top_k.to_bytes())
    unknown[1] = 9
    with pytest.raises(errors.PsiKindError, match="psi kind 9 is unknown"):
        _core.decode_any(bytes(unknown))


def test_equal_chains_drawn_together_draw_as_each_alone() -> None:
    """A batch prepares equal chains (compared by value, not by object) once; the draws are
    those of each chain drawn on its own."""
    chain = random_chain(30, 3, 4, seed=4)
    twin = PsiChain.from_bytes(chain.to_bytes())
    other = random_chain(30, 3, 4, seed=5)
    batch = [chain, twin, other, chain]
    steps = np.array([0, 10, 20, 30], dtype=np.uint64)
    together = _core.tsu_draw_chains(batch, 6, steps)
    for b, payload in enumerate(batch):
        alone = _core.tsu_draw_chains([payload], 6, steps[b : b + 1])
        np.testing.assert_array_equal(together["tokens"][b], alone["tokens"][0])
        assert together["logq"][b].tobytes() == alone["logq"][0].tobytes()
