"""The undirected-Gibbs experiment: its exact n-sweep law agrees with a brute-force Markov
kernel on a tiny chain and converges to the chain's joint; thrml's undirected sampler follows
that n-sweep law (and visibly not the joint after two sweeps); the command writes its rows."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import REPO, needs_thrml
from tsd import errors
from tsd.experiments.gibbs_chain import (
    gibbs_law,
    make_chain,
    nominal_law,
    slot_masses,
    total_variation,
)
from tsd.stats import chi2_gof

ALPHA = 0.001


def brute_force_law(chain: object, sweeps: int) -> np.ndarray:
    """The n-sweep law from explicit state-to-state matrices, one site update at a time."""
    first, transitions = slot_masses(chain)  # type: ignore[arg-type]
    length, slots = transitions.shape[0] + 1, first.size
    states = list(itertools.product(range(slots), repeat=length))

    def weight(state: tuple[int, ...]) -> float:
        w = first[state[0]]
        for i in range(1, length):
            w *= transitions[i - 1][state[i - 1], state[i]]
        return float(w)

    def site_kernel(j: int) -> np.ndarray:
        kernel = np.zeros((len(states), len(states)))
        for a, state in enumerate(states):
            options = [(*state[:j], v, *state[j + 1 :]) for v in range(slots)]
            weights = np.array([weight(o) for o in options])
            for option, w in zip(options, weights / weights.sum(), strict=True):
                kernel[a, states.index(option)] += w
        return kernel

    sweep = np.eye(len(states))
    for j in [*range(0, length, 2), *range(1, length, 2)]:
        sweep = sweep @ site_kernel(j)
    law = np.zeros(len(states))
    law[0] = 1.0
    for _ in range(sweeps):
        law = law @ sweep
    return law


def test_the_sweep_law_matches_a_brute_force_kernel_and_converges() -> None:
    chain = make_chain(6, 3, 2, 5.0, 0.2, seed=1)
    nominal = nominal_law(chain).ravel()
    assert nominal.sum() == pytest.approx(1.0, abs=1e-12)
    for sweeps in (0, 1, 2, 5):
        np.testing.assert_allclose(
            gibbs_law(chain, sweeps).ravel(), brute_force_law(chain, sweeps), atol=1e-12
        )
    distances = [total_variation(gibbs_law(chain, n).ravel(), nominal) for n in (1, 4, 200)]
    assert distances[0] > distances[1] > distances[2]
    assert distances[0] > 0.05
    assert distances[2] < 1e-9


def test_bad_arguments_are_named() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="tail_share"):
        make_chain(6, 3, 2, 5.0, 1.0, seed=1)
    with pytest.raises(errors.InvalidArgumentError, match="slot sequences"):
        nominal_law(make_chain(300, 8, 20, 5.0, 0.2, seed=1))


@pytest.mark.slow
@needs_thrml
def test_thrml_undirected_samples_follow_the_sweep_law_not_the_joint() -> None:
    from tsd.tsu.thrml import sample_undirected_chain  # noqa: PLC0415  (optional extra)

    chain = make_chain(12, 4, 3, 6.0, 0.1, seed=0)
    slots = sample_undirected_chain(chain, 2, 100_000, 4)
    cells = np.ravel_multi_index(tuple(slots.T.astype(np.int64)), (4,) * 4)
    counts = np.bincount(cells, minlength=4**4)
    assert chi2_gof(counts, gibbs_law(chain, 2).ravel()).p_value > ALPHA
    assert chi2_gof(counts, nominal_law(chain).ravel()).p_value < ALPHA


@pytest.mark.slow
@needs_thrml
def test_the_command_writes_its_rows(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tsd", "exp", "gibbs-chain", "--sweeps", "1", "8",
         "--draws", "20000", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = tmp_path.iterdir()
    assert f"results_path={run_dir / 'gibbs_chain.json'}" in done.stdout
    rows = json.loads((run_dir / "gibbs_chain.json").read_text())["rows"]
    assert [r["sweeps"] for r in rows] == [1, 8]
    assert rows[0]["exact_tv"] > rows[1]["exact_tv"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["provenance"]["command"][:3] == ["tsd", "exp", "gibbs-chain"]
