"""Every public function rejects bad arguments with a `TsdError` that names the field."""

from collections.abc import Callable

import numpy as np
import pytest

from tsd import errors
from tsd.models import CharVocab, check_prompts, read_corpus
from tsd.psi import PsiTopK, craft_psi_from_p, encoded_size, topk_mass
from tsd.stats import chi2_gof
from tsd.targets import make_p, make_zipf, stationary
from tsd.tsu import TSU
from tsd.tsu.sim import SimTSU
from tsd.verify import accept_correct_step

P = np.array([0.5, 0.3, 0.2])
LOGP = np.log(P)
PSI = PsiTopK(3, [0], [0], 0.0, 1.0, 0.1)

CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("p not numbers", lambda: craft_psi_from_p(["a", "b"], 1), "p"),
    ("p 2-D", lambda: craft_psi_from_p(np.ones((2, 2)) / 4, 1), "p"),
    ("p empty", lambda: craft_psi_from_p([], 1), "p"),
    ("p negative", lambda: craft_psi_from_p([1.5, -0.5], 1), "p"),
    ("p unnormalised", lambda: craft_psi_from_p([0.5, 0.4], 1), "p"),
    ("p nan", lambda: craft_psi_from_p([np.nan, 1.0], 1), "p"),
    ("K zero", lambda: craft_psi_from_p(P, 0), "K"),
    ("K too big", lambda: craft_psi_from_p(P, 4), "K"),
    ("K float", lambda: craft_psi_from_p(P, 1.5), "K"),  # type: ignore[arg-type]
    ("K bool", lambda: craft_psi_from_p(P, True), "K"),
    ("tau zero", lambda: craft_psi_from_p(P, 1, tau=0.0), "tau"),
    ("tau inf", lambda: craft_psi_from_p(P, 1, tau=float("inf")), "tau"),
    ("eps word", lambda: craft_psi_from_p(P, 1, eps="sometimes"), "eps"),  # type: ignore[arg-type]
    ("eps negative", lambda: craft_psi_from_p(P, 1, eps=-0.1), "eps"),
    ("eps too big", lambda: craft_psi_from_p(P, 1, eps=0.6), "eps"),
    ("topk_mass length", lambda: topk_mass([0.5, 0.5], PSI), "p"),
    ("encoded_size vocab", lambda: encoded_size(0, 1), "vocab"),
    ("encoded_size K", lambda: encoded_size(10, 11), "K"),
    ("seed negative", lambda: SimTSU(seed=-1), "seed"),
    ("seed too big", lambda: SimTSU(seed=2**64), "seed"),
    ("seed float", lambda: SimTSU(seed=1.0), "seed"),  # type: ignore[arg-type]
    ("step negative", lambda: SimTSU(1).sample_many(PSI, -1, 1), "start_step"),
    ("draw steps negative", lambda: SimTSU(1).draw([PSI], np.array([-1])), "steps"),
    ("draw steps float", lambda: SimTSU(1).draw([PSI], np.array([1.5])), "steps"),
    ("draw steps count", lambda: SimTSU(1).draw([PSI], np.zeros(2, np.uint64)), "steps"),
    ("count negative", lambda: SimTSU(1).sample_many(PSI, 0, -1), "count"),
    ("step overflow", lambda: SimTSU(1).sample_many(PSI, 2**64 - 1, 2), "start_step"),
    ("logp length", lambda: accept_correct_step(LOGP[:2], PSI, 0, -0.1, seed=1, step=0), "logp"),
    (
        "logp positive",
        lambda: accept_correct_step([0.1, -1, -1], PSI, 0, -0.1, seed=1, step=0),
        "logp",
    ),
    ("token range", lambda: accept_correct_step(LOGP, PSI, 3, -0.1, seed=1, step=0), "token"),
    ("logq -inf", lambda: accept_correct_step(LOGP, PSI, 0, -np.inf, seed=1, step=0), "logq"),
    ("verify seed", lambda: accept_correct_step(LOGP, PSI, 0, -0.1, seed=-2, step=0), "seed"),
    ("verify step", lambda: accept_correct_step(LOGP, PSI, 0, -0.1, seed=1, step=-1), "step"),
    ("vocab zero", lambda: make_p(0, 1), "vocab"),
    ("vocab huge", lambda: make_p(2**24 + 1, 1), "vocab"),
    ("alpha zero", lambda: make_zipf(10, 0.0, 1), "alpha"),
    ("target seed", lambda: make_zipf(10, 1.0, -1), "seed"),
    ("chi2 lengths", lambda: chi2_gof([1, 2], [0.5, 0.3, 0.2]), "counts"),
    ("chi2 empty", lambda: chi2_gof([0, 0], [0.5, 0.5]), "counts"),
    ("chi2 negative", lambda: chi2_gof([-1, 2], [0.5, 0.5]), "non-negative"),
    ("corpus None", lambda: read_corpus(None), "corpus"),  # type: ignore[arg-type]
    ("prompt text", lambda: check_prompts(["ab"], 3), "prompt 0"),  # type: ignore[list-item]
    ("prompts text", lambda: check_prompts("ab", 3), "prompts"),  # type: ignore[arg-type]
    ("prompt floats", lambda: check_prompts([[1.7, 2.2]], 3), "prompt 0"),  # type: ignore[list-item]
    ("prompt negative", lambda: check_prompts([np.array([-1])], 3), "prompt 0"),
    ("prompt id range", lambda: check_prompts([np.array([0, 3])], 3), "prompt 0"),
    ("stationary non-square", lambda: stationary(np.full((2, 3), 1 / 3)), "p"),
    ("stationary nan", lambda: stationary(np.array([[np.nan, 1.0], [0.5, 0.5]])), "p"),
    ("stationary rows", lambda: stationary(np.array([[0.5, 0.2], [0.5, 0.5]])), "p"),
    ("decode past the end", lambda: CharVocab(("a", "b")).decode([2]), "ids"),
    ("decode negative", lambda: CharVocab(("a", "b")).decode([-1]), "ids"),
    ("decode floats", lambda: CharVocab(("a", "b")).decode([1.0]), "ids"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("name", "call", "field"), CALLS, ids=[c[0] for c in CALLS])
def test_bad_arguments_name_their_field(name: str, call: Callable[[], object], field: str) -> None:
    with pytest.raises(errors.TsdError, match=field):
        call()


def test_sim_tsu_implements_the_protocol() -> None:
    assert isinstance(SimTSU(0), TSU)
