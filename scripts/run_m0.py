"""Kept for old command lines: `python scripts/run_m0.py run …` is `tsd m0 …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("run_m0")
