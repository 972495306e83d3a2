"""Continuous drafts: the Gaussian ψ payload, exact TSU draws with their log densities, exact
verification against a Gaussian target (and the named lossy modes), and the closed-form
acceptance rates. Rows are vectorised: numpy arrays in, numpy arrays out (docs/GAUSSIAN.md).
"""

from tsd.gaussian.overlap import overlap_1d, overlap_diagonal_mc, overlap_equal_sigma
from tsd.gaussian.payload import (
    LOGVAR_MAX,
    LOGVAR_MIN,
    MAX_DIM,
    PsiGaussian,
    PsiGaussianBatch,
    craft,
    encoded_size,
    from_bytes,
)
from tsd.gaussian.sampling import GaussDraws, draw, draw_target, log_density
from tsd.gaussian.verification import MODES, BlockVerdicts, RowVerdicts, verify, verify_blocks

__all__ = [
    "LOGVAR_MAX",
    "LOGVAR_MIN",
    "MAX_DIM",
    "MODES",
    "BlockVerdicts",
    "GaussDraws",
    "PsiGaussian",
    "PsiGaussianBatch",
    "RowVerdicts",
    "craft",
    "draw",
    "draw_target",
    "encoded_size",
    "from_bytes",
    "log_density",
    "overlap_1d",
    "overlap_diagonal_mc",
    "overlap_equal_sigma",
    "verify",
    "verify_blocks",
]
