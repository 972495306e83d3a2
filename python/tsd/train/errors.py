"""The training error: a loss that stops being finite. It is a `TsdError`, so the command line
reports it as one `error:` line; it lives here because only training raises it."""

from tsd.errors import TsdError

__all__ = ["TrainingDivergedError"]


class TrainingDivergedError(TsdError):
    """A training loss became NaN or infinite; the last good checkpoint is kept."""
