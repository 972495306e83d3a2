"""Helpers the command lines share: argument types that reject bad values with a clear
message, and a runner that turns any `TsdError` into one `error:` line and exit status 2."""

import argparse
import math
from collections.abc import Callable

from tsd.console import print_error
from tsd.errors import TsdError

EXIT_USAGE = 2


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _bounded_int(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _bounded_int(text, 0)


def _bounded_int(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text}")
    return value


def eps_value(text: str) -> str | float:
    """argparse type: 'auto' or a finite float >= 0."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a finite number >= 0, got {text}")
    return value


def run_command(command: Callable[[], int]) -> int:
    """Run `command`, reporting a `TsdError` or a file-system error as one line, exit code 2."""
    try:
        return command()
    except (TsdError, OSError) as exc:
        print_error(str(exc))
        return EXIT_USAGE
