"""The models a mining run uses: the target (any `tsd bench lm` target source) under its own
T=1 law, the draft from a `tsd bench lm` draft spec that builds a transformers model, and the
questions as prompt ids (through the chat template where the tokenizer has one)."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tsd.errors import InvalidArgumentError
from tsd.experiments.lm_drafts import DraftContext, build_draft
from tsd.experiments.lm_models import load_bench_model
from tsd.judge.task import Question
from tsd.models.hf import HFModel, TargetLaw, encode_prompts

if TYPE_CHECKING:
    from tsd.judge.mine_run import MineRequest

__all__ = ["load_draft", "load_target", "prompt_ids", "uses_chat_template"]


def _quiet(message: str) -> None:
    """Loading messages are not shown inside cells (the cell progress bar is)."""


def load_target(request: "MineRequest") -> HFModel:
    """The request's target in its dtype on its device."""
    return load_bench_model(
        request.target,
        dtype=request.dtype,
        device=request.device,
        quantize=None,
        law=TargetLaw(),
        progress=_quiet,
    )


def load_draft(request: "MineRequest", target: HFModel) -> HFModel:
    """The draft the request's spec names, as a transformers model beside `target`."""
    context = DraftContext(
        target=target,
        corpus=None,
        dtype=request.dtype,
        device=request.device,
        quantize=None,
        progress=_quiet,
    )
    model = build_draft(request.draft, context).model.model
    if not isinstance(model, HFModel):
        raise InvalidArgumentError(f"draft: {request.draft!r} is not a transformers model")
    return model


def uses_chat_template(model: HFModel) -> bool:
    """Whether prompts go through the tokenizer's chat template (where it has one)."""
    return bool(getattr(model.tokenizer, "chat_template", None))


def prompt_ids(model: HFModel, questions: Sequence[Question]) -> list[list[int]]:
    """Each question's user message as prompt ids."""
    encoded = encode_prompts(
        model.tokenizer, [q.text for q in questions], chat_template=uses_chat_template(model)
    )
    return [[int(t) for t in ids] for ids in encoded]
