"""Kept for old command lines: `python scripts/run_m1.py run …` is `tsd m1 …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("run_m1")
