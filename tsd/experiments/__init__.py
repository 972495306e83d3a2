"""Milestones as library calls; the scripts in scripts/ are thin command lines over these."""

from tsd.experiments.m0 import RunResult, run_m0

__all__ = ["RunResult", "run_m0"]
