"""Presets for `tsd bench lm`: versioned TOML files naming models (`models.toml`), drafts
(`drafts.toml`) and paired experiments (`experiments.toml`), shipped in `tsd/presets/`.

Every file holds `version = 1` and any of three tables, each entry a name with its fields:
`[models.NAME]` (source, description), `[drafts.NAME]` (spec, description) and
`[experiments.NAME]` (description, target: a model, drafts: draft names, and any
`LMBenchConfig` field by name). A name is defined once across the files. A reference resolves
where a target names a model, a draft names a draft, and `hf:MODEL` names a model (or a
source that is not a model name, passed on as is).
"""

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsd.errors import InvalidArgumentError
from tsd.experiments.lm_config import LMBenchConfig, config_from
from tsd.files import read_text_file

__all__ = [
    "PRESET_DIR",
    "PRESET_VERSION",
    "Entry",
    "Presets",
    "load_presets",
]

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
PRESET_VERSION = 1
SECTIONS = {"models": ("source",), "drafts": ("spec",), "experiments": ("target",)}


@dataclass(frozen=True)
class Entry:
    """One named preset entry: the file it came from and its fields."""

    name: str
    file: str
    fields: Mapping[str, Any]

    @property
    def description(self) -> str:
        return str(self.fields.get("description", ""))


@dataclass(frozen=True)
class Presets:
    """Every model, draft and experiment the preset files define, by name."""

    models: Mapping[str, Entry]
    drafts: Mapping[str, Entry]
    experiments: Mapping[str, Entry]

    def model_source(self, reference: str) -> str:
        """The source a model reference stands for: a model's source, else the reference."""
        entry = self.models.get(reference)
        return reference if entry is None else str(entry.fields["source"])

    def draft_spec(self, spec: str) -> str:
        """A draft spec with an `hf:MODEL` reference resolved to the model's source."""
        kind, colon, argument = spec.partition(":")
        return f"hf:{self.model_source(argument)}" if kind == "hf" and colon else spec

    def experiment(self, name: str) -> dict[str, Any]:
        """The experiment's settings, its target and drafts resolved to sources and specs."""
        entry = self.experiments.get(name)
        if entry is None:
            known = ", ".join(sorted(self.experiments)) or "none"
            raise InvalidArgumentError(f"experiment: unknown preset {name!r}; known: {known}")
        settings = {k: v for k, v in entry.fields.items() if k != "description"}
        where = f"{entry.file} experiments.{name}"
        target = settings["target"]
        if not isinstance(target, str) or target not in self.models:
            raise InvalidArgumentError(f"{where}: target {target!r} is not a model in the presets")
        settings["target"] = self.model_source(target)
        drafts = settings.get("drafts", [])
        if not isinstance(drafts, list):
            raise InvalidArgumentError(f"{where}: drafts must be a list of draft names")
        specs = []
        for draft in drafts:
            if not isinstance(draft, str) or draft not in self.drafts:
                raise InvalidArgumentError(
                    f"{where}: draft {draft!r} is not a draft in the presets"
                )
            specs.append(self.draft_spec(str(self.drafts[draft].fields["spec"])))
        settings["drafts"] = specs
        return settings

    def config(self, name: str, overrides: Mapping[str, Any] | None = None) -> LMBenchConfig:
        """The checked configuration of experiment `name`, `overrides` (by field) on top."""
        entry = self.experiments.get(name)
        settings = self.experiment(name)
        where = f"experiments.{name}" if entry is None else f"{entry.file} experiments.{name}"
        return config_from({**settings, **(overrides or {})}, where)


def _read(path: Path) -> dict[str, Any]:
    try:
        table = tomllib.loads(read_text_file(path, "presets"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"presets: {path.name} is not valid TOML ({exc})") from None
    version = table.get("version")
    if version != PRESET_VERSION:
        raise InvalidArgumentError(
            f"presets: {path.name} has version {version!r}; this tsd reads version {PRESET_VERSION}"
        )
    extra = sorted(set(table) - {"version", "description", *SECTIONS})
    if extra:
        raise InvalidArgumentError(
            f"presets: {path.name} has unknown table(s) {extra}; known: {', '.join(SECTIONS)}"
        )
    return table


def load_presets(folder: str | os.PathLike[str] = PRESET_DIR) -> Presets:
    """Every `*.toml` in `folder`, merged; a file of another version, an unknown table, an
    entry without its required field, or a name defined twice is an error naming the file."""
    found: dict[str, dict[str, Entry]] = {section: {} for section in SECTIONS}
    paths = sorted(Path(folder).glob("*.toml"))
    if not paths:
        raise InvalidArgumentError(f"presets: no *.toml files in {folder}")
    for path in paths:
        table = _read(path)
        for section, required in SECTIONS.items():
            entries = table.get(section, {})
            for name, fields in entries.items():
                where = f"{path.name} {section}.{name}"
                if not isinstance(fields, dict):
                    raise InvalidArgumentError(f"presets: {where} must be a table")
                missing = [key for key in required if key not in fields]
                if missing:
                    raise InvalidArgumentError(f"presets: {where} needs {', '.join(missing)}")
                if name in found[section]:
                    first = found[section][name].file
                    raise InvalidArgumentError(
                        f"presets: {section}.{name} is defined in {first} and again in {path.name}"
                    )
                found[section][name] = Entry(name, path.name, fields)
    return Presets(found["models"], found["drafts"], found["experiments"])
