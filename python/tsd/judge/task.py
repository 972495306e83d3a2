"""Tasks with automatically checkable answers, for mining judge labels and measuring judge
decoding: templated questions generated in code (no download), a final-answer extractor, and
seeded mine/val/test splits (test is held out from mining, fitting and threshold choice)."""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tsd._checks import check_seed
from tsd.errors import InvalidArgumentError

__all__ = [
    "CAPITALS",
    "DEFAULT_TASK",
    "SPLITS",
    "TASKS",
    "ArithCapitalsTask",
    "Question",
    "Task",
    "get_task",
    "split_questions",
]


@dataclass(frozen=True)
class Question:
    """One templated question: a stable id (family and index in the family's enumeration), its
    family, the user message and the canonical answer."""

    id: str
    family: str
    text: str
    answer: str


class Task(Protocol):
    """A set of question families whose final answers a program can check."""

    @property
    def name(self) -> str:
        """The task's name (a key of `TASKS`)."""
        ...

    @property
    def families(self) -> tuple[str, ...]:
        """The question families, in order."""
        ...

    def questions(self, seed: int) -> list[Question]:
        """Every question, in an order fixed by `seed`."""
        ...

    def extract_answer(self, question: Question, text: str) -> str | None:
        """The final answer `text` gives to `question`, normalised, or None if it gives none."""
        ...

    def is_correct(self, question: Question, text: str) -> bool:
        """Whether `text`'s final answer is the question's answer."""
        ...


# Well-known countries and their capitals (the capital as the answer is spelled).
CAPITALS: tuple[tuple[str, str], ...] = (
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
    ("Portugal", "Lisbon"), ("the United Kingdom", "London"), ("Ireland", "Dublin"),
    ("Belgium", "Brussels"), ("the Netherlands", "Amsterdam"), ("Austria", "Vienna"),
    ("Switzerland", "Bern"), ("Poland", "Warsaw"), ("Czechia", "Prague"),
    ("Hungary", "Budapest"), ("Greece", "Athens"), ("Sweden", "Stockholm"),
    ("Norway", "Oslo"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"),
    ("Russia", "Moscow"), ("Ukraine", "Kyiv"), ("Turkey", "Ankara"), ("Egypt", "Cairo"),
    ("Kenya", "Nairobi"), ("Nigeria", "Abuja"), ("South Africa", "Pretoria"),
    ("Morocco", "Rabat"), ("Ethiopia", "Addis Ababa"), ("Japan", "Tokyo"),
    ("China", "Beijing"), ("South Korea", "Seoul"), ("India", "New Delhi"),
    ("Pakistan", "Islamabad"), ("Thailand", "Bangkok"), ("Vietnam", "Hanoi"),
    ("Indonesia", "Jakarta"), ("the Philippines", "Manila"), ("Iran", "Tehran"),
    ("Iraq", "Baghdad"), ("Saudi Arabia", "Riyadh"), ("Israel", "Jerusalem"),
    ("Australia", "Canberra"), ("New Zealand", "Wellington"), ("Canada", "Ottawa"),
    ("the United States", "Washington"), ("Mexico", "Mexico City"), ("Cuba", "Havana"),
    ("Brazil", "Brasília"), ("Argentina", "Buenos Aires"), ("Chile", "Santiago"),
    ("Peru", "Lima"), ("Colombia", "Bogotá"), ("Venezuela", "Caracas"),
)  # fmt: skip

ARITHMETIC: dict[str, tuple[str, Callable[[int, int], int]]] = {
    "add": ("+", lambda a, b: a + b),
    "sub": ("-", lambda a, b: a - b),
    "mul": ("*", lambda a, b: a * b),
}
ARITHMETIC_PROMPT = "What is {a} {op} {b}? Answer with the number only."
CAPITAL_PROMPT = "What is the capital of {country}? Answer with the city name only."

# The number a text ends on: after its last "=" or " is " where there is one (so "The sum of
# 3 and 4 is 7." gives 7, and "8 + 7 = 15, not 14" gives 15), else its last number.
_NUMBER = re.compile(r"-?\d+")
_ANSWER_MARK = re.compile(r"=|\bis\b|\bequals\b", re.IGNORECASE)


def _fold(text: str) -> str:
    """Lower case without the accents of the capitals' spellings, for matching city names."""
    table = str.maketrans("áéíóúãç", "aeiouac")
    return text.lower().translate(table)


def extract_number(text: str) -> str | None:
    """The final number `text` states (see `_ANSWER_MARK`), or None if it holds none."""
    marks = list(_ANSWER_MARK.finditer(text))
    if marks:
        after = _NUMBER.search(text, marks[-1].end())
        if after is not None:
            return str(int(after.group()))
    numbers = _NUMBER.findall(text)
    return str(int(numbers[-1])) if numbers else None


def extract_city(text: str, cities: Sequence[str]) -> str | None:
    """The city of `cities` that `text` names last (whole words, case and accents ignored), so
    "The capital of Brazil is not Rio but Brasília." gives Brasília; None if it names none."""
    folded = _fold(text)
    best: tuple[int, str] | None = None
    for city in cities:
        for match in re.finditer(rf"\b{re.escape(_fold(city))}\b", folded):
            if best is None or match.start() > best[0]:
                best = (match.start(), city)
    return None if best is None else best[1]


@dataclass(frozen=True)
class ArithCapitalsTask:
    """Single-digit addition, subtraction (non-negative results) and multiplication, and the
    capitals of `CAPITALS`: short answers the target mostly gets right."""

    name: str = "arith-capitals"
    families: tuple[str, ...] = ("add", "sub", "mul", "capital")

    def _family(self, family: str) -> list[Question]:
        """The family's questions in their canonical order (ids index this order)."""
        if family == "capital":
            texts = [(CAPITAL_PROMPT.format(country=country), city) for country, city in CAPITALS]
        else:
            op, value = ARITHMETIC[family]
            pairs = [(a, b) for a in range(1, 10) for b in range(1, 10)]
            if family == "sub":
                pairs = [(a, b) for a, b in pairs if a >= b]
            texts = [
                (ARITHMETIC_PROMPT.format(a=a, op=op, b=b), str(value(a, b))) for a, b in pairs
            ]
        return [
            Question(f"{family}-{i:03d}", family, text, answer)
            for i, (text, answer) in enumerate(texts)
        ]

    def questions(self, seed: int) -> list[Question]:
        """Every question of every family, each family shuffled by `seed`."""
        rng = random.Random(check_seed(seed))
        out: list[Question] = []
        for family in self.families:
            listed = self._family(family)
            rng.shuffle(listed)
            out.extend(listed)
        return out

    def extract_answer(self, question: Question, text: str) -> str | None:
        """A capital question's last named capital, else the text's final number."""
        if question.family == "capital":
            return extract_city(text, [city for _, city in CAPITALS])
        if question.family in ARITHMETIC:
            return extract_number(text)
        raise InvalidArgumentError(f"question: family {question.family!r} is not in {self.name}")

    def is_correct(self, question: Question, text: str) -> bool:
        """Whether the extracted answer is the canonical one."""
        return self.extract_answer(question, text) == question.answer


DEFAULT_TASK = "arith-capitals"
TASKS: dict[str, Callable[[], Task]] = {DEFAULT_TASK: ArithCapitalsTask}
# Benchmarks tsd knows of whose answers no program can check: named so the error says why.
UNCHECKABLE = {
    "mt-bench": "its answers are graded by a judge model, not checked",
    "alpaca-eval": "its answers are graded by a judge model, not checked",
}
SPLITS = ("mine", "val", "test")
# Of each family's questions (after the seeded shuffle): the first quarter is the held-out
# test split, the next quarter val, the rest mine.
TEST_FRACTION = 0.25
VAL_FRACTION = 0.25


def get_task(name: str) -> Task:
    """The task named `name`; a task without a checkable final answer, or an unknown name, is
    an `InvalidArgumentError` naming the `task` field."""
    if name in UNCHECKABLE:
        raise InvalidArgumentError(
            f"task: {name} has no checkable final answer ({UNCHECKABLE[name]}); judge labels "
            f"need one: use {', '.join(TASKS)}"
        )
    if name not in TASKS:
        raise InvalidArgumentError(f"task: unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]()


def split_questions(questions: Sequence[Question], seed: int) -> dict[str, list[Question]]:
    """`questions` into "mine", "val" and "test", per family and keyed by `seed` (the same
    seed always gives the same split); "test" is held out from mining, fitting and threshold
    choice."""
    rng = random.Random(check_seed(seed) ^ 0x5EED5)
    splits: dict[str, list[Question]] = {name: [] for name in SPLITS}
    families: dict[str, list[Question]] = {}
    for question in questions:
        families.setdefault(question.family, []).append(question)
    for listed in families.values():
        order = sorted(listed, key=lambda q: q.id)
        rng.shuffle(order)
        n_test = round(len(order) * TEST_FRACTION)
        n_val = round(len(order) * VAL_FRACTION)
        splits["test"].extend(order[:n_test])
        splits["val"].extend(order[n_test : n_test + n_val])
        splits["mine"].extend(order[n_test + n_val :])
    return splits
