"""Students and teachers on tiny random Llamas: a shallow student starts as the target's early
exit exactly, keeps its embedding frozen and tied to the head while it trains; a transformers
teacher's rows are the target's law, and its top-k cache round-trips."""

from pathlib import Path

import pytest

pytest.importorskip("transformers")

import numpy as np
import torch

from tests.support.tiny_hf import assert_rows_close, reference_logp, tiny_llama
from tsd.errors import InvalidArgumentError, ModelError
from tsd.experiments.lm_drafts import DraftContext, build_draft
from tsd.experiments.lm_models import TINY_RANDOM, load_bench_model
from tsd.models.hf import HFModel, TargetLaw, early_exit
from tsd.train.rows import Batch
from tsd.train.smollm2_world import TOP_K, cached_top_k
from tsd.train.students import shallow_student
from tsd.train.teachers import HFTeacher, top_k_rows
from tsd.train.trainer import training_loss

VOCAB = 80
TOY = f"{TINY_RANDOM}:0"


def tied_target(seed: int) -> torch.nn.Module:
    """A tiny Llama whose head is its embedding (as SmolLM2's is), in float32."""
    module = tiny_llama(VOCAB, seed, layers=3, dtype=torch.float32)
    module.config.tie_word_embeddings = True
    module.lm_head.weight = module.model.embed_tokens.weight
    return module


def test_a_shallow_student_starts_as_the_targets_early_exit() -> None:
    target = HFModel(tied_target(1))
    student = shallow_student(target.module, 2)
    ids = torch.tensor([[3, 14, 15, 9, 2, 6]])
    with torch.no_grad():
        ours = student(input_ids=ids).logits
        exits = early_exit(target, 2).module(input_ids=ids).logits
    torch.testing.assert_close(ours, exits, rtol=0, atol=0)
    assert student.config.num_hidden_layers == 2
    assert target.module.config.num_hidden_layers == 3


def test_the_embedding_stays_frozen_and_tied_while_the_rest_trains() -> None:
    target = tied_target(2)
    student = shallow_student(target, 1)
    frozen = student.model.embed_tokens.weight.detach().clone()
    layer = student.model.layers[0].mlp.up_proj.weight.detach().clone()
    optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=1e-2)
    ids = torch.randint(0, VOCAB, (4, 12), generator=torch.Generator().manual_seed(0))
    teacher = HFTeacher(HFModel(target)).rows(ids)
    loss = training_loss(student, Batch(ids, teacher, torch.ones(ids.shape)), "fkl")
    loss.backward()
    optimizer.step()
    assert torch.equal(student.model.embed_tokens.weight, frozen)
    assert student.lm_head.weight is student.model.embed_tokens.weight
    assert not torch.equal(student.model.layers[0].mlp.up_proj.weight, layer)
    assert torch.equal(target.model.embed_tokens.weight, frozen)


def test_a_shallow_student_needs_a_llama_and_a_layer_count_it_has() -> None:
    with pytest.raises(InvalidArgumentError, match=r"layers: must be in \[1, 3\], got 4"):
        shallow_student(tied_target(3), 4)
    with pytest.raises(ModelError, match="Linear is not one"):
        shallow_student(torch.nn.Linear(2, 2), 1)


def test_a_transformers_teacher_scores_every_prefix_under_its_law() -> None:
    law = TargetLaw(temperature=0.7, top_k=20)
    target = HFModel(tiny_llama(VOCAB, 4), law=law)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12]])
    rows = HFTeacher(target, dtype=torch.float64).rows(ids).logp
    for b in range(2):
        histories = [ids[b, : t + 1].tolist() for t in range(4)]
        assert_rows_close(rows[b].numpy(), reference_logp(target.module, histories, law), 1e-9)


def test_the_teachers_top_k_cache_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TSD_CACHE", str(tmp_path))
    target = HFModel(tiny_llama(VOCAB, 5, dtype=torch.float32))
    windows = torch.randint(0, VOCAB, (6, 8), generator=torch.Generator().manual_seed(1))
    lines: list[str] = []
    first = cached_top_k(target, windows, lines.append)
    assert len(list((tmp_path / "teacher").iterdir())) == 1
    again = cached_top_k(target, windows, lines.append)
    assert len(lines) == 1  # progress while computing; nothing when read from the cache
    expected = top_k_rows(HFTeacher(target).rows(windows), TOP_K)
    for rows in (first, again):
        assert rows.ids is not None
        assert torch.equal(rows.ids, expected.ids)
        assert torch.equal(rows.logp, expected.logp)
    np.testing.assert_allclose(first.logp.exp().sum(-1).numpy(), 1.0, atol=1e-5)


def test_a_saved_shallow_student_is_a_bench_draft_of_its_target(tmp_path: Path) -> None:
    target = load_bench_model(
        TOY, dtype="float32", device="cpu", quantize=None, law=TargetLaw(), progress=print
    )
    student = shallow_student(target.module, 1)
    folder = tmp_path / "draft"
    student.save_pretrained(folder)
    target.tokenizer.save_pretrained(folder)
    draft = build_draft(str(folder), DraftContext(target, None, "float32", "cpu", None, print))
    assert draft.is_hf
    history = np.asarray([1, 2, 3, 4], dtype=np.uint32)
    expected = early_exit(target, 1).logprobs_batch([history])
    np.testing.assert_allclose(draft.model.logprobs_batch([history]), expected, atol=1e-6)
