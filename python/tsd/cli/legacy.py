"""The command lines `scripts/` had before `tsd` (`python scripts/run_m1.py run …`): each is
the same command module behind its old parser shape, so it prints exactly what `tsd` prints."""

import argparse
import sys
from types import ModuleType

from tsd.cli import COMMANDS, dispatch
from tsd.cli.args import HelpFormatter

# script name -> (the tsd command, whether the old command line had a `run` subcommand)
SCRIPTS: dict[str, tuple[tuple[str | None, str], bool]] = {
    "run_m0": ((None, "m0"), True),
    "run_m1": ((None, "m1"), True),
    "sweep_m1": ((None, "sweep"), False),
    "sweep_m1_grid": ((None, "grid"), False),
    "analyze_run": ((None, "analyze"), False),
    "bench_speculative": (("bench", "speculative"), False),
    "bench_verify": (("bench", "verify"), False),
    "bench_core": (("bench", "core"), False),
    "bench_thrml": (("bench", "thrml"), False),
    "exp_gibbs_chain": (("exp", "gibbs-chain"), False),
}


def legacy_parser(script: str) -> argparse.ArgumentParser:
    """The parser `scripts/<script>.py` had: the command's flags, under `run` where it was."""
    key, has_run = SCRIPTS[script]
    module: ModuleType = COMMANDS[key]
    parser = argparse.ArgumentParser(
        prog=f"{script}.py",
        description=module.__doc__,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    target = parser
    if has_run:
        commands = parser.add_subparsers(dest="command", required=True)
        target = commands.add_parser(
            "run",
            help="run it and write telemetry under --out-dir",
            formatter_class=HelpFormatter,
            allow_abbrev=False,
        )
    module.add_arguments(target)
    target.set_defaults(execute=module.execute)
    return parser


def script_main(script: str) -> None:
    """Run `scripts/<script>.py` with the process's arguments and exit with its status."""
    sys.exit(dispatch(legacy_parser(script), sys.argv[1:], f"scripts/{script}.py"))
