"""The Gaussian ψ payload: crafting, sizes, wire bytes, and bad input as named errors."""

import pickle

import numpy as np
import pytest

from tsd import errors, gaussian, psi


def test_sizes_are_documented_per_dimension() -> None:
    assert [gaussian.encoded_size(d) for d in (1, 8, 32, 128)] == [18, 39, 111, 400]
    batch = gaussian.craft(np.zeros((2, 8)), np.zeros((2, 8)))
    assert [len(b) for b in batch.to_bytes_list()] == [39, 39]
    with pytest.raises(errors.InvalidArgumentError, match="d"):
        gaussian.encoded_size(0)


def test_crafting_realises_the_quantised_law() -> None:
    means = np.array([[-3.0, 0.1, 2.2], [5.0, 5.0, 5.0]])
    logvars = np.array([[-16.0, 0.06, 15.875], [-0.2, -0.3, 1.0]])
    batch = gaussian.craft(means, logvars)
    step = batch[0].step
    assert np.abs(batch.means[0] - means[0]).max() <= 0.5 * step + 1e-12
    np.testing.assert_array_equal(batch.means[1], means[1])
    np.testing.assert_array_equal(batch.logvars, np.round(logvars * 8) / 8)
    np.testing.assert_allclose(batch.sigmas, np.exp(batch.logvars / 2), rtol=1e-15)


def test_payloads_round_trip_through_bytes_decode_any_and_pickle() -> None:
    payload = gaussian.craft([0.5, -1.25], [0.0, 1.0])[0]
    data = payload.to_bytes()
    assert gaussian.from_bytes(data) == payload
    assert psi.from_bytes(data) == payload
    assert pickle.loads(pickle.dumps(payload)) == payload
    with pytest.raises(errors.PsiKindError):
        gaussian.from_bytes(psi.craft_psi_from_p([0.5, 0.5], 1).to_bytes())


def test_bad_payload_bytes_are_named_errors() -> None:
    data = gaussian.craft([0.5, -1.25, 3.0], [0.0, 1.0, 2.0])[0].to_bytes()
    for cut in range(len(data)):
        with pytest.raises(errors.PsiTruncatedError):
            gaussian.from_bytes(data[:cut])
    with pytest.raises(errors.PsiChecksumError):
        gaussian.from_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(errors.PsiTrailingBytesError):
        gaussian.from_bytes(data + b"\0")


@pytest.mark.parametrize(
    ("means", "logvars", "error", "match"),
    [
        ([np.nan], [0.0], errors.PsiMeanError, "means"),
        ([np.inf], [0.0], errors.PsiMeanError, "means"),
        ([0.0], [16.5], errors.PsiLogVarianceError, "grid"),
        ([0.0], [np.nan], errors.PsiLogVarianceError, "grid"),
        ([0.0, 1.0], [0.0], errors.InvalidArgumentError, "logvars"),
        (np.zeros((1, 2049)), np.zeros((1, 2049)), errors.PsiDimensionError, "2048"),
    ],
)
def test_bad_crafting_input_is_named(
    means: object, logvars: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        gaussian.craft(means, logvars)  # type: ignore[arg-type]


def test_a_bad_row_is_named_by_position() -> None:
    with pytest.raises(errors.PsiLogVarianceError, match="position 1"):
        gaussian.craft(np.zeros((3, 1)), np.array([[0.0], [-20.0], [0.0]]))


def _verify(**changes: object) -> gaussian.RowVerdicts:
    arguments: dict[str, object] = {
        "payloads": gaussian.craft(np.zeros((2, 2)), np.zeros((2, 2))),
        "drafts": np.zeros((2, 2)),
        "target_mean": np.zeros((2, 2)),
        "target_sigma": np.ones((2, 2)),
        "seed": 0,
        "steps": [0, 1],
    }
    arguments.update(changes)
    return gaussian.verify(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"target_sigma": np.zeros((2, 2))}, "target_sigma"),
        ({"target_sigma": -np.ones((2, 2))}, "target_sigma"),
        ({"target_mean": np.full((2, 2), np.nan)}, "target_mean"),
        ({"drafts": np.full((2, 2), np.inf)}, "drafts"),
        ({"mode": "lenient", "bias": 0.5}, "bias"),
        ({"mode": "exact", "bias": 2.0}, "bias"),
        ({"mode": "stride"}, "mode"),
        ({"drafts": np.zeros((2, 3)), "target_mean": np.zeros((2, 3))}, "target_sigma"),
        ({"drafts": np.zeros((2, 3))}, "target_mean"),
        ({"steps": [0]}, "starts"),
        ({"steps": [-1, 0]}, "starts"),
    ],
)
def test_bad_verifier_input_is_named(changes: dict[str, object], match: str) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=match):
        _verify(**changes)


def test_dimension_mismatch_between_payloads_and_drafts_is_named() -> None:
    shape = (2, 1, 3)
    with pytest.raises(errors.InvalidArgumentError, match="drafts"):
        gaussian.verify_blocks(
            gaussian.craft(np.zeros((2, 2)), np.zeros((2, 2))),
            np.zeros(shape),
            np.zeros(shape),
            np.ones(shape),
            0,
            [0, 1],
        )
    with pytest.raises(errors.InvalidArgumentError, match="values"):
        gaussian.log_density(gaussian.craft(np.zeros((2, 2)), np.zeros((2, 2))), np.zeros((2, 3)))
    with pytest.raises(errors.InvalidArgumentError, match="target_sigma"):
        gaussian.draw_target(np.zeros((1, 2)), np.zeros((1, 2)), 0, [0])


def test_payload_count_must_match_the_drafted_rows() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="payloads"):
        gaussian.verify(
            gaussian.craft(np.zeros((3, 2)), np.zeros((3, 2))),
            np.zeros((2, 2)),
            np.zeros((2, 2)),
            np.ones((2, 2)),
            0,
            [0, 1],
        )
