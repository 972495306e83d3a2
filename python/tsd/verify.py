"""The verifier: accept the TSU's draw with probability min(1, p/q), else correct it.

The ratio uses the log q the TSU returned; the residual norm(max(0, p − q)) uses F(ψ). The
verifier's random words come from its own stream, keyed by (seed, step).
"""

from numpy.typing import ArrayLike

from tsd import _core
from tsd._checks import as_vector, check_float, check_int, check_seed
from tsd._core import LAST_STEP, PsiTopK

__all__ = ["accept_correct_step"]


def accept_correct_step(
    logp: ArrayLike, psi: PsiTopK, token: int, logq: float, *, seed: int, step: int
) -> tuple[bool, int]:
    """One verifier decision: (accepted, emitted token), emitted ~ p exactly over the draw."""
    return _core.accept_correct(
        as_vector("logp", logp),
        psi,
        check_int("token", token, 0, psi.vocab - 1),
        check_float("logq", logq),
        check_seed(seed),
        check_int("step", step, 0, LAST_STEP),
    )
