"""The Ray executor (extra `ray`): every cell a Ray task, on a local Ray instance started for
the run and shut down after it, or on a running cluster joined by its address.

The cells run exactly as on the local pool (`call_cell`), so rows and failure texts are the
same; only where they run differs. A local instance gets no dashboard and a small object store
(rows are small).
Joining an address is bounded in time: the address is first reached with a plain TCP
connection (a closed port fails at once, a silent host after `CONNECT_TIMEOUT_S`), then Ray's
own connection attempts are shortened to the same timeout, so a wrong address is an error
within about 20 s, never a hang. A process that already has Ray initialised (a notebook, a
test) keeps its connection: the executor uses it and leaves it up.
"""

import itertools
import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tsd.errors import BackendUnavailableError, InvalidArgumentError
from tsd.executors.cells import Cell, CellResult, Collector, Row, SweepOutcome, call_cell
from tsd.executors.progress import cell_progress

try:
    import ray
    from ray.exceptions import RayError
except ImportError as exc:
    raise BackendUnavailableError(
        f"executor ray: ray is not installed ({exc}); "
        "install the extra: pip install 'thermo-speculative[ray]'"
    ) from None

CONNECT_TIMEOUT_S = 5
OBJECT_STORE_BYTES = 128 * 1024**2
# While joining a cluster only: one connection attempt of CONNECT_TIMEOUT_S, not 20 of 30 s.
JOIN_ENV = {
    "RAY_py_gcs_connect_timeout_s": str(CONNECT_TIMEOUT_S),
    "RAY_gcs_server_port_wait_time_s": "1",
}


class RayExecutor:
    """Cells as Ray tasks, at most `workers` at once (default: every CPU Ray has), on the
    cluster at `address` (`HOST:PORT` or `auto`) or on a local instance started for the run."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        if address is not None and address != "auto":
            _check_reachable(address)
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
                except RayError as exc:  # the worker died or the task could not be run
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
        ray.init(
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            object_store_memory=OBJECT_STORE_BYTES,
            logging_level=logging.WARNING,
        )
    else:
        _join(address)
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Reach `HOST:PORT` with a plain TCP connection, or raise `BackendUnavailableError`
    (at once for a closed port, after `CONNECT_TIMEOUT_S` for a silent host)."""
    host, port = _host_and_port(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise BackendUnavailableError(
            f"address: no Ray cluster answers at {address} ({exc}); start one with "
            "`ray start --head` and pass the address it prints"
        ) from None


def _join(address: str) -> None:
    """Connect to the cluster at `address` (checked reachable when the executor was made),
    or raise `BackendUnavailableError` within about three times `CONNECT_TIMEOUT_S`."""
    with _environment_defaults(JOIN_ENV):
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            ray.shutdown()
            raise BackendUnavailableError(
                f"address: cannot join the Ray cluster at {address}: {exc} (a cluster with "
                "token authentication, Ray's default, needs RAY_AUTH_MODE=token and its token "
                "in ~/.ray/auth_token or RAY_AUTH_TOKEN)"
            ) from None


@contextmanager
def _environment_defaults(values: dict[str, str]) -> Iterator[None]:
    """Environment variables set (where unset) for the duration of the block only."""
    added = [name for name in values if name not in os.environ]
    os.environ.update({name: values[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            del os.environ[name]


def _host_and_port(address: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets) split, or an error naming the address."""
    host, _, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidArgumentError(f"address: expected HOST:PORT or 'auto', got {address!r}")
    return host, int(port)
