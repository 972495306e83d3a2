"""Tiny transformers models for the LM benchmark's tests: folders that `hf:PATH` drafts load,
one with a tokenizer that numbers the bytes differently, and a target that favours EOS."""

from pathlib import Path

import torch

from tsd.experiments.lm_models import byte_tokenizer, save_model_folder, tiny_random
from tsd.models.hf import HFModel


def model_folder(folder: Path, seed: int, *, reversed_ids: bool = False) -> Path:
    """A tiny random model saved as a local folder, with the byte tokenizer or its reverse."""
    module, _ = tiny_random(seed)
    save_model_folder(module, byte_tokenizer(reversed_ids=reversed_ids), folder)
    return folder


def eos_loving_target(seed: int, eos_logit: float = 8.0) -> HFModel:
    """A tiny random target whose head adds `eos_logit` to EOS: most tokens it samples are EOS,
    so a method that stopped at EOS would emit far fewer tokens than asked."""
    module, tokenizer = tiny_random(seed)
    head = module.lm_head
    biased = torch.nn.Linear(head.in_features, head.out_features, bias=True)
    with torch.no_grad():
        biased.weight.copy_(head.weight)
        biased.bias.zero_()
        biased.bias[tokenizer.eos_token_id] = eos_logit
    module.lm_head = biased
    return HFModel(module, tokenizer=tokenizer, name="eos-loving")
