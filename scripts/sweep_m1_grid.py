"""Kept for old command lines: `python scripts/sweep_m1_grid.py …` is `tsd grid …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("sweep_m1_grid")
