"""The Ray executor against a local Ray instance that this module starts once and stops: the
M1 seed sweep and the (K, τ) grid write the same bytes as on the local pool (one and two
workers), a failed cell keeps its error while the others finish, a run started without Ray
starts and stops its own instance, and an unreachable address is an error within seconds."""

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO
from tests.test_executors import FAILURES, square_late_cells_first
from tsd import errors
from tsd.cli import main
from tsd.executors import make_executor

ray = pytest.importorskip("ray", reason="ray not installed (pip install 'thermo-speculative[ray]')")

SWEEP = ["sweep", "--steps", "1500", "--seeds", "7", "11", "13", "--vocab", "30", "--K", "4"]
GRID = ["grid", "--steps", "1500", "--Ks", "4", "8", "--taus", "0.9", "1.1", "--seeds", "7",
        "--vocab", "30"]  # fmt: skip
TABLES = {
    "sweep": ("m1_seeds.parquet", "m1_seeds.csv"),
    "grid": ("m1_sweep.parquet", "m1_sweep.csv"),
}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One small Ray instance for the module: two CPUs, no dashboard, a small object store."""
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=128 * 1024**2,
        logging_level=logging.WARNING,
    )
    try:
        yield
    finally:
        ray.shutdown()


def tables(out_dir: Path, command: str) -> dict[str, bytes]:
    """The bytes of the one run's tables under `out_dir`."""
    (run_dir,) = out_dir.iterdir()
    return {name: (run_dir / name).read_bytes() for name in TABLES[command]}


@pytest.mark.usefixtures("local_ray")
@pytest.mark.parametrize("argv", [SWEEP, GRID], ids=["sweep", "grid"])
def test_every_executor_writes_the_same_bytes(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    written = {}
    for name, flags in {
        "local-1": ["--workers", "1"],
        "local-2": ["--workers", "2"],
        "ray": ["--executor", "ray"],
    }.items():
        assert main([*argv, *flags, "--out-dir", str(tmp_path / name)]) == 0, capsys.readouterr()
        written[name] = tables(tmp_path / name, argv[0])
    assert written["local-2"] == written["local-1"]
    assert written["ray"] == written["local-1"]
    # The Ray run used the module's instance and left it up.
    assert ray.is_initialized()


@pytest.mark.usefixtures("local_ray")
def test_a_failed_ray_cell_keeps_its_error_and_the_others_finish() -> None:
    params = [{"x": x} for x in range(6)]
    on_ray = make_executor("ray", workers=2).map(square_late_cells_first, params)
    assert on_ray == make_executor("local", workers=2).map(square_late_cells_first, params)
    assert [row["x"] for row in on_ray.rows] == [0, 1, 2, 4]
    assert on_ray.failures == FAILURES
    # An address to join while this process is already connected is refused, not ignored.
    running_instance = ray.get_runtime_context().gcs_address
    with pytest.raises(errors.InvalidArgumentError, match="already connected to Ray"):
        make_executor("ray", address=running_instance).map(square_late_cells_first, params)


def test_a_run_without_ray_starts_and_stops_its_own_instance(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tsd", *GRID, "--executor", "ray", "--workers", "2",
         "--out-dir", str(tmp_path / "ray")],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert main([*GRID, "--workers", "1", "--out-dir", str(tmp_path / "local")]) == 0
    assert tables(tmp_path / "ray", "grid") == tables(tmp_path / "local", "grid")


def closed_port() -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sweep_joining(address: str, tmp_path: Path) -> "subprocess.CompletedProcess[str]":
    """`tsd sweep` told to join the Ray cluster at `address`, run as a new user would."""
    return subprocess.run(
        [sys.executable, "-m", "tsd", *SWEEP, "--executor", "ray", "--address", address,
         "--out-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=120,
    )  # fmt: skip


def test_an_unreachable_address_is_one_error_within_seconds(tmp_path: Path) -> None:
    address = f"127.0.0.1:{closed_port()}"
    started = time.monotonic()
    out = sweep_joining(address, tmp_path)
    assert time.monotonic() - started < 30
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"error: address: no Ray cluster answers at {address}")
    assert "ray start --head" in line
    assert not (tmp_path / "runs").exists()
    with pytest.raises(errors.InvalidArgumentError, match="address: expected HOST:PORT"):
        make_executor("ray", address="localhost")


def test_a_port_that_answers_but_is_not_ray_is_one_error_within_seconds(tmp_path: Path) -> None:
    """Past the TCP check, Ray's own attempts (20 of 30 s by default) are cut to one of 5 s."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        out = sweep_joining(address, tmp_path)
    assert time.monotonic() - started < 45
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: address: cannot join the Ray cluster at {address}")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists()
