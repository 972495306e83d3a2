"""The character world (fast; what the tests train): the teacher is a Kneser–Ney 6-gram over
the characters of Tiny Shakespeare's training split (the built-in synthetic text, with a note,
where the file is absent), the student a tiny character Llama distilled from the teacher's
full rows; held out: fixed windows of the held-out split, scored by the same teacher."""

from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models
from transformers import PreTrainedTokenizerFast

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError
from tsd.experiments.lm import SHAKESPEARE
from tsd.experiments.speculative import synthetic_text
from tsd.models import CharVocab, NgramLM, read_corpus, split_corpus
from tsd.train.checkpoint import vocabulary_digest
from tsd.train.data import DataSource, OnPolicyWindows, StreamWindows
from tsd.train.evaluate import HeldOut
from tsd.train.students import architecture, char_student
from tsd.train.teachers import NgramTeacher
from tsd.train.trainer import Student
from tsd.train.world import DATA_KINDS, World

__all__ = [
    "CHAR_ORDER",
    "CHAR_PREFIX",
    "CHAR_WINDOW",
    "HELDOUT_WINDOWS",
    "char_tokenizer",
    "char_world",
]

CHAR_ORDER = 6
CHAR_WINDOW = 64
# On-policy windows start from this many corpus characters; the student writes the rest.
CHAR_PREFIX = 8
HELDOUT_WINDOWS = 32


def char_tokenizer(vocab: CharVocab) -> Any:
    """A transformers tokenizer with one token per character, numbered as `vocab` numbers
    them (a BPE with no merges splits text into characters), decoding by concatenation."""
    core = Tokenizer(models.BPE(vocab={s: i for i, s in enumerate(vocab.symbols)}, merges=[]))
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core)  # type: ignore[no-untyped-call]


def _text(corpus: Path | None) -> tuple[str, tuple[str, ...]]:
    if corpus is not None:
        return read_corpus(corpus), ()
    if SHAKESPEARE.is_file():
        return read_corpus(SHAKESPEARE), ()
    note = f"note: {SHAKESPEARE} is absent; the character world uses the built-in text"
    return synthetic_text(), (note,)


def _heldout(teacher: NgramTeacher, ids: np.ndarray, width: int) -> HeldOut:
    if len(ids) < width:
        raise InvalidArgumentError(
            f"corpus: the held-out split ({len(ids)} characters) is shorter than a window ({width})"
        )
    starts = np.linspace(0, len(ids) - width, HELDOUT_WINDOWS).astype(np.int64)
    windows = torch.from_numpy(np.stack([ids[s : s + width] for s in starts]).astype(np.int64))
    return HeldOut(windows, teacher.rows(windows).logp)


def char_world(
    *, data: str, layers: int, batch_size: int, seed: int, corpus: Path | None = None
) -> World:
    """The character world for `data` (off-policy or on-policy) and a student of `layers`
    layers; the corpus defaults to Tiny Shakespeare."""
    if data not in DATA_KINDS:
        raise InvalidArgumentError(f"data: must be one of {', '.join(DATA_KINDS)}, got {data!r}")
    check_int("layers", layers, 1)
    text, notes = _text(corpus)
    vocab = CharVocab.from_text(text)
    training, held = split_corpus(text)
    teacher = NgramTeacher(NgramLM.train(training, vocab, CHAR_ORDER))
    stream = vocab.encode(training, "training text")
    source: DataSource
    if data == "off-policy":
        source = StreamWindows(stream, teacher, CHAR_WINDOW, batch_size, seed)
    else:
        source = OnPolicyWindows(stream, teacher, CHAR_WINDOW, CHAR_PREFIX, batch_size, seed)
    module = char_student(vocab.size, layers, seed, CHAR_WINDOW)
    student = Student(module, architecture(module), vocabulary_digest(list(vocab.symbols)))
    identity = {
        "world": "char", "data": data, "layers": layers, "batch_size": batch_size,
        "window": CHAR_WINDOW, "teacher": f"kneser-ney:{CHAR_ORDER}",
        "corpus_chars": len(text),
    }  # fmt: skip
    return World(
        student,
        source,
        _heldout(teacher, vocab.encode(held, "held-out text"), CHAR_WINDOW),
        char_tokenizer(vocab),
        identity,
        notes,
    )
