"""Training data: each step's batch of windows, drawn from a generator keyed by (seed, step) so
that a run and a resumed run see the same batches.

- off-policy: windows of a token stream (the target's own answers, or a corpus), scored by
  the teacher as they are drawn (`StreamWindows`) or once, up front (`CachedWindows`);
- on-policy: a prefix from the stream, continued by the current student's own samples, the
  whole window scored by the teacher; only the contexts the student wrote are trained on."""

from typing import Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError
from tsd.train.rows import Batch, TeacherRows
from tsd.train.teachers import Teacher

__all__ = [
    "CachedWindows",
    "DataSource",
    "OnPolicyWindows",
    "StreamWindows",
    "sample_continuations",
    "step_rng",
    "step_torch_generator",
]


class DataSource(Protocol):
    """The batch of step `step`; on-policy sources sample from `student`."""

    def batch(self, step: int, student: torch.nn.Module) -> Batch: ...


def step_rng(seed: int, step: int) -> np.random.Generator:
    """The numpy generator of one step: a function of (seed, step) only."""
    return np.random.default_rng([seed, step])


def step_torch_generator(seed: int, step: int) -> torch.Generator:
    """The torch generator of one step, seeded from `step_rng` (a separate stream)."""
    generator = torch.Generator()
    generator.manual_seed(int(step_rng(seed, step).integers(2**62)))
    return generator


def _starts(
    stream: NDArray[np.uint32], width: int, rng: np.random.Generator, n: int
) -> NDArray[np.int64]:
    if len(stream) < width:
        raise InvalidArgumentError(
            f"window: {width} tokens exceed the training stream ({len(stream)} tokens)"
        )
    return rng.integers(0, len(stream) - width + 1, size=n)


def _windows(stream: NDArray[np.uint32], starts: NDArray[np.int64], width: int) -> torch.Tensor:
    return torch.from_numpy(np.stack([stream[s : s + width] for s in starts]).astype(np.int64))


class StreamWindows:
    """Off-policy: `batch_size` windows of `width` tokens at random offsets of `stream`,
    scored by `teacher` on the fly (cheap teachers: the n-gram)."""

    def __init__(
        self, stream: NDArray[np.uint32], teacher: Teacher, width: int, batch_size: int, seed: int
    ) -> None:
        self.stream = stream
        self.teacher = teacher
        self.width = check_int("window", width, 2)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = seed
        _starts(stream, self.width, step_rng(seed, 0), 0)

    def batch(self, step: int, student: torch.nn.Module) -> Batch:
        """Windows drawn for `step`, every position trained on."""
        starts = _starts(self.stream, self.width, step_rng(self.seed, step), self.batch_size)
        ids = _windows(self.stream, starts, self.width)
        return Batch(ids, self.teacher.rows(ids), torch.ones(ids.shape, dtype=torch.float64))


class CachedWindows:
    """Off-policy over a fixed set of windows whose teacher rows were computed once (costly
    teachers: SmolLM2); each step draws `batch_size` distinct windows."""

    def __init__(self, ids: torch.Tensor, rows: TeacherRows, batch_size: int, seed: int) -> None:
        self.ids = ids
        self.rows = rows
        self.batch_size = check_int("batch_size", batch_size, 1, len(ids))
        self.seed = seed

    def batch(self, step: int, student: torch.nn.Module) -> Batch:
        """The cached windows drawn for `step`, every position trained on."""
        pick = torch.from_numpy(
            step_rng(self.seed, step).choice(len(self.ids), self.batch_size, replace=False)
        )
        teacher = TeacherRows(
            self.rows.logp[pick], None if self.rows.ids is None else self.rows.ids[pick]
        )
        ids = self.ids[pick]
        return Batch(ids, teacher, torch.ones(ids.shape, dtype=torch.float64))


def sample_continuations(
    student: torch.nn.Module, prefixes: torch.Tensor, width: int, generator: torch.Generator
) -> torch.Tensor:
    """`prefixes` (B, P) continued to `width` tokens by sampling from the student's law
    (temperature 1), each token from a forward of the window so far."""
    ids = prefixes
    with torch.no_grad():
        while ids.shape[1] < width:
            logits = student(input_ids=ids, use_cache=False, logits_to_keep=1).logits[:, -1]
            probs = torch.softmax(logits.double(), dim=-1)
            ids = torch.cat([ids, torch.multinomial(probs, 1, generator=generator)], dim=1)
    return ids


class OnPolicyWindows:
    """On-policy: a `prefix`-token window of `stream` per row, continued by the student to
    `width` tokens, scored by `teacher`; the loss covers the contexts that end at the last
    prefix token or later (those the student's own samples led to)."""

    def __init__(
        self,
        stream: NDArray[np.uint32],
        teacher: Teacher,
        width: int,
        prefix: int,
        batch_size: int,
        seed: int,
    ) -> None:
        self.stream = stream
        self.teacher = teacher
        self.width = check_int("window", width, 2)
        self.prefix = check_int("prefix", prefix, 1, self.width - 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = seed
        _starts(stream, self.prefix, step_rng(seed, 0), 0)

    def batch(self, step: int, student: torch.nn.Module) -> Batch:
        """The student's continuations of the prefixes drawn for `step`."""
        starts = _starts(self.stream, self.prefix, step_rng(self.seed, step), self.batch_size)
        prefixes = _windows(self.stream, starts, self.prefix)
        generator = step_torch_generator(self.seed, step)
        ids = sample_continuations(student, prefixes, self.width, generator)
        weights = torch.zeros(ids.shape, dtype=torch.float64)
        weights[:, self.prefix - 1 :] = 1.0
        return Batch(ids, self.teacher.rows(ids), weights)
