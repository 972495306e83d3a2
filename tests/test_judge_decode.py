"""Judge decoding against references computed the plain way: with no judge it is the target's
greedy decoding token for token; with a judge it matches a step-by-step reference decoder of
the design built on no-cache forwards (draft argmax, target argmax, the judge's rule on the
full-forward hidden state and T=1 rows); the session's hidden states equal a full forward's
`last_hidden_state`; the verdict is checked by enumeration."""

from collections.abc import Callable
from itertools import product

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from tests.support.tiny_hf import reference_logp, tiny_model
from tsd.drafters import make_drafter
from tsd.errors import InvalidArgumentError
from tsd.judge.decode import (
    GreedyDraftView,
    JudgeGeneration,
    judge_generate,
    judge_verdict,
)
from tsd.judge.greedy import greedy_continue
from tsd.judge.judges import Mismatch
from tsd.models.hf import HFModel, TargetLaw
from tsd.speculative import baseline_generate
from tsd.tsu import make_tsu

VOCAB = 10
L = 3
NEW = 11
PROMPTS = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
T1 = TargetLaw()
Rule = Callable[[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int], bool]


def hidden_rule(hidden: NDArray[np.float64], *_: object) -> bool:
    """A toy feature judge: accept when the first hidden coordinate is positive."""
    return bool(hidden[0] > 0.0)


def kl_rule(_: object, target: NDArray[np.float64], draft: NDArray[np.float64], __: int) -> bool:
    """A toy KL judge: accept when KL(p_target ‖ p_draft) < 1."""
    return bool(np.sum(np.exp(target) * (target - draft)) < 1.0)


class ToyJudge:
    """A judge applying `rule` to each mismatch, keeping what it saw."""

    def __init__(self, rule: Rule, needs_features: bool) -> None:
        self.name = "toy"
        self.needs_features = needs_features
        self.rule = rule
        self.seen = 0

    def accept(self, mismatch: Mismatch) -> NDArray[np.bool_]:
        self.seen += len(mismatch.draft_tokens)
        features = mismatch.features
        return np.array(
            [
                self.rule(
                    np.zeros(1) if features is None else features[i].astype(np.float64),
                    mismatch.target_logp[i],
                    mismatch.draft_logp[i],
                    int(mismatch.draft_tokens[i]),
                )
                for i in range(len(mismatch.draft_tokens))
            ]
        )


@pytest.fixture(scope="module")
def models() -> tuple[HFModel, HFModel]:
    return tiny_model(VOCAB, 3), tiny_model(VOCAB, 11)


def run(
    target: HFModel, draft: HFModel, judge: object, seed: int = 5, stop: int | None = None
) -> JudgeGeneration:
    fresh = HFModel(draft.module, law=T1)
    view = GreedyDraftView(fresh)
    drafter = make_drafter("token", view, make_tsu("sim", seed), L=L, K=4)
    prompts = [np.array(p, dtype=np.uint32) for p in PROMPTS]
    return judge_generate(
        target,
        drafter,
        view,
        prompts,
        judge=judge,  # type: ignore[arg-type]
        max_new_tokens=NEW,
        stop_token=stop,
    )


def last_hidden(module: torch.nn.Module, history: list[int]) -> NDArray[np.float64]:
    with torch.inference_mode():
        ids = torch.tensor([history], dtype=torch.long)
        return module.model(input_ids=ids).last_hidden_state[0, -1].numpy()


def reference_decode(target: HFModel, draft: HFModel, prompt: list[int], rule: Rule) -> list[int]:
    """The design step by step with no-cache forwards of whole histories."""

    def logp(model: HFModel, history: list[int]) -> NDArray[np.float64]:
        return reference_logp(model.module, [history], T1)[0]

    sequence, out = list(prompt), []
    while len(out) < NEW:
        drafts: list[int] = []
        for _ in range(L):
            drafts.append(int(logp(draft, sequence + drafts).argmax()))
        emitted = []
        for i in range(L + 1):
            context = sequence + drafts[:i]
            row = logp(target, context)
            greedy = int(row.argmax())
            if i == L or drafts[i] == greedy:
                emitted.append(greedy if i == L else drafts[i])
                continue
            hidden = last_hidden(target.module, [*context, drafts[i]])
            if rule(hidden, row, logp(draft, context), drafts[i]):
                emitted.append(drafts[i])
                continue
            emitted.append(greedy)
            break
        out += emitted
        sequence += emitted
    return out[:NEW]


def test_exact_judge_decoding_is_the_targets_greedy_decoding(models) -> None:
    target, draft = models
    got = run(target, draft, None)
    greedy = HFModel(target.module, law=TargetLaw(top_k=1))
    prompts = [np.array(p, dtype=np.uint32) for p in PROMPTS]
    expected = baseline_generate(greedy, prompts, max_new_tokens=NEW).outputs
    alone = greedy_continue(target, prompts, [NEW] * len(prompts), None)
    for out, want, mine in zip(got.outputs, expected, alone, strict=True):
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(mine, want)
    stats = got.stats
    assert stats.accepted_tokens == stats.exact_accepted_tokens
    assert stats.judge_accepts == 0
    assert stats.mismatches > 0, "the draft must disagree somewhere for the test to bite"
    assert stats.tokens == NEW * len(PROMPTS)
    assert stats.target_calls_per_token == stats.rounds / stats.tokens


def test_a_stop_token_ends_a_sequence_where_greedy_decoding_emits_it(models) -> None:
    target, draft = models
    full = run(target, draft, None).outputs
    stop = int(full[0][NEW // 2])
    prompts = [np.array(p, dtype=np.uint32) for p in PROMPTS]
    stopped = run(target, draft, None, stop=stop).outputs
    alone = greedy_continue(target, prompts, [NEW] * len(prompts), stop)
    for out, short, mine in zip(full, stopped, alone, strict=True):
        ends = out.tolist().index(stop) + 1 if stop in out.tolist() else NEW
        np.testing.assert_array_equal(short, out[:ends])
        np.testing.assert_array_equal(mine, out[:ends])
    assert len(stopped[0]) < NEW


@pytest.mark.parametrize(("rule", "features"), [(hidden_rule, True), (kl_rule, False)])
def test_judge_decoding_matches_the_reference_decoder(models, rule: Rule, features: bool) -> None:
    target, draft = models
    judge = ToyJudge(rule, features)
    got = run(target, draft, judge)
    for prompt, out in zip(PROMPTS, got.outputs, strict=True):
        assert out.tolist() == reference_decode(target, draft, prompt, rule)
    stats = got.stats
    assert 0 < stats.judge_accepts < stats.mismatches <= judge.seen
    assert stats.accepted_tokens > stats.exact_accepted_tokens
    assert stats.judge_accept_rate == stats.judge_accepts / stats.mismatches


def test_judge_decoding_is_deterministic_for_a_seed(models) -> None:
    target, draft = models
    first = run(target, draft, ToyJudge(kl_rule, False), seed=9)
    again = run(target, draft, ToyJudge(kl_rule, False), seed=9)
    assert [o.tolist() for o in first.outputs] == [o.tolist() for o in again.outputs]
    assert first.stats == again.stats


def test_a_judge_answering_the_wrong_shape_is_refused(models) -> None:
    class Broken(ToyJudge):
        def accept(self, mismatch: Mismatch) -> NDArray[np.bool_]:
            return np.ones(len(mismatch.draft_tokens) + 1, dtype=bool)

    target, draft = models
    with pytest.raises(InvalidArgumentError, match="judge: toy answered"):
        run(target, draft, Broken(kl_rule, False))


def test_session_hidden_states_equal_a_full_forwards_last_hidden_state(models) -> None:
    target, _ = models
    session = target.start([np.array(p, dtype=np.uint32) for p in PROMPTS[:2]])
    blocks = [[3, 1, 4], [5, 9]]
    scores = session.extend([0, 1], blocks, hidden=True)
    plain = target.start([np.array(p, dtype=np.uint32) for p in PROMPTS[:2]]).extend([0, 1], blocks)
    np.testing.assert_array_equal(scores.rows(np.arange(7)), plain.rows(np.arange(7)))
    after_tokens = np.array([1, 2, 3, 5, 6])
    got = scores.hidden(after_tokens)
    histories = [PROMPTS[0] + blocks[0][:i] for i in (1, 2, 3)]
    histories += [PROMPTS[1] + blocks[1][:i] for i in (1, 2)]
    expected = np.stack([last_hidden(target.module, h) for h in histories])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected.astype(np.float32), rtol=0, atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="hidden: this extend"):
        plain.hidden(after_tokens)
    # Decoding on: the rows after a stored end hold no hidden state.
    session.rollback([0, 1], [0, 0])
    again = session.extend([0, 1], [[2], [2]], hidden=True)
    with pytest.raises(InvalidArgumentError, match="after an appended token"):
        again.hidden(np.array([0]))
    np.testing.assert_allclose(
        again.hidden(np.array([1])),
        last_hidden(target.module, PROMPTS[0] + blocks[0] + [2])[None].astype(np.float32),
        rtol=0,
        atol=1e-6,
    )


def test_greedy_draft_view_proposes_the_drafts_argmax(models) -> None:
    _, draft = models
    view = GreedyDraftView(HFModel(draft.module, law=T1))
    drafter = make_drafter("token", view, make_tsu("sim", 1), L=4, K=4)
    block = drafter.draft([PROMPTS[0], PROMPTS[2]], np.array([0, 1 << 40], dtype=np.uint64))
    for prefix, tokens in zip((PROMPTS[0], PROMPTS[2]), block.tokens, strict=True):
        history = list(prefix)
        for token in tokens:
            row = reference_logp(draft.module, [history], T1)[0]
            assert int(token) == int(row.argmax())
            np.testing.assert_allclose(view.row(history), row, rtol=0, atol=1e-12)
            history.append(int(token))


def test_the_verdict_by_enumeration() -> None:
    """Every match pattern and judge answer of a 3-token block against the rule in words."""
    target = np.array([7, 7, 7, 8])
    for pattern, answers in product(product((True, False), repeat=3), repeat=2):
        drafts = np.array([7 if match else 1 for match in pattern], dtype=np.uint32)
        verdict = judge_verdict(drafts, target, np.array(answers))
        exact = next((i for i, m in enumerate(pattern) if not m), 3)
        stop = next((i for i in range(3) if not pattern[i] and not answers[i]), None)
        assert verdict.exact == exact
        if stop is None:
            assert verdict.accepted == 3
            assert not verdict.fallback
            assert verdict.emitted == [*drafts.tolist(), 8]
        else:
            assert verdict.accepted == stop
            assert verdict.fallback
            assert verdict.emitted == [*drafts[:stop].tolist(), 7]
        seen = [i for i in range(3 if stop is None else stop + 1) if not pattern[i]]
        assert verdict.mismatches == len(seen)
        assert verdict.judge_accepts == sum(answers[i] for i in seen)
