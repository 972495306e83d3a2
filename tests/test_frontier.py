"""The ψ frontier's pieces, checked exactly: closed-form acceptance against the dense overlap
on enumerable vocabularies, the auto-ε argument, the optimiser against brute force, the
anchors on closed-form cases, the adaptive proposer's picks, and the worlds."""

import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from tsd import errors
from tsd.frontier.acceptance import ClippedSums, acceptance, q_on_ids, sparse_overlap
from tsd.frontier.adaptive import best_proxy_within, cheapest_reaching
from tsd.frontier.anchors import (
    conformal_sizes,
    dense_bytes,
    ids_bytes,
    ksqs,
    qsv,
    sparse_bytes,
)
from tsd.frontier.entropy import code_entropy, entropy_bits
from tsd.frontier.grid import Grid, evaluate
from tsd.frontier.lattice import index_bits, lattice_counts
from tsd.frontier.optimiser import best_within
from tsd.frontier.run import check_budgets, smallest_payload
from tsd.frontier.worlds import ngram_world, paired, smollm2_world
from tsd.psi import PsiTopK, craft_psi_from_p, encoded_size


def dirichlet_rows(rows: int, vocab: int, seed: int, alpha: float = 0.5) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.dirichlet(np.full(vocab, alpha), size=rows)


def dense_overlap(p: np.ndarray, psi: PsiTopK) -> float:
    """Σ_y min(p, q) with q from the core's dense log q: the definition, enumerated."""
    return float(np.minimum(p, np.exp(psi.dense_logq())).sum())


def test_closed_form_acceptance_equals_the_enumerated_overlap() -> None:
    p, d = dirichlet_rows(40, 7, 1), dirichlet_rows(40, 7, 2)
    for k, bits, tau, eps in product((1, 3, 7), (1, 4, 8), (0.6, 1.0), ("auto", 0.01)):
        payloads = [craft_psi_from_p(row, k, tau, eps, bits) for row in d]
        closed = acceptance(p, payloads)
        enumerated = [dense_overlap(row, psi) for row, psi in zip(p, payloads, strict=True)]
        np.testing.assert_allclose(closed, enumerated, rtol=0, atol=1e-12)


def test_evaluated_settings_are_the_payloads_a_proposer_would_send() -> None:
    # Every (K, bits, τ, ε scale) the grid evaluates equals the enumerated overlap of the
    # payload built with those fields at wire precision, against p and against d.
    p, d = dirichlet_rows(12, 6, 3), dirichlet_rows(12, 6, 4)
    grid = Grid((1, 2, 6), (2, 8), (0.7, 1.0), (0.0, 0.5, 1.0, 2.0))
    for row in evaluate(p, d, grid.knobs(6)):
        knobs = row["settings"]
        for b in range(12):
            auto = craft_psi_from_p(d[b], knobs["K"], 1.0, "auto", knobs["bits"])
            eps = auto.eps * knobs["eps_scale"]
            if knobs["eps_scale"] > 1:
                eps = min(eps, max(auto.eps, 0.999 / max(6 - auto.K, 1)))
            psi = PsiTopK(6, auto.ids, auto.codes, auto.scale, knobs["tau"], eps, auto.code_bits)
            assert row["accept"][b] == pytest.approx(dense_overlap(p[b], psi), abs=1e-12)
            assert row["proxy"][b] == pytest.approx(dense_overlap(d[b], psi), abs=1e-12)
            assert row["bytes"][b] == psi.size_bytes


def exact_acceptance(p: np.ndarray, k: int, eps: float) -> float:
    """Acceptance of exact scores (q ∝ p on p's top K) with tail probability ε."""
    ids = np.sort(np.argsort(-p, kind="stable")[:k])[None, :]
    mask = np.ones_like(ids, dtype=bool)
    tail_mass = np.array([(p.size - k) * eps])
    q = q_on_ids(np.log(p[ids]), mask, tail_mass)
    rows = p[None, :]
    return float(sparse_overlap(rows, ClippedSums(rows), ids, mask, q, np.array([eps]))[0])


@pytest.mark.parametrize("seed", range(5))
def test_auto_eps_is_optimal_for_exact_scores(seed: int) -> None:
    p = dirichlet_rows(1, 50, seed)[0]
    for k in (1, 5, 20, 49):
        order = np.sort(p)[::-1]
        auto = order[k:].sum() / (p.size - k)
        best = exact_acceptance(p, k, auto)
        # The closed form at auto: the top-K mass plus the tail clipped at ε.
        assert best == pytest.approx(order[:k].sum() + np.minimum(order[k:], auto).sum(), abs=1e-12)
        for eps in np.linspace(0, 0.999 / (p.size - k), 101):
            assert exact_acceptance(p, k, float(eps)) <= best + 1e-12
        # Power: the tail is not uniform, so moving ε either way by 10% costs acceptance
        # (a tail of one token loses only 10% of its own tiny mass).
        margin = 1e-3 * order[k:].sum()
        assert exact_acceptance(p, k, 0.9 * auto) < best - margin
        assert exact_acceptance(p, k, 1.1 * auto) < best - margin


def test_a_draft_that_misplaces_tail_mass_moves_the_optimum() -> None:
    # d keeps 0.1 outside its top id where p keeps 0.5: doubling auto ε gains 0.1 exactly.
    p, d = np.array([[0.5, 0.25, 0.25]]), np.array([[0.9, 0.05, 0.05]])
    rows = evaluate(p, d, Grid((1,), (8,), (1.0,), (1.0, 2.0)).knobs(3))
    auto, doubled = (float(row["accept"][0]) for row in rows)
    assert auto == pytest.approx(0.6, abs=1e-6)
    assert doubled == pytest.approx(0.7, abs=1e-6)


def test_one_bit_codes_move_the_optimum_below_auto() -> None:
    # d = p; at b = 1 the top three (0.4, 0.3, 0.1) get codes 1, 1, 0 with a step of ln 4, so q
    # on the ids is (1 − 4ε)·(4, 4, 1)/9: the second id is over-weighted, and taking mass from
    # the tail pays. Closed forms: 4/9 + 0.3 + 0.17 at auto (ε = 0.05), 0.85·5/9 + 0.3 + 0.1425
    # at ε = 0.0375; with 8-bit codes auto wins again.
    p = np.array([[0.4, 0.3, 0.1, 0.08, 0.05, 0.04, 0.03]])
    rows = evaluate(p, p, Grid((3,), (1, 8), (1.0,), (0.75, 1.0)).knobs(7))
    (narrow_low, narrow_auto), (wide_low, wide_auto) = [
        [float(row["accept"][0]) for row in rows if row["settings"]["bits"] == b] for b in (1, 8)
    ]
    assert narrow_auto == pytest.approx(4 / 9 + 0.3 + 0.17, abs=1e-6)
    assert narrow_low == pytest.approx(0.85 * 5 / 9 + 0.3 + 0.1425, abs=1e-6)
    assert narrow_low > narrow_auto
    assert wide_auto > wide_low


def brute_force_best(p: np.ndarray, d: np.ndarray, grid: Grid, budget: float) -> tuple[float, dict]:
    """Every setting crafted payload by payload, enumerated, the best mean that fits."""
    best: tuple[float, float, dict] = (-1.0, 0.0, {})
    for k, bits, tau, scale in product(grid.ks, grid.bits, grid.taus, grid.eps_scales):
        accepts, sizes = [], []
        for p_row, d_row in zip(p, d, strict=True):
            auto = craft_psi_from_p(d_row, k, 1.0, "auto", bits)
            psi = PsiTopK(p.shape[1], auto.ids, auto.codes, auto.scale, tau, auto.eps * scale, bits)
            accepts.append(dense_overlap(p_row, psi))
            sizes.append(psi.size_bytes)
        if max(sizes) <= budget and (float(np.mean(accepts)), -float(np.mean(sizes))) > best[:2]:
            knobs = {"K": k, "bits": bits, "tau": tau, "eps_scale": scale}
            best = (float(np.mean(accepts)), -float(np.mean(sizes)), knobs)
    return best[0], best[2]


@pytest.mark.parametrize("budget", [23, 24, 26, 30, 40])
def test_the_optimiser_agrees_with_brute_force(budget: float) -> None:
    p, d = dirichlet_rows(6, 9, 10), dirichlet_rows(6, 9, 11)
    grid = Grid((1, 2, 4, 9), (1, 3, 8), (0.7, 1.0, 1.4), (0.0, 0.5, 1.0))
    chosen = best_within(evaluate(p, d, grid.knobs(9)), budget)
    expected, knobs = brute_force_best(p, d, grid, budget)
    assert float(np.mean(chosen["accept"])) == pytest.approx(expected, abs=1e-12)
    assert chosen["settings"] == knobs


def test_a_budget_below_every_setting_names_the_smallest() -> None:
    p = dirichlet_rows(3, 9, 12)
    rows = evaluate(p, p, Grid((1, 2), (1, 8), (1.0,), (1.0,)).knobs(9))
    with pytest.raises(errors.InvalidArgumentError, match=r"below the smallest .* \(22 bytes\)"):
        best_within(rows, 21)
    assert smallest_payload(65) == 9
    assert smallest_payload(65) == min(
        encoded_size(65, 1, 1), sparse_bytes(65, 1, 1), dense_bytes(65, 1)
    )
    with pytest.raises(errors.InvalidArgumentError, match=f"{smallest_payload(65)} bytes"):
        check_budgets([8, 64], 65)
    with pytest.raises(errors.InvalidArgumentError, match="at least one"):
        check_budgets([], 65)


def test_lattice_quantisation_by_reznik_rule() -> None:
    counts = lattice_counts(np.array([[0.5, 0.3, 0.2], [0.45, 0.45, 0.1], [0.34, 0.33, 0.33]]), 10)
    # Row 1 rounds 4.5 and 4.5 up: the surplus unit comes off the first (ties to the lower id).
    assert counts.tolist() == [[5, 3, 2], [4, 5, 1], [4, 3, 3]]
    # ℓ = 1 rounds everything to 0; the unit goes to the entry rounded furthest down.
    assert lattice_counts(np.array([[0.45, 0.1, 0.45]]), 1).tolist() == [[1, 0, 0]]
    # Rounding up everywhere: 0.25 · 2 = 0.5 rounds to 1 four times; two are taken back.
    assert lattice_counts(np.full((1, 4), 0.25), 2).tolist() == [[0, 0, 1, 1]]
    rows = dirichlet_rows(50, 30, 13)
    for ell in (1, 7, 64, 1000):
        counts = lattice_counts(rows, ell)
        assert (counts.sum(axis=1) == ell).all()
        assert (counts >= 0).all()
        assert np.abs(counts - ell * rows).max() < 1.0
    # C(ℓ + n − 1, n − 1) points: 3 coordinates at ℓ = 2 give 6 points, 3 bits.
    assert index_bits(3, 2) == 3
    assert index_bits(5, 1) == 3
    assert index_bits(1, 100) == 0


def test_anchors_on_closed_form_cases() -> None:
    p, d = np.array([[0.4, 0.35, 0.25]]), np.array([[0.5, 0.25, 0.25]])
    # At ℓ = 4 the lattice holds d exactly: QSV's acceptance is Σ min(p, d).
    assert qsv(p, d, 4)["accept"][0] == pytest.approx(0.4 + 0.25 + 0.25)
    assert qsv(p, d, 4)["proxy"][0] == pytest.approx(1.0)
    # K-SQS with one id: q̂ = 1 on d's top id, so the acceptance is p there.
    assert ksqs(p, d, 1, 1)["accept"][0] == pytest.approx(0.4)
    # Two ids at ℓ = 3: d's top two renormalised (2/3, 1/3) land on (2, 1).
    assert ksqs(p, d, 2, 3)["accept"][0] == pytest.approx(min(0.4, 2 / 3) + min(0.35, 1 / 3))
    # Sizes: our envelope, the Elias–Fano ids, the lattice index in whole bytes.
    assert ids_bytes(65, 1) == 1
    assert sparse_bytes(65, 1, 1) == 6 + 1 + 1 + 1 + 1 + 0
    assert dense_bytes(65, 1) == 6 + 1 + 1 + 1
    assert dense_bytes(50_000, 16) == 6 + 3 + 1 + (index_bits(50_000, 16) + 7) // 8


def test_conformal_sizes_hold_the_target_miscoverage() -> None:
    d = dirichlet_rows(3000, 40, 14, alpha=0.3)
    for delta in (0.02, 0.1, 0.3):
        sizes = conformal_sizes(d, delta)
        kept = np.take_along_axis(np.cumsum(-np.sort(-d, axis=1), axis=1), sizes[:, None] - 1, 1)
        miss = float(np.mean(1.0 - kept[:, 0] > delta))
        assert abs(miss - 0.1) < 0.02
    # A tighter bound keeps more tokens.
    assert conformal_sizes(d, 0.02).mean() > conformal_sizes(d, 0.3).mean()


def rows_of(proxy: list[list[float]], size: list[list[float]]) -> list[dict]:
    return [
        {"settings": {"K": i + 1, "bits": 8}, "proxy": np.array(pr), "accept": np.array(pr) / 2,
         "bytes": np.array(sz)}
        for i, (pr, sz) in enumerate(zip(proxy, size, strict=True))
    ]  # fmt: skip


def test_the_adaptive_proposer_picks_per_context() -> None:
    # Three settings (rows) over three contexts (columns).
    rows = rows_of(
        proxy=[[0.5, 0.9, 0.2], [0.8, 0.95, 0.3], [0.99, 0.97, 0.4]],
        size=[[10, 10, 10], [20, 20, 20], [40, 40, 40]],
    )
    chosen = cheapest_reaching(rows, 0.8)
    # Context 0 needs setting 1; context 1 setting 0 suffices; context 2 never reaches: best.
    assert chosen["bytes"].tolist() == [20, 10, 40]
    assert chosen["accept"].tolist() == [0.4, 0.45, 0.2]
    within = best_proxy_within(rows, 25)
    assert within["bytes"].tolist() == [20, 20, 20]
    assert [s["K"] for s in within["picked"]] == [2, 2, 2]
    with pytest.raises(errors.InvalidArgumentError, match="10 bytes"):
        best_proxy_within(rows, 9)


def test_entropy_of_codes() -> None:
    assert entropy_bits(np.array([0, 1, 2, 3] * 10)) == pytest.approx(2.0)
    assert entropy_bits(np.zeros(7, dtype=int)) == 0.0
    measured = code_entropy(dirichlet_rows(64, 40, 15), 16, 4)
    assert 0 < measured["ranked_entropy_bits_per_code"] < measured["entropy_bits_per_code"] <= 4


def test_the_ngram_world_is_deterministic_and_normalised(tmp_path: Path) -> None:
    corpus = tmp_path / "text.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog. " * 200, encoding="utf-8")
    world = ngram_world(corpus, 20, seed=3, target_order=4, draft_order=2)
    again = ngram_world(corpus, 20, seed=3, target_order=4, draft_order=2)
    assert world.p.shape == world.d.shape == (20, world.vocab)
    np.testing.assert_allclose(world.p.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(world.p, again.p)
    assert np.array_equal(world.d, again.d)
    assert not np.array_equal(world.p, world.d)
    fallback = ngram_world(tmp_path / "missing.txt", 5, seed=3)
    assert "synthetic" in fallback.description
    assert fallback.notes
    with pytest.raises(errors.VocabularyMismatchError, match="one vocabulary"):
        paired("x", world.p, world.d[:, :-1], "", ())


def test_the_smollm2_world_needs_the_hf_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without torch the world says which extra to install, before loading anything.
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        errors.BackendUnavailableError, match=r"world smollm2: needs torch; .*\[hf\]"
    ):
        smollm2_world("early-exit:8", Path("unused.jsonl"), 4, seed=1)
