"""The presets `tsd bench lm --experiment NAME` runs: paired experiments (a target, its drafts,
the methods), and the models and drafts they name, read from the versioned TOML files in
tsd/presets/ (docs/BENCH_LM.md describes the format)."""

import argparse

from tsd.cli.args import add_presets_dir_flag, presets_dir

SUMMARY = "list the LM benchmark's experiments, models and drafts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--presets-dir`: which preset files to read."""
    add_presets_dir_flag(parser)


def execute(args: argparse.Namespace) -> int:
    """Print one table each of experiments, models and drafts."""
    import polars as pl

    from tsd.console import print_rows_table
    from tsd.experiments.lm_presets import load_presets

    presets = load_presets(presets_dir(args))
    experiments = pl.DataFrame(
        [
            {
                "experiment": entry.name,
                "target": str(entry.fields["target"]),
                "drafts": " ".join(str(d) for d in entry.fields.get("drafts", [])),
                "methods": " ".join(str(m) for m in entry.fields.get("methods", [])),
                "description": entry.description,
            }
            for entry in presets.experiments.values()
        ]
    )
    models = pl.DataFrame(
        [
            {"model": e.name, "source": str(e.fields["source"]), "description": e.description}
            for e in presets.models.values()
        ]
    )
    drafts = pl.DataFrame(
        [
            {"draft": e.name, "spec": str(e.fields["spec"]), "description": e.description}
            for e in presets.drafts.values()
        ]
    )
    print(f"presets_dir={presets_dir(args)}")
    print_rows_table("experiments (tsd bench lm --experiment NAME)", experiments)
    print_rows_table("models", models)
    print_rows_table("drafts", drafts)
    return 0
