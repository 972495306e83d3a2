"""Prompt loading (MT-Bench JSON/JSONL, corpus slices) and the speculative benchmark command."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.support import REPO
from tsd import errors
from tsd.cli import main
from tsd.experiments.speculative import SYNTHETIC_ALPHABET, BenchConfig, prepare, synthetic_text
from tsd.prompts import corpus_prompts, load_prompts

QUESTIONS = [
    {"question_id": 81, "category": "writing", "turns": ["Compose a sonnet.", "Now shorter."]},
    {"question_id": 82, "category": "roleplay", "turns": ["Speak as a king."]},
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_loads_mt_bench_json_and_jsonl(tmp_path: Path) -> None:
    as_json = tmp_path / "q.json"
    as_json.write_text(json.dumps(QUESTIONS))
    as_jsonl = tmp_path / "q.jsonl"
    as_jsonl.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n")
    for path in (as_json, as_jsonl):
        prompts = load_prompts(path)
        assert [(p.prompt_id, p.category, p.text) for p in prompts] == [
            ("81", "writing", "Compose a sonnet."),
            ("82", "roleplay", "Speak as a king."),
        ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no questions"),
        ("{not json", "not valid JSON"),
        ('{"question_id": 1}', "not an MT-Bench question"),
        ('{"question_id": 1, "turns": []}', "non-empty list of strings"),
    ],
)
def test_bad_prompt_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(errors.InvalidArgumentError, match=message):
        load_prompts(path)
    with pytest.raises(errors.InvalidArgumentError, match="no such file"):
        load_prompts(tmp_path / "missing.jsonl")


def test_corpus_slices_are_evenly_spaced() -> None:
    prompts = corpus_prompts("abcdefghijklmnopqrstuvwxyz", 3, 4)
    # Offsets 0, 11 and 22: a step of (26 − 4) // 2.
    assert [p.text for p in prompts] == ["abcd", "lmno", "wxyz"]


def test_built_in_synthetic_corpus_trains_both_models() -> None:
    setup = prepare(BenchConfig(corpus=None, prompts=3, max_new_tokens=8, runs=1))
    assert set(setup.vocab.symbols) <= set(SYNTHETIC_ALPHABET)
    assert setup.vocab.size > 20
    assert len(setup.prompt_ids) == 3
    assert synthetic_text(500, 1) == synthetic_text(500, 1)


def test_benchmark_command_writes_rows_and_plot(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(synthetic_text(30_000, 3))
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    out_dir = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench_speculative.py"), "--method", "all",
         "--L", "1", "2", "--target-order", "4", "--draft-order", "2", "--corpus", str(corpus),
         "--prompts", "2", "--prompts-file", str(questions), "--max-new-tokens", "32",
         "--runs", "2", "--K", "8", "--out-dir", str(out_dir)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "dropped" in done.stdout  # upper-case letters are outside the synthetic alphabet
    (run_dir,) = out_dir.iterdir()
    out = run_dir / "results.jsonl"
    assert f"results_path={out}" in done.stdout

    def reject_constant(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    rows = [
        json.loads(line, parse_constant=reject_constant) for line in out.read_text().splitlines()
    ]
    assert len(rows) == 2 * 5
    assert {r["method"] for r in rows} == {"baseline", "token", "chain"}
    assert all(r["alpha"] is None for r in rows if r["method"] == "baseline")
    # A chain ψ is one TSU call per block; token drafting makes L.
    for row in rows:
        if row["method"] != "baseline":
            calls = 1.0 if row["method"] == "chain" else row["L"]
            assert row["tsu_calls_per_target_call"] == calls
            assert row["K"] == 8
            accepted, drafts = row["num_accepted_tokens"], row["num_drafts"]
            assert row["acceptance_rate"] == accepted / row["num_draft_tokens"]
            assert row["mean_acceptance_length"] == 1 + accepted / drafts
            assert row["num_draft_tokens"] == row["L"] * drafts
    frame = pl.read_parquet(out.with_suffix(".parquet"))
    assert frame.filter(pl.col("method") == "baseline")["target_calls_per_token"].to_list() == [
        1.0,
        1.0,
    ]
    assert out.with_suffix(".png").read_bytes().startswith(PNG_MAGIC)


def test_chain_only_bench_draws_its_plot_in_a_fresh_run_dir(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(synthetic_text(20_000, 3))
    args = ["--method", "chain", "--L", "1", "2", "--target-order", "3", "--corpus", str(corpus),
            "--prompts", "2", "--max-new-tokens", "16", "--runs", "1", "--out-dir",
            str(tmp_path / "runs")]  # fmt: skip
    assert main(["bench", "speculative", *args]) == 0
    assert main(["bench", "speculative", *args]) == 0
    run_dirs = sorted((tmp_path / "runs").iterdir())
    assert len(run_dirs) == 2, "each run gets its own folder; nothing is overwritten"
    for run_dir in run_dirs:
        assert (run_dir / "results.png").read_bytes().startswith(PNG_MAGIC)
        assert json.loads((run_dir / "summary.json").read_text())["config"]["methods"] == ["chain"]
    assert not list(tmp_path.glob("results.*"))
