"""Synthetic mined labels for the judge-head tests: Gaussian features whose importance
follows a planted logistic law (or, shuffled, none at all)."""

import numpy as np

from tsd.judge.labels import LabelSet

TARGET = "smollm2-135m"


def planted_labels(
    n_mine: int = 600,
    n_val: int = 400,
    d: int = 6,
    strength: float = 3.0,
    seed: int = 0,
    shuffled: bool = False,
) -> LabelSet:
    """Labels whose log-odds of importance are `strength` · x₀ − 1 (feature 0 carries the
    signal, the rest are noise on their own scales); `shuffled` permutes the labels away from
    the features."""
    rng = np.random.default_rng(seed)
    n = n_mine + n_val
    scales = np.linspace(0.5, 4.0, d)
    features = (rng.standard_normal((n, d)) * scales + np.arange(d)).astype(np.float32)
    logits = strength * features[:, 0] - 1.0
    important = rng.random(n) < 1.0 / (1.0 + np.exp(-logits))
    if shuffled:
        important = rng.permutation(important)
    splits = ["mine"] * n_mine + ["val"] * n_val
    return LabelSet(
        features=features,
        important=important,
        question_ids=[f"q-{i // 3:03d}" for i in range(n)],
        families=["add"] * n,
        splits=splits,
        meta={"target": TARGET, "draft": "early-exit:2", "feature_source": "target",
              "feature_size": d, "task": "toy", "seed": 3, "families": ["add"]},
    )  # fmt: skip
