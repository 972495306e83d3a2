"""The LM benchmark's library: configuration checks, presets, the draft registry, vocabulary
checks, and the methods' counters on tiny random transformers models (seconds, no download)."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.tiny_lm import eos_loving_target, model_folder
from tsd.errors import InvalidArgumentError, ModelError, VocabularyMismatchError
from tsd.experiments.lm import MT_BENCH, plan, prepare, warm_up_cells
from tsd.experiments.lm_assisted import measure_hf_assisted
from tsd.experiments.lm_config import LMBenchConfig, config_from
from tsd.experiments.lm_drafts import (
    DRAFTS,
    DraftContext,
    build_draft,
    check_draft_pairing,
    check_draft_specs,
    parse_draft_spec,
)
from tsd.experiments.lm_methods import measure_baseline, measure_speculative
from tsd.experiments.lm_models import load_bench_model, torch_threads
from tsd.experiments.lm_presets import PRESET_DIR, load_presets
from tsd.models.hf import TargetLaw

TOY = "tiny-random:0"


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (more spin against each other on a busy machine)."""
    with torch_threads(1):
        yield


def context(corpus: str | None = None) -> DraftContext:
    target = load_bench_model(
        TOY, dtype="float32", device="cpu", quantize=None, law=TargetLaw(), progress=print
    )
    return DraftContext(target, corpus, "float32", "cpu", None, print)


def test_shipped_presets_resolve_and_the_default_exists() -> None:
    presets = load_presets()
    assert {"smollm2-cpu", "toy", "ngram"} <= set(presets.experiments)
    for name in presets.experiments:
        config = presets.config(name)
        assert config.drafts
        for spec in config.drafts:
            assert parse_draft_spec(spec)[0] in DRAFTS
    default = presets.config("smollm2-cpu")
    assert default.target == "smollm2-135m"
    assert default.drafts == ("ngram:3", "early-exit:24")
    assert presets.config("toy").drafts == ("early-exit:1", "hf:tiny-random:1", "ngram:3")


def test_flags_override_the_preset_and_unknown_names_are_refused() -> None:
    presets = load_presets()
    config = presets.config("toy", {"runs": 5, "L": [3, 1]})
    assert (config.runs, config.L, config.K) == (5, (3, 1), 16)
    with pytest.raises(InvalidArgumentError, match="unknown preset 'nope'; known: ngram"):
        presets.config("nope")
    with pytest.raises(InvalidArgumentError, match=r"unknown setting\(s\) \['colour'\]"):
        presets.config("toy", {"colour": "red"})


def write_presets(folder: Path, experiments: str, models: str = "", version: int = 1) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "models.toml").write_text(
        f'version = {version}\n[models.m]\nsource = "tiny-random:0"\n{models}'
    )
    (folder / "drafts.toml").write_text('version = 1\n[drafts.d]\nspec = "early-exit:1"\n')
    (folder / "experiments.toml").write_text(f"version = 1\n{experiments}")
    return folder


GOOD = '[experiments.e]\ntarget = "m"\ndrafts = ["d"]\n'


@pytest.mark.parametrize(
    ("experiments", "models", "version", "message"),
    [
        (GOOD, "", 2, "models.toml has version 2; this tsd reads version 1"),
        (GOOD + "[colours.red]\n", "", 1, r"unknown table\(s\) \['colours'\]"),
        (GOOD, '[models.m2]\ndescription = "no source"\n', 1, "models.m2 needs source"),
        (GOOD + '[experiments.x]\nsource = "m"\n', "", 1, "experiments.x needs target"),
        ("[experiments.e]\ntarget = [", "", 1, "experiments.toml is not valid TOML"),
    ],
)
def test_malformed_preset_files_name_the_file_and_field(
    tmp_path: Path, experiments: str, models: str, version: int, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        load_presets(write_presets(tmp_path / "p", experiments, models, version))


def test_a_name_defined_twice_is_refused(tmp_path: Path) -> None:
    folder = write_presets(tmp_path / "p", GOOD)
    (folder / "more.toml").write_text('version = 1\n[models.m]\nsource = "tiny-random:2"\n')
    with pytest.raises(
        InvalidArgumentError, match=r"models\.m is defined in models\.toml and again"
    ):
        load_presets(folder)


@pytest.mark.parametrize(
    ("experiment", "message"),
    [
        ('target = "nobody"\ndrafts = ["d"]', "target 'nobody' is not a model in the presets"),
        ('target = "m"\ndrafts = ["ghost"]', "draft 'ghost' is not a draft in the presets"),
        ('target = "m"\ndrafts = ["d"]\nruns = 0', r"runs: must be in >= 1, got 0"),
        ('target = "m"\ndrafts = ["d"]\nmethods = ["fast"]', "methods: 'fast' not among"),
        ('target = "m"\ndrafts = ["d"]\nuse_chat_template = "yes"', "use_chat_template: must be"),
        ('target = "m"\ndrafts = ["d"]\nL = 2', "L must be a list"),
    ],
)
def test_experiment_references_and_settings_are_checked(
    tmp_path: Path, experiment: str, message: str
) -> None:
    presets = load_presets(write_presets(tmp_path / "p", f"[experiments.e]\n{experiment}\n"))
    with pytest.raises(InvalidArgumentError, match=message):
        presets.config("e")


def test_hf_references_resolve_to_preset_models() -> None:
    presets = load_presets(PRESET_DIR)
    assert presets.draft_spec("hf:toy-draft") == "hf:tiny-random:1"
    assert presets.draft_spec("hf:/some/folder") == "hf:/some/folder"
    assert presets.draft_spec("early-exit:3") == "early-exit:3"
    assert presets.model_source("toy-target") == "tiny-random:0"


def test_configuration_checks_name_the_field() -> None:
    with pytest.raises(InvalidArgumentError, match="hf-assisted needs a transformers draft"):
        check_draft_specs(LMBenchConfig(drafts=("ngram:3",), methods=("hf-assisted",)))
    with pytest.raises(
        InvalidArgumentError, match="drafts: speculative, hf-assisted and autojudge need"
    ):
        LMBenchConfig(drafts=())
    with pytest.raises(InvalidArgumentError, match=r"L: must be in \[1, "):
        LMBenchConfig(L=(0,))
    with pytest.raises(InvalidArgumentError, match="top_p: must be in"):
        LMBenchConfig(top_p=1.5)
    with pytest.raises(InvalidArgumentError, match="quantize: '2bit' not among"):
        LMBenchConfig(quantize="2bit")
    assert config_from({"drafts": ["ngram:2"], "methods": ["baseline"]}, "x").L == (1, 2, 4)


def test_unknown_draft_kinds_and_arguments_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown draft spec 'medusa:4'; known: ngram"):
        parse_draft_spec("medusa:4")
    with pytest.raises(InvalidArgumentError, match="unknown draft spec 'ngram'"):
        parse_draft_spec("ngram")
    with pytest.raises(InvalidArgumentError, match="early-exit needs a positive integer"):
        check_draft_specs(LMBenchConfig(drafts=("early-exit:two",)))
    with pytest.raises(InvalidArgumentError, match=r"layers: must be in \[1, 2\], got 3"):
        build_draft("early-exit:3", context())
    with pytest.raises(InvalidArgumentError, match=r"draft: must be in \[1, 2\], got 3"):
        check_draft_pairing(TOY, "early-exit:3")
    assert check_draft_pairing(TOY, "early-exit:2").startswith("early-exit:2: 2 of tiny-random")


def test_drafts_share_the_targets_vocabulary(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question. " * 50)
    ctx = context(str(corpus))
    ngram = build_draft("ngram:2", ctx)
    early = build_draft("early-exit:1", ctx)
    other = build_draft(f"hf:{model_folder(tmp_path / 'same', 3)}", ctx)
    for draft in (ngram, early, other):
        assert draft.model.vocab_size == ctx.target.vocab_size == 257
    assert (ngram.is_hf, early.is_hf, other.is_hf) == (False, True, True)
    # The n-gram draft learnt the corpus through the target's tokenizer: after "to b" it
    # proposes "e" far above chance.
    history = np.asarray(ctx.target.tokenizer("to b")["input_ids"], dtype=np.uint32)
    e = ctx.target.tokenizer("e")["input_ids"][0]
    assert np.exp(ngram.model.logprobs_batch([history])[0, e]) > 0.5


def test_a_bare_model_folder_is_an_hf_draft_and_any_other_path_is_refused(
    tmp_path: Path,
) -> None:
    folder = str(model_folder(tmp_path / "same", 3))
    assert parse_draft_spec(folder) == ("hf", folder)
    draft = build_draft(folder, context())
    assert (draft.spec, draft.is_hf, draft.model.vocab_size) == (f"hf:{folder}", True, 257)
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty", tmp_path / "same" / "config.json"):
        with pytest.raises(ModelError, match=f"draft: {path} is a path but not a model folder"):
            parse_draft_spec(str(path))


def test_a_draft_that_numbers_tokens_differently_is_refused(tmp_path: Path) -> None:
    folder = model_folder(tmp_path / "reversed", 3, reversed_ids=True)
    with pytest.raises(VocabularyMismatchError, match=r"maps 256 ids differently .*first: 0: '!'"):
        build_draft(f"hf:{folder}", context())
    with pytest.raises(VocabularyMismatchError, match="maps 256 ids differently"):
        check_draft_pairing(TOY, f"hf:{folder}")
    assert "maps all 257 ids" in check_draft_pairing(TOY, f"hf:{model_folder(tmp_path / 's', 4)}")


def test_prompts_are_spread_over_the_file_and_must_fit_the_window(tmp_path: Path) -> None:
    if not MT_BENCH.is_file():
        pytest.skip("MT-Bench questions not in ../shared/data")
    config = LMBenchConfig(target=TOY, drafts=("early-exit:1",), max_samples=8, max_new_tokens=4)
    setup = prepare(config, print)
    assert len({p.category for p in setup.prompts}) == 8
    long = tmp_path / "long.jsonl"
    long.write_text('{"question_id": 1, "turns": ["' + "word " * 300 + '"]}\n')
    tight = dataclasses.replace(config, prompts_file=str(long), max_new_tokens=32)
    with pytest.raises(
        ModelError, match=r"prompt 1 has 1500 tokens; with 37 more .* window of 1024"
    ):
        prepare(tight, print)


def test_plan_and_warm_up_cover_every_cell_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcdefgh " * 100)
    config = LMBenchConfig(
        target=TOY, drafts=("early-exit:1", "ngram:2"), drafters=("token", "chain"), L=(1, 3),
        corpus=str(corpus), draft_corpus=str(corpus), max_samples=2, max_new_tokens=4,
        prompt_chars=16,
    )  # fmt: skip
    setup = prepare(config, print)
    cells = plan(config, setup)
    # baseline + 2 drafts x 2 drafters x 2 L + hf-assisted for the one HF draft x 2 L
    assert len(cells) == 1 + 8 + 2
    assert [c.method for c in cells if c.draft and c.draft.spec == "ngram:2"] == ["speculative"] * 4
    assert len(warm_up_cells(config, setup)) == 1 + 4 + 1


def test_methods_emit_the_tokens_asked_for_even_when_eos_is_likely() -> None:
    target = eos_loving_target(5)
    draft = build_draft("early-exit:1", DraftContext(target, None, "float32", "cpu", None, print))
    prompts = [np.asarray(target.tokenizer(text)["input_ids"], dtype=np.uint32) for text in
               ("hello there", "a longer prompt than that")]  # fmt: skip
    new = 12
    base = measure_baseline(target, [prompts], max_new_tokens=new, seed=3, run=0)
    eos = target.tokenizer.eos_token_id
    assert np.mean(np.concatenate(base.outputs) == eos) > 0.5  # EOS is indeed likely
    spec = measure_speculative(
        target, draft, [prompts[:1], prompts[1:]], drafter="token", L=2, K=8, tsu="sim",
        eps="auto", max_new_tokens=new, seed=3, run=0,
    )  # fmt: skip
    assisted = measure_hf_assisted(target, draft, prompts, L=2, max_new_tokens=new, seed=3, run=0)
    for measured in (base, spec, assisted):
        assert [len(out) for out in measured.outputs] == [new, new]
    # hf-assisted masks EOS until the last token (min_new_tokens); tsd's methods sample past it.
    assert not np.any(np.concatenate(assisted.outputs) == eos)


def test_counters_and_time_shares_add_up() -> None:
    target = eos_loving_target(6, eos_logit=0.0)
    draft = build_draft("early-exit:1", DraftContext(target, None, "float32", "cpu", None, print))
    prompts = [np.asarray(target.tokenizer("counting")["input_ids"], dtype=np.uint32)] * 2
    spec = measure_speculative(
        target, draft, [prompts[:1]], drafter="chain", L=3, K=8, tsu="sim", eps="auto",
        max_new_tokens=10, seed=1, run=0,
    )  # fmt: skip
    assert spec.stats is not None
    assert spec.stats.tokens == spec.tokens == 10
    # One target forward per round, the prompt's prefill riding with the first.
    assert spec.target_calls == spec.stats.num_drafts
    assert spec.draft_calls is not None
    assert spec.draft_calls >= spec.target_calls
    assert spec.target_forward_s > 0
    assert spec.draft_model_s > 0
    assert spec.psi_tsu_verify_s is not None
    assert spec.psi_tsu_verify_s > 0
    assert spec.target_forward_s + spec.draft_model_s + spec.psi_tsu_verify_s < spec.wall_s
    assisted = measure_hf_assisted(
        target, draft, prompts[:1], L=3, max_new_tokens=10, seed=1, run=0
    )
    assert assisted.draft_calls is not None
    # Each target forward emits its accepted drafts plus one; each assistant forward proposes one.
    accepted = assisted.tokens - assisted.target_calls
    assert 0 <= accepted <= assisted.draft_calls
    # Exactly L = 3 drafts a round, but where the last rounds run out of room.
    assert 3 * (assisted.target_calls - 3) <= assisted.draft_calls <= 3 * assisted.target_calls


def test_same_seed_same_tokens_for_every_method() -> None:
    target = eos_loving_target(7, eos_logit=0.0)
    draft = build_draft("early-exit:1", DraftContext(target, None, "float32", "cpu", None, print))
    prompts = [np.asarray(target.tokenizer("seeded")["input_ids"], dtype=np.uint32)]

    def outputs(seed: int, run: int) -> list[list[list[int]]]:
        base = measure_baseline(target, [prompts], max_new_tokens=8, seed=seed, run=run)
        spec = measure_speculative(
            target, draft, [prompts], drafter="token", L=2, K=8, tsu="sim", eps="auto",
            max_new_tokens=8, seed=seed, run=run,
        )  # fmt: skip
        hf = measure_hf_assisted(target, draft, prompts, L=2, max_new_tokens=8, seed=seed, run=run)
        return [[out.tolist() for out in m.outputs] for m in (base, spec, hf)]

    first = outputs(11, 0)
    assert outputs(11, 0) == first
    assert outputs(11, 1) != first


def test_torch_threads_are_restored() -> None:
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_ngram_self_learns_the_targets_answers_to_untimed_prompts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not MT_BENCH.is_file():
        pytest.skip("MT-Bench questions not in ../shared/data")
    monkeypatch.setenv("TSD_CACHE", str(tmp_path / "cache"))
    config = LMBenchConfig(
        target=TOY, drafts=("ngram-self:2",), methods=("speculative",), max_samples=3,
        max_new_tokens=4,
    )  # fmt: skip
    said: list[str] = []
    setup = prepare(config, said.append)
    # The 77 questions the bench does not time, less those too long for the 1,024-byte window.
    (note,) = [line for line in said if line.startswith("sampling")]
    answered = int(note.split()[1])
    assert 70 <= answered < 77
    (samples,) = (tmp_path / "cache" / "samples").iterdir()
    ids = np.load(samples)
    assert ids.max() < 257
    assert len(ids) >= answered  # at least one token (EOS or not) per answer
    (draft,) = setup.drafts
    assert draft.spec == "ngram-self:2"
    # Trained on the target's samples: after their most frequent token, the follower seen most
    # often there is more probable than any follower never seen there.
    pairs = np.stack([ids[:-1], ids[1:]])
    top = np.bincount(pairs[0]).argmax()
    following = np.bincount(pairs[1][pairs[0] == top], minlength=257)
    row = np.exp(draft.model.logprobs_batch([np.array([top], dtype=np.uint32)])[0])
    assert following.max() >= 3
    assert row[following.argmax()] > row[following == 0].max()
    # A second build reads the cached answers instead of sampling again.
    again: list[str] = []
    prepare(config, again.append)
    assert not [line for line in again if line.startswith("sampling")]


def test_a_fresh_draft_shares_weights_but_no_cached_prompt() -> None:
    draft = build_draft("early-exit:1", context())
    history = np.arange(20, dtype=np.uint32)
    first = draft.model.logprobs_batch([history])
    assert draft.clock is not None
    assert draft.clock.positions == 20
    draft.model.logprobs_batch([history])  # the same prompt again: served from its cache
    assert draft.clock.positions <= 21
    fresh = draft.fresh()
    assert fresh.module is draft.module
    assert fresh.clock is not None
    assert (fresh.clock.calls, fresh.model.seconds) == (0, 0.0)
    again = fresh.model.logprobs_batch([history])
    assert fresh.clock.positions == 20  # the whole prompt is fed again
    np.testing.assert_array_equal(again, first)
