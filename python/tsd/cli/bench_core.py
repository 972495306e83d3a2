"""Core benchmark: fused Rust loops (M0, M1) vs the per-step numpy reference, ψ codec rates,
end-to-end run times, and a 10^8-step aggregated M1 run.

Ratios are measured in one run on one machine; absolute rates vary with the machine's load.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tsd.cli.args import positive_int

REPO = Path(__file__).resolve().parents[3]
SHAKESPEARE = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"

SUMMARY = "fused Rust loops vs the numpy reference, codec rates, run times"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The core bench's flags."""
    parser.add_argument(
        "--fused-steps", type=positive_int, default=5_000_000, help="steps of the fused loops"
    )
    parser.add_argument(
        "--reference-steps", type=positive_int, default=20_000, help="steps of the references"
    )
    parser.add_argument("--long-steps", type=positive_int, default=100_000_000,
                        help="length of the aggregated M1 run")  # fmt: skip
    parser.add_argument("--skip-cargo", action="store_true", help="skip the Rust-only bench")


def cargo_bench() -> dict[str, float]:
    """Run the Rust bench and parse its `name=value` lines."""
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "core"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        key: float(value)
        for key, value in (line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    }


def command_wall_time(command: str, *args: str) -> float:
    """Best-of-3 wall time of `tsd <command>` in a fresh process, start-up to summary."""
    from tsd.timing import best_of

    with tempfile.TemporaryDirectory() as out_dir:
        argv = [sys.executable, "-m", "tsd", command, *args, "--out-dir", out_dir]
        return best_of(3, lambda: subprocess.run(argv, check=True, capture_output=True))


def m1_rates(fused_steps: int, reference_steps: int) -> tuple[float, float]:
    """Steps/s of the fused M1 walk and of the per-step reference walk (synthetic default)."""
    from tsd import _core, reference
    from tsd.psi import craft_psi_from_p
    from tsd.targets import make_bigram
    from tsd.timing import best_of

    target = make_bigram(256, 50.0, 7)
    psis = [craft_psi_from_p(row, 64, 1.0, "auto") for row in target.p]
    chain = _core.BigramChain(target.logp, psis)
    fused_s = best_of(3, lambda: chain.run(7, 0, fused_steps, 0))
    reference_s = best_of(1, lambda: reference.run_m1(target.logp, psis, 7, reference_steps, 0))
    return fused_steps / fused_s, reference_steps / reference_s


def execute(args: argparse.Namespace) -> int:
    """Measure and print every figure."""
    import resource

    from tsd import _core, reference
    from tsd.console import print_key_values, print_summary_table
    from tsd.experiments.m1 import run_m1
    from tsd.psi import craft_psi_from_p
    from tsd.targets import make_p
    from tsd.timing import best_of

    target = make_p(1000, 7)
    psi = craft_psi_from_p(target.p, 64, 1.0, "auto")
    fused_s = best_of(3, lambda: _core.m0_run(target.logp, psi, 7, 0, args.fused_steps))
    reference_s = best_of(1, lambda: reference.run_m0(target.logp, psi, 7, args.reference_steps))
    fused_rate = args.fused_steps / fused_s
    reference_rate = args.reference_steps / reference_s
    data = psi.to_bytes()
    n = 100_000
    codec_s = best_of(3, lambda: [type(psi).from_bytes(psi.to_bytes()) for _ in range(n)])
    results: dict[str, float] = {
        "fused_m0_steps_per_s": fused_rate,
        "reference_m0_steps_per_s": reference_rate,
        "fused_vs_reference": fused_rate / reference_rate,
        "psi_bytes": float(len(data)),
        "psi_codec_per_s_python": n / codec_s,
        "run_m0_default_wall_s": command_wall_time("m0"),
    }
    m1_fused, m1_reference = m1_rates(args.fused_steps, args.reference_steps)
    results["fused_m1_steps_per_s"] = m1_fused
    results["reference_m1_steps_per_s"] = m1_reference
    results["fused_m1_vs_reference"] = m1_fused / m1_reference
    results["run_m1_synthetic_wall_s"] = command_wall_time("m1")
    if SHAKESPEARE.is_file():
        results["run_m1_shakespeare_wall_s"] = command_wall_time("m1", "--corpus", str(SHAKESPEARE))
    long_s = best_of(1, lambda: run_m1(steps=args.long_steps, telemetry="aggregate"))
    results["m1_aggregate_long_steps"] = float(args.long_steps)
    results["m1_aggregate_long_wall_s"] = long_s
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not args.skip_cargo:
        rust = cargo_bench()
        results["rust_fused_m0_steps_per_s"] = rust["fused_m0_steps_per_s"]
        results["rust_psi_codec_per_s"] = rust["psi_encode_decode_per_s"]
        results["rust_psi_codec_reused_per_s"] = rust["psi_encode_decode_reused_per_s"]
    print_key_values(results, list(results))
    print_summary_table("bench_core (V=1000, K=64, one thread)", results, list(results))
    return 0
