"""Batched block-verify kernel throughput against memory bandwidth and against numpy.

  tsd bench verify --vocab 131072 --batch 64 --L 4

Measured in one run: the machine's copy bandwidth (a large numpy copy), the Rust kernel
(serial and parallel over the batch), and the vectorised numpy implementation of the same
algorithm (tsd.reference.verify_blocks_dense). The kernel reads only what the decisions need:
one log p entry per examined draft and the one row it samples from; both the input size and
the bytes actually read are reported.
"""

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tsd.cli.args import non_negative_int, positive_int
from tsd.cli.limits import check_fits

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from tsd.psi import PsiTopK

GIB = 2.0**30
FLOAT_BYTES = 8

SUMMARY = "the batched block-verify kernel against bandwidth and numpy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verify bench's flags."""
    parser.add_argument("--vocab", type=positive_int, default=131_072, help="vocabulary size V")
    parser.add_argument("--batch", type=positive_int, default=64, help="sequences per call")
    parser.add_argument("--L", type=positive_int, default=4, help="drafted tokens per sequence")
    parser.add_argument("--K", type=positive_int, default=64, help="explicit tokens per ψ")
    parser.add_argument("--repeats", type=positive_int, default=5, help="best of this many")
    parser.add_argument(
        "--copy-mib", type=positive_int, default=512, help="copy size for bandwidth"
    )
    parser.add_argument("--seed", type=non_negative_int, default=7, help="seed of the inputs")


def needed_bytes(vocab: int, batch: int, block: int, copy_mib: int) -> int:
    """Peak memory of the bench: three (B, L + 1, V) float arrays (draws, log p, its flat
    copy), four (B · L, V) ones (draft rows, normalised, dense q and its exp), the copy."""
    rows = 3 * batch * (block + 1) + 4 * batch * block
    return rows * vocab * FLOAT_BYTES + 2 * copy_mib * 2**20


@dataclass(frozen=True)
class VerifyInputs:
    """The bench's inputs: B sequences of L drafts, their L + 1 target rows each."""

    logp: "NDArray[np.float64]"
    psis: "list[PsiTopK]"
    tokens: "NDArray[np.uint32]"
    logq: "NDArray[np.float64]"
    steps: "NDArray[np.uint64]"


@dataclass(frozen=True)
class KernelFigures:
    """One measurement of the kernel: its figures, and what the numpy comparison needs."""

    figures: dict[str, float]
    inputs: VerifyInputs


def make_inputs(vocab: int, batch: int, block: int, K: int, seed: int) -> VerifyInputs:
    """Exponential-Dirichlet target rows and drafts, ψ crafted from the drafts, SimTSU draws."""
    import numpy as np

    from tsd import _core
    from tsd.tsu.sim import SimTSU

    rng = np.random.Generator(np.random.PCG64(seed))
    exponential = rng.standard_exponential((batch, block + 1, vocab))
    logp = np.log(exponential / exponential.sum(axis=2, keepdims=True))
    draft = rng.standard_exponential((batch * block, vocab))
    psis = _core.craft_psi_rows(draft / draft.sum(axis=1, keepdims=True), K, 1.0, None)
    steps = np.arange(batch, dtype=np.uint64) * np.uint64(block + 1)
    draft_steps = (steps[:, None] + np.arange(block, dtype=np.uint64)).ravel().astype(np.uint64)
    draws = SimTSU(seed).draw(psis, draft_steps)
    return VerifyInputs(logp, psis, draws.tokens[:, 0], draws.logq[:, 0], steps)


def measure_kernel(
    vocab: int, batch: int, block: int, K: int, repeats: int, copy_mib: int, seed: int
) -> KernelFigures:
    """The kernel, serial and parallel over the batch, against the machine's copy bandwidth."""
    import numpy as np

    from tsd import _core
    from tsd.timing import best_of

    inputs = make_inputs(vocab, batch, block, K, seed)
    flat = np.ascontiguousarray(inputs.logp.reshape(-1, vocab))
    lengths = np.full(batch, block, np.uint32)
    seeds = np.full(batch, seed, np.uint64)

    def kernel(parallel: bool) -> _core.BlockVerdicts:
        return _core.verify_blocks(
            flat, inputs.psis, inputs.tokens, inputs.logq, lengths, seeds, inputs.steps, parallel
        )

    serial_s = best_of(repeats, lambda: kernel(False))
    parallel_s = best_of(repeats, lambda: kernel(True))
    accepted = kernel(True).accepted
    src = np.ones(copy_mib * 2**20 // FLOAT_BYTES)
    dst = np.empty_like(src)
    bandwidth = 2 * src.nbytes / best_of(5, lambda: np.copyto(dst, src))
    input_bytes = flat.nbytes
    read_bytes = batch * vocab * FLOAT_BYTES + int(accepted.sum() + batch) * FLOAT_BYTES
    figures = {
        "vocab": float(vocab),
        "batch": float(batch),
        "L": float(block),
        "copy_bandwidth_gib_s": bandwidth / GIB,
        "kernel_serial_ms": serial_s * 1e3,
        "kernel_parallel_ms": parallel_s * 1e3,
        "input_gib": input_bytes / GIB,
        "kernel_read_gib": read_bytes / GIB,
        "kernel_read_gib_s": read_bytes / parallel_s / GIB,
        "kernel_read_fraction_of_bandwidth": read_bytes / parallel_s / bandwidth,
        "input_gib_s_effective": input_bytes / parallel_s / GIB,
        "sequences_per_s": batch / parallel_s,
        "mean_accepted": float(accepted.mean()),
    }
    return KernelFigures(figures, inputs)


def execute(args: argparse.Namespace) -> int:
    """Build the inputs, time the kernel and numpy, print the figures."""
    check_fits(
        "vocab",
        needed_bytes(args.vocab, args.batch, args.L, args.copy_mib),
        f"the bench at V={args.vocab}, batch={args.batch}, L={args.L}",
        "lower --vocab, --batch or --L",
    )
    import numpy as np

    from tsd import reference
    from tsd.console import print_key_values, print_summary_table
    from tsd.timing import best_of

    vocab, batch, block = args.vocab, args.batch, args.L
    measured = measure_kernel(vocab, batch, block, args.K, args.repeats, args.copy_mib, args.seed)
    inputs = measured.inputs
    words = np.stack(
        [
            reference.rng_words(args.seed, reference.STREAM_VERIFY, int(s), block + 1)
            for s in inputs.steps
        ]
    )
    logq_rows = np.stack([psi.dense_logq() for psi in inputs.psis]).reshape(batch, block, vocab)
    numpy_s = best_of(
        args.repeats,
        lambda: reference.verify_blocks_dense(
            inputs.logp,
            logq_rows,
            inputs.tokens.reshape(batch, block),
            inputs.logq.reshape(batch, block),
            words,
        ),
    )
    results = dict(measured.figures)
    results["numpy_ms"] = numpy_s * 1e3
    results["parallel_vs_numpy"] = numpy_s / (results["kernel_parallel_ms"] / 1e3)
    print_key_values(results, list(results))
    print_summary_table(f"block verify, V={vocab}, B={batch}, L={block}", results, list(results))
    return 0
