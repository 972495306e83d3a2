"""What decoding needs of a model: vocabularies, corpora, models and their sessions.

Adding a model: a module here whose class has `vocab_size` and `start(prompts)` returning a
`ModelSession` (extend by a block, score the new positions, roll back), and, to serve as a
draft model, `logprobs_batch`. A model without a cache can return a `RecomputingSession`.
"""

from tsd.models.corpus import read_corpus, split_corpus
from tsd.models.ngram import NgramLM
from tsd.models.session import (
    BlockScores,
    History,
    LanguageModel,
    ModelSession,
    RecomputingSession,
    SessionModel,
    check_prompts,
)
from tsd.models.vocab import CharVocab

__all__ = [
    "BlockScores",
    "CharVocab",
    "History",
    "LanguageModel",
    "ModelSession",
    "NgramLM",
    "RecomputingSession",
    "SessionModel",
    "check_prompts",
    "read_corpus",
    "split_corpus",
]
