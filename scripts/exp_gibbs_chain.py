"""Kept for old command lines: `python scripts/exp_gibbs_chain.py …` is `tsd exp gibbs-chain …`."""

from tsd.cli.legacy import script_main

if __name__ == "__main__":
    script_main("exp_gibbs_chain")
