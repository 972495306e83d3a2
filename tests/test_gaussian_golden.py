"""Gaussian ψ golden vectors (shared with cargo test) and the numpy reference, bit for bit."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tsd import gaussian
from tsd.gaussian import reference

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "golden_gauss.json").read_text(encoding="utf-8")
)["cases"]


def _bits(values: np.ndarray) -> list[str]:
    return [f"{int(b):016x}" for b in np.ascontiguousarray(values).reshape(-1).view(np.uint64)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bytes_draws_and_log_densities_are_pinned(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["psi_hex"])
    psi = gaussian.from_bytes(data)
    assert psi.to_bytes() == data
    steps = np.array(case["steps"], dtype=np.uint64)
    batch = gaussian.PsiGaussianBatch.from_payloads([psi] * steps.size)
    draws = gaussian.draw(batch, case["seed"], steps)
    assert _bits(draws.values) == case["values_bits"]
    assert _bits(draws.logq) == case["logq_bits"]
    assert _bits(gaussian.log_density(batch, draws.values)) == case["logq_bits"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_numpy_reference_reproduces_the_pinned_bits(case: dict[str, Any]) -> None:
    psi = gaussian.from_bytes(bytes.fromhex(case["psi_hex"]))
    q = reference.ReferenceGaussian.from_payload(psi)
    values, logq = [], []
    for step in case["steps"]:
        x = q.draw(case["seed"], reference.STREAM_TSU, step, 0)
        values.append(x)
        logq.append(q.log_density(x))
    assert _bits(np.array(values)) == case["values_bits"]
    assert _bits(np.array(logq)) == case["logq_bits"]


def test_random_payloads_draw_and_verify_exactly_as_the_reference() -> None:
    rng = np.random.default_rng(0)
    n, d = 120, 5
    psi = gaussian.craft(rng.normal(size=(n, d)), rng.uniform(-3.0, 2.0, size=(n, d)))
    draws = gaussian.draw(psi, 5, np.arange(n) + 7)
    mean, sigma = rng.normal(size=(n, d)), rng.uniform(0.5, 2.0, size=(n, d))
    for mode, bias in (("exact", 1.0), ("lenient", 2.0), ("resample-target", 1.0)):
        verdicts = gaussian.verify(
            psi, draws.values, mean, sigma, 9, np.arange(n), mode=mode, bias=bias
        )
        assert 0 < verdicts.accepted.sum() < n
        for i in range(n):
            q = reference.ReferenceGaussian.from_payload(psi[i])
            x = q.draw(5, reference.STREAM_TSU, i + 7, 0)
            assert _bits(x) == _bits(draws.values[i])
            assert q.log_density(x) == draws.logq[i]
            p = reference.ReferenceGaussian.from_target(mean[i], sigma[i])
            accepted, emitted, tries = reference.verify_row(q, p, x, 9, i, mode, bias)
            assert accepted == verdicts.accepted[i]
            assert _bits(emitted) == _bits(verdicts.emitted[i])
            assert tries == verdicts.tries[i]


def test_target_draws_are_the_reference_on_their_own_lanes() -> None:
    mean, sigma = np.array([[0.5, -1.0, 2.0]]), np.array([[1.0, 0.3, 2.5]])
    got = gaussian.draw_target(mean, sigma, 11, [77])
    p = reference.ReferenceGaussian.from_target(mean[0], sigma[0])
    assert _bits(got[0]) == _bits(p.draw(11, reference.STREAM_VERIFY, 77, 2**31))
