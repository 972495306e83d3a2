"""The TSU seam: the registry builds backends by name and imports them lazily; `draw` takes
payloads of either kind through one entry point."""

import subprocess
import sys

import numpy as np
import pytest

from tests.support import REPO
from tsd import errors, tsu
from tsd.psi import craft_psi_from_p
from tsd.tsu import TSU, BackendUnavailableError, make_tsu, register_backend
from tsd.tsu.sim import SimTSU


class HalfSeedTSU(SimTSU):
    """A registered test backend: the simulated TSU keyed by half the seed."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed // 2)


def test_the_registry_builds_backends_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = make_tsu("sim", 7)
    assert isinstance(sim, SimTSU)
    assert isinstance(sim, TSU)
    assert sim.realises_f_psi
    assert sim.seed == 7
    monkeypatch.setitem(tsu.BACKENDS, "half", "tests.test_tsu:HalfSeedTSU")
    assert make_tsu("half", 8).seed == 4
    register_backend("missing", "tsd.no_such_backend:Nothing")
    try:
        with pytest.raises(BackendUnavailableError, match="no_such_backend"):
            make_tsu("missing", 0)
    finally:
        del tsu.BACKENDS["missing"]
    with pytest.raises(errors.InvalidArgumentError, match="tsu: must be one of sim, thrml"):
        make_tsu("quantum", 0)
    with pytest.raises(errors.InvalidArgumentError, match="module:class"):
        register_backend("bad", "no colon")


def test_importing_the_seam_imports_no_backend() -> None:
    code = (
        "import sys, tsd.tsu, tsd.tsu.sim, tsd.drafters, tsd.speculative\n"
        "assert 'jax' not in sys.modules and 'tsd.tsu.thrml' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_one_draw_entry_point_for_both_kinds() -> None:
    psi = craft_psi_from_p(np.array([0.5, 0.3, 0.2]), 2)
    steps = np.arange(4, dtype=np.uint64)
    single = SimTSU(3).draw([psi] * 4, steps)
    assert single.tokens.shape == single.logq.shape == (4, 1)
    tokens, logq = SimTSU(3).sample_many(psi, 0, 4)
    np.testing.assert_array_equal(single.tokens[:, 0], tokens)
    np.testing.assert_array_equal(single.logq[:, 0], logq)
    empty = SimTSU(3).draw([], np.empty(0, np.uint64))
    assert empty.tokens.shape == (0, 0)
