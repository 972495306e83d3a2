"""PNG figures, drawn with matplotlib's object API (no pyplot, no display, no global state).
Imported only by the commands that draw."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray


def acceptance_trace(
    steps: NDArray[np.float64],
    accept: NDArray[np.float64],
    overlap: NDArray[np.float64],
    window: int,
    path: Path,
) -> Path:
    """Rolling acceptance against the rolling expected acceptance (overlap) over the run."""
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    ax.plot(steps, accept, label=f"acceptance (rolling {window})", linewidth=1)
    ax.plot(steps, overlap, label="expected: overlap Σ min(p, q)", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("rate")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def heatmaps(
    ks: Sequence[int],
    taus: Sequence[float],
    panels: dict[str, NDArray[np.float64]],
    title: str,
    path: Path,
) -> Path:
    """One heat map per panel over the (K, τ) grid, each cell annotated with its value."""
    fig = Figure(figsize=(5.5 * len(panels), 4.2))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (name, grid) in zip(axes[0], panels.items(), strict=True):
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(taus)), [f"{t:g}" for t in taus])
        ax.set_yticks(range(len(ks)), [str(k) for k in ks])
        ax.set_xlabel("τ")
        ax.set_ylabel("K")
        ax.set_title(name)
        for (i, j), value in np.ndenumerate(grid):
            # Dark text on the light (yellow-green) half of viridis, white on the dark half.
            color = "black" if image.norm(value) > 0.5 else "white"
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", color=color, fontsize=8)
        fig.colorbar(image, ax=ax)
    fig.suptitle(title)
    return _save(fig, path)


def tokens_per_call(
    blocks: NDArray[np.integer],
    measured: NDArray[np.float64],
    closed_form: NDArray[np.float64],
    title: str,
    path: Path,
    chain: tuple[NDArray[np.integer], NDArray[np.float64]] | None = None,
) -> Path:
    """Measured tokens per target call against L, next to the closed form evaluated at each
    L's own measured per-position acceptance α; `chain` adds chain drafting's (L, measured)."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.plot(
        blocks,
        closed_form,
        "--",
        marker="x",
        label="closed form (1 − α^(L+1)) / (1 − α), α measured",
    )
    ax.plot(blocks, measured, "o", markersize=8, label="measured (median over runs)")
    if chain is not None:
        ax.plot(*chain, "s", markersize=7, label="chain ψ, measured (median over runs)")
    ax.set_xlabel("L (drafted tokens per target call)")
    ax.set_ylabel("tokens per target call")
    ax.set_xticks(blocks)
    ax.set_title(title, fontsize=9)
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def speedup_vs_block(
    series: Mapping[str, tuple[NDArray[np.integer], NDArray[np.float64]]],
    title: str,
    path: Path,
) -> Path:
    """Speedup over the baseline (tokens per second, medians over runs) against L, one line
    per label (a method with its draft and drafter), with the baseline at 1."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="baseline")
    blocks: set[int] = set()
    for label, (block, speedup) in series.items():
        ax.plot(block, speedup, marker="o", label=label)
        blocks.update(int(b) for b in block)
    ax.set_xlabel("L (drafted tokens per target call)")
    ax.set_ylabel("speedup over baseline (tokens/s)")
    ax.set_xticks(sorted(blocks))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def training_curves(
    steps: NDArray[np.integer],
    loss: NDArray[np.float64],
    eval_steps: NDArray[np.integer],
    acceptance: NDArray[np.float64],
    title: str,
    path: Path,
) -> Path:
    """A training run: the loss against steps (left) and the held-out acceptance
    Σ min(p, q) against steps (right)."""
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    left.plot(steps, loss, linewidth=1)
    left.set_xlabel("step")
    left.set_ylabel("training loss")
    left.grid(alpha=0.3)
    right.plot(eval_steps, acceptance, marker="o", markersize=3)
    right.set_xlabel("step")
    right.set_ylabel("held-out acceptance Σ min(p, q)")
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def acceptance_vs_bytes(
    series: Mapping[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
    title: str,
    path: Path,
) -> Path:
    """Expected acceptance against ψ bytes per emitted token (log scale), one line per
    method, its points in budget (or target) order."""
    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.subplots()
    for label, (spent, accept) in series.items():
        ax.plot(spent, accept, marker="o", markersize=3, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("ψ bytes per emitted token")
    ax.set_ylabel("expected acceptance Σ min(p, q)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path)


def accuracy_vs_acceptance(
    curves: Mapping[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
    exact: tuple[float, float] | None,
    target_accuracy: float,
    title: str,
    path: Path,
) -> Path:
    """Task accuracy against accepted draft tokens per target call: one curve per judge kind
    (its thresholds, LOSSY), exact speculative decoding as a point and the target alone's
    accuracy as a line."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.axhline(target_accuracy, color="grey", linestyle="--", linewidth=1, label="target alone")
    for label, (accepted, accuracy) in curves.items():
        order = np.argsort(accepted, kind="stable")
        ax.plot(accepted[order], accuracy[order], marker="o", label=f"{label} (lossy)")
    if exact is not None:
        ax.plot([exact[0]], [exact[1]], marker="*", markersize=14, linestyle="none",
                color="black", label="exact speculative")  # fmt: skip
    ax.set_xlabel("accepted draft tokens per target call")
    ax.set_ylabel("task accuracy (test split)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def forecast_bands(
    history: NDArray[np.float64],
    truth: NDArray[np.float64],
    forecasts: Mapping[str, NDArray[np.float64]],
    path: Path,
) -> Path:
    """One panel per dimension: the context (W, d), the true continuation (H, d) and, for each
    forecast's sampled paths (N, H, d), the median and the 5–95 % band."""
    window, dim = history.shape
    fig = Figure(figsize=(9, 3.2 * dim))
    axes = fig.subplots(dim, 1, squeeze=False)[:, 0]
    future = np.arange(window, window + truth.shape[0])
    for d, ax in enumerate(axes):
        ax.plot(np.arange(window), history[:, d], color="black", linewidth=1, label="context")
        ax.plot(future, truth[:, d], color="black", linestyle="--", linewidth=1, label="truth")
        for label, paths in forecasts.items():
            low, median, high = np.percentile(paths[:, :, d], [5, 50, 95], axis=0)
            (line,) = ax.plot(future, median, linewidth=1, label=f"{label}: median")
            ax.fill_between(future, low, high, alpha=0.2, color=line.get_color(),
                            label=f"{label}: 5–95 %")  # fmt: skip
        ax.set_xlabel("step")
        ax.set_ylabel(f"value (dim {d})")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return _save(fig, path)


def acceptance_sweeps(
    sweeps: Mapping[str, Mapping[str, tuple[NDArray[np.float64], ...]]], path: Path
) -> Path:
    """One-step acceptance against the target's σ and against the lenient bias: per draft,
    (x, measured, closed form) with the closed form drawn where it is defined."""
    titles = {"sigma": ("target σ (standardised units)", "log"), "bias": ("bias b", "linear")}
    fig = Figure(figsize=(5 * len(sweeps), 4))
    axes = fig.subplots(1, len(sweeps), squeeze=False)[0]
    for ax, (sweep, drafts) in zip(axes, sweeps.items(), strict=True):
        for draft, (x, measured, closed) in drafts.items():
            (line,) = ax.plot(x, measured, marker="o", linewidth=1, label=f"{draft}: measured")
            defined = np.isfinite(closed)
            if defined.any():
                ax.plot(x[defined], closed[defined], linestyle="--", marker="x",
                        color=line.get_color(), label=f"{draft}: closed form")  # fmt: skip
        label, scale = titles[sweep]
        ax.set_xscale(scale)
        ax.set_xlabel(label)
        ax.set_ylabel("one-step acceptance")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    """Lay `fig` out and write it to `path` as a PNG at the one resolution every plot uses."""
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    return path
