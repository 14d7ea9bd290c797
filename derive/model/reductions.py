"""Reductions along an axis (numpy's ``axis=`` and ``keepdims=``): sum, mean, max, softmax, log-softmax, log-sum-exp.

Along a symbolic size a reduction is a SymPy ``Sum`` over a fresh bound index, which the
engine's index calculus reduces for every size. ``max`` has no such form (SymPy has no
unevaluated maximum over a range), so it takes fixed sizes and is the ``Max`` of the entries.

Examples:
    >>> from derive.model import Size, Matrix
    >>> S = Matrix("S", Size("N"), Size("k"))
    >>> softmax(S, axis=1).shape, S.sum(axis=0).shape, S.mean(axis=1, keepdims=True).shape
    ((N, k), (k,), (N, 1))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from derive.model.errors import ModelTypeError
from derive.model.graph import recorded
from derive.model.tensor import OPERATIONS, Tensor, as_tensor, fresh

__all__ = ["log_softmax", "logsumexp", "max", "mean", "normalized_axis", "softmax", "sum"]

def normalized_axis(x: Tensor, axis: int, what: str) -> int:
    """``axis`` as a nonnegative axis of x (numpy counts -1 as the last)."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ModelTypeError(f"{what}: axis is an int such as 0 or -1, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ModelTypeError(f"{what}(axis={axis}) on a tensor of shape {x.shape}: the axes are "
                             f"{', '.join(str(a) for a in range(x.ndim)) or 'none (a scalar)'}")
    return axis % x.ndim


def _reduce(x: Tensor, axis: int | None, keepdims: bool, what: str,
            fold: Callable[[Callable[[sp.Expr], sp.Expr], sp.Expr], sp.Expr]) -> Tensor:
    """The tensor whose entries fold ``x`` along ``axis`` (None: along every axis)."""
    if x.ndim == 0:
        return x
    if axis is None:
        flat: Tensor = x
        for _ in range(x.ndim - 1):
            flat = _reduce(flat, 0, False, what, fold)
        out = _reduce(flat, 0, False, what, fold)
        if keepdims:
            return out._with((sp.S.One,) * x.ndim, lambda *_: out.entry())
        return out
    a = normalized_axis(x, axis, what)
    size = x.shape[a]
    kept = x.shape[:a] + ((sp.S.One,) if keepdims else ()) + x.shape[a + 1:]

    def entry(*ix: sp.Expr) -> sp.Expr:
        before, after = ix[:a], ix[a + 1:] if keepdims else ix[a:]
        return fold(lambda n: x.entry(*before, n, *after), size)
    return x._with(kept, entry)


def _sum_fold(body: Callable[[sp.Expr], sp.Expr], size: sp.Expr) -> sp.Expr:
    n = fresh()
    return sp.Sum(body(n), (n, 1, size))


@recorded("sum")
def sum(t: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The sum of all entries (a scalar), or along ``axis``."""
    x = as_tensor(t)
    if axis is None and x.ndim and not keepdims:
        # One Sum with a limit per axis, the form the engine's index calculus starts from.
        bound = [fresh() for _ in x.shape]
        body = x.entry(*bound)
        return x._with((), lambda: sp.Sum(body, *[(b, 1, n) for b, n in zip(bound, x.shape, strict=True)]))
    return _reduce(x, axis, keepdims, "sum", _sum_fold)


@recorded("mean")
def mean(t: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The mean of all entries, or along ``axis`` (0: over the rows, the batch dimension)."""
    x = as_tensor(t)
    total = sum(x, axis, keepdims)
    count = sp.Mul(*x.shape) if axis is None else x.shape[normalized_axis(x, axis, "mean")]
    return total / Tensor((), lambda: count, sizes=x.sizes)  # a number of the sizes: a constant in the graph


def max(t: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The largest entry, or the largest along ``axis``; each size reduced must be fixed (``Size("k", 3)``).

    Examples:
        >>> from derive.model import Size, Vector
        >>> max(Vector("z", Size("k", 3))).expr
        Max(z[1], z[2], z[3])
    """
    x = as_tensor(t)
    fixed = {s.symbol: sp.Integer(s.value) for s in x.sizes if s.value is not None}

    reduced = x.shape if axis is None else (x.shape[normalized_axis(x, axis, "max")],) if x.ndim else ()
    for size in reduced:  # checked now, not when an entry is first read
        if not size.xreplace(fixed).is_Integer:
            raise ModelTypeError(f"max along an axis of symbolic size {size} has no closed form in SymPy; "
                                 f"declare the size with a value, e.g. Size({str(size)!r}, 3)")

    def fold(body: Callable[[sp.Expr], sp.Expr], size: sp.Expr) -> sp.Expr:
        return sp.Max(*[body(sp.Integer(n)) for n in range(1, int(size.xreplace(fixed)) + 1)])
    return _reduce(x, axis, keepdims, "max", fold)


def _exp_total(x: Tensor, a: int) -> Callable[..., sp.Expr]:
    """Σ_n exp(x[..., n, ...]) along axis a, for an entry's index."""
    size = x.shape[a]

    def total(*ix: sp.Expr) -> sp.Expr:
        n = fresh("n")
        return sp.Sum(sp.exp(x.entry(*ix[:a], n, *ix[a + 1:])), (n, 1, size))
    return total


@recorded("softmax")
def softmax(t: Any, axis: int = -1) -> Tensor:
    """exp(z_i) / Σ_n exp(z_n) along ``axis`` (the last by default: a vector, or each row of a matrix)."""
    x = as_tensor(t)
    if x.ndim == 0:
        raise ModelTypeError("softmax takes a vector, a matrix or a rank-3 tensor, got a scalar")
    total = _exp_total(x, normalized_axis(x, axis, "softmax"))
    out = x._with(x.shape, lambda *ix: sp.exp(x.entry(*ix)) / total(*ix))
    # Its log in log-sum-exp form (z_i - log Σ exp z_n), so log(softmax) stays small.
    return Tensor(out.shape, out.entry, out.declarations, out.sizes,
                  log_entry=lambda *ix: x.entry(*ix) - sp.log(total(*ix)), kind="softmax")


@recorded("log_softmax")
def log_softmax(t: Any, axis: int = -1) -> Tensor:
    """log softmax in log-sum-exp form, z_i - log Σ_n exp(z_n), along ``axis``."""
    s = softmax(t, axis)
    assert s.log_entry is not None
    return s._with(s.shape, s.log_entry)


@recorded("logsumexp")
def logsumexp(t: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """log Σ exp over all entries (a scalar), or along ``axis``."""
    x = as_tensor(t)
    if x.ndim == 0:
        raise ModelTypeError("logsumexp takes a vector, a matrix or a rank-3 tensor, got a scalar")
    total = sum(x._with(x.shape, lambda *ix: sp.exp(x.entry(*ix))), axis, keepdims)
    return total._with(total.shape, lambda *ix: sp.log(total.entry(*ix)))


OPERATIONS.update({"sum": sum, "mean": mean, "max": max})
