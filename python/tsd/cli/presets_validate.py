"""Check every preset: each file's version and tables, each experiment's settings, and every
reference (a target names a model, a draft names a draft, hf:MODEL a model or a source); then,
for each experiment's draft, that it pairs with its target: an hf: draft's tokenizer maps the
vocabulary exactly as the target's (compared id by id; tokenizers only, no weights), an
early-exit draft keeps no more layers than the target has (its configuration), and early-exit
and n-gram drafts use the target's tokenizer by construction.

Prints one line per checked pair; the first problem is one `error:` line, exit 2."""

import argparse

from tsd.cli.args import add_presets_dir_flag, presets_dir

SUMMARY = "check that the LM benchmark's presets resolve and pair matching vocabularies"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--presets-dir`: which preset files to read."""
    add_presets_dir_flag(parser)


def execute(args: argparse.Namespace) -> int:
    """Load, resolve and check each experiment in turn."""
    from tsd.experiments.lm_drafts import check_draft_pairing, check_draft_specs
    from tsd.experiments.lm_presets import load_presets

    presets = load_presets(presets_dir(args))
    for name in presets.experiments:
        config = presets.config(name)
        check_draft_specs(config)
        for spec in config.drafts:
            print(f"{name}: {check_draft_pairing(config.target, spec)}")
    print(f"presets_ok={len(presets.experiments)} experiments")
    return 0
