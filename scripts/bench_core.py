"""Kept for old command lines: `python scripts/bench_core.py …` is `tsd bench core …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("bench_core")
