"""Tensors of the model layer: a shape and an entry function, written in the engine's own language.

A :class:`Tensor` is a shape (sizes: symbols, or integers at fixed sizes) and a rule that gives
the SymPy expression of any entry at any (1-based) index: ``t.entry(i, j)``. Declared arrays
(:func:`Vector`, :func:`Matrix`, :func:`Labels`) are SymPy ``IndexedBase`` objects; a matrix
product introduces a ``Sum`` over a fresh bound index, exactly the sums the engine's index
calculus (:mod:`derive.engine.sums`) reduces for every size.

Vectors are columns. ``x.T`` is the row (1 × n), so ``u @ x.T`` is the outer product and
``x.T @ u`` the dot product (a scalar), as in the usual matrix notation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derive.engine.space import ArraySpec, Role
from derive.model.errors import ModelTypeError

__all__ = ["Declaration", "Labels", "Matrix", "Scalar", "Size", "Tensor", "Vector", "as_tensor"]

_counter = itertools.count()


def fresh(name: str = "k") -> sp.Symbol:
    """A bound summation index no user symbol can take (the engine renames it canonically)."""
    return sp.Symbol(f"{name}·{next(_counter)}", integer=True)


@dataclass(frozen=True)
class Size:
    """A dimension: a positive integer symbol, optionally with a fixed value (``Size("c", 3)``).

    Examples:
        >>> Size("c").symbol
        c
        >>> Size("c", 3).value
        3
    """

    name: str
    value: int | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ModelTypeError(f"a size's name is an identifier such as 'c', not {self.name!r}")
        if self.value is not None and (not isinstance(self.value, int) or self.value < 1):
            raise ModelTypeError(f"size {self.name!r}: a fixed value is a positive int, not {self.value!r}")

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, integer=True, positive=True)

    def __str__(self) -> str:
        return self.name

    # A size used in arithmetic (eps / k) is the scalar it stands for.
    def __add__(self, other: Any) -> Tensor:
        return as_tensor(self) + other

    def __radd__(self, other: Any) -> Tensor:
        return as_tensor(other) + as_tensor(self)

    def __sub__(self, other: Any) -> Tensor:
        return as_tensor(self) - other

    def __rsub__(self, other: Any) -> Tensor:
        return as_tensor(other) - as_tensor(self)

    def __mul__(self, other: Any) -> Tensor:
        return as_tensor(self) * other

    def __rmul__(self, other: Any) -> Tensor:
        return as_tensor(other) * as_tensor(self)

    def __truediv__(self, other: Any) -> Tensor:
        return as_tensor(self) / other

    def __rtruediv__(self, other: Any) -> Tensor:
        return as_tensor(other) / as_tensor(self)


@dataclass(frozen=True)
class Declaration:
    """Something a tensor mentions that the user declared: an array, a scalar, or labels.

    ``kind`` is "array", "scalar" or "labels"; ``fixed`` holds the sizes with a value.
    """

    name: str
    kind: str
    base: sp.IndexedBase | None = None
    symbol: sp.Symbol | None = None
    shape: tuple[Size, ...] = ()
    role: str = Role.INPUTS
    between: tuple[sp.Expr, sp.Expr] | None = None
    soft: bool = True
    at: sp.Symbol | sp.IndexedBase | None = None

    def spec(self) -> ArraySpec:
        assert self.base is not None
        return ArraySpec(self.base, tuple(s.symbol for s in self.shape), self.role)


@dataclass(frozen=True, eq=False)
class Tensor:
    """A shape and the SymPy expression of each entry (``entry(*indices)``, 1-based).

    Scalars have shape (), vectors (n,), matrices (m, n); a row is (1, n).
    """

    shape: tuple[sp.Expr, ...]
    entry: Callable[..., sp.Expr]
    declarations: frozenset[Declaration] = field(default_factory=frozenset)
    sizes: frozenset[Size] = field(default_factory=frozenset)
    #: For a softmax: the entry of its log in log-sum-exp form (so log(softmax) stays small).
    log_entry: Callable[..., sp.Expr] | None = None
    kind: str = "tensor"

    # -- what it is -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_row(self) -> bool:
        return self.ndim == 2 and self.shape[0] == 1

    def __getitem__(self, index: Any) -> sp.Expr:
        ix = index if isinstance(index, tuple) else (index,)
        if len(ix) != self.ndim:
            raise ModelTypeError(f"a tensor of shape {self.shape} takes {self.ndim} indices, got {len(ix)}")
        return self.entry(*[sp.sympify(i) if isinstance(i, int) else i for i in ix])

    @property
    def expr(self) -> sp.Expr:
        """The SymPy expression of a scalar."""
        if self.ndim:
            raise ModelTypeError(f"a tensor of shape {self.shape} is not a scalar; take .sum() or an entry t[i]")
        return self.entry()

    def __bool__(self) -> bool:
        raise ModelTypeError("a tensor has no truth value; compare two of them with derive.model.claim(lhs, rhs)")

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape})" if self.ndim else f"Tensor({self.entry()})"

    # -- shape changes ------------------------------------------------------------------
    @property
    def T(self) -> Tensor:
        if self.ndim == 0:
            return self
        if self.ndim == 1:
            return self._with((sp.S.One, self.shape[0]), lambda _i, j: self.entry(j))
        if self.is_row:
            return self._with((self.shape[1],), lambda i: self.entry(sp.S.One, i))
        if self.ndim > 2:  # numpy's .T: the axes reversed
            from derive.model.arrays import transpose
            return transpose(self)
        return self._with((self.shape[1], self.shape[0]), lambda i, j: self.entry(j, i))

    def _with(self, shape: tuple[sp.Expr, ...], entry: Callable[..., sp.Expr], *others: Tensor,
              kind: str = "tensor") -> Tensor:
        decls = self.declarations.union(*(o.declarations for o in others))
        sizes = self.sizes.union(*(o.sizes for o in others))
        return Tensor(tuple(shape), entry, decls, sizes, kind=kind)

    # -- arithmetic -----------------------------------------------------------------------
    def _elementwise(self, other: Any, op: Callable[[sp.Expr, sp.Expr], sp.Expr], reverse: bool = False) -> Tensor:
        from derive.model.broadcast import broadcast_pair  # broadcast builds on this module

        o = as_tensor(other)
        a, b = broadcast_pair(*((o, self) if reverse else (self, o)))
        shape = a.shape if a.ndim else b.shape

        def entry(*ix: sp.Expr) -> sp.Expr:
            return op(a.entry(*ix) if a.ndim else a.entry(), b.entry(*ix) if b.ndim else b.entry())
        return a._with(shape, entry, b)

    def __add__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u + v)

    def __radd__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u + v, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u - v)

    def __rsub__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u - v, reverse=True)

    def __mul__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u * v)

    def __rmul__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u * v, reverse=True)

    def __truediv__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u / v)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u / v, reverse=True)

    def __pow__(self, other: Any) -> Tensor:
        return self._elementwise(other, lambda u, v: u**v)

    def __neg__(self) -> Tensor:
        return self._with(self.shape, lambda *ix: -self.entry(*ix))

    # Comparisons are 0/1 masks (derive.model.piecewise), as numpy's boolean arrays cast to float.
    def __gt__(self, other: Any) -> Tensor:
        from derive.model.piecewise import compare
        return compare(self, other, ">")

    def __ge__(self, other: Any) -> Tensor:
        from derive.model.piecewise import compare
        return compare(self, other, ">=")

    def __lt__(self, other: Any) -> Tensor:
        from derive.model.piecewise import compare
        return compare(self, other, "<")

    def __le__(self, other: Any) -> Tensor:
        from derive.model.piecewise import compare
        return compare(self, other, "<=")

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, as_tensor(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(as_tensor(other), self)

    # -- reductions (derive.model.reductions, which builds on this module) ---------------
    def sum(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The sum of all entries (a scalar), or along ``axis``."""
        from derive.model.reductions import sum as reduce_sum
        return reduce_sum(self, axis, keepdims)

    def mean(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The mean of all entries, or along ``axis`` (0: over the rows, the batch dimension)."""
        from derive.model.reductions import mean
        return mean(self, axis, keepdims)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The largest entry, or the largest along ``axis`` (at fixed sizes)."""
        from derive.model.reductions import max as reduce_max
        return reduce_max(self, axis, keepdims)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """The matrix product; vectors are columns (n × 1), rows are 1 × n."""
    if a.ndim == 0 or b.ndim == 0:
        raise ModelTypeError("@ needs two vectors or matrices; multiply by a scalar with *")
    if a.ndim > 2 or b.ndim > 2:
        from derive.model.arrays import batched_matmul  # rank 3 builds on this module
        return batched_matmul(a, b)
    a_cols = a.shape[-1] if a.ndim == 2 else sp.S.One
    b_rows = b.shape[0]
    if a.ndim == 1 and b.ndim == 1:
        a_cols = a.shape[0]  # u @ v of two vectors: the dot product, as in numpy
    if a_cols != b_rows:
        raise ModelTypeError(f"@ of shapes {a.shape} and {b.shape}: the inner sizes {a_cols} and {b_rows} differ")

    def left(i: sp.Expr, k: sp.Expr) -> sp.Expr:
        return a.entry(i, k) if a.ndim == 2 else a.entry(i)

    def right(k: sp.Expr, j: sp.Expr) -> sp.Expr:
        return b.entry(k, j) if b.ndim == 2 else b.entry(k)

    if a.ndim == 1 and b.ndim == 1:
        return a._with((), lambda: _contract(lambda k: a.entry(k) * b.entry(k), a_cols), b)
    if a.ndim == 1:  # column (n × 1) times a row (1 × m): the outer product
        return a._with((a.shape[0], b.shape[1]), lambda i, j: a.entry(i) * b.entry(sp.S.One, j), b)
    rows_a = a.shape[0]
    if b.ndim == 1:
        if a.is_row:
            return a._with((), lambda: _contract(lambda k: a.entry(sp.S.One, k) * b.entry(k), a_cols), b)
        return a._with((rows_a,), lambda i: _contract(lambda k: left(i, k) * b.entry(k), a_cols), b)
    if a.is_row and b.shape[1] == 1:
        return a._with((), lambda: _contract(lambda k: left(sp.S.One, k) * right(k, sp.S.One), a_cols), b)
    return a._with((rows_a, b.shape[1]), lambda i, j: _contract(lambda k: left(i, k) * right(k, j), a_cols), b)


def _contract(body: Callable[[sp.Expr], sp.Expr], size: sp.Expr) -> sp.Expr:
    k = fresh()
    return sp.Sum(body(k), (k, 1, size))


def as_tensor(value: Any) -> Tensor:
    """A tensor, a Size or a number (int, Fraction, SymPy number or symbol) as a tensor."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, Size):
        sym = value.symbol
        return Tensor((), lambda: sym, sizes=frozenset({value}))
    if isinstance(value, bool) or isinstance(value, str):
        raise ModelTypeError(f"expected a tensor or a number, got {value!r}")
    if isinstance(value, (int, float)):
        number = sp.Integer(value) if isinstance(value, int) else sp.Rational(value)
        return Tensor((), lambda: number)
    if isinstance(value, sp.Basic) and value.is_number:
        return Tensor((), lambda: value)
    raise ModelTypeError(f"expected a tensor, a Size or a number, got {type(value).__name__}; declare symbols with "
                    "derive.model.Scalar")


def _sizes(dims: Iterable[Size]) -> tuple[Size, ...]:
    out = tuple(dims)
    for d in out:
        if not isinstance(d, Size):
            raise ModelTypeError(f"a dimension is a derive.model.Size (e.g. Size('c') or Size('c', 3)), got {d!r}")
    return out


def _array(name: str, dims: tuple[Size, ...], role: str, kind: str = "array", **extra: Any) -> Tensor:
    if not name.isidentifier():
        raise ModelTypeError(f"an array's name is an identifier such as 'W', not {name!r}")
    base = sp.IndexedBase(name, real=True)
    decl = Declaration(name, kind, base=base, shape=dims, role=role, **extra)
    shape = tuple(d.symbol for d in dims)
    return Tensor(shape, lambda *ix: base[ix] if len(ix) > 1 else base[ix[0]], frozenset({decl}),
                  frozenset(dims), kind=kind)


def _interval(name: str, between: tuple[Any, Any] | None, positive: bool = False) -> tuple[sp.Expr, sp.Expr] | None:
    """The open interval (lo, hi) of a declaration; ``positive`` is (0, oo)."""
    if between is None:
        return (sp.S.Zero, sp.oo) if positive else None
    try:
        lo, hi = (sp.Rational(v) if isinstance(v, (int, float)) else v for v in between)
    except (TypeError, ValueError):
        raise ModelTypeError(f"{name!r}: between=(lo, hi) takes two numbers, got {between!r}") from None
    if not (isinstance(lo, sp.Rational) and isinstance(hi, sp.Rational) and lo < hi):
        raise ModelTypeError(f"{name!r}: between=(lo, hi) takes two numbers with lo < hi, got {between!r}")
    if positive and lo < 0:
        raise ModelTypeError(f"{name!r}: positive=True and between={between!r} disagree; give one of them")
    return lo, hi


def Vector(name: str, size: Size, *, role: str = Role.INPUTS, between: tuple[Any, Any] | None = None,
           positive: bool = False) -> Tensor:
    """A declared real vector (a column) of ``size`` entries; ``role="logits"`` draws logits up to ±1000.

    ``between=(lo, hi)`` puts every entry in the open interval (BCE targets in (0, 1)), and
    ``positive=True`` makes every entry positive (a variance): counterexamples are drawn there.
    """
    return _array(name, _sizes([size]), role, between=_interval(name, between, positive))


def Matrix(name: str, rows: Size, cols: Size, *, role: str = Role.WEIGHTS, between: tuple[Any, Any] | None = None,
           positive: bool = False) -> Tensor:
    """A declared real matrix of shape rows × cols (``between=`` and ``positive=`` as for :func:`Vector`)."""
    return _array(name, _sizes([rows, cols]), role, between=_interval(name, between, positive))


def Labels(name: str, classes: Size, *, soft: bool = False, batch: Size | None = None,
           at: str = "ell") -> Tensor:
    """Class labels: soft (entries sum to 1) or one-hot at a class index ``at`` (a symbol in 1..classes).

    With ``batch``, an N × classes matrix, one label per row: soft (each row sums to 1), or
    one-hot with row n at the class ``at[n]`` (an array of N class indices).
    """
    if not at.isidentifier():
        raise ModelTypeError(f"Labels {name!r}: the class index at= is an identifier such as 'ell', not {at!r}")
    dims = _sizes([batch, classes] if batch is not None else [classes])
    where: sp.Symbol | sp.IndexedBase | None = None
    if not soft:
        where = sp.IndexedBase(at, integer=True, positive=True) if batch is not None else \
            sp.Symbol(at, integer=True, positive=True)
    return _array(name, dims, Role.LABELS, kind="labels", soft=soft, at=where)


def Scalar(name: str, *, positive: bool = False, between: tuple[Any, Any] | None = None,
           role: str = Role.INPUTS) -> Tensor:
    """A declared real scalar; ``positive=True`` or ``between=(lo, hi)`` (open interval) is its domain."""
    if not name.isidentifier():
        raise ModelTypeError(f"a scalar's name is an identifier such as 'T', not {name!r}")
    bounds = None
    if between is not None:
        bounds = _interval(name, between)
    positive = positive or (bounds is not None and bounds[0] >= 0)
    symbol = sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)
    decl = Declaration(name, "scalar", symbol=symbol, role=role, between=bounds)
    return Tensor((), lambda: symbol, frozenset({decl}), kind="scalar")
