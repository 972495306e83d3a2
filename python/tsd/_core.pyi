"""Type stubs for the compiled core, checked against it by `python -m mypy.stubtest tsd._core`."""

from typing import Final, TypedDict, final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CUMULATIVE_CHUNK",
    "ERROR_NAMES",
    "GAUSS_LOGVAR_MAX",
    "GAUSS_LOGVAR_MIN",
    "GAUSS_LOGVAR_STEP",
    "GAUSS_MAX_RESIDUAL_TRIES",
    "GAUSS_TARGET_LANE",
    "LAST_STEP",
    "MAX_CHAIN_LEN",
    "MAX_CHI2_DOF",
    "MAX_GAUSS_DIM",
    "MAX_NGRAM_ORDER",
    "MAX_STEPS_PER_CALL",
    "MAX_VOCAB",
    "PSI_KIND_CHAIN",
    "PSI_KIND_GAUSS",
    "PSI_KIND_TOP_K",
    "PSI_VERSION",
    "RNG_STREAM_TSU",
    "RNG_STREAM_VERIFY",
    "BackendUnavailableError",
    "BigramChain",
    "BlockVerdicts",
    "CorpusError",
    "InvalidArgumentError",
    "ModelError",
    "NgramModel",
    "PsiChain",
    "PsiChainLengthError",
    "PsiChecksumError",
    "PsiCodeBitsError",
    "PsiCodeError",
    "PsiDecodeError",
    "PsiDimensionError",
    "PsiDuplicateIdError",
    "PsiEmptyError",
    "PsiEpsError",
    "PsiGaussian",
    "PsiGaussianBatch",
    "PsiIdOutOfRangeError",
    "PsiIdsNotSortedError",
    "PsiKExceedsVocabError",
    "PsiKindError",
    "PsiLengthMismatchError",
    "PsiLogVarianceError",
    "PsiMalformedError",
    "PsiMeanError",
    "PsiScaleError",
    "PsiTauError",
    "PsiTopK",
    "PsiTrailingBytesError",
    "PsiTruncatedError",
    "PsiValidationError",
    "PsiVersionError",
    "PsiVocabError",
    "ResidualLimitError",
    "TrainingDivergedError",
    "TsdError",
    "VocabularyMismatchError",
    "WalkCounts",
    "__version__",
    "accept_correct",
    "chains_from_positions",
    "chi2_sf",
    "craft_chain_positions",
    "craft_psi_rows",
    "decode_any",
    "gauss_draw",
    "gauss_draw_target",
    "gauss_encoded_len",
    "gauss_log_density",
    "gauss_verify_blocks",
    "libm_map",
    "m0_run",
    "psi_encoded_len",
    "rng_lane_words",
    "rng_words",
    "tsu_draw_chains",
    "tsu_draw_each",
    "tsu_draw_many",
    "verify_blocks",
    "verify_external",
]

__version__: str
PSI_VERSION: int
PSI_KIND_TOP_K: int
PSI_KIND_CHAIN: int
MAX_VOCAB: int
MAX_CHAIN_LEN: int
MAX_NGRAM_ORDER: int
LAST_STEP: int
MAX_STEPS_PER_CALL: int
PSI_KIND_GAUSS: int
MAX_GAUSS_DIM: int
GAUSS_LOGVAR_STEP: float
GAUSS_LOGVAR_MIN: float
GAUSS_LOGVAR_MAX: float
GAUSS_MAX_RESIDUAL_TRIES: int
GAUSS_TARGET_LANE: int
MAX_CHI2_DOF: int
ERROR_NAMES: Final[tuple[str, ...]]
RNG_STREAM_TSU: int
CUMULATIVE_CHUNK: int
RNG_STREAM_VERIFY: int

class TsdError(ValueError): ...
class InvalidArgumentError(TsdError): ...
class PsiDecodeError(TsdError): ...
class PsiTruncatedError(PsiDecodeError): ...
class PsiVersionError(PsiDecodeError): ...
class PsiKindError(PsiDecodeError): ...
class PsiChecksumError(PsiDecodeError): ...
class PsiTrailingBytesError(PsiDecodeError): ...
class PsiMalformedError(PsiDecodeError): ...
class PsiValidationError(TsdError): ...
class PsiVocabError(PsiValidationError): ...
class PsiEmptyError(PsiValidationError): ...
class PsiKExceedsVocabError(PsiValidationError): ...
class PsiLengthMismatchError(PsiValidationError): ...
class PsiDuplicateIdError(PsiValidationError): ...
class PsiIdsNotSortedError(PsiValidationError): ...
class PsiIdOutOfRangeError(PsiValidationError): ...
class PsiCodeError(PsiValidationError): ...
class PsiCodeBitsError(PsiValidationError): ...
class PsiTauError(PsiValidationError): ...
class PsiScaleError(PsiValidationError): ...
class PsiEpsError(PsiValidationError): ...
class PsiChainLengthError(PsiValidationError): ...
class PsiDimensionError(PsiValidationError): ...
class PsiMeanError(PsiValidationError): ...
class PsiLogVarianceError(PsiValidationError): ...
class ResidualLimitError(TsdError): ...
class CorpusError(TsdError): ...
class BackendUnavailableError(TsdError): ...
class ModelError(TsdError): ...
class VocabularyMismatchError(ModelError): ...
class TrainingDivergedError(TsdError): ...

class _DrawColumns(TypedDict):
    tokens: NDArray[np.uint32]
    logq: NDArray[np.float64]

class _M0Columns(TypedDict):
    proposed: NDArray[np.uint32]
    logq: NDArray[np.float64]
    accepted: NDArray[np.bool_]
    emitted: NDArray[np.uint32]

class _M1Columns(_M0Columns):
    prev: NDArray[np.uint32]

class _CraftedPositions(TypedDict):
    ids: NDArray[np.uint32]
    codes: NDArray[np.uint8]
    scales: NDArray[np.float32]
    eps: NDArray[np.float32]

@final
class BlockVerdicts:
    """`verify_blocks`' verdicts: accepted per sequence, emitted tokens, their offsets."""

    @property
    def accepted(self) -> NDArray[np.uint32]: ...
    @property
    def emitted(self) -> NDArray[np.uint32]: ...
    @property
    def offsets(self) -> NDArray[np.uint64]: ...

@final
class WalkCounts:
    """An M1 walk aggregated per context, and its last emitted token."""

    @property
    def visits(self) -> NDArray[np.uint64]: ...
    @property
    def accepted(self) -> NDArray[np.uint64]: ...
    @property
    def emitted(self) -> NDArray[np.uint64]: ...
    @property
    def last(self) -> int: ...

@final
class PsiTopK:
    """Top-K proposal payload ψ."""

    def __new__(
        cls,
        vocab: int,
        ids: object,
        codes: object,
        scale: float,
        tau: float,
        eps: float,
        code_bits: int = 8,
    ) -> PsiTopK: ...
    @staticmethod
    def from_bytes(data: bytes | bytearray | memoryview) -> PsiTopK: ...
    def to_bytes(self) -> bytes: ...
    def logq(self, tokens: object) -> NDArray[np.float64]: ...
    def dense_logq(self) -> NDArray[np.float64]: ...
    @property
    def vocab(self) -> int: ...
    @property
    def K(self) -> int: ...
    @property
    def ids(self) -> NDArray[np.uint32]: ...
    @property
    def codes(self) -> NDArray[np.uint8]: ...
    @property
    def scale(self) -> float: ...
    @property
    def tau(self) -> float: ...
    @property
    def eps(self) -> float: ...
    @property
    def code_bits(self) -> int: ...
    @property
    def tail_mass(self) -> float: ...
    @property
    def size_bytes(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> tuple[object, tuple[bytes]]: ...

@final
class PsiChain:
    """Chain proposal payload: L positions of top-K slots with previous-slot-dependent codes."""

    def __new__(
        cls,
        vocab: int,
        ids: object,
        codes: object,
        scales: object,
        tau: float,
        eps: object,
    ) -> PsiChain: ...
    @staticmethod
    def from_bytes(data: bytes | bytearray | memoryview) -> PsiChain: ...
    def to_bytes(self) -> bytes: ...
    def conditional(self, position: int, previous_slot: int = 0) -> PsiTopK: ...
    def conditionals_for(self, tokens: object) -> list[PsiTopK]: ...
    def logq(self, tokens: object) -> NDArray[np.float64]: ...
    @property
    def vocab(self) -> int: ...
    @property
    def K(self) -> int: ...
    @property
    def L(self) -> int: ...
    @property
    def tau(self) -> float: ...
    @property
    def ids(self) -> NDArray[np.uint32]: ...
    @property
    def codes(self) -> NDArray[np.uint8]: ...
    @property
    def scales(self) -> NDArray[np.float32]: ...
    @property
    def eps(self) -> NDArray[np.float32]: ...
    @property
    def size_bytes(self) -> int: ...
    def __len__(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> tuple[object, tuple[bytes]]: ...

@final
class BigramChain:
    """An M1 chain: the V×V target table and one ψ per context, prepared once."""

    def __new__(cls, logp: NDArray[np.float64], psis: list[PsiTopK]) -> BigramChain: ...
    @property
    def vocab(self) -> int: ...
    def run(self, seed: int, start: int, steps: int, initial: int) -> _M1Columns: ...
    def run_counts(self, seed: int, start: int, steps: int, initial: int) -> WalkCounts: ...

@final
class NgramModel:
    """A token n-gram language model with interpolated Kneser–Ney smoothing."""

    @staticmethod
    def train(tokens: NDArray[np.uint32], vocab: int, order: int) -> NgramModel: ...
    @property
    def order(self) -> int: ...
    @property
    def vocab(self) -> int: ...
    @property
    def contexts_per_level(self) -> list[int]: ...
    @property
    def discounts(self) -> list[float]: ...
    def logprobs_batch(
        self, tokens: NDArray[np.uint32], offsets: NDArray[np.uint64]
    ) -> NDArray[np.float64]: ...

def craft_psi_rows(
    p: NDArray[np.float64], k: int, tau: float, eps: float | None, bits: int = 8
) -> list[PsiTopK]: ...
def craft_chain_positions(
    rows: NDArray[np.float64], pool: NDArray[np.float64], k: int, eps: float | None
) -> _CraftedPositions: ...
def chains_from_positions(
    vocab: int,
    tau: float,
    ids: NDArray[np.uint32],
    codes: NDArray[np.uint8],
    scales: NDArray[np.float32],
    eps: NDArray[np.float32],
) -> list[PsiChain]: ...
def tsu_draw_chains(
    chains: list[PsiChain], seed: int, steps: NDArray[np.uint64]
) -> _DrawColumns: ...
def tsu_draw_each(psis: list[PsiTopK], seed: int, steps: NDArray[np.uint64]) -> _DrawColumns: ...
def verify_blocks(
    target_logp: NDArray[np.float64],
    psis: list[PsiTopK],
    tokens: NDArray[np.uint32],
    logq: NDArray[np.float64],
    lengths: NDArray[np.uint32],
    seeds: NDArray[np.uint64],
    steps: NDArray[np.uint64],
    parallel: bool = True,
    realised_logq: NDArray[np.float64] | None = None,
) -> BlockVerdicts: ...
def verify_external(
    logp: NDArray[np.float64],
    realised_logq: NDArray[np.float64],
    tokens: NDArray[np.uint32],
    logq: NDArray[np.float64],
    seed: int,
    start: int,
    initial: int,
    follow: bool,
) -> _M1Columns: ...
def psi_encoded_len(vocab: int, k: int, bits: int = 8) -> int: ...
def decode_any(data: bytes | bytearray | memoryview) -> PsiTopK | PsiChain | PsiGaussian: ...
def rng_words(seed: int, stream: int, start: int, count: int) -> NDArray[np.uint64]: ...
def chi2_sf(stat: float, dof: int) -> float: ...
def tsu_draw_many(psi: PsiTopK, seed: int, start: int, count: int) -> _DrawColumns: ...
def accept_correct(
    logp: NDArray[np.float64], psi: PsiTopK, token: int, logq: float, seed: int, step: int
) -> tuple[bool, int]: ...
def m0_run(
    logp: NDArray[np.float64], psi: PsiTopK, seed: int, start: int, steps: int
) -> _M0Columns: ...

class _GaussDrawColumns(TypedDict):
    values: NDArray[np.float64]
    logq: NDArray[np.float64]

class _GaussBlockColumns(TypedDict):
    accepted: NDArray[np.uint32]
    emitted: NDArray[np.float64]
    emitted_len: NDArray[np.uint32]
    tries: NDArray[np.uint32]

@final
class PsiGaussian:
    """A quantised diagonal Gaussian ψ over d values."""

    @staticmethod
    def craft(means: NDArray[np.float64], logvars: NDArray[np.float64]) -> PsiGaussian: ...
    @staticmethod
    def from_bytes(data: bytes | bytearray | memoryview) -> PsiGaussian: ...
    def to_bytes(self) -> bytes: ...
    def log_density(self, values: NDArray[np.float64]) -> float: ...
    @property
    def d(self) -> int: ...
    @property
    def offset(self) -> float: ...
    @property
    def step(self) -> float: ...
    @property
    def mean_codes(self) -> NDArray[np.int16]: ...
    @property
    def logvar_codes(self) -> NDArray[np.int8]: ...
    @property
    def means(self) -> NDArray[np.float64]: ...
    @property
    def logvars(self) -> NDArray[np.float64]: ...
    @property
    def sigmas(self) -> NDArray[np.float64]: ...
    @property
    def size_bytes(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> tuple[object, tuple[bytes]]: ...

@final
class PsiGaussianBatch:
    """N Gaussian payloads of one dimension d."""

    @staticmethod
    def craft(means: NDArray[np.float64], logvars: NDArray[np.float64]) -> PsiGaussianBatch: ...
    @staticmethod
    def from_payloads(payloads: list[PsiGaussian]) -> PsiGaussianBatch: ...
    def __len__(self) -> int: ...
    def __getitem__(self, key: int, /) -> PsiGaussian: ...
    @property
    def d(self) -> int: ...
    @property
    def means(self) -> NDArray[np.float64]: ...
    @property
    def logvars(self) -> NDArray[np.float64]: ...
    @property
    def sigmas(self) -> NDArray[np.float64]: ...
    def to_bytes_list(self) -> list[bytes]: ...
    @property
    def size_bytes(self) -> int: ...

def gauss_encoded_len(d: int) -> int: ...
def gauss_draw(
    payloads: PsiGaussianBatch, seed: int, steps: NDArray[np.uint64]
) -> _GaussDrawColumns: ...
def gauss_log_density(
    payloads: PsiGaussianBatch, values: NDArray[np.float64]
) -> NDArray[np.float64]: ...
def gauss_verify_blocks(
    payloads: PsiGaussianBatch,
    drafts: NDArray[np.float64],
    target_mean: NDArray[np.float64],
    target_sigma: NDArray[np.float64],
    seed: int,
    starts: NDArray[np.uint64],
    mode: str = "exact",
    bias: float = 1.0,
) -> _GaussBlockColumns: ...
def gauss_draw_target(
    target_mean: NDArray[np.float64],
    target_sigma: NDArray[np.float64],
    seed: int,
    steps: NDArray[np.uint64],
) -> NDArray[np.float64]: ...
def rng_lane_words(
    seed: int, stream: int, step: int, first_lane: int, count: int
) -> NDArray[np.uint64]: ...
def libm_map(name: str, values: NDArray[np.float64]) -> NDArray[np.float64]: ...
