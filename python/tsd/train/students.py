"""Students: the draft models being trained, as `LlamaForCausalLM`s so they save and load as
ordinary transformers folders: a tiny character transformer from a config, or a shallow copy
of a Llama target (its first layers, final norm and embedding/head, the embedding frozen)."""

import copy
from typing import Any

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from tsd._checks import check_int, check_seed
from tsd.errors import ModelError

__all__ = ["ARCHITECTURE_KEYS", "CHAR_HIDDEN", "architecture", "char_student", "shallow_student"]

# The config fields that decide a student's parameter shapes: a checkpoint must match them.
ARCHITECTURE_KEYS = (
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "tie_word_embeddings",
)  # fmt: skip
# The character student's width: a few hundred thousand weights train in seconds on a CPU.
CHAR_HIDDEN = 64


def architecture(module: torch.nn.Module) -> dict[str, Any]:
    """The fields of the module's config that decide its parameter shapes."""
    config = module.config
    return {key: getattr(config, key, None) for key in ARCHITECTURE_KEYS}


def char_student(vocab_size: int, layers: int, seed: int, max_length: int) -> Any:
    """A Llama over `vocab_size` characters, `layers` decoder layers of width CHAR_HIDDEN,
    weights drawn from `seed` (the global torch generator is left as it was)."""
    config = LlamaConfig(
        vocab_size=check_int("vocab_size", vocab_size, 2),
        hidden_size=CHAR_HIDDEN,
        intermediate_size=4 * CHAR_HIDDEN,
        num_hidden_layers=check_int("layers", layers, 1),
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=check_int("max_length", max_length, 2),
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_seed(seed))
        module: Any = LlamaForCausalLM(config)
    module.eval()
    return module


def shallow_student(target: torch.nn.Module, layers: int) -> Any:
    """A new Llama with the target's config but `layers` decoder layers, initialised from
    copies of the target's first `layers` layers, final norm and embedding (tied to the head
    when the target ties them); the embedding is frozen, the rest trains."""
    body = getattr(target, "model", None)
    stack = getattr(body, "layers", None)
    if not isinstance(target, LlamaForCausalLM) or not isinstance(stack, torch.nn.ModuleList):
        raise ModelError(
            f"student: a shallow student copies a Llama target's layers; "
            f"{type(target).__name__} is not one"
        )
    k = check_int("layers", layers, 1, len(stack))
    config = copy.deepcopy(target.config)
    config.num_hidden_layers = k
    student: Any = LlamaForCausalLM(config)
    student.to(dtype=next(target.parameters()).dtype)
    state = {
        name: tensor
        for name, tensor in target.state_dict().items()
        if not name.startswith("model.layers.") or int(name.split(".")[2]) < k
    }
    student.load_state_dict(state, strict=False)
    student.tie_weights()
    student.model.embed_tokens.weight.requires_grad_(False)
    student.get_output_embeddings().weight.requires_grad_(False)
    student.eval()
    return student
