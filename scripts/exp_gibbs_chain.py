"""Bias of an undirected two-colour Gibbs chain against the exact (directed) chain ψ law.

  python scripts/exp_gibbs_chain.py --vocab 12 --L 4 --K 3 --coupling 6 \\
      --sweeps 1 2 4 8 16 --draws 200000 --out gibbs.json

For each sweep count: the exact TV between the n-sweep law and the chain's joint (computed,
not sampled), thrml's measured TV from --draws samples, a χ² p-value of those samples against
the exact n-sweep law, and the TV a perfect sampler shows at the same draws (the noise floor,
from the directed SimTSU). An experiment only: nothing that claims exactness samples this way.
"""

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from tsd import telemetry
from tsd.cli import non_negative_int, positive_float, positive_int, run_command
from tsd.console import print_rows_table
from tsd.experiments.gibbs_chain import make_chain, run_gibbs_experiment
from tsd.tsu import BackendUnavailableError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exp_gibbs_chain.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--vocab", type=positive_int, default=12)
    parser.add_argument("--L", type=positive_int, default=4, help="chain positions")
    parser.add_argument("--K", type=positive_int, default=3, help="ids per position")
    parser.add_argument(
        "--coupling", type=positive_float, default=6.0, help="span of each row's logits, nats"
    )
    parser.add_argument("--tail-share", type=float, default=0.1, help="tail slot's mass")
    parser.add_argument("--sweeps", type=non_negative_int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--draws", type=positive_int, default=200_000)
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    return parser


def experiment(args: argparse.Namespace) -> int:
    try:
        from tsd.tsu.thrml import sample_undirected_chain  # noqa: PLC0415  (optional: JAX)
    except ImportError as exc:
        raise BackendUnavailableError(str(exc)) from None
    chain = make_chain(args.vocab, args.L, args.K, args.coupling, args.tail_share, args.seed)
    rows = [
        asdict(row)
        for row in run_gibbs_experiment(
            chain, args.sweeps, args.draws, args.seed, sample_undirected_chain
        )
    ]
    if args.out is not None:
        text = json.dumps({"chain": repr(chain), "rows": rows}, indent=2) + "\n"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        telemetry.atomic_write(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(f"results_path={args.out}")
    print_rows_table(f"undirected Gibbs vs the chain's law ({chain!r})", pl.DataFrame(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: experiment(args))


if __name__ == "__main__":
    sys.exit(main())
