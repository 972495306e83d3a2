"""The AutoJudge head: the exact logistic fit (against scipy on the same objective), the
Mann–Whitney AUC (against a brute-force pair count), C and threshold choice, the checkpoint
round trip, and every refusal."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

from tests.support.judge_labels import TARGET, planted_labels
from tsd.errors import InvalidArgumentError, ModelError
from tsd.judge.head import (
    QUANTILES,
    JudgeHead,
    fit_judge_head,
    load_judge_head,
    save_judge_head,
    threshold_table,
)
from tsd.judge.logistic import fit_logistic, log_loss, roc_auc
from tsd.judge.tensor_file import write_tensor_file


def _scipy_fit(x: np.ndarray, y: np.ndarray, C: float) -> np.ndarray:
    """The minimiser of Σ log-loss + ‖w‖²/(2C) (bias unpenalised) by scipy's BFGS."""

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        p = expit(z)
        value = log_loss(z, y) + theta[:-1] @ theta[:-1] / (2 * C)
        gradient = np.append(x.T @ (p - y) + theta[:-1] / C, np.sum(p - y))
        return value, gradient

    result = minimize(
        objective, np.zeros(x.shape[1] + 1), jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    return np.asarray(result.x)


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_the_newton_fit_is_the_minimiser_scipy_finds(C: float) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 5))
    y = (rng.random(300) < 1 / (1 + np.exp(-(x @ [2.0, -1.0, 0.5, 0.0, 0.0] + 0.7)))).astype(float)
    fit = fit_logistic(x, y, C)
    ours = np.append(fit.weights, fit.bias)
    np.testing.assert_allclose(ours, _scipy_fit(x, y, C), rtol=1e-6, atol=1e-7)
    assert fit.steps < 30


def test_the_bias_is_not_penalised() -> None:
    """With an all-zero feature the weights stay 0 and the bias is the log-odds of the base
    rate, whatever C: the closed form of the unpenalised intercept."""
    y = np.array([1.0] * 30 + [0.0] * 70)
    fit = fit_logistic(np.zeros((100, 2)), y, C=1e-3)
    np.testing.assert_array_equal(fit.weights, [0.0, 0.0])
    assert fit.bias == pytest.approx(np.log(30 / 70), abs=1e-12)


def _brute_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    pos, neg = scores[positive], scores[~positive]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (pos.size * neg.size))


def test_auc_is_the_pair_count_with_ties_counting_half() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        scores = rng.integers(0, 6, size=57).astype(float)  # many ties
        positive = rng.random(57) < 0.4
        assert roc_auc(scores, positive) == pytest.approx(_brute_auc(scores, positive), abs=1e-12)
    assert roc_auc(np.array([0.1, 0.9]), np.array([False, True])) == 1.0
    assert roc_auc(np.array([0.9, 0.1]), np.array([False, True])) == 0.0
    with pytest.raises(InvalidArgumentError, match="both classes"):
        roc_auc(np.array([0.1, 0.2]), np.array([True, True]))


def test_a_planted_signal_is_found_and_a_shuffled_one_is_not() -> None:
    planted = fit_judge_head(planted_labels(strength=40.0))
    assert planted.meta["val_auc"] > 0.99
    assert int(np.argmax(np.abs(planted.weights))) == 0
    shuffled = fit_judge_head(planted_labels(shuffled=True))
    # 400 validation labels: the AUC of a useless score has sd ≈ 0.03 around 0.5.
    assert abs(shuffled.meta["val_auc"] - 0.5) < 0.1


def test_C_is_chosen_by_validation_auc_and_thresholds_are_its_quantiles() -> None:
    labels = planted_labels()
    grid = [1e-6, 1e-3, 1.0]
    head = fit_judge_head(labels, Cs=grid)
    auc_of = {row["C"]: row["val_auc"] for row in head.meta["auc_by_C"]}
    assert sorted(auc_of) == grid
    assert head.meta["val_auc"] == max(auc_of.values())
    assert auc_of[head.C] == head.meta["val_auc"]
    refit = fit_judge_head(labels, Cs=[head.C])  # a cold start reaches the same optimum
    np.testing.assert_allclose(refit.weights, head.weights, rtol=1e-12, atol=1e-14)
    x_val, y_val = labels.split("val")
    probs = head.prob_important(x_val)
    assert roc_auc(probs, y_val) == pytest.approx(head.meta["val_auc"], abs=1e-12)
    assert head.thresholds == tuple(np.quantile(probs, QUANTILES))
    x_mine, y_mine = labels.split("mine")
    assert head.meta["autojudge_train_samples"] == 600
    assert head.meta["train_important"] + head.meta["train_unimportant"] == 600
    assert head.meta["val_important"] == int(y_val.sum())
    mean_loss = log_loss(head.logits(x_mine), y_mine.astype(float)) / 600
    assert head.meta["autojudge_train_loss"] == pytest.approx(mean_loss, rel=1e-12)
    # The benchmark rebuilds the held-out split from these.
    assert (head.meta["task"], head.meta["seed"], head.meta["families"]) == ("toy", 3, ["add"])


def test_the_threshold_table_counts_accepts_and_recall() -> None:
    probs = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    important = np.array([False, False, True, False, True])
    rows = threshold_table(probs, important, [0.1, 0.25, 0.85, 1.0])
    assert [r["unimportant_accept_rate"] for r in rows] == [0.0, 2 / 3, 1.0, 1.0]
    assert [r["important_recall"] for r in rows] == [1.0, 1.0, 0.5, 0.0]
    assert [r["accept_rate"] for r in rows] == [0.0, 0.4, 0.8, 1.0]


def test_the_fit_is_deterministic_and_standardised_on_the_mine_split() -> None:
    labels = planted_labels(seed=3)
    first, second = fit_judge_head(labels), fit_judge_head(labels)
    assert first.weights.tobytes() == second.weights.tobytes()
    assert first.thresholds == second.thresholds
    x_mine, _ = labels.split("mine")
    np.testing.assert_allclose(first.mean, x_mine.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(first.scale, x_mine.astype(np.float64).std(axis=0), rtol=1e-12)


@pytest.mark.parametrize(("n_important", "needed"), [(0, 10), (4, 10), (12, 20)])
def test_too_few_labels_say_how_many_there_are_and_are_needed(
    n_important: int, needed: int
) -> None:
    labels = planted_labels(n_mine=100, n_val=100)
    important = np.zeros(200, dtype=bool)
    important[:n_important] = True
    important[100 : 100 + 50] = True
    few = replace(labels, important=important)
    with pytest.raises(InvalidArgumentError) as error:
        fit_judge_head(few, min_labels=needed)
    message = str(error.value)
    assert f"mine: {n_important} important, {100 - n_important} unimportant" in message
    assert f"at least {needed} of each class" in message


def test_non_finite_features_are_refused() -> None:
    labels = planted_labels()
    features = labels.features.copy()
    features[3, 2] = np.nan
    features[7, 0] = np.inf
    with pytest.raises(InvalidArgumentError, match="features: 2 non-finite values"):
        fit_judge_head(replace(labels, features=features))


def test_bad_C_values_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="C: give at least one"):
        fit_judge_head(planted_labels(), Cs=[])
    with pytest.raises(InvalidArgumentError, match="C: must be positive"):
        fit_judge_head(planted_labels(), Cs=[1.0, -1.0])


@pytest.fixture(scope="module")
def head() -> JudgeHead:
    return fit_judge_head(planted_labels(n_mine=200, n_val=200), Cs=[0.1, 1.0])


def test_a_saved_head_loads_back_bit_for_bit(head: JudgeHead, tmp_path: Path) -> None:
    path = save_judge_head(head, tmp_path / "head.safetensors")
    loaded = load_judge_head(path, target=TARGET, feature_size=6)
    for name in ("mean", "scale", "weights"):
        assert getattr(loaded, name).tobytes() == getattr(head, name).tobytes()
    assert (loaded.bias, loaded.C, loaded.thresholds) == (head.bias, head.C, head.thresholds)
    assert loaded.meta == json.loads(json.dumps(head.meta))
    again = save_judge_head(loaded, tmp_path / "again.safetensors")
    assert again.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.safetensors", "head.safetensors"]


def test_the_file_is_a_safetensors_file(head: JudgeHead, tmp_path: Path) -> None:
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = save_judge_head(head, tmp_path / "head.safetensors")
    tensors = safetensors_numpy.load_file(str(path))
    np.testing.assert_array_equal(tensors["weights"], head.weights)


def test_a_head_for_another_target_or_feature_size_is_refused(
    head: JudgeHead, tmp_path: Path
) -> None:
    path = save_judge_head(head, tmp_path / "head.safetensors")
    with pytest.raises(ModelError, match=r"trained for target 'smollm2-135m', not 'other-lm'"):
        load_judge_head(path, target="other-lm", feature_size=6)
    with pytest.raises(ModelError, match="features of size 6, this run's are of size 576"):
        load_judge_head(path, target=TARGET, feature_size=576)


def test_missing_truncated_and_garbled_files_are_refused(head: JudgeHead, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="autojudge_checkpoint: no judge head file"):
        load_judge_head(tmp_path / "absent.safetensors", target=TARGET, feature_size=6)
    path = save_judge_head(head, tmp_path / "head.safetensors")
    data = path.read_bytes()
    broken = tmp_path / "broken.safetensors"
    for damaged in (data[:-5], data[:4], data[:50], b"not a head at all" * 3):
        broken.write_bytes(damaged)
        with pytest.raises(ModelError, match=r"autojudge_checkpoint: .* not a readable"):
            load_judge_head(broken, target=TARGET, feature_size=6)
    flipped = bytearray(data)
    flipped[-3] ^= 0x10
    broken.write_bytes(bytes(flipped))
    with pytest.raises(ModelError, match="checksum"):
        load_judge_head(broken, target=TARGET, feature_size=6)


def test_thresholds_outside_zero_one_are_refused(head: JudgeHead, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"thresholds: must lie in \[0, 1\], got 1.5"):
        replace(head, thresholds=(0.2, 1.5))
    path = tmp_path / "bad.safetensors"
    tensors = {
        "mean": head.mean, "scale": head.scale, "weights": head.weights,
        "bias": np.array([head.bias]), "C": np.array([head.C]),
        "thresholds": np.array([0.1, -0.2]),
    }  # fmt: skip
    write_tensor_file(path, tensors, {"meta": json.dumps(head.meta)})
    with pytest.raises(InvalidArgumentError, match=r"thresholds: must lie in \[0, 1\]"):
        load_judge_head(path, target=TARGET, feature_size=6)


def test_features_of_the_wrong_width_are_refused(head: JudgeHead) -> None:
    with pytest.raises(InvalidArgumentError, match=r"features: the head reads \(n, 6\)"):
        head.prob_important(np.zeros((3, 5), dtype=np.float32))
