"""Kept for old command lines: `python scripts/bench_thrml.py …` is `tsd bench thrml …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("bench_thrml")
