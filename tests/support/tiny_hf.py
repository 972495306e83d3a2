"""Tiny randomly initialised causal LMs built from a config (no download), the law they
define computed the plain way (a no-cache forward of each whole history, alone in its
batch), and word-level tokenizers built in memory.

`SPREAD` scales the initial weights far above transformers' default (0.02), so the
next-token laws are peaked and depend on the context; with the default they are almost
uniform, and a test that confuses one position's law with another's could not tell.

Importing this module sets torch to one thread: a tiny model's forward is microseconds of
work, and handing it to a second thread costs more than that (on a loaded 2-core machine,
2 ms per forward on one thread, 165 ms on two)."""

from collections.abc import Sequence
from itertools import product

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from tsd.models import History
from tsd.models.hf import HFModel, TargetLaw

SPREAD = 0.4

torch.set_num_threads(1)


def tiny_config(vocab: int, *, layers: int = 2, max_length: int = 128) -> LlamaConfig:
    """A Llama config small enough that a forward of thousands of sequences takes milliseconds."""
    return LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=max_length,
        initializer_range=SPREAD,
        tie_word_embeddings=False,
    )


def tiny_llama(
    vocab: int,
    seed: int,
    *,
    layers: int = 2,
    max_length: int = 128,
    dtype: torch.dtype = torch.float64,
) -> LlamaForCausalLM:
    """A LlamaForCausalLM with weights drawn from `seed`, in `dtype`, in eval mode."""
    torch.manual_seed(seed)
    module = LlamaForCausalLM(tiny_config(vocab, layers=layers, max_length=max_length))
    return module.to(dtype).eval()


def tiny_model(
    vocab: int,
    seed: int,
    *,
    layers: int = 2,
    max_length: int = 128,
    law: TargetLaw | None = None,
    dtype: torch.dtype = torch.float64,
) -> HFModel:
    """`tiny_llama` behind the tsd adapter."""
    module = tiny_llama(vocab, seed, layers=layers, max_length=max_length, dtype=dtype)
    return HFModel(module, law=law, name=f"tiny-llama-{vocab}-{seed}")


def reference_logp(
    module: torch.nn.Module, histories: Sequence[Sequence[int]], law: TargetLaw
) -> NDArray[np.float64]:
    """ln p(· | history) under `law` for each history: one no-cache forward per history, with
    no padding, no mask and default positions, (len(histories), V)."""
    rows = []
    with torch.inference_mode():
        for history in histories:
            ids = torch.tensor([[int(t) for t in history]], dtype=torch.long)
            logits = module(input_ids=ids, use_cache=False).logits[0, -1]
            rows.append(law.log_probs(logits).numpy())
    return np.stack(rows)


def reference_joint(
    module: torch.nn.Module, prompt: History, law: TargetLaw
) -> NDArray[np.float64]:
    """P(y1, y2, y3 | prompt) over the V³ cells (cell y1·V² + y2·V + y3), enumerated from the
    target's conditionals; the histories of one depth share a length, so each depth is one
    unpadded batched no-cache forward."""
    vocab = int(module.get_output_embeddings().weight.shape[0])
    joint = np.ones(1)
    for depth in range(3):
        histories = [
            [int(t) for t in prompt] + list(tail) for tail in product(range(vocab), repeat=depth)
        ]
        with torch.inference_mode():
            logits = module(input_ids=torch.tensor(histories), use_cache=False).logits[:, -1]
            probs = law.log_probs(logits).exp().numpy()
        joint = (joint[:, None] * probs).ravel()
    return joint


def assert_rows_close(
    got: NDArray[np.float64], expected: NDArray[np.float64], tolerance: float = 1e-12
) -> None:
    """Equal log-probability rows: same −inf cells, finite cells within `tolerance`."""
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert np.abs(got[finite] - expected[finite]).max(initial=0.0) <= tolerance


CHAT_TEMPLATE = (
    "{% for m in messages %}<s> {{ m['role'] }} {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<s> assistant {% endif %}"
)


def word_tokenizer(words: Sequence[str], *, chat_template: bool = True) -> PreTrainedTokenizerFast:
    """A whitespace word-level tokenizer numbering `words` in order after `<s>`, `</s>`,
    `<unk>`, `user` and `assistant`, with a chat template (or none)."""
    specials = ["<s>", "</s>", "<unk>", "user", "assistant"]
    vocab = {word: i for i, word in enumerate([*specials, *words])}
    backend = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer
