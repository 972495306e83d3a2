"""Core benchmark: fused Rust loops vs the per-step numpy reference, ψ codec rates, run time.

Ratios are measured in one run on one machine; absolute rates vary with the machine's load.
Usage: python scripts/bench_core.py [--fused-steps N] [--reference-steps N] [--skip-cargo]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tsd import _core, reference
from tsd.cli import positive_int, run_command
from tsd.console import print_key_values, print_summary_table
from tsd.psi import craft_psi_from_p
from tsd.targets import make_p

REPO = Path(__file__).resolve().parent.parent


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of `repeats` wall-clock timings of `work`, in seconds."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


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


def run_m0_wall_time() -> float:
    """Wall time of the default `scripts/run_m0.py run`, import to summary, in a fresh process."""
    with tempfile.TemporaryDirectory() as out_dir:
        command = [sys.executable, str(REPO / "scripts" / "run_m0.py"), "run", "--out-dir", out_dir]
        return best_of(3, lambda: subprocess.run(command, check=True, capture_output=True))


def measure(args: argparse.Namespace) -> int:
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
        "run_m0_default_wall_s": run_m0_wall_time(),
    }
    if not args.skip_cargo:
        rust = cargo_bench()
        results["rust_fused_m0_steps_per_s"] = rust["fused_m0_steps_per_s"]
        results["rust_psi_codec_per_s"] = rust["psi_encode_decode_per_s"]
    print_key_values(results, list(results))
    print_summary_table("bench_core (V=1000, K=64, one thread)", results, list(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_core.py", description=__doc__)
    parser.add_argument("--fused-steps", type=positive_int, default=5_000_000)
    parser.add_argument("--reference-steps", type=positive_int, default=20_000)
    parser.add_argument("--skip-cargo", action="store_true", help="skip the Rust-only bench")
    args = parser.parse_args(argv)
    return run_command(lambda: measure(args))


if __name__ == "__main__":
    sys.exit(main())
