"""The three reference M0 runs pass χ² with acceptance near Σ min(p, q), and are deterministic."""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from tsd import telemetry
from tsd.experiments import run_m0

REFERENCE_RUNS = [
    {"vocab": 1000, "K": 64, "eps": "auto", "steps": 50_000, "seed": 7},
    {"vocab": 1000, "K": 64, "eps": 1e-6, "steps": 50_000, "seed": 7},
    {
        "vocab": 1000,
        "K": 64,
        "eps": "auto",
        "steps": 50_000,
        "seed": 7,
        "pgen": "zipf",
        "alpha": 1.2,
    },
]


@pytest.mark.parametrize("kwargs", REFERENCE_RUNS, ids=["auto", "eps1e-6", "zipf"])
def test_reference_runs_pass_chi2(kwargs: dict[str, object]) -> None:
    summary = run_m0(**kwargs).summary  # type: ignore[arg-type]
    assert summary.p_value > 0.05
    # 50,000 Bernoulli draws: the standard error of the acceptance rate is below 0.0023.
    assert abs(summary.acceptance_rate - summary.overlap) < 0.01
    assert summary.psi_bytes_mean <= 1024
    assert 0 < summary.topk_mass < 1


def test_telemetry_schema() -> None:
    frame = run_m0(vocab=50, K=5, steps=100, seed=1).telemetry
    assert frame.schema == pl.Schema(
        {
            "step": pl.UInt64,
            "proposed_token": pl.UInt32,
            "logq": pl.Float64,
            "accepted": pl.Boolean,
            "emitted_token": pl.UInt32,
        }
    )
    assert frame["step"].to_list() == list(range(100))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_telemetry(tmp_path: Path) -> None:
    first = run_m0(vocab=300, K=20, steps=20_000, seed=3)
    second = run_m0(vocab=300, K=20, steps=20_000, seed=3)
    assert first.telemetry.equals(second.telemetry)
    assert first.summary == second.summary
    paths = [
        telemetry.write_telemetry(telemetry.make_run_dir(tmp_path), r.telemetry, "m0_metrics")[
            "parquet"
        ]
        for r in (first, second)
    ]
    assert paths[0] != paths[1]
    assert _digest(paths[0]) == _digest(paths[1])
    other = run_m0(vocab=300, K=20, steps=20_000, seed=4)
    assert not first.telemetry.equals(other.telemetry)


def test_chunking_does_not_change_a_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = run_m0(vocab=100, K=8, steps=5000, seed=2)
    monkeypatch.setattr("tsd.experiments.m0.CHUNK_STEPS", 777)
    seen: list[int] = []
    chunked = run_m0(vocab=100, K=8, steps=5000, seed=2, progress=seen.append)
    assert whole.telemetry.equals(chunked.telemetry)
    assert seen[-1] == 5000
    assert len(seen) == 7
