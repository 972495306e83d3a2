"""Where the LM benchmark gets its models: `load_model`'s sources (SmolLM2-135M, a local folder,
a hub name) and, for smoke runs in seconds, `tiny-random:SEED`: a 2-layer Llama with random
weights over a byte-level tokenizer (257 ids), built from a config with no download."""

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import transformers
from safetensors.torch import save_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    AutoConfig,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import SMOLLM2, HFModel, TargetLaw, load_model, smollm2_dir
from tsd.models.hf.load import Quantization

__all__ = [
    "TINY_RANDOM",
    "byte_tokenizer",
    "environment",
    "load_bench_model",
    "load_config",
    "load_tokenizer",
    "save_model_folder",
    "tiny_random",
    "tiny_random_config",
    "torch_threads",
]

TINY_RANDOM = "tiny-random"
END_OF_TEXT = "<|endoftext|>"


def byte_tokenizer(*, reversed_ids: bool = False) -> Any:
    """Bytes as tokens: the 256 byte symbols of byte-level BPE in sorted order (no merges; in
    reverse order with `reversed_ids`, for a tokenizer that numbers them differently), then
    `<|endoftext|>` (id 256) as BOS, EOS and padding. Any text encodes, nothing is downloaded."""
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet(), reverse=reversed_ids)
    vocab = {symbol: i for i, symbol in enumerate(symbols)}
    vocab[END_OF_TEXT] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=core, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT, pad_token=END_OF_TEXT
    )


def tiny_random(seed: int) -> tuple[Any, Any]:
    """A randomly initialised 2-layer `LlamaForCausalLM` (seeded by `seed`) and its byte
    tokenizer: a model small enough that a whole benchmark runs in seconds."""
    tokenizer = byte_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = LlamaForCausalLM(tiny_random_config())
    return module, tokenizer


def tiny_random_config() -> LlamaConfig:
    """The tiny random models' architecture: 2 layers of width 32 over the byte tokenizer."""
    eos = len(pre_tokenizers.ByteLevel.alphabet())
    return LlamaConfig(
        vocab_size=eos + 1, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        initializer_range=0.2, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
    )  # fmt: skip


def save_model_folder(module: Any, tokenizer: Any, folder: str | os.PathLike[str]) -> None:
    """Write a model `load_model` can load from `folder`: config, tokenizer, safetensors."""
    module.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    save_model(module, str(Path(folder) / "model.safetensors"))


def _tiny_random_seed(source: str) -> int | None:
    """The seed of a `tiny-random:SEED` source, or None for any other source."""
    kind, colon, argument = source.partition(":")
    if kind != TINY_RANDOM or not colon:
        return None
    try:
        return check_int("model", int(argument), 0)
    except ValueError:
        raise InvalidArgumentError(
            f"model: {source!r} needs an integer seed (tiny-random:SEED)"
        ) from None


def load_bench_model(
    source: str,
    *,
    dtype: str,
    device: str,
    quantize: Quantization | None,
    law: TargetLaw,
    progress: Callable[[str], None],
) -> HFModel:
    """The model `source` names: `tiny-random:SEED`, or anything `load_model` loads. A tiny
    random model is written to a temporary folder and loaded back through `load_model`, so
    dtype, device and quantisation go through the same checks as a real model's."""
    seed = _tiny_random_seed(source)
    if seed is None:
        return load_model(
            source, dtype=dtype, device=device, quantize=quantize, law=law, progress=progress
        )
    module, tokenizer = tiny_random(seed)
    with tempfile.TemporaryDirectory(prefix="tsd-tiny-random-") as folder:
        save_model_folder(module, tokenizer, folder)
        model = load_model(
            folder, dtype=dtype, device=device, quantize=quantize, law=law, progress=progress
        )
    model.name = source
    return model


def load_tokenizer(source: str) -> Any:
    """Only the tokenizer of `source` (for checking vocabularies without loading weights)."""
    if _tiny_random_seed(source) is not None:
        return byte_tokenizer()
    return _from_folder(source, "tokenizer", AutoTokenizer.from_pretrained)


def load_config(source: str) -> Any:
    """Only the configuration of `source` (its layers, its vocabulary), without weights."""
    if _tiny_random_seed(source) is not None:
        return tiny_random_config()
    return _from_folder(source, "configuration", AutoConfig.from_pretrained)


def _from_folder(source: str, what: str, load: Callable[[str], Any]) -> Any:
    folder = str(smollm2_dir(progress=print)) if source == SMOLLM2 else source
    try:
        return load(folder)
    except (OSError, ValueError) as exc:
        raise ModelError(f"model: cannot load the {what} of {source!r}: {exc}") from None


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `threads` (None: left as they are) while the block
    runs, restored after. Tiny models run fastest on one thread, and more threads than free
    cores spin against each other."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def environment(device: str) -> dict[str, Any]:
    """What the timings depend on beyond the configuration: library versions, torch's CPU
    threads, and the GPU's name where one is used."""
    found: dict[str, Any] = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    if device.startswith("cuda"):
        found["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return found
