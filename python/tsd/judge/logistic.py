"""L2-regularised logistic regression and ROC-AUC in numpy: the exact fit and the metric the
AutoJudge head is chosen by.

The fit minimises Σ log-loss + ‖w‖²/(2C) (the bias is not penalised; C as in scikit-learn) by
damped Newton steps on the (d+1)-dimensional problem, so the same data give the same weights
bit for bit and the optimum is reached to machine precision, not to an iterative tolerance.
"""

from dataclasses import dataclass

import numpy as np

from tsd.errors import InvalidArgumentError, ModelError

__all__ = ["LogisticFit", "fit_logistic", "log_loss", "roc_auc", "sigmoid"]

MAX_NEWTON_STEPS = 100
STEP_TOLERANCE = 1e-13
MIN_STEP_SIZE = 1e-12
ROUNDING = 1e-12
ARMIJO_SLOPE = 1e-4


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^−z), without overflow for large |z|."""
    return np.asarray(np.exp(-np.logaddexp(0.0, -z)), dtype=np.float64)


def log_loss(z: np.ndarray, y: np.ndarray) -> float:
    """Σ log(1 + e^z) − y·z: the summed negative log-likelihood of labels `y` at logits `z`."""
    return float(np.sum(np.logaddexp(0.0, z) - y * z))


@dataclass(frozen=True)
class LogisticFit:
    """The minimiser of the penalised log-loss: weights, bias, and the Newton steps taken."""

    weights: np.ndarray
    bias: float
    steps: int


def _objective(x: np.ndarray, y: np.ndarray, theta: np.ndarray, C: float) -> float:
    """Σ log-loss + ‖w‖²/(2C) at `theta` = (w, b)."""
    return log_loss(x @ theta[:-1] + theta[-1], y) + float(theta[:-1] @ theta[:-1]) / (2.0 * C)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, C: float, start: LogisticFit | None = None
) -> LogisticFit:
    """Minimise Σ log-loss(y, x·w + b) + ‖w‖²/(2C) by Newton's method with backtracking.

    `x` (n, d) float64, `y` (n,) in {0, 1}; `start` warm-starts from another fit. The
    objective is strictly convex in w and, with both classes present, in b, so the steps
    converge quadratically; they stop after the step taken once the objective is within its
    own rounding of the optimum (or when a step no longer moves the parameters), so the
    result is the unique optimum to machine precision (a warm start changes only the last
    bits).
    """
    if not (np.isfinite(C) and C > 0):
        raise InvalidArgumentError(f"C: must be a positive finite number, got {C!r}")
    n, d = x.shape
    augmented = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(d + 1, 1.0 / C)
    penalty[-1] = 0.0
    theta = np.zeros(d + 1) if start is None else np.append(start.weights, start.bias)
    value = _objective(x, y, theta, C)
    for step in range(1, MAX_NEWTON_STEPS + 1):
        p = sigmoid(augmented @ theta)
        gradient = augmented.T @ (p - y) + penalty * theta
        hessian = (augmented.T * (p * (1.0 - p))) @ augmented + np.diag(penalty)
        direction = np.linalg.solve(hessian, gradient)
        if np.max(np.abs(direction)) <= STEP_TOLERANCE * (1.0 + np.max(np.abs(theta))):
            return LogisticFit(weights=theta[:-1].copy(), bias=float(theta[-1]), steps=step - 1)
        slope = float(gradient @ direction)  # the squared Newton decrement, ≈ 2 (f − f*)
        rounding = ROUNDING * (1.0 + abs(value))  # the objective's own rounding noise
        if slope <= rounding:
            # Within rounding of the optimum: a full step is safe, and the last one needed.
            final = theta - direction
            return LogisticFit(weights=final[:-1].copy(), bias=float(final[-1]), steps=step)
        size = 1.0
        candidate = theta - direction
        new_value = _objective(x, y, candidate, C)
        while new_value > value - ARMIJO_SLOPE * size * slope + rounding and size > MIN_STEP_SIZE:
            size /= 2.0
            candidate = theta - size * direction
            new_value = _objective(x, y, candidate, C)
        theta, value = candidate, new_value
    raise ModelError(
        f"C={C}: the logistic fit did not converge in {MAX_NEWTON_STEPS} Newton steps "
        "(features with non-finite or huge values?)"
    )


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC-AUC by the Mann–Whitney statistic: the probability that a positive scores above a
    negative, ties counting one half (average ranks). Needs both classes."""
    labels = np.asarray(positive, dtype=bool)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise InvalidArgumentError(
            f"roc_auc: needs both classes, got {n_pos} positive and {n_neg} negative"
        )
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
