"""Checkpoints: the trainable weights, the optimiser's state, the step reached, the log so far,
and what they belong to (the run's settings, the student's architecture and vocabulary), in
one safetensors file (tensors by name, the rest as JSON in its metadata) written atomically,
so a crash never leaves half a checkpoint, `--resume` continues bit for bit, and equal
states are equal bytes."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save

from tsd.errors import InvalidArgumentError, ModelError, VocabularyMismatchError
from tsd.telemetry import atomic_write

__all__ = ["FORMAT", "Checkpoint", "check_matches", "load_checkpoint", "vocabulary_digest"]

FORMAT = 1
METADATA_KEY = "tsd_checkpoint"


def vocabulary_digest(tokens: list[str]) -> str:
    """A short fingerprint of a vocabulary: the token of each id, in id order."""
    return hashlib.sha256(json.dumps(tokens).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """A training state at the end of step `step`."""

    step: int
    settings: dict[str, Any]
    architecture: dict[str, Any]
    vocabulary: str
    trainable: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    log: list[dict[str, Any]]

    def save(self, path: Path) -> None:
        """Write the checkpoint to `path` atomically (a temporary file renamed into place)."""
        tensors = {f"trainable/{name}": t.contiguous() for name, t in self.trainable.items()}
        for index, state in self.optimizer["state"].items():
            tensors.update({f"optimizer/{index}/{key}": t for key, t in state.items()})
        fields = {
            "format": FORMAT, "step": self.step, "settings": self.settings,
            "architecture": self.architecture, "vocabulary": self.vocabulary,
            "param_groups": self.optimizer["param_groups"], "log": self.log,
        }  # fmt: skip
        data = save(tensors, metadata={METADATA_KEY: json.dumps(fields, allow_nan=False)})
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: tmp.write_bytes(data))


def _parse(tensors: dict[str, torch.Tensor], fields: dict[str, Any]) -> Checkpoint:
    trainable: dict[str, torch.Tensor] = {}
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        kind, _, rest = key.partition("/")
        if kind == "trainable":
            trainable[rest] = tensor
        else:
            index, _, name = rest.partition("/")
            state.setdefault(int(index), {})[name] = tensor
    return Checkpoint(
        step=fields["step"],
        settings=fields["settings"],
        architecture=fields["architecture"],
        vocabulary=fields["vocabulary"],
        trainable=trainable,
        optimizer={"state": dict(sorted(state.items())), "param_groups": fields["param_groups"]},
        log=fields["log"],
    )


def load_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint at `path`; a missing file, or one that is not a tsd checkpoint, is an
    error naming it."""
    if not path.is_file():
        raise InvalidArgumentError(f"resume: no checkpoint file at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        fields = json.loads(metadata[METADATA_KEY])
    except Exception as exc:  # a file that is not safetensors fails in many ways
        raise ModelError(f"resume: {path} is not a readable checkpoint: {exc}") from None
    if fields.get("format") != FORMAT:
        raise ModelError(f"resume: {path} is not a tsd training checkpoint (format {FORMAT})")
    return _parse(tensors, fields)


def _first_difference(
    ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> tuple[str, Any, Any] | None:
    for key in sorted(set(ours) | set(theirs)):
        if ours.get(key) != theirs.get(key):
            return key, theirs.get(key), ours.get(key)
    return None


def check_matches(
    checkpoint: Checkpoint,
    settings: Mapping[str, Any],
    architecture: Mapping[str, Any],
    vocabulary: str,
) -> None:
    """Refuse a checkpoint written for another student or another run: a different
    architecture (`ModelError`), vocabulary (`VocabularyMismatchError`) or setting other than
    the number of steps (`InvalidArgumentError`), each naming the field."""
    found = _first_difference(architecture, checkpoint.architecture)
    if found is not None:
        key, theirs, ours = found
        raise ModelError(
            f"resume: the checkpoint's student has {key}={theirs!r}, this one {key}={ours!r} "
            "(a checkpoint from another architecture)"
        )
    if vocabulary != checkpoint.vocabulary:
        raise VocabularyMismatchError(
            f"resume: the checkpoint's student speaks another vocabulary "
            f"(fingerprint {checkpoint.vocabulary}, this one {vocabulary})"
        )
    found = _first_difference(settings, checkpoint.settings)
    if found is not None:
        key, theirs, ours = found
        raise InvalidArgumentError(
            f"{key}: the checkpoint was trained with {key}={theirs!r}, not {ours!r}; "
            "a resumed run keeps every setting but --steps"
        )
