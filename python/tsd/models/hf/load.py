"""Loading a causal LM as an `HFModel`: the offline SmolLM2-135M, a local folder, or a hub
name (hub downloads are real code for users online; tests and benchmarks here run offline)."""

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from tsd.errors import BackendUnavailableError, InvalidArgumentError, ModelError
from tsd.models.hf.law import TargetLaw
from tsd.models.hf.model import HFModel
from tsd.models.hf.weights import SMOLLM2, smollm2_dir

__all__ = ["DTYPES", "Quantization", "load_model", "resolve_device"]

DTYPES = ("float32", "bfloat16", "float16")
Quantization = Literal["4bit", "8bit"]


def resolve_device(device: str) -> str:
    """`cpu`, or `cuda` / `cuda:N` where torch sees CUDA; anything else is an error."""
    if device == "cpu":
        return device
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise BackendUnavailableError(
                "device: CUDA is not available here (torch sees no GPU); use --device cpu"
            )
        return device
    raise InvalidArgumentError(f"device: must be cpu, cuda or cuda:N, got {device!r}")


def _quantization_config(quantize: Quantization | None, device: str) -> Any:
    if quantize is None:
        return None
    if quantize not in ("4bit", "8bit"):
        raise InvalidArgumentError(f"quantize: must be 4bit or 8bit, got {quantize!r}")
    if not device.startswith("cuda"):
        raise BackendUnavailableError(
            f"quantize: {quantize} quantisation runs through bitsandbytes on CUDA only; "
            "drop --quantize on CPU"
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise BackendUnavailableError("quantize: needs bitsandbytes (pip install bitsandbytes)")
    return BitsAndBytesConfig(  # type: ignore[no-untyped-call]
        load_in_4bit=quantize == "4bit", load_in_8bit=quantize == "8bit"
    )


def load_model(
    source: str,
    *,
    dtype: str = "float32",
    device: str = "cpu",
    quantize: Quantization | None = None,
    law: TargetLaw | None = None,
    progress: Callable[[str], None] = print,
) -> HFModel:
    """The model `source` names (`smollm2-135m`, a local folder, or a hub name) with its
    tokenizer, in `dtype` on `device`, sampling from `law`."""
    if dtype not in DTYPES:
        raise InvalidArgumentError(f"dtype: must be one of {', '.join(DTYPES)}, got {dtype!r}")
    where = resolve_device(device)
    quantization = _quantization_config(quantize, where)
    if source == SMOLLM2:
        folder: str = str(smollm2_dir(progress=progress))
    elif Path(source).exists():
        if not (Path(source) / "config.json").is_file():
            raise ModelError(f"model: {source} is a path but holds no config.json")
        folder = source
    elif os.environ.get("HF_HUB_OFFLINE") == "1" or "/" not in source:
        raise ModelError(
            f"model: {source!r} is neither {SMOLLM2}, a local folder, nor a hub name "
            "(owner/name) that can be downloaded here"
        )
    else:
        folder = source
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        module = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=getattr(torch, dtype),
            quantization_config=quantization,
        )
    except OSError as exc:
        raise ModelError(f"model: cannot load {source!r}: {exc}") from None
    if quantization is None:
        module = module.to(torch.device(where))  # type: ignore[arg-type]
    return HFModel(module, law=law, tokenizer=tokenizer, name=source)
