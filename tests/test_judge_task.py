"""The judge's templated task: answers extracted from realistic phrasings, deterministic
questions and splits, the test split held out, and tasks without checkable answers refused."""

import pytest

from tsd.errors import InvalidArgumentError
from tsd.judge.task import CAPITALS, ArithCapitalsTask, Question, get_task, split_questions

TASK = ArithCapitalsTask()
ADD = Question("add-000", "add", "What is 3 + 4? Answer with the number only.", "7")
CAPITAL = Question("capital-000", "capital", "What is the capital of France?", "Paris")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("The sum of 3 and 4 is 7.", "7"),
        ("3 + 4 = 7", "7"),
        ("7", "7"),
        ("8 + 7 = 15, not 14", "15"),
        ("The answer is 13.", "13"),
        ("3 plus 4 equals 7", "7"),
        ("I do not know.", None),
    ],
)
def test_numbers_are_the_stated_final_answer_not_the_first_number(text, answer):
    assert TASK.extract_answer(ADD, text) == answer


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("The capital of France is Paris.", "Paris"),
        ("paris", "Paris"),
        ("It is not Berlin but Paris.", "Paris"),
        ("The capital of Brazil is Brasilia.", "Brasília"),
        ("The capital of France is Lyon.", None),
        ("Parisian food is good.", None),
    ],
)
def test_capitals_are_the_last_named_capital(text, answer):
    assert TASK.extract_answer(CAPITAL, text) == answer


def test_is_correct_compares_with_the_canonical_answer():
    assert TASK.is_correct(ADD, "3 + 4 = 7")
    assert not TASK.is_correct(ADD, "The sum of 3 and 4 is 8.")
    assert TASK.is_correct(CAPITAL, "The capital of France is Paris.")


def test_questions_are_complete_unique_and_deterministic_for_a_seed():
    first, again, other = TASK.questions(3), TASK.questions(3), TASK.questions(4)
    assert first == again
    assert first != other
    assert sorted(first, key=str) == sorted(other, key=str)
    assert len({q.id for q in first}) == len(first) == 81 + 45 + 81 + len(CAPITALS)
    for q in first:
        a, op, b = q.text.split()[2:5] if q.family != "capital" else ("0", "+", "0")
        if q.family != "capital":
            assert str(eval(f"{a}{op}{b.rstrip('?')}")) == q.answer
    assert all(int(q.answer) >= 0 for q in first if q.family == "sub")


def test_splits_are_disjoint_cover_every_question_and_keep_test_fixed_for_a_seed():
    questions = TASK.questions(5)
    splits = split_questions(questions, 5)
    ids = [q.id for split in splits.values() for q in split]
    assert sorted(ids) == sorted(q.id for q in questions)
    assert split_questions(TASK.questions(5), 5) == splits
    assert {q.id for q in split_questions(questions, 6)["test"]} != {q.id for q in splits["test"]}
    for family in TASK.families:
        n = sum(q.family == family for q in questions)
        assert sum(q.family == family for q in splits["test"]) == round(n / 4)


@pytest.mark.parametrize(("name", "words"), [("mt-bench", "no checkable"), ("gsm9k", "unknown")])
def test_tasks_without_a_checkable_answer_are_refused_naming_the_field(name, words):
    with pytest.raises(InvalidArgumentError, match=f"task: .*{words}"):
        get_task(name)
