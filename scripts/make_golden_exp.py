"""Regenerate tests/data/golden_exp.json: the verifier's exp and cumulative masses, bit for bit.

The file pins the two numeric rules behind every residual and target draw (rust/exp.rs and
rust/cumulative.rs, replayed by `tsd.reference.exp` and `tsd.reference.cumulative`): `cargo
test` checks the core against it and pytest the numpy reference, so the two implementations
are checked against each other. Regenerate only for a deliberate, versioned change:

  python scripts/make_golden_exp.py --write
"""

import argparse
import json
from pathlib import Path

import numpy as np

from tsd import reference

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden_exp.json"


def _hex(values: np.ndarray) -> list[str]:
    return [f"{int(b):016x}" for b in np.asarray(values, dtype=np.float64).view(np.uint64)]


def document() -> dict[str, object]:
    """Inputs over exp's whole range (specials, uniform, log-probability-like) and masses."""
    rng = np.random.Generator(np.random.PCG64(20261126))
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 709.78, -745.13, -708.39]
    inputs = np.concatenate(
        [
            np.array(specials),
            rng.uniform(-750.0, 712.0, 256),
            -rng.exponential(8.0, 256),
        ]
    )
    # Masses of many magnitudes, some zero, over 10 chunks: the two summation orders differ.
    scales = 2.0 ** -rng.integers(0, 40, 640).astype(np.float64)
    masses = np.where(rng.random(640) < 0.2, 0.0, rng.random(640) * scales)
    return {
        "description": "IEEE-754 bit patterns: the verifier's exp and cumulative masses",
        "exp": {"inputs": _hex(inputs), "outputs": _hex(reference.exp(inputs))},
        "cumulative": {"masses": _hex(masses), "outputs": _hex(reference.cumulative(masses))},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="make_golden_exp.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite {OUT.name}")
    parser.add_argument("--out", type=Path, default=OUT, help="where --write writes")
    args = parser.parse_args(argv)
    if not args.write:
        parser.error("nothing done: pass --write to regenerate the golden values")
    args.out.write_text(json.dumps(document(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
