"""Training runs as sweep cells: `tsd train draft` with several objectives or seeds runs one
`train_cell` per (objective, seed) through the executor. A cell takes and returns plain dicts,
so it runs alike in a local worker process or a Ray task."""

import sys
from pathlib import Path
from typing import Any

from tsd.experiments.lm_models import torch_threads
from tsd.telemetry import StagedRunDir, write_summary
from tsd.train.run import MEASURES, TrainRequest, run_training

__all__ = ["cell_request", "train_cell"]

# The fields of a cell's parameters that are paths (plain strings on the way to the cell).
PATH_FIELDS = ("out", "checkpoint", "corpus")


def cell_request(params: dict[str, Any]) -> TrainRequest:
    """The training request a cell's parameters describe (`threads` and `provenance` are the
    cell's own, not the request's)."""
    fields = {k: v for k, v in params.items() if k not in ("threads", "provenance")}
    for name in PATH_FIELDS:
        if fields.get(name) is not None:
            fields[name] = Path(fields[name])
    return TrainRequest(**fields)


def train_cell(params: dict[str, Any]) -> dict[str, Any]:
    """Train one (objective, seed) run with `params["threads"]` torch threads, publish its run
    folder (summary.json carries the sweep's `provenance`) and return its row: objective,
    seed, untrained and trained held-out acceptance, TV and KL, the run and checkpoint paths."""
    request = cell_request(params)
    label = f"{request.objective} seed {request.seed}"

    def note(message: str) -> None:
        print(f"[{label}] {message}", file=sys.stderr, flush=True)

    def publish(stage: StagedRunDir, summary: dict[str, Any]) -> Path:
        write_summary(stage.path, {**summary, "provenance": params["provenance"]})
        return stage.publish()

    with torch_threads(params["threads"]):
        outcome = run_training(request, progress=note, publish=publish)
    untrained, trained = outcome.summary["untrained"], outcome.summary["trained"]
    return {
        "objective": request.objective,
        "seed": request.seed,
        **{f"untrained_{k.removeprefix('heldout_')}": untrained[k] for k in MEASURES},
        **{k: trained[k] for k in MEASURES},
        "run_dir": str(outcome.run_dir),
        "checkpoint_path": str(request.checkpoint_path()),
    }
