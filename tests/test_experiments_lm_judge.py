"""The autojudge method's rows on tiny random models and a toy task: the target alone and
exact speculative decoding give the same tokens and accuracy (exact rows), judge rows are
marked lossy with their accuracy against the target's, the counters add up, and the rows
make the bench's frame, judge table and PNG."""

import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from tests.support.tiny_hf import tiny_llama, word_tokenizer
from tsd.cli import main
from tsd.cli.bench_lm import _draw_judges, judge_table
from tsd.errors import InvalidArgumentError
from tsd.experiments import lm
from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_drafts import Draft, TimedDraft
from tsd.experiments.lm_judge import JudgeSetup, run_judging
from tsd.experiments.lm_rows import rows_frame
from tsd.judge.head import FORMAT, JudgeHead, save_judge_head
from tsd.judge.judges import Mismatch
from tsd.models.hf import HFModel, encode_prompts

WORDS = ["red", "green", "blue", "cat", "dog", "sun", "moon", "one", "two", "three", "four"]


@dataclass(frozen=True)
class Question:
    id: str
    family: str
    text: str
    answer: str


class ColourTask:
    """A toy task: correct when the answer's word appears in the text."""

    name = "colours"
    families = ("colour",)

    def extract_answer(self, question: Question, text: str) -> str | None:
        return question.answer if question.answer in text.split() else None

    def is_correct(self, question: Question, text: str) -> bool:
        return self.extract_answer(question, text) == question.answer


class RuleJudge:
    """A named toy judge: KL(p_target ‖ p_draft) below `value` (kind kl) or the draft token
    within the target's top `value` (kind topk)."""

    needs_features = False
    lossy = True

    def __init__(self, kind: str, value: float) -> None:
        self.kind, self.value = kind, value
        self.name = f"{kind}@{value:g}"

    def accept(self, mismatch: Mismatch) -> NDArray[np.bool_]:
        if self.kind == "kl":
            p = np.exp(mismatch.target_logp)
            return np.sum(p * (mismatch.target_logp - mismatch.draft_logp), axis=1) < self.value
        rows = np.arange(len(mismatch.draft_tokens))
        chosen = mismatch.target_logp[rows, mismatch.draft_tokens]
        return np.sum(mismatch.target_logp > chosen[:, None], axis=1) < self.value


@pytest.fixture(scope="module")
def bench() -> tuple[LMBenchConfig, JudgeSetup, HFModel, Draft]:
    tokenizer = word_tokenizer(WORDS)
    vocab = len(tokenizer)
    target = HFModel(tiny_llama(vocab, 4), tokenizer=tokenizer, name="tiny")
    draft_model = HFModel(tiny_llama(vocab, 8), tokenizer=tokenizer, name="tiny-draft")
    draft = Draft("hf:tiny-draft", TimedDraft(draft_model), draft_model.module, draft_model.clock)
    questions = [
        Question(f"c-{i}", "colour", f"{a} {b} cat", a)
        for i, (a, b) in enumerate([("red", "dog"), ("blue", "sun"), ("green", "moon")])
    ]
    ids = encode_prompts(tokenizer, [q.text for q in questions], chat_template=True)
    judges = [RuleJudge("kl", 0.5), RuleJudge("kl", 4.0), RuleJudge("topk", 3)]
    setup = JudgeSetup(ColourTask(), questions, ids, judges)  # type: ignore[arg-type]
    config = LMBenchConfig(
        target="tiny", drafts=("hf:tiny-draft",), methods=("autojudge",), L=(3,), K=4,
        max_new_tokens=8, batch_size=2, autojudge_checkpoint="unused", task="colours",
    )  # fmt: skip
    return config, setup, target, draft


def test_autojudge_rows(bench, tmp_path) -> None:
    config, setup, target, draft = bench
    labels: list[str] = []
    rows = run_judging(config, setup, target, [draft], labels.append)
    assert [row["judge"] for row in rows] == ["target-only", "exact", "kl@0.5", "kl@4", "topk@3"]
    assert labels == [f"autojudge hf:tiny-draft L=3 {row['judge']}" for row in rows]
    alone, exact, *judged = rows
    assert alone["mode"] == exact["mode"] == "exact"
    assert all(row["mode"] == "lossy" for row in judged)
    assert exact["outputs_sha256"] == alone["outputs_sha256"]
    assert exact["accuracy"] == alone["accuracy"] == exact["target_accuracy"]
    assert exact["accepted_per_cycle"] == exact["exact_accepted_per_cycle"]
    assert exact["judge_accepts"] == 0
    for row in judged:
        assert row["target_accuracy"] == alone["accuracy"]
        assert row["accuracy_delta"] == row["accuracy"] - alone["accuracy"]
        assert row["accepted_per_cycle"] >= row["exact_accepted_per_cycle"]
        assert row["judge_accepts"] + row["fallbacks"] <= row["mismatches"]
        assert row["target_calls_per_token"] == row["num_drafts"] / row["tokens"]
    loose = rows[3]
    assert loose["judge_accepts"] > 0, "the loose KL judge must accept something to bite"
    assert loose["outputs_sha256"] != alone["outputs_sha256"]
    frame = rows_frame(rows)
    table = judge_table(frame)
    assert table["judge"].to_list() == [row["judge"] for row in rows]
    png = tmp_path / "judge.png"
    _draw_judges(png, table, "tiny", "colours")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert frame.filter(pl.col("mode") == "lossy").height == 3


def test_autojudge_rows_are_deterministic(bench) -> None:
    config, setup, target, draft = bench
    loose = JudgeSetup(setup.task, setup.questions[:2], setup.prompt_ids[:2], setup.judges[1:2])
    first = run_judging(config, loose, target, [draft])
    again = run_judging(config, loose, target, [draft])
    assert first[-1]["judge_accepts"] > 0
    keys = ("outputs_sha256", "accuracy", "accepted_per_cycle", "mismatches", "judge_accepts")
    assert [[r[k] for k in keys] for r in first] == [[r[k] for k in keys] for r in again]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"autojudge_thresholds": (0.2, 1.5)}, "autojudge_thresholds: must lie in [0, 1], got 1.5"),
        ({"kl_thresholds": (-1.0,)}, "kl_thresholds: must be >= 0, got -1.0"),
        ({"judge_topk": (0,)}, "judge_topk"),
        ({"temperature": 0.7}, "temperature: autojudge decodes greedily"),
        ({"top_k": 5}, "temperature: autojudge decodes greedily"),
        ({"task_questions": 0}, "task_questions"),
    ],
)
def test_bad_judge_settings_name_the_field(settings: dict, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        LMBenchConfig(methods=("autojudge",), **settings)


@pytest.mark.parametrize("method", ["autojudge", "all"])
def test_autojudge_without_a_head_says_what_is_missing(
    method: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "lm", "--experiment", "toy", "--method", method]
    assert main([*argv, "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: autojudge_checkpoint: --method autojudge (and all) needs a")
    assert "--autojudge-checkpoint PATH" in err
    assert list(tmp_path.iterdir()) == []


def test_bench_lm_autojudge_end_to_end(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command on the toy target with a hand-made head: rows, PNG and the printed table."""
    rng = np.random.default_rng(0)
    head = JudgeHead(
        mean=np.zeros(32), scale=np.ones(32), weights=rng.normal(size=32), bias=0.0, C=1.0,
        thresholds=(0.3, 0.7), meta={"format": FORMAT, "target": "tiny-random:0",
                                     "feature_size": 32, "feature_source": "target"},
    )  # fmt: skip
    checkpoint = save_judge_head(head, tmp_path / "head.safetensors")
    argv = [
        "bench", "lm", "--experiment", "toy", "--method", "autojudge", "--draft", "early-exit:1",
        "--autojudge-checkpoint", str(checkpoint), "--task-questions", "2", "--max-new-tokens",
        "4", "--kl-thresholds", "1", "--judge-topk", "2", "--out-dir", str(tmp_path / "runs"),
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    frame = pl.read_parquet(next((tmp_path / "runs").glob("*/results.parquet")))
    judges = ["target-only", "exact", "autojudge@0.3", "autojudge@0.7", "kl@1.0", "topk@2"]
    assert frame["judge"].to_list() == judges
    assert frame["mode"].to_list() == ["exact", "exact"] + ["lossy"] * 4
    assert (next((tmp_path / "runs").glob("*/judge.png"))).read_bytes()[:4] == b"\x89PNG"
    assert "lossy" in out
    assert "judge_plot_path=" in out


def test_a_head_mined_with_another_seed_is_refused_before_any_model_loads(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test split is rebuilt from the task seed: a head mined with another seed would be
    judged on questions it may have been fitted on. The head is read first, so the error
    costs no model load."""

    def load_nothing(*args: object) -> None:
        raise AssertionError("a model was loaded before the head was checked")

    monkeypatch.setattr(lm, "prepare", load_nothing)
    head = JudgeHead(
        mean=np.zeros(32), scale=np.ones(32), weights=np.ones(32), bias=0.0, C=1.0,
        thresholds=(0.5,), meta={"format": FORMAT, "target": "tiny-random:0", "feature_size": 32,
                                 "feature_source": "target", "seed": 5},
    )  # fmt: skip
    checkpoint = save_judge_head(head, tmp_path / "head.safetensors")
    argv = [
        "bench", "lm", "--experiment", "toy", "--method", "autojudge", "--draft", "early-exit:1",
        "--autojudge-checkpoint", str(checkpoint), "--out-dir", str(tmp_path / "runs"),
    ]  # fmt: skip
    assert main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: task_seed: the head was mined with seed 5, this run's task_seed")
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []
