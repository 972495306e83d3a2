"""The accuracy probe: the target's own greedy accuracy per question family, and which
families are kept for mining (labels mean little where the target's answer is mostly wrong)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tsd.judge.task import Question, Task

__all__ = ["FamilyAccuracy", "family_accuracy"]


@dataclass(frozen=True)
class FamilyAccuracy:
    """One family's greedy accuracy and whether it reaches the minimum to be mined."""

    family: str
    questions: int
    correct: int
    min_accuracy: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else 0.0

    @property
    def kept(self) -> bool:
        return self.questions > 0 and self.accuracy >= self.min_accuracy

    def row(self) -> dict[str, object]:
        """The family as a table row."""
        return {
            "family": self.family,
            "questions": self.questions,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "kept": self.kept,
        }


def family_accuracy(
    task: Task, questions: Sequence[Question], answers: Mapping[str, str], min_accuracy: float
) -> list[FamilyAccuracy]:
    """Per family of `task` (in its order), how many of `questions` the answer texts
    (`answers[question.id]`) get right, and whether the family reaches `min_accuracy`."""
    out = []
    for family in task.families:
        listed = [q for q in questions if q.family == family]
        correct = sum(task.is_correct(q, answers[q.id]) for q in listed)
        out.append(FamilyAccuracy(family, len(listed), correct, min_accuracy))
    return out
