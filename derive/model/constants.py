"""Constant tensors of the model layer: ``ones(N)``, the vector of N ones (``ones(N) @ b.T`` repeats a bias per row).

Examples:
    >>> from derive.model import Size
    >>> ones(Size("N"))[2]
    1
"""

from __future__ import annotations

import sympy as sp

from derive.model.graph import recorded
from derive.model.tensor import Size, Tensor

__all__ = ["ones"]


@recorded("ones")
def ones(*dims: Size) -> Tensor:
    """The vector (one Size) or matrix (two) whose entries are all 1."""
    if len(dims) not in (1, 2) or not all(isinstance(d, Size) for d in dims):
        raise TypeError(f"ones takes one or two derive.model.Size objects, got {dims!r}")
    return Tensor(tuple(d.symbol for d in dims), lambda *_: sp.S.One, sizes=frozenset(dims))
