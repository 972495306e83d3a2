"""Prompts for generation benchmarks: MT-Bench-format files, or slices of a held-out text."""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError
from tsd.files import read_text_file


@dataclass(frozen=True)
class Prompt:
    """One prompt: an identifier, a category, and its text."""

    prompt_id: str
    category: str
    text: str


def _from_record(record: Any, where: str) -> Prompt:
    if not isinstance(record, dict) or "question_id" not in record or "turns" not in record:
        raise InvalidArgumentError(f"prompts: {where} is not an MT-Bench question object")
    turns = record["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise InvalidArgumentError(f"prompts: {where} needs 'turns', a non-empty list of strings")
    return Prompt(str(record["question_id"]), str(record.get("category", "")), turns[0])


def load_prompts(path: str | os.PathLike[str]) -> list[Prompt]:
    """Questions in the MT-Bench format ({"question_id", "category", "turns": [...]}), from a
    JSON array or a JSONL file; each prompt is the question's first turn."""
    file = Path(path)
    text = read_text_file(file, "prompts")
    try:
        if text.lstrip().startswith("["):
            records = [(f"item {i}", r) for i, r in enumerate(json.loads(text))]
        else:
            records = [
                (f"line {n}", json.loads(line))
                for n, line in enumerate(text.splitlines(), 1)
                if line.strip()
            ]
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"prompts: {file} is not valid JSON or JSONL ({exc})") from None
    if not records:
        raise InvalidArgumentError(f"prompts: {file} holds no questions")
    return [_from_record(record, f"{file.name} {where}") for where, record in records]


def corpus_prompts(text: str, count: int, length: int) -> list[Prompt]:
    """`count` slices of `length` characters at evenly spaced offsets of `text`."""
    n = check_int("prompts", count, 1)
    size = check_int("prompt_chars", length, 1)
    if len(text) < size:
        raise InvalidArgumentError(f"prompt_chars: {size} exceeds the held-out text ({len(text)})")
    step = (len(text) - size) // max(n - 1, 1)
    return [Prompt(f"slice-{i}", "corpus", text[i * step : i * step + size]) for i in range(n)]
