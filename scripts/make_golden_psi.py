"""Regenerate tests/data/golden_psi.json: ψ bytes (hex), token ids, and log q bit patterns.

The file pins the wire format and the bit-exact log q contract: `cargo test` and pytest both
check the current build against it. Regenerate only for a deliberate, versioned change:

  python scripts/make_golden_psi.py --write
"""

import argparse
import json
from pathlib import Path

import numpy as np

from tsd import PsiTopK

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden_psi.json"


def cases() -> list[tuple[str, PsiTopK]]:
    rng = np.random.Generator(np.random.PCG64(20261125))

    def spread(vocab: int, k: int, bits: int = 8) -> PsiTopK:
        ids = np.sort(rng.choice(vocab, size=k, replace=False))
        codes = rng.integers(0, 1 << bits, size=k)
        eps = float(rng.uniform(0, 0.9)) / max(vocab - k, 1)
        return PsiTopK(vocab, ids.tolist(), codes.tolist(), 0.0173, 0.85, eps, bits)

    return [
        ("tiny", PsiTopK(6, [0, 2, 5], [0, 100, 255], 0.02, 0.8, 0.05)),
        ("eps_zero", PsiTopK(10, [1, 4, 9], [255, 3, 128], 0.05, 1.0, 0.0)),
        ("k_equals_v", PsiTopK(4, [0, 1, 2, 3], [7, 0, 255, 31], 0.01, 2.5, 0.0)),
        ("flat_scores", PsiTopK(100, [5, 50, 95], [0, 0, 0], 0.0, 1.0, 0.001)),
        ("v500_k32", spread(500, 32)),
        ("v1000_k64", spread(1000, 64)),
        ("v2pow20_k128", spread(1 << 20, 128)),
        # Kind 3: packed codes narrower than 8 bits (cases after the kind 1 ones, so those
        # draw the same random numbers as before).
        ("packed_b1", PsiTopK(6, [0, 2, 5], [0, 1, 1], 0.5, 0.8, 0.05, 1)),
        ("packed_b3_v1000_k61", spread(1000, 61, 3)),
        ("packed_b4_v500_k32", spread(500, 32, 4)),
        ("packed_b7_v2pow20_k100", spread(1 << 20, 100, 7)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="make_golden_psi.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite {OUT.name}")
    parser.add_argument("--out", type=Path, default=OUT, help="where --write writes")
    args = parser.parse_args(argv)
    if not args.write:
        parser.error("nothing done: pass --write to regenerate the golden vectors")
    entries = []
    for name, psi in cases():
        tokens = sorted({*psi.ids.tolist()[:8], 0, psi.vocab - 1, psi.vocab // 2, psi.vocab // 3})
        logq = psi.logq(tokens)
        entries.append(
            {
                "name": name,
                "psi_hex": psi.to_bytes().hex(),
                "tokens": tokens,
                "logq_bits": [f"{int(v):016x}" for v in logq.view(np.uint64)],
            }
        )
    document = {
        "description": "psi wire bytes and IEEE-754 bit patterns of log q for listed tokens",
        "psi_version": 1,
        "cases": entries,
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} cases to {args.out}")


if __name__ == "__main__":
    main()
