"""The early-exit self-draft: the target's first k decoder layers with its final norm and head,
sharing its weights (no training, no second copy in memory)."""

import copy

import torch

from tsd._checks import check_int
from tsd.errors import ModelError
from tsd.models.hf.model import HFModel

__all__ = ["early_exit"]


def early_exit(target: HFModel, layers: int) -> HFModel:
    """A draft that runs `layers` of the target's decoder layers, then its norm and head."""
    module = target.module
    body = getattr(module, "model", None)
    stack = getattr(body, "layers", None)
    if body is None or not isinstance(stack, torch.nn.ModuleList):
        raise ModelError(
            f"draft: early exit needs a decoder with model.layers; {type(module).__name__} has none"
        )
    k = check_int("layers", layers, 1, len(stack))
    config = copy.deepcopy(module.config)
    config.num_hidden_layers = k
    # Shallow copies whose module tables are new dicts: the copies hold the same parameters,
    # and replacing `layers` in the copy leaves the target untouched.
    short_body = copy.copy(body)
    short_body._modules = dict(body._modules)
    short_body._modules["layers"] = torch.nn.ModuleList(list(stack)[:k])
    short_body.config = config
    short = copy.copy(module)
    short._modules = dict(module._modules)
    short._modules["model"] = short_body
    short.config = config
    return HFModel(
        short, law=target.law, tokenizer=target.tokenizer, name=f"{target.name}[:{k} layers]"
    )
