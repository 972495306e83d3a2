"""Crafting ψ from p: tokens that p never emits carry no mass beyond ε in q = F(ψ)."""

import numpy as np
import pytest

from tsd import _core
from tsd.psi import craft_psi_from_p


@pytest.mark.parametrize("eps", ["auto", 0.0, 1e-3])
def test_zero_probability_tokens_get_at_most_eps(eps: str | float) -> None:
    p = np.zeros(20)
    p[[3, 7, 11]] = [0.5, 0.3, 0.2]
    psi = craft_psi_from_p(p, 8, eps=eps)  # type: ignore[arg-type]
    q = np.exp(psi.dense_logq())
    assert (q[p == 0] <= np.float32(psi.eps) * (1 + 1e-12)).all()
    assert q[p > 0].sum() >= 1 - (p == 0).sum() * psi.eps - 1e-12
    np.testing.assert_array_equal(psi.ids, [3, 7, 11])


def test_a_sparse_target_is_accepted_whenever_q_matches_it() -> None:
    # Two equally likely tokens, K = 8: every draft lands on one of them and is accepted.
    p = np.zeros(16)
    p[[2, 9]] = 0.5
    psi = craft_psi_from_p(p, 8)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    assert _core.m0_run(logp, psi, 0, 0, 2000)["accepted"].all()


def test_full_support_keeps_k_ids() -> None:
    p = np.linspace(1, 2, 10)
    assert craft_psi_from_p(p / p.sum(), 4).K == 4


def test_chain_ids_that_p_never_emits_carry_almost_no_mass() -> None:
    # A chain position needs K = 4 ids; p has two tokens with mass.
    p = np.array([[0.0, 0.7, 0.0, 0.3, 0.0, 0.0]])
    crafted = _core.craft_chain_positions(p[:, None, :], p, 4, None)
    (chain,) = _core.chains_from_positions(
        6,
        1.0,
        crafted["ids"][:, None, :],
        crafted["codes"],
        crafted["scales"][:, None],
        crafted["eps"][:, None],
    )
    q = np.exp(chain.conditional(0).dense_logq())
    assert q[p[0] == 0].max() < 1e-12
    assert q[p[0] > 0].sum() > 1 - 1e-12
