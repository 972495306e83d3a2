"""tsd's core kernels against their peers, measured in one process: the M1 walk against a
numba-compiled walk with cached CDF tables (tsd.peers; extra `thermo-speculative[bench]`), block
verification against the machine's memory copy bandwidth, ψ encode + decode round trips, and
`tsd m1` end to end; writes results.jsonl, results.parquet and summary.json under --out-dir.

  tsd bench peers --vocab 256 1000 4096 --K 64 --steps 2000000

Both walks build their tables from the same synthetic chain (`make_bigram(V, 50, 7)`, one ψ per
context crafted with ε auto) and keep the same counts (visits and accepts per context, emissions
per token), so a ratio compares the same work per step. Each rate is the best of --repeats runs
after a warm-up (numba compiles on its first call).
"""

import argparse

from tsd.cli.args import add_out_dir_flag, positive_int

SUMMARY = "tsd's M1 walk against a numba walk; verify vs bandwidth; ψ codec; m1 end to end"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The peer bench's flags."""
    parser.add_argument("--vocab", type=positive_int, nargs="+", default=[256, 1000, 4096],
                        help="chain vocabularies V of the walk comparison")  # fmt: skip
    parser.add_argument("--K", type=positive_int, default=64, help="explicit tokens per ψ")
    parser.add_argument("--steps", type=positive_int, default=2_000_000, help="steps per walk")
    parser.add_argument("--repeats", type=positive_int, default=3, help="best of this many")
    parser.add_argument("--verify-vocab", type=positive_int, default=131_072,
                        help="V of the block-verify measurement")  # fmt: skip
    parser.add_argument("--verify-batch", type=positive_int, default=64, help="its batch B")
    parser.add_argument("--verify-L", type=positive_int, default=4, help="its drafts per sequence")
    parser.add_argument("--copy-mib", type=positive_int, default=512,
                        help="copy size for the bandwidth")  # fmt: skip
    parser.add_argument("--codec-trips", type=positive_int, default=100_000,
                        help="ψ round trips through Python")  # fmt: skip
    parser.add_argument("--skip-cargo", action="store_true",
                        help="skip the Rust-only codec figure (cargo bench)")  # fmt: skip
    parser.add_argument("--skip-m1", action="store_true", help="skip `tsd m1` end to end")
    add_out_dir_flag(parser)


def walk_rates(vocab: int, K: int, steps: int, repeats: int) -> dict[str, float]:
    """Steps/s of tsd's `BigramChain.run_counts` and of the numba peer on one chain."""
    from tsd import _core
    from tsd.peers import PeerWalk
    from tsd.targets import make_bigram
    from tsd.timing import best_of

    target = make_bigram(vocab, 50.0, 7)
    psis = _core.craft_psi_rows(target.p, min(K, vocab), 1.0, None)
    chain = _core.BigramChain(target.logp, psis)
    peer = PeerWalk(target.logp, psis)
    chain.run_counts(7, 0, 1000, 0)
    peer.run_counts(7, 1000, 0)
    tsd_s = best_of(repeats, lambda: chain.run_counts(7, 0, steps, 0))
    peer_s = best_of(repeats, lambda: peer.run_counts(7, steps, 0))
    return {
        "tsd_steps_per_s": steps / tsd_s,
        "numba_steps_per_s": steps / peer_s,
        "tsd_vs_numba": peer_s / tsd_s,
    }


def codec_round_trips(trips: int, repeats: int) -> float:
    """ψ encode + decode round trips per second through Python, V = 1000, K = 64."""
    from tsd.psi import PsiTopK, craft_psi_from_p
    from tsd.targets import make_p
    from tsd.timing import best_of

    psi = craft_psi_from_p(make_p(1000, 7).p, 64, 1.0, "auto")
    seconds = best_of(repeats, lambda: [PsiTopK.from_bytes(psi.to_bytes()) for _ in range(trips)])
    return trips / seconds


def run_m1_seconds() -> float:
    """Seconds of `run_m1()` with its defaults, in this process (imports already paid)."""
    from tsd.experiments.m1 import run_m1
    from tsd.timing import best_of

    return best_of(1, run_m1)


def measure(args: argparse.Namespace) -> tuple[dict[str, float], list[dict[str, object]]]:
    """Every figure by name, and the same figures as rows (figure, vocab, value)."""
    from tsd.cli.bench_core import cargo_bench, command_wall_time
    from tsd.cli.bench_verify import measure_kernel

    results: dict[str, float] = {}
    rows: list[dict[str, object]] = []
    for vocab in args.vocab:
        for name, value in walk_rates(vocab, args.K, args.steps, args.repeats).items():
            results[f"m1_V{vocab}_{name}"] = value
            rows.append({"figure": f"m1_{name}", "vocab": vocab, "value": value})
    verify = measure_kernel(args.verify_vocab, args.verify_batch, args.verify_L, args.K,
                            args.repeats, args.copy_mib, 7).figures  # fmt: skip
    for name in ("copy_bandwidth_gib_s", "kernel_parallel_ms", "kernel_serial_ms",
                 "kernel_read_gib_s", "kernel_read_fraction_of_bandwidth"):  # fmt: skip
        results[f"verify_{name}"] = verify[name]
    results["psi_codec_per_s_python"] = codec_round_trips(args.codec_trips, args.repeats)
    if not args.skip_cargo:
        rust = cargo_bench()
        results["psi_codec_per_s_rust"] = rust["psi_encode_decode_per_s"]
        results["psi_codec_reused_per_s_rust"] = rust["psi_encode_decode_reused_per_s"]
    results["run_m1_default_s"] = run_m1_seconds()
    if not args.skip_m1:
        results["tsd_m1_command_wall_s"] = command_wall_time("m1")
    rows += [{"figure": name, "vocab": None, "value": value}
             for name, value in results.items() if not name.startswith("m1_V")]  # fmt: skip
    return results, rows


def execute(args: argparse.Namespace) -> int:
    """Measure every figure, write the run folder, print the figures."""
    from tsd.extras import require_extra

    require_extra("bench", ["numba"], needed_by="tsd bench peers")
    import polars as pl

    from tsd import telemetry
    from tsd.cli.output import publish, write_results
    from tsd.console import print_key_values, print_summary_table

    settings = {"vocab": args.vocab, "K": args.K, "steps": args.steps, "repeats": args.repeats,
                "verify_vocab": args.verify_vocab, "verify_batch": args.verify_batch,
                "verify_L": args.verify_L, "copy_mib": args.copy_mib,
                "codec_trips": args.codec_trips, "cargo": not args.skip_cargo,
                "m1_command": not args.skip_m1}  # fmt: skip
    with telemetry.staged_run_dir(args.out_dir) as stage:
        results, rows = measure(args)
        schema = {"figure": pl.String, "vocab": pl.UInt32, "value": pl.Float64}
        write_results(stage, rows, pl.DataFrame(rows, schema=schema), settings)
        run_dir = publish(stage, {"bench": "peers", "config": settings}, args)
    print(f"results_path={run_dir / 'results.jsonl'}")
    print_key_values(results, list(results))
    print_summary_table(f"tsd against its peers (K={args.K}, one thread unless parallel)",
                        results, list(results))  # fmt: skip
    return 0
