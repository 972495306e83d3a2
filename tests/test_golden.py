"""Golden vectors (shared with cargo test): wire bytes, log q bit patterns, the verifier's exp
and cumulative masses never drift."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tsd import reference
from tsd.psi import from_bytes

DATA = Path(__file__).parent / "data"
CASES: list[dict[str, Any]] = json.loads((DATA / "golden_psi.json").read_text(encoding="utf-8"))[
    "cases"
]
EXP: dict[str, dict[str, list[str]]] = json.loads(
    (DATA / "golden_exp.json").read_text(encoding="utf-8")
)


def _floats(section: str, name: str) -> np.ndarray:
    return np.array([int(b, 16) for b in EXP[section][name]], dtype=np.uint64).view(np.float64)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bytes_and_logq_bits_are_pinned(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["psi_hex"])
    psi = from_bytes(data)
    assert psi.to_bytes() == data
    logq = psi.logq(case["tokens"])
    assert [f"{int(b):016x}" for b in logq.view(np.uint64)] == case["logq_bits"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_numpy_reference_agrees_with_the_pinned_values(case: dict[str, Any]) -> None:
    psi = from_bytes(bytes.fromhex(case["psi_hex"]))
    pinned = np.array([int(b, 16) for b in case["logq_bits"]], dtype=np.uint64).view(np.float64)
    np.testing.assert_allclose(reference.dense_logq(psi)[case["tokens"]], pinned, rtol=1e-12)


def test_the_reference_exp_gives_the_pinned_bits() -> None:
    inputs, outputs = _floats("exp", "inputs"), _floats("exp", "outputs")
    got = reference.exp(inputs)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(outputs))
    finite = ~np.isnan(outputs)
    np.testing.assert_array_equal(got[finite].view(np.uint64), outputs[finite].view(np.uint64))


def test_the_reference_exp_is_within_an_ulp_of_the_platform_exp() -> None:
    x = np.random.Generator(np.random.PCG64(3)).uniform(-708.0, 709.7, 20_000)
    ours = reference.exp(x)
    platform = np.array([math.exp(v) for v in x])
    ulps = np.abs(ours.view(np.int64) - platform.view(np.int64))
    assert ulps.max() <= 1
    assert (ulps == 0).mean() > 0.9
    # Below −708 the result is 0 (the platform's is under 3.31e-308).
    assert (reference.exp(np.array([-708.01, -745.0, -np.inf])) == 0.0).all()


def test_cumulative_masses_are_pinned_and_are_not_a_plain_running_sum() -> None:
    masses, outputs = _floats("cumulative", "masses"), _floats("cumulative", "outputs")
    got = reference.cumulative(masses)
    np.testing.assert_array_equal(got.view(np.uint64), outputs.view(np.uint64))
    # A left-to-right running sum rounds differently over these 10 chunks: the pin has power.
    assert (np.cumsum(masses) != outputs).any()
    # Short rows (one chunk) are the plain running sum.
    short = masses[: reference.CHUNK]
    np.testing.assert_array_equal(reference.cumulative(short), np.cumsum(short))
