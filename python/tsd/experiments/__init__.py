"""Milestones as library calls; the scripts in scripts/ are thin command lines over these."""

from tsd.experiments.m0 import RunResult, run_m0
from tsd.experiments.m1 import M1Result, run_m1

__all__ = ["M1Result", "RunResult", "run_m0", "run_m1"]
