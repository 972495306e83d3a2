"""Golden vectors (shared with cargo test): wire bytes and log q bit patterns never drift."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tsd import reference
from tsd.psi import from_bytes

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "golden_psi.json").read_text(encoding="utf-8")
)["cases"]


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
