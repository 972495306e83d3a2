"""The `tsd` command: one entry point, a subcommand per job, each in its own module here.

A command module has a docstring (its `--help` text), a one-line `SUMMARY` (its line in
`tsd --help`), `add_arguments(parser)` and
`execute(args) -> int`; it imports numpy, polars or rich only inside `execute`, so
`tsd --help` and every command start without paying for what they do not use.
"""

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

import tsd
from tsd.cli import (
    analyze,
    bench_core,
    bench_lm,
    bench_peers,
    bench_speculative,
    bench_thrml,
    bench_verify,
    exp_gibbs_chain,
    frontier,
    grid,
    judge_mine,
    judge_train,
    m0,
    m1,
    presets_list,
    presets_validate,
    sweep,
    train_draft,
    ts_spec,
    ts_train,
)
from tsd.cli.args import HelpFormatter
from tsd.cli.provenance import Invocation
from tsd.cli.runner import run_command

# (group, name) -> module; a group of None is a top-level command.
COMMANDS: dict[tuple[str | None, str], ModuleType] = {
    (None, "m0"): m0,
    (None, "m1"): m1,
    (None, "sweep"): sweep,
    (None, "grid"): grid,
    (None, "analyze"): analyze,
    (None, "frontier"): frontier,
    ("bench", "speculative"): bench_speculative,
    ("bench", "lm"): bench_lm,
    ("bench", "verify"): bench_verify,
    ("bench", "core"): bench_core,
    ("bench", "thrml"): bench_thrml,
    ("bench", "peers"): bench_peers,
    ("exp", "gibbs-chain"): exp_gibbs_chain,
    ("presets", "list"): presets_list,
    ("presets", "validate"): presets_validate,
    ("train", "draft"): train_draft,
    ("judge", "mine"): judge_mine,
    ("judge", "train"): judge_train,
    ("ts", "train"): ts_train,
    ("ts", "spec"): ts_spec,
}
GROUPS = {
    "bench": "benchmarks",
    "exp": "experiments",
    "judge": "lossy judge decoding (AutoJudge)",
    "presets": "LM benchmark presets",
    "train": "training drafts",
    "ts": "continuous drafts on time series",
}


def add_command(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    name: str,
    module: ModuleType,
) -> None:
    """Register one command module under `name`."""
    parser = subparsers.add_parser(
        name,
        help=module.SUMMARY,
        description=module.__doc__,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    module.add_arguments(parser)
    parser.set_defaults(execute=module.execute)


def build_parser() -> argparse.ArgumentParser:
    """The whole `tsd` parser tree."""
    parser = argparse.ArgumentParser(
        prog="tsd", description=tsd.__doc__, formatter_class=HelpFormatter, allow_abbrev=False
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {tsd.__version__}")
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = {
        group: top.add_parser(group, help=text, description=text).add_subparsers(
            dest="subcommand", required=True, metavar="COMMAND"
        )
        for group, text in GROUPS.items()
    }
    for (group, name), module in COMMANDS.items():
        add_command(top if group is None else groups[group], name, module)
    return parser


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str], prog: str) -> int:
    """Parse `argv` with `parser` and run the chosen command, recording its invocation."""
    args = parser.parse_args(argv)
    args.invocation = Invocation(command=[prog, *argv])
    return run_command(lambda: int(args.execute(args)))


def main(argv: Sequence[str] | None = None) -> int:
    """`tsd …`: parse, run, return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return dispatch(build_parser(), arguments, "tsd")
