"""The Ray executor (extra `ray`): every cell a Ray task, on a local Ray instance started for
the run and shut down after it, or on a running cluster joined by its address.

The cells run exactly as on the local pool (`call_cell`), so rows and failure texts are the
same; only where they run differs. A local instance gets no dashboard and a small object store
(rows are small).

Joining an address is bounded in time, checked when the executor is made (before a command
writes anything): the address is first reached with a plain TCP connection (a closed port
fails at once, a silent host after `CONNECT_TIMEOUT_S`), then a child process joins it once
with Ray's connection attempts shortened, killed after `JOIN_TIMEOUT_S`; so a wrong address is
an error within seconds, never a hang (Ray alone retries for minutes). A process that already
has Ray initialised (a notebook, a test) keeps its connection: the executor uses it and leaves
it up.
"""

import itertools
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tsd.errors import BackendUnavailableError, InvalidArgumentError
from tsd.executors.cells import Cell, CellResult, Collector, Row, SweepOutcome, call_cell
from tsd.executors.progress import cell_progress
from tsd.extras import require_extra

require_extra("ray", ("ray",), needed_by="executor ray")

import ray  # noqa: E402  (after the check, so a missing extra is one clear error)
from ray.exceptions import RayError, RayTaskError  # noqa: E402

CONNECT_TIMEOUT_S = 5
JOIN_TIMEOUT_S = 30
OBJECT_STORE_BYTES = 128 * 1024**2
# The trial join: Ray reads these when it is imported, so they are set for the child only:
# one connection attempt of CONNECT_TIMEOUT_S instead of 20 of 30 s (a user's values win).
JOIN_ENV = {
    "RAY_py_gcs_connect_timeout_s": str(CONNECT_TIMEOUT_S),
    "RAY_gcs_server_port_wait_time_s": "1",
}
JOIN_PROBE = "import sys, ray; ray.init(address=sys.argv[1], logging_level='ERROR'); ray.shutdown()"
AUTH_HINT = (
    " (a cluster with token authentication, Ray's default, needs RAY_AUTH_MODE=token and its "
    "token in ~/.ray/auth_token or RAY_AUTH_TOKEN)"
)


class RayExecutor:
    """Cells as Ray tasks, at most `workers` at once (default: every CPU Ray has), on the
    cluster at `address` (`HOST:PORT` or `auto`) or on a local instance started for the run."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        if address is not None:
            _check_joinable(address)
        self.workers = workers
        self.address = address

    def map(self, cell: Cell, params: Sequence[Row]) -> SweepOutcome:
        """`cell(p)` for every p, rows in cell order (see `tsd.executors.Executor`)."""
        collector = Collector(params)
        with _session(self.address, self.workers), cell_progress(len(params)) as advance:
            remote_cell = ray.remote(call_cell)
            cell_ref = ray.put(cell)
            waiting = iter(enumerate(params))
            running: dict[ray.ObjectRef[CellResult], int] = {}

            def submit(count: int) -> None:
                for index, p in itertools.islice(waiting, count):
                    running[remote_cell.remote(cell_ref, p)] = index

            submit(self.workers or len(params))
            while running:
                (ready,), _ = ray.wait(list(running), num_returns=1)
                index = running.pop(ready)
                try:
                    collector.add(index, ray.get(ready))
                except RayTaskError as exc:  # the cell ran, but its row could not travel back
                    collector.add_error(index, exc.cause)
                except RayError as exc:  # the worker died, or the task could not be run
                    collector.add_error(index, exc)
                advance()
                submit(1)
        return collector.outcome()


@contextmanager
def _session(address: str | None, workers: int | None) -> Iterator[None]:
    """Ray, initialised for the run (and shut down after it) unless it already is."""
    if ray.is_initialized():
        if address is not None:
            raise InvalidArgumentError(
                f"address: this process is already connected to Ray, so it cannot join {address}"
            )
        yield
        return
    if address is None:
        # "local": a new instance even where `ray start` left one running on this machine.
        ray.init(
            address="local",
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            object_store_memory=OBJECT_STORE_BYTES,
            logging_level=logging.WARNING,
        )
    else:
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            ray.shutdown()
            raise BackendUnavailableError(f"address: cannot join {address}: {exc}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_joinable(address: str) -> None:
    """Join `address` once from a child process, or raise `BackendUnavailableError` within
    about `JOIN_TIMEOUT_S` (at once for a closed port)."""
    if address != "auto":
        host, port = _host_and_port(address)
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
        except OSError as exc:
            raise BackendUnavailableError(
                f"address: no Ray cluster answers at {address} ({exc}); start one with "
                "`ray start --head` and pass the address it prints"
            ) from None
    try:
        probe = subprocess.run(
            [sys.executable, "-c", JOIN_PROBE, address],
            env={**JOIN_ENV, **os.environ},
            capture_output=True,
            text=True,
            timeout=JOIN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackendUnavailableError(
            f"address: the Ray cluster at {address} did not let a driver join within "
            f"{JOIN_TIMEOUT_S} s"
        ) from None
    if probe.returncode != 0:
        lines = [line for line in probe.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {probe.returncode}"
        hint = AUTH_HINT if "auth" in probe.stderr.lower() else ""
        raise BackendUnavailableError(
            f"address: cannot join the Ray cluster at {address}: {reason}{hint}"
        )


def _host_and_port(address: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets) split, or an error naming the address."""
    host, _, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidArgumentError(f"address: expected HOST:PORT or 'auto', got {address!r}")
    return host, int(port)
