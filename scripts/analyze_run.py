"""Kept for old command lines: `python scripts/analyze_run.py …` is `tsd analyze …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("analyze_run")
