"""Emitted tokens follow p exactly: χ² on small vocabularies with the power to see a 0.5% bias.

Each case runs 400,000 fused steps. A 0.005 shift of probability between two tokens with
p ≈ 1/V gives a χ² noncentrality of about n·2·0.005²·V ≈ 50 at V = 12, so the test rejects it
at α = 0.001 with power above 0.99; `test_the_test_has_power` checks exactly that shift.
"""

import numpy as np
import pytest
from numpy.typing import NDArray

from tsd import _core
from tsd.psi import craft_psi_from_p
from tsd.stats import chi2_gof
from tsd.targets import Categorical, make_p, make_zipf

STEPS = 400_000
ALPHA = 0.001


def emitted_counts(
    target: Categorical, k: int, tau: float, eps: object, seed: int
) -> NDArray[np.float64]:
    psi = craft_psi_from_p(target.p, k, tau, eps)  # type: ignore[arg-type]
    walk = _core.m0_run(target.logp, psi, seed, 0, STEPS)
    accepted, emitted = walk["accepted"], walk["emitted"]
    assert 0.05 < accepted.mean() <= 1.0
    return np.bincount(emitted, minlength=target.vocab).astype(np.float64)


def with_zeros(vocab: int, seed: int) -> Categorical:
    p = make_p(vocab, seed).p.copy()
    p[[1, vocab - 2]] = 0.0
    p /= p.sum()
    with np.errstate(divide="ignore"):
        return Categorical(p=p, logp=np.log(p), description="dirichlet with zeros")


CASES = [
    ("dirichlet V=8 K=3 auto", make_p(8, 1), 3, 1.0, "auto"),
    ("dirichlet V=12 K=4 eps=0", make_p(12, 2), 4, 1.0, 0.0),
    ("dirichlet V=16 K=1 hot", make_p(16, 3), 1, 0.5, "auto"),
    ("zipf V=16 K=6 cold", make_zipf(16, 1.1, 4), 6, 2.0, 0.01),
    ("p has zeros V=10 K=5", with_zeros(10, 5), 5, 1.0, 0.02),
    ("K = V = 12", make_p(12, 6), 12, 1.3, "auto"),
]


@pytest.mark.parametrize(("name", "target", "k", "tau", "eps"), CASES, ids=[c[0] for c in CASES])
def test_emitted_follow_the_target(
    name: str, target: Categorical, k: int, tau: float, eps: object
) -> None:
    counts = emitted_counts(target, k, tau, eps, seed=17)
    assert counts[target.p == 0].sum() == 0
    result = chi2_gof(counts, target.p)
    assert result.p_value > ALPHA, f"{name}: chi2={result.stat:.1f} dof={result.dof}"


def test_the_test_has_power() -> None:
    target = make_p(12, 2)
    counts = emitted_counts(target, 4, 1.0, 0.0, seed=17)
    order = np.argsort(target.p)
    biased = target.p.copy()
    biased[order[-1]] -= 0.005
    biased[order[len(order) // 2]] += 0.005
    assert chi2_gof(counts, biased).p_value < ALPHA


def test_skipping_the_correction_is_caught() -> None:
    target = make_p(12, 8)
    psi = craft_psi_from_p(target.p, 4, 1.0, "auto")
    proposed = _core.m0_run(target.logp, psi, 17, 0, STEPS)["proposed"]
    counts = np.bincount(proposed, minlength=12)
    assert chi2_gof(counts, target.p).p_value < ALPHA
