"""The algebra of what a side means: tensors given by their entries, their products, and the markers' operations.

:mod:`derive.audit.semantics` turns an expression into a :class:`Tensor` (a shape and the entry
at any indices); this module holds what is done with tensors once read:

- products in the order written (:func:`ordered_product`, :func:`join_in_order`) or in the one order
  the shapes allow (:func:`product`, :func:`join`), and the signature that compares two orders of one product;
- the operations the reader writes as markers: ``a ⊙ b`` (:func:`hadamard`), ``diag(v)``,
  ``tr(M)``, ``‖v‖`` (:func:`norm`), a function applied entry by entry (:func:`elementwise`).

The marker operations are the model's own (:mod:`derive.model.functions`: ``*``, ``diag``,
``trace``, ``norm``, ``elementwise``), so a post's ``(V^T(\\hat{y} - y)) \\odot (1 - h \\odot h)``
and a Python model's ``(V.T @ (yhat - y)) * (1 - h * h)`` mean one expression. Everything here
builds expressions; nothing decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.reader import MATMUL

if TYPE_CHECKING:
    from derive.model.tensor import Tensor as ModelTensor

__all__ = [
    "SemanticsError",
    "Tensor",
    "contracted",
    "describe",
    "diag",
    "elementwise",
    "hadamard",
    "join",
    "join_in_order",
    "kind",
    "norm",
    "ones_like",
    "shape_text",
    "signature",
    "trace",
    "without_order",
]


class SemanticsError(ValueError):
    """An expression that was read but has no meaning the engine can check (the reason says why)."""


@dataclass(frozen=True)
class Tensor:
    """A scalar (shape ()), a vector (n,) or a matrix (r, c), given by its entry at any indices."""

    shape: tuple[sp.Expr, ...]
    at: Callable[..., sp.Expr]
    #: A vector written as a row (x^T, a row B_j of a matrix); vectors are columns otherwise.
    row: bool = False

    @classmethod
    def scalar(cls, value: sp.Expr) -> Tensor:
        return cls((), lambda: value)


_CONTRACTED = itertools.count()


def contracted() -> sp.Symbol:
    """A fresh summation index for a contraction (a product's inner index, a CE's class)."""
    return sp.Symbol(f"x{next(_CONTRACTED)}_", integer=True)


def ones_like(t: Tensor | None) -> Tensor:
    """The vector (or matrix) of ones of ``t``'s shape: ``\\mathbf{1}`` beside ``t``."""
    assert t is not None
    return Tensor(t.shape, lambda *_ix: sp.Integer(1), row=t.row)


# -- the model's operations on read tensors ---------------------------------------------------------
# derive.model (and the numpy it brings) loads when a post first uses one of them, not with the audit:
# most posts write sums of entries, and the import is a third of the audit's cold start.

def _model(t: Tensor) -> ModelTensor:
    from derive.model.tensor import Tensor as ModelTensor

    return ModelTensor(t.shape, t.at)


def _read(m: ModelTensor, *, row: bool = False) -> Tensor:
    return Tensor(m.shape, m.entry, row=row)


def hadamard(a: Tensor, b: Tensor) -> Tensor:
    """``a ⊙ b``: the entry-wise product of two vectors or matrices of one shape (and orientation)."""
    if a.shape != b.shape or (len(a.shape) == 1 and a.row != b.row):
        raise SemanticsError(f"an elementwise product of different shapes: {describe(a)} and {describe(b)}")
    if not a.shape:
        raise SemanticsError("an elementwise product of two scalars: write an ordinary product")
    return _read(_model(a) * _model(b), row=a.row)


def diag(v: Tensor) -> Tensor:
    """``diag(v)``: the square matrix with v on its diagonal, entry (a, b) = v_a δ_ab."""
    if len(v.shape) != 1:
        raise SemanticsError(f"diag of a {describe(v)}: diag(v) takes a vector")
    from derive.model import functions

    return _read(functions.diag(_model(v)))


def trace(m: Tensor) -> Tensor:
    """``tr(M)``: Σ_a M_aa of a square matrix."""
    if len(m.shape) != 2 or sp.simplify(m.shape[0] - m.shape[1]) != 0:
        raise SemanticsError(f"the trace of a {describe(m)}: tr takes a square matrix")
    square = Tensor((m.shape[0], m.shape[0]), m.at)
    from derive.model import functions

    return _read(functions.trace(_model(square)))


def norm(t: Tensor) -> Tensor:
    """``‖v‖``, ``‖M‖_F``: sqrt(Σ v²) over every entry; ``‖x‖`` of a scalar is |x|."""
    from derive.model import functions

    return _read(functions.norm(_model(t)))


def elementwise(fn: Callable[[sp.Expr], sp.Expr], t: Tensor) -> Tensor:
    """``fn`` applied to each entry of ``t`` (tanh, exp, max(0, ·), a square root of a vector)."""
    from derive.model import functions

    return _read(functions.elementwise(fn, _model(t)), row=t.row)


# -- products ---------------------------------------------------------------------------------------

def join(a: Tensor, b: Tensor, *, outer: bool) -> Tensor | None:
    """a·b when the shapes allow it, for factors whose written order and orientation are lost.

    Each vector stands as whatever fits: a row before a matrix or in a dot product, a
    column after a matrix, column times row when an outer product is ``expected``.
    """
    vectors = len(a.shape) == 1 and len(b.shape) == 1
    joined = join_in_order(replace(a, row=len(a.shape) == 1 and not (outer and vectors)),
                           replace(b, row=outer and vectors))
    return None if joined is None else replace(joined, row=False)


def join_in_order(a: Tensor, b: Tensor) -> Tensor | None:
    """a b as written: a column times a row is an outer product, a row times a column (or a
    dot of two vectors written alike) an inner one; a matrix takes a column on its right
    and a row on its left. None when the shapes do not fit."""
    x = contracted()
    if len(a.shape) == 1 and len(b.shape) == 1:
        if not a.row and b.row:
            return Tensor((a.shape[0], b.shape[0]), lambda i, j: a.at(i) * b.at(j))
        if a.shape[0] == b.shape[0]:
            return Tensor.scalar(sp.Sum(a.at(x) * b.at(x), (x, 1, a.shape[0])))
        return None
    if len(a.shape) == 2 and len(b.shape) == 1 and not b.row and a.shape[1] == b.shape[0]:
        return Tensor((a.shape[0],), lambda i: sp.Sum(a.at(i, x) * b.at(x), (x, 1, b.shape[0])))
    if len(a.shape) == 1 and len(b.shape) == 2 and a.row and a.shape[0] == b.shape[0]:
        return Tensor((b.shape[1],), lambda j: sp.Sum(a.at(x) * b.at(x, j), (x, 1, a.shape[0])), row=True)
    if len(a.shape) == 2 and len(b.shape) == 2 and a.shape[1] == b.shape[0]:
        return Tensor((a.shape[0], b.shape[1]), lambda i, j: sp.Sum(a.at(i, x) * b.at(x, j), (x, 1, a.shape[1])))
    return None


def product(factors: list[Tensor], expected: tuple[sp.Expr, ...] | None) -> Tensor:
    """A product whose written order SymPy lost: the one result every order the shapes allow agrees on
    (up to how its sums nest), the ``expected`` shape settling vectors; ambiguous otherwise."""
    scalars = [f.at() for f in factors if not f.shape]
    arrays = [f for f in factors if f.shape]
    coefficient = sp.Mul(*scalars)
    if not arrays:
        return Tensor.scalar(coefficient)
    results = []
    for order in itertools.permutations(arrays):
        combined = _chain(list(order), expected)
        if combined is not None:
            results.append(combined)
    if not results:
        raise SemanticsError("the shapes of this product do not fit in any order")
    shapes = {r.shape for r in results}
    if len(shapes) > 1 and expected is not None:
        results = [r for r in results if r.shape == expected] or results
        shapes = {r.shape for r in results}
    if len(shapes) > 1:
        raise SemanticsError("the order of this product of vectors and matrices is ambiguous; "
                             "write it with explicit indices")
    probe = [sp.Symbol(f"probe{i}", integer=True) for i in range(len(results[0].shape))]
    # The same product in another order differs only in how its sums nest and in the
    # names of their indices: compare the flattened products up to renaming.
    values = {signature(r.at(*probe)) for r in results}
    if len(values) > 1:
        raise SemanticsError("the order of this product of vectors and matrices is ambiguous; "
                             "write it with explicit indices")
    chosen = results[0]
    return Tensor(chosen.shape, lambda *ix: coefficient * chosen.at(*ix))

def ordered_product(factors: list[Tensor]) -> Tensor:
    """A product of vectors and matrices in its written order (scalars commute out)."""
    coefficient = sp.Mul(*[f.at() for f in factors if not f.shape])
    arrays = [f for f in factors if f.shape]
    if not arrays:
        return Tensor.scalar(coefficient)
    current = arrays[0]
    for nxt in arrays[1:]:
        joined = join_in_order(current, nxt)
        if joined is None:
            raise SemanticsError(f"the shapes of this product do not fit in the order written "
                                 f"({shape_text(current)} times {shape_text(nxt)}); is a transpose missing?")
        current = joined
    done = current
    return Tensor(done.shape, lambda *ix: coefficient * done.at(*ix), row=done.row)

def _chain(order: list[Tensor], expected: tuple[sp.Expr, ...] | None) -> Tensor | None:
    current = order[0]
    for nxt in order[1:]:
        joined = join(current, nxt, outer=expected is not None and len(expected) == 2)
        if joined is None:
            return None
        current = joined
    return current


def _flatten(expr: sp.Basic) -> tuple[sp.Expr, list[tuple[sp.Basic, ...]]]:
    """A product of nested sums as one product and the list of its summations."""
    if isinstance(expr, sp.Sum):
        body, limits = _flatten(expr.function)
        return body, [*limits, *[tuple(lim) for lim in expr.limits]]
    if isinstance(expr, sp.Mul):
        factors, limits = [], []
        for arg in expr.args:
            f, lim = _flatten(arg)
            factors.append(f)
            limits += lim
        return sp.Mul(*factors), limits
    return expr, []


def signature(expr: sp.Basic) -> str:
    """The flattened product with its summation indices renamed in the way that sorts first."""
    body, limits = _flatten(expr)
    best = None
    for order in itertools.permutations(limits):
        names = {lim[0]: sp.Symbol(f"ι{n}", integer=True) for n, lim in enumerate(order)}
        text = sp.srepr(body.xreplace(names)) + "|" + "".join(
            sorted(sp.srepr((names[lim[0]], *lim[1:])) for lim in order))
        best = text if best is None or text < best else best
    return best or sp.srepr(body)


def kind(t: Tensor) -> str:
    return {0: "scalar", 1: "vector", 2: "matrix"}.get(len(t.shape), "tensor")


def shape_text(t: Tensor) -> str:
    return "×".join(sp.sstr(s) for s in t.shape) or "scalar"


def describe(t: Tensor) -> str:
    """``vector (d)``, ``row vector (d)``, ``matrix (c×d)``, ``scalar``: a tensor's kind and shape."""
    if not t.shape:
        return "scalar"
    return f"{'row ' if t.row and len(t.shape) == 1 else ''}{kind(t)} ({shape_text(t)})"


def without_order(expr: sp.Basic) -> sp.Basic:
    """A written-order product left where only scalars are (a function's argument) as a plain product."""
    return expr.replace(lambda node: isinstance(node, AppliedUndef) and node.func == MATMUL,
                        lambda node: sp.Mul(*node.args))
