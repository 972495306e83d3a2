"""Target distributions p that the verifier enforces."""

from tsd.targets.categorical import Categorical, make_p, make_zipf

__all__ = ["Categorical", "make_p", "make_zipf"]
