"""Kept for old command lines: `python scripts/bench_verify.py …` is `tsd bench verify …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("bench_verify")
