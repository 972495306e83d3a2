"""Target distributions p that the verifier enforces: fixed categoricals (M0) and bigrams (M1)."""

from tsd.targets.bigram import (
    Bigram,
    bigram_from_corpus,
    bigram_from_text,
    make_bigram,
    stationary,
)
from tsd.targets.categorical import Categorical, make_p, make_zipf

__all__ = [
    "Bigram",
    "Categorical",
    "bigram_from_corpus",
    "bigram_from_text",
    "make_bigram",
    "make_p",
    "make_zipf",
    "stationary",
]
