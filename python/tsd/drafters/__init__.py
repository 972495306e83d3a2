"""The drafter seam: how the L draft tokens of a round are proposed, behind one protocol.

A drafter turns each sequence's prefix into a block of L tokens drawn through a TSU, with the
payload each token was drawn from and the log q the TSU returned; the verifier sees only that
`DraftBlock`, never the draft model or the backend. Drafters by name (`DRAFTERS`):
- `token`: one top-K ψ per draft token, crafted from the draft's conditional given the tokens
  drafted so far: L TSU calls per round (`tsd.drafters.token`).
- `chain`: one chain ψ for all L positions, drawn in one TSU call (`tsd.drafters.chain`).

Adding a drafter: a module here with a class that implements `Drafter` (its constructor
taking the draft model, the TSU and L, K, τ, ε, which `BaseDrafter` checks and holds), and one
entry in `DRAFTERS`.
"""

from collections.abc import Callable

from tsd.drafters.block import BaseDrafter, DraftBlock, Drafter, realised_rows
from tsd.drafters.chain import ChainDrafter
from tsd.drafters.token import TokenDrafter
from tsd.errors import InvalidArgumentError
from tsd.models.session import LanguageModel
from tsd.psi import EpsSpec
from tsd.tsu import TSU

__all__ = [
    "DRAFTERS",
    "BaseDrafter",
    "ChainDrafter",
    "DraftBlock",
    "Drafter",
    "TokenDrafter",
    "make_drafter",
    "realised_rows",
]

DRAFTERS: dict[str, Callable[..., Drafter]] = {"token": TokenDrafter, "chain": ChainDrafter}


def make_drafter(
    name: str,
    draft: LanguageModel,
    tsu: TSU,
    *,
    L: int,
    K: int,
    tau: float = 1.0,
    eps: EpsSpec = "auto",
) -> Drafter:
    """The drafter registered as `name` over the draft model and the TSU."""
    if name not in DRAFTERS:
        raise InvalidArgumentError(f"drafter: must be one of {', '.join(DRAFTERS)}, got {name!r}")
    return DRAFTERS[name](draft, tsu, L=L, K=K, tau=tau, eps=eps)
