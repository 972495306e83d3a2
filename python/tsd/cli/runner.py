"""Running a command: errors as one `error:` line (exit 2), Ctrl-C as one line (exit 130),
SIGTERM as one line (exit 143); each unwinds the stack first so staged run folders are removed.
"""

import signal
import sys
from collections.abc import Callable
from types import FrameType

from tsd.console import print_error
from tsd.errors import TsdError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup (finally blocks) runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def run_command(command: Callable[[], int]) -> int:
    """Run `command`, reporting a `TsdError` or a file-system error as one line, exit code 2."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return command()
    except (TsdError, OSError) as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)
