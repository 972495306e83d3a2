"""What `tsd bench lm` measures, as one checked configuration (no torch needed to build one, so
presets can be listed and checked cheaply)."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from tsd._checks import check_float, check_int, check_seed
from tsd._core import MAX_CHAIN_LEN
from tsd.drafters import DRAFTERS
from tsd.errors import InvalidArgumentError
from tsd.tsu import BACKENDS

__all__ = [
    "DEFAULT_METHODS", "DTYPE_NAMES", "METHODS", "LMBenchConfig", "config_from",
    "require_judge_head",
]  # fmt: skip

# The exact methods run by default; `autojudge` (lossy judge decoding, tsd.experiments.lm_judge)
# runs only when asked for (it needs a trained judge head).
DEFAULT_METHODS = ("baseline", "speculative", "hf-assisted")
METHODS = (*DEFAULT_METHODS, "autojudge")
# tsd.models.hf.DTYPES, spelled out so that checking a configuration imports no torch.
DTYPE_NAMES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class LMBenchConfig:
    """One benchmark: the target and draft specs, the methods, drafters and draft lengths, the
    prompts, the sampling law and the run sizes, and for `autojudge` the task, the judge head
    and the judges' thresholds (empty `autojudge_thresholds`: the head's stored ones;
    `task_questions` None: the whole test split; `task_seed`: the question order and split
    seed, `tsd judge mine --seed`'s, so the test split is the one mining held out). Field
    names are the preset keys."""

    target: str = "smollm2-135m"
    drafts: tuple[str, ...] = ("early-exit:10",)
    methods: tuple[str, ...] = DEFAULT_METHODS
    drafters: tuple[str, ...] = ("token",)
    L: tuple[int, ...] = (1, 2, 4)
    K: int = 64
    chain_K: int = 8  # noqa: N815  (K is the field's name in the literature)
    tsu: str = "sim"
    prompts_file: str | None = None
    corpus: str | None = None
    prompt_chars: int = 256
    max_samples: int = 4
    max_new_tokens: int = 64
    use_chat_template: bool = False
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    batch_size: int = 1
    runs: int = 1
    dtype: str = "float32"
    device: str = "cpu"
    threads: int | None = None
    quantize: str | None = None
    draft_corpus: str | None = None
    seed: int = 7
    task: str = "arith-capitals"
    task_seed: int = 0
    task_questions: int | None = None
    autojudge_checkpoint: str | None = None
    autojudge_thresholds: tuple[float, ...] = ()
    kl_thresholds: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    judge_topk: tuple[int, ...] = (2, 4, 8)

    def __post_init__(self) -> None:
        _check_kinds(self)
        _check_choices("methods", self.methods, METHODS)
        _check_choices("drafters", self.drafters, tuple(DRAFTERS))
        _check_choices("tsu", (self.tsu,), tuple(BACKENDS))
        _check_choices("dtype", (self.dtype,), DTYPE_NAMES)
        if self.quantize is not None:
            _check_choices("quantize", (self.quantize,), ("4bit", "8bit"))
        _check_numbers(self)
        if set(self.methods) - {"baseline"} and not self.drafts:
            raise InvalidArgumentError(
                "drafts: speculative, hf-assisted and autojudge need a draft"
            )
        if "autojudge" in self.methods:
            _check_judging(self)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready values."""
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}


def _check_kinds(config: LMBenchConfig) -> None:
    """Values read from a preset file have the kinds the fields need."""
    for name in ("target", "tsu", "dtype", "device"):
        if not isinstance(getattr(config, name), str):
            raise InvalidArgumentError(f"{name}: must be a string, got {getattr(config, name)!r}")
    for name in ("prompts_file", "corpus", "draft_corpus", "quantize"):
        if not isinstance(getattr(config, name), str | None):
            raise InvalidArgumentError(f"{name}: must be a string, got {getattr(config, name)!r}")
    if not isinstance(config.use_chat_template, bool):
        raise InvalidArgumentError(
            f"use_chat_template: must be true or false, got {config.use_chat_template!r}"
        )
    if not all(isinstance(spec, str) for spec in config.drafts):
        raise InvalidArgumentError(f"drafts: must be spec strings, got {list(config.drafts)}")


def _check_numbers(config: LMBenchConfig) -> None:
    """Sizes, draft lengths, seed and the sampling law within their domains."""
    if not config.L:
        raise InvalidArgumentError("L: needs at least one draft length")
    for block in config.L:
        check_int("L", block, 1, MAX_CHAIN_LEN)
    positive = (
        "K",
        "chain_K",
        "prompt_chars",
        "max_samples",
        "max_new_tokens",
        "batch_size",
        "runs",
    )
    for name in positive:
        check_int(name, getattr(config, name), 1)
    if config.threads is not None:
        check_int("threads", config.threads, 1)
    check_seed(config.seed)
    check_float("temperature", config.temperature, positive=True)
    if config.top_k is not None:
        check_int("top_k", config.top_k, 1)
    if config.top_p is not None and not 0.0 < check_float("top_p", config.top_p) <= 1.0:
        raise InvalidArgumentError(f"top_p: must be in (0, 1], got {config.top_p}")


def _check_judging(config: LMBenchConfig) -> None:
    """What `autojudge` needs of its settings: the models' own T=1 laws (the greedy target is
    their argmax; the KL judge reads them whole), thresholds in their domains. (The head
    itself is asked for when the benchmark runs: `require_judge_head`.)"""
    if not isinstance(config.autojudge_checkpoint, str | None) or not isinstance(config.task, str):
        raise InvalidArgumentError("autojudge_checkpoint, task: must be strings")
    if config.temperature != 1.0 or config.top_k is not None or config.top_p is not None:
        raise InvalidArgumentError(
            "temperature: autojudge decodes greedily from the models' own T=1 laws; leave "
            "temperature at 1 and top_k, top_p unset"
        )
    check_seed(config.task_seed)
    if config.task_questions is not None:
        check_int("task_questions", config.task_questions, 1)
    for threshold in config.autojudge_thresholds:
        if not 0.0 <= check_float("autojudge_thresholds", threshold) <= 1.0:
            raise InvalidArgumentError(f"autojudge_thresholds: must lie in [0, 1], got {threshold}")
    for threshold in config.kl_thresholds:
        if not check_float("kl_thresholds", threshold) >= 0.0:
            raise InvalidArgumentError(f"kl_thresholds: must be >= 0, got {threshold}")
    for k in config.judge_topk:
        check_int("judge_topk", k, 1)


def require_judge_head(config: LMBenchConfig) -> None:
    """`autojudge` runs only with a trained judge head: say what is missing and how to get it."""
    if "autojudge" in config.methods and config.autojudge_checkpoint is None:
        raise InvalidArgumentError(
            "autojudge_checkpoint: --method autojudge (and all) needs a trained judge head, the "
            "judge_head.safetensors that `tsd judge train` writes: give --autojudge-checkpoint "
            "PATH, or leave autojudge out of --method"
        )


def _check_choices(field: str, chosen: tuple[str, ...], known: tuple[str, ...]) -> None:
    if not chosen:
        raise InvalidArgumentError(f"{field}: needs at least one of {', '.join(known)}")
    unknown = [name for name in chosen if name not in known]
    if unknown:
        shown = unknown[0] if len(chosen) == 1 else unknown
        raise InvalidArgumentError(f"{field}: {shown!r} not among {', '.join(known)}")


FIELDS = {f.name for f in fields(LMBenchConfig)}
SEQUENCE_FIELDS = (
    "drafts", "methods", "drafters", "L", "autojudge_thresholds", "kl_thresholds", "judge_topk",
)  # fmt: skip


def config_from(values: Mapping[str, Any], where: str) -> LMBenchConfig:
    """A configuration from `values` keyed by field name (a preset's, then the flags'); an
    unknown key, or a value of the wrong kind, is an error that says `where` it came from."""
    unknown = sorted(set(values) - FIELDS)
    if unknown:
        raise InvalidArgumentError(
            f"{where}: unknown setting(s) {unknown}; known: {sorted(FIELDS)}"
        )
    settled = dict(values)
    for name in SEQUENCE_FIELDS:
        if name in settled:
            value = settled[name]
            if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
                raise InvalidArgumentError(f"{where}: {name} must be a list, got {value!r}")
            settled[name] = tuple(value)
    try:
        return LMBenchConfig(**settled)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{where}: {exc}") from None
