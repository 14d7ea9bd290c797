"""Piecewise maps: comparisons as 0/1 masks, ``where``, ``abs``, ``sign``, ``maximum``, ``minimum`` and ``relu``.

A comparison of tensors (``z > 0``) is a :class:`Mask`: each entry is a Heaviside step, 1
where the relation holds and 0 elsewhere, exactly numpy's boolean array cast to float; it
also remembers the relation, so ``where(z > 0, a, b)`` is the ``Piecewise`` SymPy
differentiates piece by piece. A claim with such pieces is proved where it is differentiable:
the pieces are compared where each holds, and the kink itself is a set of measure zero that
the derivative's convention settles (below for ReLU).

ReLU follows the frameworks: ``relu'(0) = 0``, as in PyTorch (``threshold_backward`` passes the
gradient where the input is > 0) and JAX (``jax.nn.relu``'s derivative at 0 is 0). So both a
numpy mask ``(h > 0)`` on the output and a torch-style ``(z > 0)`` on the input are the same
Heaviside step H(z) with H(0) = 0, and each is proved equal to ReLU's derivative.

Examples:
    >>> from derive import decide
    >>> from derive.model import Size, Vector, claim, grad
    >>> z = Vector("z", Size("n"))
    >>> h = relu(z)
    >>> decide(claim(grad(h.sum(), z), (h > 0) * 1)).proved
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.model.broadcast import broadcast_pair
from derive.model.errors import ModelTypeError
from derive.model.tensor import Tensor, as_tensor

__all__ = ["Mask", "ReLU", "abs", "compare", "deltas_out_of_pieces", "maximum", "minimum", "relu", "sign", "where"]


class ReLU(sp.Function):
    """max(0, x) whose derivative is H(x) with H(0) = 0 (the PyTorch and JAX convention).

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> ReLU(x).diff(x).subs(x, 0), ReLU(sp.Rational(-1, 2)), ReLU(3)
        (0, 0, 3)
    """

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0], 0)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_Max(self, x: sp.Expr, **_: Any) -> sp.Expr:
        return sp.Max(0, x)

    def _numpycode(self, printer: Any) -> str:  # lambdify(..., "numpy") in derive.testing's checks
        return f"{printer._module_format('numpy.maximum')}(0, {printer._print(self.args[0])})"

    def _pythoncode(self, printer: Any) -> str:
        return f"max(0, {printer._print(self.args[0])})"

    def _latex(self, printer: Any) -> str:
        return rf"\operatorname{{relu}}\left({printer._print(self.args[0])}\right)"


_RELATIONS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Basic]] = {
    ">": sp.StrictGreaterThan, ">=": sp.GreaterThan, "<": sp.StrictLessThan, "<=": sp.LessThan}


@dataclass(frozen=True, eq=False)
class Mask(Tensor):
    """A comparison of tensors: entries 1 where it holds and 0 elsewhere, and the relation for :func:`where`."""

    relation: Callable[..., sp.Basic] | None = None


def _step(a: sp.Expr, b: sp.Expr, op: str) -> sp.Expr:
    """1 where ``a op b`` holds, else 0, as a Heaviside step (H(0) = 0 for strict, 1 for non-strict)."""
    if op in ("<", "<="):
        a, b = b, a
    strict = op in (">", "<")
    if b == 0 and isinstance(a, ReLU):
        a = a.args[0]  # relu(u) > 0 exactly where u > 0; relu(u) >= 0 everywhere
        if not strict:
            return sp.S.One
    return sp.Heaviside(a - b, 0 if strict else 1)


def compare(a: Any, b: Any, op: str) -> Mask:
    """The mask of ``a op b`` (op one of >, >=, <, <=), broadcast by numpy's rules."""
    if op not in _RELATIONS:
        raise ModelTypeError(f"a comparison is one of {', '.join(_RELATIONS)}, not {op!r}")
    left, right = broadcast_pair(as_tensor(a), as_tensor(b))
    shape = left.shape if left.ndim else right.shape

    def side(t: Tensor, ix: tuple[sp.Expr, ...]) -> sp.Expr:
        return t.entry(*ix) if t.ndim else t.entry()

    base = left._with(shape, lambda *ix: _step(side(left, ix), side(right, ix), op), right)
    return Mask(base.shape, base.entry, base.declarations, base.sizes, kind="mask",
                relation=lambda *ix: _RELATIONS[op](side(left, ix), side(right, ix)))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where the condition holds, else ``b`` (numpy's ``where``): a Piecewise, entry by entry.

    Examples:
        >>> from derive.model import Scalar
        >>> r = Scalar("r")
        >>> where(abs(r) <= 1, r**2 / 2, abs(r) - sp.Rational(1, 2)).expr.args[0]
        (r**2/2, Abs(r) <= 1)
    """
    if not isinstance(condition, Mask) or condition.relation is None:
        raise ModelTypeError("where(condition, a, b) takes a comparison of tensors as its condition, such as "
                             f"where(z > 0, z, 0.1 * z); got {type(condition).__name__}")
    relation = condition.relation
    cond, x = broadcast_pair(condition, as_tensor(a))
    cond, y = broadcast_pair(cond, as_tensor(b))
    x, y = broadcast_pair(x, y)
    shape = next((t.shape for t in (cond, x, y) if t.ndim), ())
    full = cond.ndim == len(shape)

    def side(t: Tensor, ix: tuple[sp.Expr, ...]) -> sp.Expr:
        return t.entry(*ix) if t.ndim else t.entry()

    def entry(*ix: sp.Expr) -> sp.Expr:
        rel = relation(*ix) if full else relation()
        return sp.Piecewise((side(x, ix), rel), (side(y, ix), True))
    return condition._with(shape, entry, x, y)


def abs(t: Any) -> Tensor:
    """Elementwise |x|; its derivative is sign(x), proved away from 0."""
    x = as_tensor(t)
    return x._with(x.shape, lambda *ix: sp.Abs(x.entry(*ix)))


def sign(t: Any) -> Tensor:
    """Elementwise sign: -1, 0 or 1."""
    x = as_tensor(t)
    return x._with(x.shape, lambda *ix: sp.sign(x.entry(*ix)))


def _pairwise(a: Any, b: Any, fn: Callable[[sp.Expr, sp.Expr], sp.Expr]) -> Tensor:
    left, right = broadcast_pair(as_tensor(a), as_tensor(b))
    shape = left.shape if left.ndim else right.shape

    def side(t: Tensor, ix: tuple[sp.Expr, ...]) -> sp.Expr:
        return t.entry(*ix) if t.ndim else t.entry()
    return left._with(shape, lambda *ix: fn(side(left, ix), side(right, ix)), right)


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b, entry by entry, broadcast (numpy's ``maximum``); ``maximum(z, 0)`` is ``relu(z)``."""
    if isinstance(b, int) and b == 0:
        return relu(a)
    if isinstance(a, int) and a == 0:
        return relu(b)
    return _pairwise(a, b, sp.Max)


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b, entry by entry, broadcast (numpy's ``minimum``)."""
    return _pairwise(a, b, sp.Min)


def relu(t: Any) -> Tensor:
    """Elementwise max(0, x) with the frameworks' derivative: H(x), and 0 at x = 0 (PyTorch, JAX)."""
    x = as_tensor(t)
    return x._with(x.shape, lambda *ix: ReLU(x.entry(*ix)))


def deltas_out_of_pieces(expr: sp.Expr, ranges: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """Σ_k Piecewise((δ_kj a_k, c_k), (δ_kj b_k, True)) = Piecewise((a_j, c_j), (b_j, True)) for j in 1..n = k's range.

    The derivative of Σ_k where(c_k, f(v_k), g(v_k)) by v_j has δ_kj in each piece. SymPy's Sum
    folds any factor into the Piecewise, so the engine's delta sums do not see it; here the sum
    over k is collapsed when j's range (``ranges``: the free indices of the derivative) is the
    range of k, the case where the delta sum is exact.
    """
    if not expr.has(sp.Piecewise) or not ranges:
        return expr

    def delta_partner(value: sp.Expr, k: sp.Symbol, hi: sp.Expr) -> sp.Symbol | None:
        for f in sp.Mul.make_args(value):
            if isinstance(f, sp.KroneckerDelta) and k in f.args:
                other = f.args[1] if f.args[0] == k else f.args[0]
                if other in ranges and ranges[other] == hi:
                    return other
        return None

    def collapse(node: sp.Sum) -> sp.Expr:
        body, limits = node.function, list(node.limits)
        if not isinstance(body, sp.Piecewise):
            return node
        for at, (k, lo, hi) in enumerate(limits):
            values = [v for v, _ in body.args if v != 0]
            partners = {delta_partner(v, k, hi) for v in values}
            if lo != 1 or len(partners) != 1 or None in partners:
                continue
            j = partners.pop()
            assert j is not None
            delta = sp.KroneckerDelta(k, j)
            pieces = [(sp.S.Zero if v == 0 else (v / delta).xreplace({k: j}), c.xreplace({k: j})) for v, c in body.args]
            rest = limits[:at] + limits[at + 1:]
            collapsed = sp.Piecewise(*pieces)
            return sp.Sum(collapsed, *rest) if rest else collapsed
        return node
    return expr.replace(lambda e: isinstance(e, sp.Sum), collapse)
