"""The thrml TSU against the simulated TSU: batched draws per second, compile time, chain
blocks per second, and the end-to-end M1 command with each backend.

  tsd bench thrml --draws 1000000 --blocks 200000 --m1-steps 50000
"""

import argparse
import subprocess
import sys
import tempfile
import time

from tsd.cli.args import positive_int

COMPILE_PROBE = """
import time
from tsd.psi import craft_psi_from_p
from tsd.targets import make_p
from tsd.tsu import make_tsu
psi = craft_psi_from_p(make_p(1000, 7).p, 64, 1.0, "auto")
tsu = make_tsu("thrml", 7)
start = time.perf_counter(); tsu.sample_many(psi, 0, 1000); first = time.perf_counter() - start
start = time.perf_counter(); tsu.sample_many(psi, 1000, 1000); second = time.perf_counter() - start
print(first, second)
"""

SUMMARY = "the thrml TSU against the simulated TSU"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The thrml bench's flags."""
    parser.add_argument("--draws", type=positive_int, default=1_000_000, help="batched draws")
    parser.add_argument("--blocks", type=positive_int, default=200_000, help="chain blocks")
    parser.add_argument("--m1-steps", type=positive_int, default=50_000, help="steps of each M1")


def draws_per_second(backend: str, draws: int) -> float:
    """Draws per second of one batched call at V = 1000, K = 64, after a warm-up call."""
    from tsd.psi import craft_psi_from_p
    from tsd.targets import make_p
    from tsd.tsu import make_tsu

    psi = craft_psi_from_p(make_p(1000, 7).p, 64, 1.0, "auto")
    tsu = make_tsu(backend, 7)
    tsu.sample_many(psi, 0, 1000)  # compile (thrml) or warm up (sim) outside the timing
    start = time.perf_counter()
    tsu.sample_many(psi, 10_000, draws)
    return draws / (time.perf_counter() - start)


def chain_blocks_per_second(backend: str, blocks: int) -> float:
    """Blocks of a V = 1000, L = 4, K = 8 chain per second, one call for all of them."""
    import numpy as np

    from tsd.experiments.gibbs_chain import make_chain
    from tsd.tsu import make_tsu

    chain = make_chain(1000, 4, 8, 6.0, 0.1, 7)
    tsu = make_tsu(backend, 7)
    warm = np.arange(1000, dtype=np.uint64) * np.uint64(4)
    tsu.draw([chain] * warm.size, warm)  # compile (thrml) outside the timing
    steps = np.arange(blocks, dtype=np.uint64) * np.uint64(4) + np.uint64(10**9)
    start = time.perf_counter()
    tsu.draw([chain] * blocks, steps)
    return blocks / (time.perf_counter() - start)


def m1_wall_time(backend: str, steps: int) -> float:
    """Wall time of `tsd m1 --tsu <backend>` in a fresh process."""
    with tempfile.TemporaryDirectory() as out_dir:
        command = [sys.executable, "-m", "tsd", "m1", "--tsu", backend, "--steps", str(steps),
                   "--out-dir", out_dir]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start


def execute(args: argparse.Namespace) -> int:
    """Measure and print every figure."""
    from tsd.console import print_key_values, print_summary_table

    probe = subprocess.run([sys.executable, "-c", COMPILE_PROBE], check=True, capture_output=True,
                           text=True)  # fmt: skip
    first, second = (float(x) for x in probe.stdout.split())
    thrml_rate = draws_per_second("thrml", args.draws)
    sim_rate = draws_per_second("sim", args.draws)
    results = {
        "thrml_draws_per_s": thrml_rate,
        "sim_draws_per_s": sim_rate,
        "sim_vs_thrml": sim_rate / thrml_rate,
        "thrml_first_call_s": first,
        "thrml_second_call_s": second,
        "thrml_compile_s": first - second,
        "thrml_chain_blocks_per_s": chain_blocks_per_second("thrml", args.blocks),
        "sim_chain_blocks_per_s": chain_blocks_per_second("sim", args.blocks),
        "m1_steps": float(args.m1_steps),
        "m1_sim_wall_s": m1_wall_time("sim", args.m1_steps),
        "m1_thrml_wall_s": m1_wall_time("thrml", args.m1_steps),
    }
    print_key_values(results, list(results))
    print_summary_table(
        "TSU backends (V=1000, K=64; chains L=4, K=8; M1: synthetic default)",
        results,
        list(results),
    )
    return 0
