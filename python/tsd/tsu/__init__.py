"""The TSU seam: the protocol every sampling backend implements, and the registry of backends
by name (`make_tsu`), which imports a backend only when it is asked for.

The realised-distribution contract: a backend draws y from the distribution it actually
samples ψ from, `realised_logq(psi)`, and returns with each draw log q(y) read from that
distribution, bit for bit. The verifier uses the realised distribution for both the accept
ratio and the residual, so every backend is exact whatever precision it samples in. A
backend whose realised distribution is F(ψ) itself (`realises_f_psi`) lets the verifier use
F(ψ) directly, and the fused Rust loops stand in for it.

A chain payload (`PsiChain`) is drawn as a whole block in one call: position i from the
conditional payload the previous token selects (`PsiChain.conditionals_for`), its log q being
that conditional's realised value.

Adding a backend: a module beside `sim.py` with a class that implements `TSU` (subclassing
`tsd.tsu.batched.BatchedTSU` gives the argument checks), and one `register_backend` line.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tsd._core import PsiChain, PsiTopK
from tsd.errors import BackendUnavailableError, InvalidArgumentError

if TYPE_CHECKING:  # numpy only types the protocol: `tsd --help` imports this module, not numpy
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "BACKENDS",
    "TSU",
    "BackendUnavailableError",
    "Draws",
    "Payload",
    "make_tsu",
    "register_backend",
]

Payload = PsiTopK | PsiChain

# Backend name → "module:class"; a backend's module is imported by `make_tsu` only.
BACKENDS: dict[str, str] = {"sim": "tsd.tsu.sim:SimTSU", "thrml": "tsd.tsu.thrml:ThrmlTSU"}


@dataclass(frozen=True)
class Draws:
    """One block per payload: `tokens` (B, L) and their returned log q (B, L); L is 1 for
    top-K payloads and the chain's length for chain payloads."""

    tokens: NDArray[np.uint32]
    logq: NDArray[np.float64]


@runtime_checkable
class TSU(Protocol):
    """A sampler for ψ payloads: draws tokens and reports the exact log q it drew them with."""

    @property
    def seed(self) -> int:
        """The seed every draw is keyed by, with its step."""
        ...

    @property
    def realises_f_psi(self) -> bool:
        """True when the realised distribution is F(ψ) itself, to the last bit."""
        ...

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        """The distribution this backend actually samples ψ from, over the vocabulary."""
        ...

    def draw(self, payloads: Sequence[Payload], steps: NDArray[np.uint64]) -> Draws:
        """One block per payload (one kind per batch), payload b's at step steps[b]; a chain's
        position i uses step steps[b] + i."""
        ...

    def sample_many(
        self, psi: PsiTopK, start_step: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """Draws of one payload for steps start_step .. start_step + count − 1: (tokens, log q)."""
        ...


def register_backend(name: str, location: str) -> None:
    """Make `make_tsu(name, seed)` build the class at `location` ("module:class")."""
    module, _, attribute = location.partition(":")
    if not name or not module or not attribute:
        raise InvalidArgumentError(
            f"backend: needs a name and a 'module:class' location, got {name!r}, {location!r}"
        )
    BACKENDS[name] = location


def make_tsu(backend: str, seed: int) -> TSU:
    """The TSU backend registered as `backend` (see `BACKENDS`), keyed by `seed`."""
    if backend not in BACKENDS:
        raise InvalidArgumentError(f"tsu: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    module, _, attribute = BACKENDS[backend].partition(":")
    try:
        factory = getattr(importlib.import_module(module), attribute)
    except ImportError as exc:
        raise BackendUnavailableError(str(exc)) from None
    tsu: TSU = factory(seed)
    return tsu
