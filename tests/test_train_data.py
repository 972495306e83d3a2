"""Training batches: a function of (seed, step) only; on-policy windows are the student's own
continuations (a student that always says one token continues with it), trained on from the
last prefix token on."""

from pathlib import Path

import pytest

pytest.importorskip("transformers")

import numpy as np
import torch

from tsd.errors import InvalidArgumentError
from tsd.models import CharVocab, NgramLM
from tsd.train.data import CachedWindows, OnPolicyWindows, StreamWindows, sample_continuations
from tsd.train.students import char_student
from tsd.train.teachers import NgramTeacher

torch.set_num_threads(1)

TEXT = "the cat sat on the mat; the dog sat on the log. " * 40


def teacher_and_stream() -> tuple[NgramTeacher, np.ndarray]:
    vocab = CharVocab.from_text(TEXT)
    return NgramTeacher(NgramLM.train(TEXT, vocab, 3)), vocab.encode(TEXT)


def one_token_student(vocab: int, token: int) -> torch.nn.Module:
    """A student whose head puts (almost) all its mass on `token` whatever the context."""
    student = char_student(vocab, 1, 0, 32)
    head = torch.nn.Linear(student.lm_head.in_features, vocab, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[token] = 50.0
    student.lm_head = head
    return student


def test_off_policy_batches_depend_on_seed_and_step_only() -> None:
    teacher, stream = teacher_and_stream()
    source = StreamWindows(stream, teacher, 16, 4, seed=5)
    student = char_student(teacher.vocab_size, 1, 0, 16)
    first, again = source.batch(3, student), source.batch(3, student)
    assert torch.equal(first.ids, again.ids)
    assert torch.equal(first.teacher.logp, again.teacher.logp)
    assert not torch.equal(first.ids, source.batch(4, student).ids)
    assert not torch.equal(
        first.ids, StreamWindows(stream, teacher, 16, 4, 6).batch(3, student).ids
    )
    # Each window is a slice of the stream, each row the teacher's law after its prefix.
    window = first.ids[0].numpy()
    assert any(np.array_equal(stream[s : s + 16], window) for s in range(len(stream) - 15))
    expected = teacher.model.logprobs_batch([window[: t + 1].astype(np.uint32) for t in range(16)])
    np.testing.assert_array_equal(first.teacher.logp[0].numpy(), expected)


def test_on_policy_windows_are_the_students_continuations() -> None:
    teacher, stream = teacher_and_stream()
    token = int(stream[3])
    student = one_token_student(teacher.vocab_size, token)
    source = OnPolicyWindows(stream, teacher, 12, 5, 3, seed=1)
    batch = source.batch(2, student)
    assert batch.ids.shape == (3, 12)
    assert (batch.ids[:, 5:] == token).all()
    assert batch.weights[:, :4].sum() == 0
    assert (batch.weights[:, 4:] == 1).all()
    assert torch.equal(batch.ids, source.batch(2, student).ids)


def test_continuations_are_drawn_from_the_students_law() -> None:
    teacher, stream = teacher_and_stream()
    student = char_student(teacher.vocab_size, 1, 4, 32)
    with torch.no_grad():
        student.lm_head.weight.mul_(40.0)  # peaked laws that depend on the context
    prefix = torch.from_numpy(stream[:5].astype(np.int64))
    rows = 4000
    drawn = sample_continuations(
        student, prefix.repeat(rows, 1), 6, torch.Generator().manual_seed(9)
    )[:, 5]
    with torch.no_grad():
        law = torch.softmax(student(input_ids=prefix[None]).logits[0, -1].double(), -1)
        other = torch.softmax(student(input_ids=prefix[None, :-1]).logits[0, -1].double(), -1)
    frequencies = torch.bincount(drawn, minlength=teacher.vocab_size).double() / rows
    # TV of an empirical law of n draws is about √(V / n) / 2 at most: 0.06 here; the law
    # without the prefix's last token (a planted off-by-one) is much further away.
    bound = (teacher.vocab_size / rows) ** 0.5
    assert 0.5 * float((frequencies - law).abs().sum()) < bound
    assert 0.5 * float((frequencies - other).abs().sum()) > 2 * bound


def test_bad_windows_and_batches_are_named() -> None:
    teacher, stream = teacher_and_stream()
    with pytest.raises(InvalidArgumentError, match="window: 5000 tokens exceed the training"):
        StreamWindows(stream, teacher, 5000, 4, 0)
    with pytest.raises(InvalidArgumentError, match=r"prefix: must be in \[1, 11\], got 12"):
        OnPolicyWindows(stream, teacher, 12, 12, 4, 0)
    ids = torch.zeros((3, 4), dtype=torch.int64)
    rows = teacher.rows(ids)
    with pytest.raises(InvalidArgumentError, match=r"batch_size: must be in \[1, 3\], got 4"):
        CachedWindows(ids, rows, 4, 0)


def test_cached_windows_draw_distinct_windows(tmp_path: Path) -> None:
    teacher, stream = teacher_and_stream()
    ids = torch.from_numpy(stream[: 10 * 8].reshape(10, 8).astype(np.int64))
    source = CachedWindows(ids, teacher.rows(ids), 10, 0)
    batch = source.batch(7, char_student(teacher.vocab_size, 1, 0, 8))
    assert sorted(map(tuple, batch.ids.tolist())) == sorted(map(tuple, ids.tolist()))
