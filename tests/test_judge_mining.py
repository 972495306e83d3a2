"""Label mining on a tiny random Llama with a toy task whose answer is one answer position:
the batched walk equals a plain one-question-at-a-time reference, the planted labels come out
(a mismatch at the answer position is important, one after it never is), features equal
those recomputed from the final answers, and a run resumes without mixing arguments."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.tiny_hf import tiny_model
from tsd.errors import InvalidArgumentError
from tsd.executors import make_executor
from tsd.judge.features import mismatch_features
from tsd.judge.labels import read_labels
from tsd.judge.mine_run import MineRequest, check_request, run_mining
from tsd.judge.mining import mine_labels
from tsd.judge.task import Question
from tsd.models.hf import early_exit

VOCAB, EOS, MAX_NEW, ANSWER_AT = 12, 0, 7, 2


class SpaceTokenizer:
    """Ids as space-separated numbers: the toy task reads tokens back from the text."""

    eos_token_id = EOS

    def decode(self, ids, skip_special_tokens=True):
        return " ".join(str(t) for t in ids)


@dataclass(frozen=True)
class TokenAtTask:
    """The final answer is the answer's token at position ANSWER_AT (None if shorter)."""

    name: str = "token-at"
    families: tuple[str, ...] = ("toy",)

    def questions(self, seed):
        return []

    def extract_answer(self, question, text):
        words = text.split()
        return words[ANSWER_AT] if len(words) > ANSWER_AT else None

    def is_correct(self, question, text):
        return self.extract_answer(question, text) == question.answer


def _models():
    target = tiny_model(VOCAB, 3, layers=2)
    target.tokenizer = SpaceTokenizer()
    return target, early_exit(target, 1)


def _greedy(model, ids):
    with torch.inference_mode():
        logits = model.module(torch.tensor([ids])).logits[0, -1]
    return int(torch.argmax(torch.log_softmax(logits.double(), -1)))


def _finish(model, prompt, head):
    out = list(head)
    while out[-1:] != [EOS] and len(out) < MAX_NEW:
        out.append(_greedy(model, prompt + out))
    return out


def _reference_walk(target, draft, prompt):
    """One question, no cache, no batch: the algorithm as the issue states it."""
    answer = _finish(target, prompt, [])
    reference = TokenAtTask().extract_answer(None, " ".join(map(str, answer)))
    records, j = [], 0
    while j < len(answer):
        proposed = _greedy(draft, prompt + answer[:j])
        if proposed != answer[j]:
            candidate = _finish(target, prompt, [*answer[:j], proposed])
            text = " ".join(map(str, candidate))
            important = TokenAtTask().extract_answer(None, text) != reference
            records.append((j, proposed, answer[j], important))
            if not important:
                answer = candidate
        j += 1
    return answer, records


PROMPTS = [[1 + (i * 5 + k) % (VOCAB - 1) for k in range(2 + i % 3)] for i in range(10)]


@pytest.fixture(scope="module")
def mined():
    target, draft = _models()
    questions = [Question(f"toy-{i:03d}", "toy", "", "") for i in range(len(PROMPTS))]
    answers = [_finish(target, p, []) for p in PROMPTS]
    result = mine_labels(
        target, draft, TokenAtTask(), questions, PROMPTS, answers,
        max_new_tokens=MAX_NEW, eos=EOS, feature_source="target+draft",
    )  # fmt: skip
    return target, draft, result


def test_batched_mining_equals_the_plain_reference_walk(mined):
    target, draft, result = mined
    total = 0
    for walk, prompt in zip(result.questions, PROMPTS, strict=True):
        answer, records = _reference_walk(target, draft, prompt)
        assert walk.answer == answer
        got = list(
            zip(walk.positions, walk.draft_tokens, walk.target_tokens, walk.important, strict=True)
        )
        assert got == records
        total += len(records)
    assert result.features.shape == (total, 2 * 16)
    assert total >= 10


def test_planted_labels_answer_position_is_important_later_ones_never(mined):
    _, _, result = mined
    labels = [
        (j, important)
        for walk in result.questions
        for j, important in zip(walk.positions, walk.important, strict=True)
    ]
    assert any(j == ANSWER_AT for j, _ in labels)
    assert any(j > ANSWER_AT for j, _ in labels)
    assert all(important for j, important in labels if j == ANSWER_AT)
    assert not any(important for j, important in labels if j > ANSWER_AT)
    assert any(not important for j, important in labels if j < ANSWER_AT)


def test_features_equal_those_recomputed_from_the_final_answers(mined):
    target, draft, result = mined
    rows = []
    for walk in result.questions:
        for j, token, important in zip(
            walk.positions, walk.draft_tokens, walk.important, strict=True
        ):
            if not important:
                assert walk.answer[j] == token  # the draft's token stayed in
            sequence = walk.prompt + walk.answer[:j] + [token]
            rows.append(mismatch_features(target, draft, [sequence], [len(sequence) - 1],
                                          "target+draft")[0])  # fmt: skip
            with torch.inference_mode():
                hidden = target.module.model(torch.tensor([sequence])).last_hidden_state[0, -1]
            np.testing.assert_array_equal(rows[-1][:16], hidden.float().numpy())
    np.testing.assert_array_equal(np.stack(rows), result.features)


class CountingExecutor:
    """The in-process executor, counting the cells it is given."""

    def __init__(self):
        self.inner, self.cells = make_executor("local", workers=1), []

    def map(self, cell, params):
        self.cells.append(len(params))
        return self.inner.map(cell, params)


REQUEST = MineRequest(
    target="tiny-random:0", draft="early-exit:1", questions_per_family=3, max_new_tokens=6,
    chunk_size=6, min_accuracy=0.0,
)  # fmt: skip


def _run(request, out, executor):
    return run_mining(
        request, out, executor, threads=1, show_probe=lambda probe: None,
        publish=lambda stage, summary: stage.publish(),
    )  # fmt: skip


def test_a_rerun_skips_saved_chunks_gives_the_same_labels_and_refuses_changed_arguments(
    tmp_path: Path,
):
    first = CountingExecutor()
    outcome = _run(REQUEST, tmp_path, first)
    assert first.cells == [2, 2]
    assert outcome.run_dir is not None
    labels = read_labels(outcome.run_dir)
    assert labels.features.shape[0] == outcome.summary["labels"] > 0
    assert set(labels.splits) == {"mine", "val"}
    (tmp_path / "mining-work" / "mined-0001.json").unlink()
    again = CountingExecutor()
    resumed = _run(REQUEST, tmp_path, again)
    assert again.cells == [1]
    relabelled = read_labels(resumed.run_dir)
    np.testing.assert_array_equal(relabelled.features, labels.features)
    np.testing.assert_array_equal(relabelled.important, labels.important)
    with pytest.raises(InvalidArgumentError, match=r"out: .*max_new_tokens: 6 then, 7 now"):
        _run(replace(REQUEST, max_new_tokens=7), tmp_path, CountingExecutor())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task": "mt-bench"}, "task"),
        ({"draft": "ngram:3"}, "draft"),
        ({"feature_source": "draft"}, "feature_source"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"min_accuracy": 1.5}, "min_accuracy"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(change, field):
    with pytest.raises(InvalidArgumentError, match=f"^{field}: "):
        check_request(replace(REQUEST, **change))


def test_mismatch_positions_outside_the_sequence_are_refused():
    target, _ = _models()
    with pytest.raises(InvalidArgumentError, match="positions: "):
        mismatch_features(target, None, [[1, 2]], [2], "target")
    with pytest.raises(InvalidArgumentError, match="feature_source: "):
        mismatch_features(target, None, [[1, 2]], [1], "target+draft")
