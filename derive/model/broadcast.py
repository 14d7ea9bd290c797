"""Broadcasting by numpy's rules (ranks up to 3), and the constant tensors ``ones`` and ``eye``.

Two shapes are aligned from their last dimension; each pair of sizes must be equal or one of
them 1, and a missing leading dimension counts as 1. So a bias vector ``b`` of h entries is
added to every row of an N × h matrix: ``X @ W + b``, as in numpy. Nothing is copied: an entry
of the broadcast tensor is the entry of the original at the index with each stretched axis at 1.

Examples:
    >>> from derive.model import Size, Matrix, Vector
    >>> N, d, h = Size("N"), Size("d"), Size("h")
    >>> X, W, b = Matrix("X", N, d), Matrix("W", d, h), Vector("b", h)
    >>> (X @ W + b).shape
    (N, h)
    >>> (X @ W + b)[2, 3].args[0]
    b[3]
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.model.errors import ModelTypeError
from derive.model.tensor import Size, Tensor, as_tensor

__all__ = ["MAX_RANK", "broadcast_shapes", "broadcast_to", "eye", "ones", "zeros"]

#: The highest rank broadcasting takes (batch × sequence × feature).
MAX_RANK = 3


def broadcast_shapes(a: tuple[sp.Expr, ...], b: tuple[sp.Expr, ...]) -> tuple[sp.Expr, ...]:
    """The shape numpy would give ``a + b``, or a ModelTypeError saying which sizes clash."""
    if max(len(a), len(b)) > MAX_RANK:
        raise ModelTypeError(f"broadcasting takes tensors of rank up to {MAX_RANK}; got shapes {a} and {b}")
    rank = max(len(a), len(b))
    left = (sp.S.One,) * (rank - len(a)) + tuple(a)
    right = (sp.S.One,) * (rank - len(b)) + tuple(b)
    out = []
    for axis, (m, n) in enumerate(zip(left, right, strict=True)):
        if m == n or n == 1:
            out.append(m)
        elif m == 1:
            out.append(n)
        else:
            raise ModelTypeError(
                f"shapes {a} and {b} do not broadcast: on axis {axis - rank} the sizes are {m} and {n}, and "
                "numpy's rule needs them equal or one of them 1; transpose with .T or use @ for the matrix product")
    return tuple(out)


def broadcast_to(t: Any, shape: tuple[sp.Expr, ...]) -> Tensor:
    """``t`` stretched to ``shape`` (numpy's ``broadcast_to``)."""
    x = as_tensor(t)
    if tuple(x.shape) == tuple(shape):
        return x
    if broadcast_shapes(x.shape, shape) != tuple(shape):
        raise ModelTypeError(f"a tensor of shape {x.shape} does not broadcast to {shape}")
    skip = len(shape) - x.ndim
    stretched = [n == 1 and m != 1 for n, m in zip(x.shape, shape[skip:], strict=True)]

    def entry(*ix: sp.Expr) -> sp.Expr:
        own = ix[skip:]
        return x.entry(*[sp.S.One if s else i for i, s in zip(own, stretched, strict=True)])
    return x._with(tuple(shape), entry)


def broadcast_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Both tensors at their common broadcast shape (scalars stay scalars)."""
    if not a.ndim or not b.ndim or a.shape == b.shape:
        return a, b
    shape = broadcast_shapes(a.shape, b.shape)
    return broadcast_to(a, shape), broadcast_to(b, shape)


def _dims(sizes: tuple[Any, ...], what: str) -> tuple[tuple[sp.Expr, ...], frozenset[Size]]:
    if not sizes or len(sizes) > MAX_RANK:
        raise ModelTypeError(f"{what} takes 1 to {MAX_RANK} sizes, got {len(sizes)}")
    dims: list[sp.Expr] = []
    for s in sizes:
        if isinstance(s, Size):
            dims.append(s.symbol)
        elif isinstance(s, int) and not isinstance(s, bool) and s >= 1:
            dims.append(sp.Integer(s))
        else:
            raise ModelTypeError(f"{what}: a size is a derive.model.Size or a positive int, got {s!r}")
    return tuple(dims), frozenset(s for s in sizes if isinstance(s, Size))


def ones(*sizes: Size | int) -> Tensor:
    """A tensor of ones: ``ones(N)`` a vector, ``ones(N, 1)`` a column matrix, ``ones(1, N)`` a row.

    Examples:
        >>> from derive.model import Size
        >>> ones(Size("N"))[3]
        1
    """
    dims, known = _dims(sizes, "ones")
    return Tensor(dims, lambda *_: sp.S.One, sizes=known)


def zeros(*sizes: Size | int) -> Tensor:
    """A tensor of zeros of the given shape."""
    dims, known = _dims(sizes, "zeros")
    return Tensor(dims, lambda *_: sp.S.Zero, sizes=known)


def eye(size: Size | int) -> Tensor:
    """The identity matrix: entry (i, j) is δ_ij.

    Examples:
        >>> from derive.model import Size
        >>> import sympy as sp
        >>> i, j = sp.symbols("i j", integer=True)
        >>> eye(Size("n"))[i, j]
        KroneckerDelta(i, j)
    """
    dims, known = _dims((size,), "eye")
    return Tensor(dims * 2, lambda i, j: sp.KroneckerDelta(i, j), sizes=known)
