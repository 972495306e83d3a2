"""Bigram targets p(y_t | y_{t−1}) for M1: synthetic (seeded Dirichlet rows) or from a corpus.

Synthetic recipe (docs/M1.md): with a PCG64 generator seeded by `seed`, draw a base unigram
u ~ Dirichlet(1, ..., 1) over V tokens, then each row p(· | x), x = 0..V−1 in order, from
Dirichlet(c · u). Larger c makes rows closer to u; smaller c makes them sparser.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_float, check_int, check_seed
from tsd.errors import CorpusError, InvalidArgumentError
from tsd.models.corpus import read_corpus

MAX_BIGRAM_VOCAB = 4096


@dataclass(frozen=True)
class Bigram:
    """A V×V transition table: row x is p(· | previous token x), with its log (−inf for 0)."""

    p: NDArray[np.float64]
    logp: NDArray[np.float64]
    description: str
    symbols: tuple[str, ...] | None = None

    @property
    def vocab(self) -> int:
        return int(self.p.shape[0])

    def label(self, token: int) -> str:
        """A printable name for `token`: its character for a corpus model, else its id."""
        if self.symbols is None:
            return str(token)
        return repr(self.symbols[token])


def _from_rows(p: NDArray[np.float64], description: str, symbols: tuple[str, ...] | None) -> Bigram:
    p = p / p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    return Bigram(
        p=np.ascontiguousarray(p),
        logp=np.ascontiguousarray(logp),
        description=description,
        symbols=symbols,
    )


def make_bigram(vocab: int = 256, c: float = 50.0, seed: int = 7) -> Bigram:
    """The synthetic bigram of the module docstring's recipe."""
    v = check_int("vocab", vocab, 2, MAX_BIGRAM_VOCAB)
    concentration = check_float("c", c, positive=True)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    base = rng.dirichlet(np.ones(v))
    rows = rng.dirichlet(concentration * base, size=v)
    return _from_rows(rows, f"synthetic bigram, V={v}, c={concentration:g}, seed={seed}", None)


def bigram_from_text(text: str, name: str = "text") -> Bigram:
    """Character bigram with Laplace (+1) smoothing over the text's distinct characters."""
    if len(text) < 2 or len(set(text)) < 2:
        raise InvalidArgumentError("text: needs at least two distinct characters")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    alphabet, ids = np.unique(codes, return_inverse=True)
    v = int(alphabet.size)
    if v > MAX_BIGRAM_VOCAB:
        raise CorpusError(f"corpus: {v} distinct characters; at most {MAX_BIGRAM_VOCAB} supported")
    counts = np.bincount(ids[:-1] * v + ids[1:], minlength=v * v).reshape(v, v)
    symbols = tuple(chr(int(c)) for c in alphabet)
    smoothed = counts.astype(np.float64) + 1.0
    return _from_rows(smoothed, f"character bigram of {name}, V={v}, Laplace +1", symbols)


def bigram_from_corpus(path: str | os.PathLike[str]) -> Bigram:
    """Character bigram of a UTF-8 corpus file (see `read_corpus` for the checks)."""
    return bigram_from_text(read_corpus(path), Path(path).name)


def stationary(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The stationary distribution π = π P of the chain, solved exactly (linear system).

    A chain with more than one closed class has no unique π; that is an error, not a guess, and
    so is a matrix that is not square, not finite, or whose rows are not distributions.
    """
    p = np.asarray(p)
    if p.ndim != 2 or p.shape[0] != p.shape[1] or p.shape[0] == 0 or p.dtype.kind not in "fiu":
        raise InvalidArgumentError(
            f"p: must be a non-empty square matrix of numbers, got {p.dtype} of shape {p.shape}"
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise InvalidArgumentError("p: entries must be finite and non-negative")
    if np.abs(p.sum(axis=1) - 1.0).max() > 1e-9:
        raise InvalidArgumentError("p: each row must sum to 1")
    v = p.shape[0]
    system = p.T - np.eye(v)
    system[-1, :] = 1.0
    rhs = np.zeros(v)
    rhs[-1] = 1.0
    try:
        pi = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(
            "p: the chain has no unique stationary distribution (it is reducible); "
            "for the synthetic bigram, use a larger c"
        ) from None
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    if np.abs(pi @ p - pi).max() > 1e-9:
        raise InvalidArgumentError("p: the stationary distribution could not be solved accurately")
    return np.asarray(pi, dtype=np.float64)
