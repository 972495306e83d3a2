"""Hugging Face causal LMs behind the model seam (extra `hf`: torch, transformers, safetensors,
accelerate, gguf): `load_model`, the KV-cached ragged `KVSession`, the prefix-cached draft
scorer, the early-exit self-draft, the target law, and SmolLM2-135M offline.

Importing this package imports torch; `import tsd` never does."""

from tsd.models.hf.early_exit import early_exit
from tsd.models.hf.law import TargetLaw
from tsd.models.hf.load import DTYPES, load_model, resolve_device
from tsd.models.hf.model import ForwardClock, HFModel
from tsd.models.hf.prompts import encode_prompts
from tsd.models.hf.scorer import PrefixScorer
from tsd.models.hf.session import KVScores, KVSession
from tsd.models.hf.vocab import check_same_vocabulary
from tsd.models.hf.weights import SMOLLM2, cache_root, smollm2_dir

__all__ = [
    "DTYPES",
    "SMOLLM2",
    "ForwardClock",
    "HFModel",
    "KVScores",
    "KVSession",
    "PrefixScorer",
    "TargetLaw",
    "cache_root",
    "check_same_vocabulary",
    "early_exit",
    "encode_prompts",
    "load_model",
    "resolve_device",
    "smollm2_dir",
]
