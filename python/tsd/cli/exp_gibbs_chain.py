"""Bias of an undirected two-colour Gibbs chain against the exact (directed) chain ψ law.

  tsd exp gibbs-chain --vocab 12 --L 4 --K 3 --coupling 6 --sweeps 1 2 4 8 16 --draws 200000

For each sweep count: the exact TV between the n-sweep law and the chain's joint (computed,
not sampled), thrml's measured TV from --draws samples, a χ² p-value of those samples against
the exact n-sweep law, and the TV a perfect sampler shows at the same draws (the noise floor,
from the directed SimTSU). An experiment only: nothing that claims exactness samples this way.
With --out-dir, writes gibbs_chain.json and summary.json in a run folder there.
"""

import argparse

from tsd.cli.args import non_negative_int, output_path, positive_float, positive_int

SUMMARY = "bias of undirected Gibbs sampling against the chain ψ law"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The experiment's flags."""
    parser.add_argument("--vocab", type=positive_int, default=12, help="vocabulary size V")
    parser.add_argument("--L", type=positive_int, default=4, help="chain positions")
    parser.add_argument("--K", type=positive_int, default=3, help="ids per position")
    parser.add_argument(
        "--coupling", type=positive_float, default=6.0, help="span of each row's logits, nats"
    )
    parser.add_argument("--tail-share", type=float, default=0.1, help="tail slot's mass")
    parser.add_argument(
        "--sweeps", type=non_negative_int, nargs="+", default=[1, 2, 4, 8, 16], help="sweeps"
    )
    parser.add_argument("--draws", type=positive_int, default=200_000, help="samples per count")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of chain and draws")
    parser.add_argument("--out-dir", type=output_path, help="write a run folder here")


def execute(args: argparse.Namespace) -> int:
    """Run the experiment through thrml, print the rows (and write them with --out-dir)."""
    from contextlib import nullcontext
    from dataclasses import asdict

    import polars as pl

    from tsd import telemetry
    from tsd.cli.output import publish
    from tsd.console import print_rows_table
    from tsd.experiments.gibbs_chain import make_chain, run_gibbs_experiment
    from tsd.tsu.thrml import sample_undirected_chain

    chain = make_chain(args.vocab, args.L, args.K, args.coupling, args.tail_share, args.seed)
    stage = None if args.out_dir is None else telemetry.staged_run_dir(args.out_dir)
    with stage or nullcontext() as staged:
        rows = [
            asdict(row)
            for row in run_gibbs_experiment(
                chain, args.sweeps, args.draws, args.seed, sample_undirected_chain
            )
        ]
        if staged is not None:
            document = {"chain": repr(chain), "rows": rows}
            telemetry.write_json(staged.path / "gibbs_chain.json", document)
            run_dir = publish(staged, {"experiment": "gibbs_chain", "chain": repr(chain)}, args)
            print(f"results_path={run_dir / 'gibbs_chain.json'}")
    print_rows_table(f"undirected Gibbs vs the chain's law ({chain!r})", pl.DataFrame(rows))
    return 0
