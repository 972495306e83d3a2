"""early_exit(target, k) is the model built with the target's first k layers, its norm and
head (same weights, shared, not copied), and leaves the target as it was."""

import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaForCausalLM

from tests.support.tiny_hf import assert_rows_close, reference_logp, tiny_config, tiny_model
from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import HFModel, TargetLaw, early_exit

VOCAB = 16
LAYERS = 3


def first_layers(target: HFModel, k: int) -> LlamaForCausalLM:
    """A fresh model built with k layers, loaded with the target's weights for them."""
    module = LlamaForCausalLM(tiny_config(VOCAB, layers=k)).to(torch.float64).eval()
    weights = {
        name: tensor
        for name, tensor in target.module.state_dict().items()
        if not name.startswith("model.layers.") or int(name.split(".")[2]) < k
    }
    module.load_state_dict(weights)
    return module


def histories(seed: int) -> list[list[int]]:
    rng = np.random.Generator(np.random.PCG64(seed))
    return [rng.integers(0, VOCAB, n).tolist() for n in (1, 4, 9, 17)]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_early_exit_equals_a_model_built_with_k_layers(k: int) -> None:
    law = TargetLaw(0.9, 12)
    target = tiny_model(VOCAB, 31, layers=LAYERS, law=law)
    draft = early_exit(target, k)
    reference = first_layers(target, k)
    asked = histories(k)
    expected = reference_logp(reference, asked, law)
    assert_rows_close(reference_logp(draft.module, asked, law), expected)
    assert_rows_close(draft.logprobs_batch([np.array(h, np.uint32) for h in asked]), expected)
    session = draft.start([np.array(h, np.uint32) for h in asked])
    scores = session.extend([0, 1, 2, 3], [[], [], [], []])
    assert_rows_close(scores.rows(np.arange(4)), expected)
    assert draft.law == law
    assert draft.vocab_size == VOCAB
    assert draft.name == f"{target.name}[:{k} layers]"


def test_the_target_is_unchanged_and_shares_its_weights() -> None:
    target = tiny_model(VOCAB, 32, layers=LAYERS)
    asked = histories(5)
    before = reference_logp(target.module, asked, target.law)
    weights = {name: p.detach().clone() for name, p in target.module.named_parameters()}
    draft = early_exit(target, 1)
    draft.logprobs_batch([np.array(h, np.uint32) for h in asked])
    assert len(target.module.model.layers) == LAYERS
    assert target.module.config.num_hidden_layers == LAYERS
    assert len(draft.module.model.layers) == 1
    for name, parameter in target.module.named_parameters():
        assert torch.equal(parameter, weights[name]), name
    assert_rows_close(reference_logp(target.module, asked, target.law), before)
    session = target.start([np.array(h, np.uint32) for h in asked])
    scores = session.extend([0, 1, 2, 3], [[], [], [], []])
    assert_rows_close(scores.rows(np.arange(4)), before)
    shared = {p.data_ptr() for p in target.module.parameters()}
    assert all(p.data_ptr() in shared for p in draft.module.parameters())


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (0, r"layers: must be in \[1, 3\], got 0"),
        (4, r"layers: must be in \[1, 3\], got 4"),
        (-1, r"layers: must be in \[1, 3\], got -1"),
        (1.0, "layers: must be an integer"),
        (True, "layers: must be an integer"),
    ],
)
def test_layers_out_of_range_are_named(layers: object, message: str) -> None:
    target = tiny_model(VOCAB, 33, layers=LAYERS)
    with pytest.raises(InvalidArgumentError, match=message):
        early_exit(target, layers)  # type: ignore[arg-type]


def test_a_model_without_decoder_layers_is_refused() -> None:
    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_embd=16, n_layer=2, n_head=2))
    with pytest.raises(ModelError, match=r"early exit needs a decoder with model\.layers"):
        early_exit(HFModel(gpt2), 1)
