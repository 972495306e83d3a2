"""Kept for old command lines: `python scripts/bench_speculative.py …` is
`tsd bench speculative …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("bench_speculative")
