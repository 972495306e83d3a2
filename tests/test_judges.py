"""The judges on hand-built distributions: KL against its closed form, top-k with ties, the
AutoJudge's direction, and the factory's refusals."""

import numpy as np
import pytest

from tests.support.judge_labels import planted_labels
from tsd.errors import InvalidArgumentError
from tsd.judge.head import JudgeHead, fit_judge_head
from tsd.judge.judges import AutoJudge, KLJudge, Mismatch, TopKJudge, make_judge


def _mismatch(target_p: list[list[float]], draft_p: list[list[float]], tokens: list[int],
              features: np.ndarray | None = None) -> Mismatch:  # fmt: skip
    with np.errstate(divide="ignore"):
        return Mismatch(
            features=features,
            target_logp=np.log(np.array(target_p)),
            draft_logp=np.log(np.array(draft_p)),
            draft_tokens=np.array(tokens),
        )


def test_kl_is_the_closed_form_and_the_threshold_is_strict() -> None:
    target = [[0.5, 0.5, 0.0], [0.7, 0.2, 0.1], [0.6, 0.4, 0.0]]
    draft = [[0.25, 0.75, 0.0], [0.7, 0.2, 0.1], [0.5, 0.0, 0.5]]
    mismatch = _mismatch(target, draft, [1, 1, 2])
    expected = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    kl = KLJudge(0.1).divergence(mismatch)
    assert kl[0] == pytest.approx(expected, abs=1e-15)
    assert kl[1] == 0.0
    assert kl[2] == np.inf  # the draft gives token 1 no mass, the target 0.4
    np.testing.assert_array_equal(KLJudge(0.2).accept(mismatch), [True, True, False])
    np.testing.assert_array_equal(KLJudge(float(kl[0])).accept(mismatch), [False, True, False])
    np.testing.assert_array_equal(KLJudge(0.1).accept(mismatch), [False, True, False])
    np.testing.assert_array_equal(KLJudge(0.0).accept(mismatch), [False, False, False])


def test_topk_counts_tokens_strictly_above_so_ties_are_in() -> None:
    target = [[0.4, 0.3, 0.3, 0.0], [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1]]
    draft = [[0.25] * 4] * 3
    mismatch = _mismatch(target, draft, [2, 2, 3])
    np.testing.assert_array_equal(TopKJudge(1).accept(mismatch), [False, False, False])
    np.testing.assert_array_equal(TopKJudge(2).accept(mismatch), [True, False, False])
    np.testing.assert_array_equal(TopKJudge(3).accept(mismatch), [True, True, False])
    np.testing.assert_array_equal(TopKJudge(4).accept(mismatch), [True, True, True])


def test_autojudge_accepts_below_the_threshold() -> None:
    head = fit_judge_head(planted_labels(n_mine=200, n_val=200), Cs=[1.0])
    features = planted_labels(n_mine=0, n_val=50, seed=9).features
    probs = head.prob_important(features)
    uniform = [[0.5, 0.5]] * 50
    mismatch = _mismatch(uniform, uniform, [0] * 50, features=features)
    threshold = float(np.median(probs))
    accepted = AutoJudge(head, threshold).accept(mismatch)
    np.testing.assert_array_equal(accepted, probs < threshold)
    assert 0 < accepted.sum() < 50
    assert not AutoJudge(head, 0.0).accept(mismatch).any()
    assert AutoJudge(head, 1.0).accept(mismatch).all()
    with pytest.raises(InvalidArgumentError, match="features: the AutoJudge reads"):
        AutoJudge(head, 0.5).accept(_mismatch(uniform, uniform, [0] * 50))


@pytest.fixture(scope="module")
def head() -> JudgeHead:
    return fit_judge_head(planted_labels(n_mine=100, n_val=100), Cs=[1.0])


def test_make_judge_names_and_lossy(head: JudgeHead) -> None:
    judges = [make_judge("autojudge", 0.2, head), make_judge("kl", 0.5), make_judge("topk", 4)]
    assert [j.name for j in judges] == ["autojudge@0.2", "kl@0.5", "topk@4"]
    assert [j.needs_features for j in judges] == [True, False, False]
    assert all(j.lossy for j in judges)
    close = [make_judge("autojudge", t, head) for t in (0.0123456, 0.0123457)]
    assert close[0].name != close[1].name


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("autojudge", 1.2, r"threshold: must lie in \[0, 1\], got 1.2"),
        ("autojudge", -0.1, r"threshold: must lie in \[0, 1\]"),
        ("kl", -1.0, "threshold: the KL judge's threshold must be finite and >= 0"),
        ("kl", float("nan"), "threshold: the KL judge's threshold must be finite"),
        ("topk", 0, "k: the top-k judge needs an integer k >= 1"),
        ("topk", 2.5, "k: the top-k judge needs a whole number"),
        ("topk", float("inf"), "k: the top-k judge needs a whole number"),
        ("exact", 1, "judge: unknown kind 'exact'"),
    ],
)
def test_make_judge_refuses_bad_values(
    head: JudgeHead, kind: str, value: float, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        make_judge(kind, value, head)


def test_autojudge_without_a_head_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="autojudge_checkpoint: the AutoJudge needs"):
        make_judge("autojudge", 0.2)


def test_mismatch_shapes_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="draft_logp: shape"):
        Mismatch(None, np.zeros((2, 3)), np.zeros((2, 4)), np.array([0, 1]))
    with pytest.raises(InvalidArgumentError, match=r"draft_tokens: ids must lie in \[0, 3\)"):
        Mismatch(None, np.zeros((2, 3)), np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(InvalidArgumentError, match=r"target_logp: must be \(n=2, V\)"):
        Mismatch(None, np.zeros((3, 3)), np.zeros((3, 3)), np.array([0, 1]))
