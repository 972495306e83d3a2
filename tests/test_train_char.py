"""Distilling the character world: training lowers the held-out TV, the same seed gives the same
bytes, a resumed run continues bit for bit, a NaN loss stops cleanly, bad checkpoints and
settings are refused, and the draft loads back as a transformers model."""

from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("transformers")

import numpy as np
import polars as pl
import torch

from tsd.errors import (
    InvalidArgumentError,
    ModelError,
    TrainingDivergedError,
    VocabularyMismatchError,
)
from tsd.experiments.speculative import synthetic_text
from tsd.models.hf import load_model
from tsd.train import run
from tsd.train.char_world import char_world
from tsd.train.checkpoint import load_checkpoint
from tsd.train.rows import Batch, TeacherRows
from tsd.train.run import TrainRequest, run_training
from tsd.train.trainer import TrainSettings, train

torch.set_num_threads(1)

CORPUS_CHARS = 30_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small corpus (the built-in synthetic text), so a world builds in well under a second."""
    path = tmp_path_factory.mktemp("corpus") / "text.txt"
    path.write_text(synthetic_text(CORPUS_CHARS), encoding="utf-8")
    return path


def request(corpus: Path, out: Path, **changes: object) -> TrainRequest:
    base = TrainRequest(
        world="char", objective="tv", data="off-policy", layers=1, steps=6, batch_size=8,
        lr=3e-3, seed=3, eval_every=2, checkpoint_every=2, out=out, corpus=corpus,
    )  # fmt: skip
    return replace(base, **changes)


def run_files(run_dir: Path) -> dict[str, bytes]:
    return {
        name: (run_dir / name).read_bytes()
        for name in ("train_log.parquet", "draft/model.safetensors")
    }


@pytest.mark.parametrize(("lr", "learns"), [(3e-3, True), (1e-9, False)])
def test_training_lowers_the_heldout_tv_by_a_margin_an_untrained_student_misses(
    corpus: Path, tmp_path: Path, lr: float, learns: bool
) -> None:
    outcome = run_training(
        request(corpus, tmp_path, steps=60, eval_every=60, checkpoint_every=60, lr=lr),
        progress=lambda line: None,
    )
    before, after = outcome.summary["untrained"], outcome.summary["trained"]
    assert (after["heldout_tv"] < before["heldout_tv"] - 0.15) is learns
    assert after["heldout_acceptance"] == pytest.approx(1 - after["heldout_tv"], abs=1e-12)


def test_the_same_seed_gives_the_same_checkpoint_and_log_bytes(
    corpus: Path, tmp_path: Path
) -> None:
    first = run_training(request(corpus, tmp_path / "a"), progress=lambda line: None)
    second = run_training(request(corpus, tmp_path / "b"), progress=lambda line: None)
    assert run_files(first.run_dir) == run_files(second.run_dir)
    saved = [(tmp_path / name / "checkpoint.pt").read_bytes() for name in ("a", "b")]
    assert saved[0] == saved[1]
    other = run_training(request(corpus, tmp_path / "c", seed=4), progress=lambda line: None)
    assert run_files(other.run_dir) != run_files(first.run_dir)


def test_a_resumed_run_continues_bit_for_bit(corpus: Path, tmp_path: Path) -> None:
    straight = run_training(request(corpus, tmp_path / "straight"), progress=lambda line: None)
    halfway = request(corpus, tmp_path / "halves", steps=4)
    run_training(halfway, progress=lambda line: None)
    resumed = run_training(
        replace(halfway, steps=6, resume=tmp_path / "halves/checkpoint.pt"),
        progress=lambda line: None,
    )
    assert run_files(resumed.run_dir) == run_files(straight.run_dir)
    assert (tmp_path / "halves/checkpoint.pt").read_bytes() == (
        tmp_path / "straight/checkpoint.pt"
    ).read_bytes()
    log = pl.read_parquet(resumed.run_dir / "train_log.parquet")
    assert log["step"].to_list() == list(range(7))
    assert log["loss"].null_count() == 1
    evaluated = log.filter(pl.col("heldout_acceptance").is_not_null())["step"].to_list()
    assert evaluated == [0, 2, 4, 6]


class PoisonedAt:
    """A data source whose teacher rows turn NaN from step `bad` on."""

    def __init__(self, inner: object, bad: int) -> None:
        self.inner = inner
        self.bad = bad

    def batch(self, step: int, student: torch.nn.Module) -> Batch:
        batch: Batch = self.inner.batch(step, student)  # type: ignore[attr-defined]
        if step < self.bad:
            return batch
        poisoned = TeacherRows(torch.full_like(batch.teacher.logp, torch.nan))
        return Batch(batch.ids, poisoned, batch.weights)


def test_a_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(
    corpus: Path, tmp_path: Path
) -> None:
    world = char_world(data="off-policy", layers=1, batch_size=8, seed=3, corpus=corpus)
    settings = TrainSettings("fkl", 6, 3e-3, 3, 2, 2, world.identity)
    checkpoint = tmp_path / "checkpoint.pt"
    with pytest.raises(TrainingDivergedError, match="loss: the fkl loss at step 3 is nan"):
        train(world.student, PoisonedAt(world.data, 3), world.heldout, settings,
              checkpoint=checkpoint)  # fmt: skip
    assert load_checkpoint(checkpoint).step == 2
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_a_nan_gradient_stops_before_it_reaches_the_weights(corpus: Path, tmp_path: Path) -> None:
    world = char_world(data="off-policy", layers=1, batch_size=8, seed=3, corpus=corpus)
    weight = world.student.module.model.norm.weight
    before = weight.detach().clone()
    weight.register_hook(lambda grad: grad * torch.nan)
    settings = TrainSettings("tv", 4, 3e-3, 3, 2, 2, world.identity)
    with pytest.raises(
        TrainingDivergedError,
        match=r"tv gradient norm at step 1 is nan; .* no checkpoint had been written yet",
    ):
        train(world.student, world.data, world.heldout, settings,
              checkpoint=tmp_path / "checkpoint.pt")  # fmt: skip
    assert torch.equal(weight.detach(), before)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_a_diverging_run_publishes_no_run_folder(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def poisoned_world(**kwargs: object) -> object:
        world = char_world(**kwargs)  # type: ignore[arg-type]
        return replace(world, data=PoisonedAt(world.data, 1))

    monkeypatch.setattr(run, "char_world", poisoned_world)
    with pytest.raises(TrainingDivergedError):
        run_training(request(corpus, tmp_path / "out"), progress=lambda line: None)
    assert not (tmp_path / "out").exists()


def test_a_checkpoint_from_another_architecture_vocabulary_or_setting_is_refused(
    corpus: Path, tmp_path: Path
) -> None:
    first = request(corpus, tmp_path / "a", steps=2)
    run_training(first, progress=lambda line: None)
    saved = tmp_path / "a/checkpoint.pt"
    with pytest.raises(ModelError, match="num_hidden_layers=1, this one num_hidden_layers=2"):
        run_training(replace(first, layers=2, steps=4, resume=saved), progress=lambda line: None)
    renamed = tmp_path / "renamed.txt"
    text = corpus.read_text(encoding="utf-8")
    assert "Z" not in text
    renamed.write_text(text.replace("q", "Z"), encoding="utf-8")
    with pytest.raises(VocabularyMismatchError, match="another vocabulary"):
        run_training(
            replace(first, corpus=renamed, steps=4, resume=saved), progress=lambda line: None
        )
    with pytest.raises(InvalidArgumentError, match="objective: the checkpoint was trained with"):
        run_training(
            replace(first, objective="fkl", steps=4, resume=saved), progress=lambda line: None
        )
    with pytest.raises(InvalidArgumentError, match="steps: the checkpoint has reached step 2"):
        run_training(replace(first, resume=saved), progress=lambda line: None)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="not a readable checkpoint"):
        run_training(replace(first, resume=garbage), progress=lambda line: None)
    with pytest.raises(InvalidArgumentError, match="resume: no checkpoint file"):
        run_training(replace(first, resume=tmp_path / "absent.pt"), progress=lambda line: None)
    assert sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith("2")) == [
        "checkpoint.pt"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"objective": "kl"}, "objective: must be one of"),
        ({"steps": 0}, "steps: must be"),
        ({"lr": 0.0}, "lr: must be"),
        ({"lr": 2.0}, "lr: must be in"),
        ({"lr": float("nan")}, "lr: must be"),
        ({"world": "words"}, "world: must be one of"),
        ({"data": "mixed"}, "data: must be one of"),
        ({"batch_size": 0}, "batch_size: must be"),
        ({"layers": 0}, "layers: must be"),
    ],
)
def test_bad_settings_are_named_and_nothing_is_written(
    corpus: Path, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        run_training(request(corpus, tmp_path / "out", **change), progress=lambda line: None)
    assert not (tmp_path / "out").exists()


def test_the_draft_loads_back_as_a_transformers_model_with_its_tokenizer(
    corpus: Path, tmp_path: Path
) -> None:
    outcome = run_training(request(corpus, tmp_path, steps=2), progress=lambda line: None)
    draft = load_model(str(outcome.draft))
    text = corpus.read_text(encoding="utf-8")[:40]
    ids = draft.tokenizer(text)["input_ids"]
    assert draft.tokenizer.decode(ids) == text
    assert len(ids) == len(text)
    world = char_world(data="off-policy", layers=1, batch_size=8, seed=3, corpus=corpus)
    trained = replace(world.student).module
    trained.load_state_dict(load_checkpoint(tmp_path / "checkpoint.pt").trainable)
    with torch.no_grad():
        expected = torch.log_softmax(trained(torch.tensor([ids])).logits[0, -1].double(), -1)
    got = draft.logprobs_batch([np.asarray(ids, dtype=np.uint32)])[0]
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-6)
