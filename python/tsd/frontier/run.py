"""The frontier as a library call: evaluate tsd's knob grid and the anchors on one world as
independent cells (`tsd.sweeps.run_cells`), then for each budget pick each method's best
setting, and run the adaptive proposer at each budget and each proxy target."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError
from tsd.executors import Executor
from tsd.frontier.adaptive import best_proxy_within, cheapest_reaching
from tsd.frontier.anchors import anchor_rows, dense_bytes, sparse_bytes
from tsd.frontier.defaults import (
    DEFAULT_BUDGETS,
    DEFAULT_DELTAS,
    DEFAULT_ELLS,
    DEFAULT_TARGETS,
)
from tsd.frontier.entropy import code_entropy
from tsd.frontier.grid import Grid, Knobs, default_grid, evaluate
from tsd.frontier.optimiser import best_within, smallest_bytes
from tsd.frontier.worlds import World
from tsd.metrics import closed_form_tokens_per_call
from tsd.psi import encoded_size
from tsd.sweeps import run_cells

Row = dict[str, Any]
ANCHORS = ("qsv", "k-sqs", "c-sqs")
# Settings whose code entropy is measured (those that fit the vocabulary).
ENTROPY_KS = (8, 32, 64)
ENTROPY_BITS = (3, 4, 6, 8)


@dataclass(frozen=True)
class FrontierConfig:
    """What to search: budgets in bytes per draft token, tsd's grid (None: `default_grid`),
    the anchors' resolutions ℓ, K values and C-SQS bounds δ, the adaptive proposer's proxy
    targets, L, the draft tokens per target call behind bytes per emitted token, and where the
    cells run (None: the local process pool on every core)."""

    budgets: tuple[float, ...] = DEFAULT_BUDGETS
    grid: Grid | None = None
    ells: tuple[int, ...] = DEFAULT_ELLS
    deltas: tuple[float, ...] = DEFAULT_DELTAS
    targets: tuple[float, ...] = DEFAULT_TARGETS
    block: int = 4
    executor: Executor | None = None


@dataclass(frozen=True)
class FrontierResult:
    """One row per method and budget (or proxy target), the code-entropy measurements, and
    one line per failed cell."""

    rows: list[Row]
    entropy: list[Row]
    failures: list[str] = field(default_factory=list)


def evaluate_cell(params: Row) -> Row:
    """One cell: every tsd setting of one code width, or every setting of one anchor."""
    p, d = params["p"], params["d"]
    if params["method"] == "tsd":
        knobs = [Knobs(**k) for k in params["knobs"]]
        return {"rows": evaluate(p, d, knobs)}
    return {
        "rows": anchor_rows(p, d, params["method"], params["ks"], params["ells"],
                            params["deltas"])
    }  # fmt: skip


def plan(world: World, config: FrontierConfig) -> list[Row]:
    """The cells: tsd's grid split by code width, then one cell per anchor."""
    grid = config.grid or default_grid(world.vocab)
    knobs = grid.knobs(world.vocab)
    base = {"p": world.p, "d": world.d}
    cells = [
        {**base, "method": "tsd", "knobs": [asdict(k) for k in knobs if k.bits == bits]}
        for bits in grid.bits
    ]
    ks = tuple(k for k in grid.ks if k <= world.vocab)
    for method in ANCHORS:
        cells.append({**base, "method": method, "ks": ks, "ells": config.ells,
                      "deltas": config.deltas})  # fmt: skip
    return cells


def calibration_contexts(count: int) -> NDArray[np.bool_]:
    """The contexts settings are chosen on (even positions); the others (odd) are reported,
    so that a method with more knobs gains nothing from fitting the contexts it is scored on."""
    return np.asarray(np.arange(count) % 2 == 0, dtype=np.bool_)


def _result(
    method: str, budget: float | None, chosen: Row, block: int, settings: Row,
    target: float | None = None,
) -> Row:  # fmt: skip
    """One output row over the held-out contexts: acceptance against p and d, bytes, bytes
    per emitted token, knobs."""
    held_out = ~calibration_contexts(len(chosen["accept"]))
    alpha = float(np.mean(chosen["accept"][held_out]))
    spent = float(np.mean(chosen["bytes"][held_out]))
    return {
        "method": method,
        "budget": budget,
        "target": target,
        "acceptance": alpha,
        "proxy_acceptance": float(np.mean(chosen["proxy"][held_out])),
        "bytes": spent,
        "max_bytes": float(np.max(chosen["bytes"][held_out])),
        "bytes_per_emitted_token": block * spent / closed_form_tokens_per_call(alpha, block),
        "K": settings.get("K"),
        "bits": settings.get("bits"),
        "tau": settings.get("tau"),
        "eps_scale": settings.get("eps_scale"),
        "ell": settings.get("ell"),
        "delta": settings.get("delta"),
    }


def _mean_settings(picked: Sequence[Row]) -> Row:
    """Per-context choices summarised: the mean K and code width."""
    return {
        "K": float(np.mean([s["K"] for s in picked])),
        "bits": float(np.mean([s["bits"] for s in picked])),
    }


def smallest_payload(vocab: int) -> int:
    """The fewest bytes any method can send over `vocab` tokens: tsd's K = 1 at one bit, a
    one-id SQS payload at ℓ = 1, or QSV at ℓ = 1."""
    return min(encoded_size(vocab, 1, 1), sparse_bytes(vocab, 1, 1), dense_bytes(vocab, 1))


def check_budgets(budgets: Sequence[float], vocab: int) -> None:
    """Budgets must be given, and none may lie below the smallest payload of every method."""
    if not budgets:
        raise InvalidArgumentError("budgets: needs at least one budget")
    low, smallest = min(budgets), smallest_payload(vocab)
    if low < smallest:
        raise InvalidArgumentError(
            f"budget: {low:g} bytes is below the smallest possible payload of any method "
            f"({smallest:g} bytes)"
        )


def frontier_rows(evaluated: Sequence[Row], config: FrontierConfig) -> list[Row]:
    """Each method's best setting per budget, and the adaptive proposer's rows."""
    by_method: dict[str, list[Row]] = {}
    for row in evaluated:
        by_method.setdefault(row["method"], []).append(row)
    out = []
    for budget in config.budgets:
        for method, rows in by_method.items():
            if smallest_bytes(rows) > budget:
                continue
            best = best_within(rows, budget, method, calibration_contexts(len(rows[0]["accept"])))
            out.append(_result(method, budget, best, config.block, best["settings"]))
        tsd_rows = by_method.get("tsd", [])
        if tsd_rows and smallest_bytes(tsd_rows) <= budget:
            chosen = best_proxy_within(tsd_rows, budget)
            out.append(_result("adaptive-budget", budget, chosen, config.block,
                               _mean_settings(chosen["picked"])))  # fmt: skip
    for target in config.targets if by_method.get("tsd") else ():
        chosen = cheapest_reaching(by_method["tsd"], target)
        out.append(_result("adaptive-target", None, chosen, config.block,
                           _mean_settings(chosen["picked"]), target))  # fmt: skip
    return out


def measure_entropy(world: World) -> list[Row]:
    """Code entropy against wire bits for a few settings that fit the vocabulary."""
    return [code_entropy(world.d, k, bits) for k in ENTROPY_KS if k <= world.vocab
            for bits in ENTROPY_BITS]  # fmt: skip


def run_frontier(world: World, config: FrontierConfig) -> FrontierResult:
    """Check the budgets, evaluate every cell, then the frontier rows; failed cells are
    reported, not fatal, unless no cell succeeded."""
    check_budgets(config.budgets, world.vocab)
    cells = plan(world, config)
    outcome = run_cells(evaluate_cell, cells, executor=config.executor)
    # A cell's parameters hold the world's arrays: name it by its method instead.
    failures = [f"cell {f.index} ({cells[f.index]['method']}): {f.error}" for f in outcome.failures]
    evaluated = [row for cell in outcome.rows for row in cell["rows"]]
    if not evaluated:
        raise InvalidArgumentError("frontier: every cell failed: " + "; ".join(failures))
    return FrontierResult(frontier_rows(evaluated, config), measure_entropy(world), failures)
