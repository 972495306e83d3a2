"""`tsd bench peers` and its numba peer walk (tsd.peers), at tiny sizes: the peer follows the
same chain as tsd's walk, and the command writes its run folder; without numba, the command
names the extra."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tsd import _core
from tsd.cli import main
from tsd.peers import PeerWalk
from tsd.targets import make_bigram

needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None,
    reason="numba is not installed (the bench extra: pip install 'thermo-speculative[bench]')",
)


@needs_numba
def test_the_peer_walk_follows_the_same_chain_as_tsds_walk() -> None:
    target = make_bigram(8, 5.0, 3)
    psis = _core.craft_psi_rows(target.p, 3, 1.0, None)
    steps = 200_000
    ours = _core.BigramChain(target.logp, psis).run_counts(5, 0, steps, 0)
    peer = PeerWalk(target.logp, psis).run_counts(5, steps, 0)
    assert peer.visits.sum() == peer.emitted.sum() == steps
    # Different generators, same law: token frequencies and acceptance agree to sampling noise.
    for tsd_count, peer_count in zip(ours.emitted.tolist(), peer.emitted.tolist(), strict=True):
        assert abs(tsd_count - peer_count) / steps < 0.01
    assert abs(int(ours.accepted.sum()) - int(peer.accepted.sum())) / steps < 0.01


@needs_numba
def test_the_command_writes_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "peers", "--vocab", "16", "--K", "4", "--steps", "2000", "--repeats", "1",
            "--verify-vocab", "1000", "--verify-batch", "2", "--verify-L", "2", "--copy-mib", "1",
            "--codec-trips", "10", "--skip-cargo", "--skip-m1"]  # fmt: skip
    argv += ["--out-dir", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "m1_V16_tsd_vs_numba=" in out
    assert "verify_kernel_read_fraction_of_bandwidth=" in out
    (run_dir,) = tmp_path.iterdir()
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    figures = {(row["figure"], row["vocab"]) for row in rows}
    assert ("m1_tsd_vs_numba", 16) in figures
    assert ("psi_codec_per_s_python", None) in figures
    assert (run_dir / "summary.json").is_file()


def test_without_numba_the_command_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)
    assert main(["bench", "peers", "--out-dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "tsd bench peers: needs numba" in err
    assert "thermo-speculative[bench]" in err
    assert not any(tmp_path.iterdir())
