"""Tensors of rank 3 (batch × sequence × feature): declared arrays, transposes, batched ``@``, and ``einsum``.

``Array("X", B, T, d)`` is a declared real array of any rank from 1 to 3. ``@`` on rank 3
follows numpy's ``matmul``: the last two axes are matrices and a leading batch axis is
broadcast. ``einsum("btd,dh->bth", X, W)`` multiplies entries and sums every letter not in the
output, each as a SymPy ``Sum`` over a fresh index, the form the engine's index calculus reduces.

Examples:
    >>> from derive.model import Size, Matrix
    >>> B, T, d, h = Size("B"), Size("T"), Size("d"), Size("h")
    >>> X, W = Array("X", B, T, d), Matrix("W", d, h)
    >>> (X @ W).shape == einsum("btd,dh->bth", X, W).shape == (B.symbol, T.symbol, h.symbol)
    True
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.engine.space import Role
from derive.model.errors import ModelTypeError
from derive.model.tensor import Size, Tensor, _array, _interval, _sizes, as_tensor, fresh

__all__ = ["Array", "batched_matmul", "einsum", "transpose"]


def Array(name: str, *sizes: Size, role: str = Role.INPUTS, between: tuple[Any, Any] | None = None,
          positive: bool = False) -> Tensor:
    """A declared real array of rank 1 to 3 (``Array("X", B, T, d)``); ``between=``/``positive=`` as for Vector."""
    if not 1 <= len(sizes) <= 3:
        raise ModelTypeError(f"Array {name!r} takes 1 to 3 sizes, got {len(sizes)}; a scalar is derive.model.Scalar")
    return _array(name, _sizes(sizes), role, between=_interval(name, between, positive))


def transpose(t: Any, axes: tuple[int, ...] | None = None) -> Tensor:
    """The axes permuted (numpy's ``transpose``; by default reversed, which is ``.T``)."""
    x = as_tensor(t)
    order = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    if sorted(order) != list(range(x.ndim)):
        raise ModelTypeError(f"transpose of a tensor of shape {x.shape} takes a permutation of "
                             f"{tuple(range(x.ndim))}, got {axes!r}")

    def entry(*ix: sp.Expr) -> sp.Expr:
        own: list[sp.Expr] = [sp.S.Zero] * x.ndim
        for position, axis in enumerate(order):
            own[axis] = ix[position]
        return x.entry(*own)
    return x._with(tuple(x.shape[a] for a in order), entry)


def batched_matmul(a: Tensor, b: Tensor) -> Tensor:
    """numpy's ``matmul`` with a rank-3 operand: a stack of matrix products over the leading axis."""
    if a.ndim == 1 or b.ndim == 1 or a.ndim == 0 or b.ndim == 0:
        raise ModelTypeError(f"@ of shapes {a.shape} and {b.shape}: with a rank-3 operand, the other is a "
                             "matrix or a rank-3 array (write a vector v as a one-column matrix, or use einsum)")
    inner_a, inner_b = a.shape[-1], b.shape[-2]
    if inner_a != inner_b:
        raise ModelTypeError(f"@ of shapes {a.shape} and {b.shape}: the inner sizes {inner_a} and {inner_b} differ")
    batch_a = a.shape[0] if a.ndim == 3 else None
    batch_b = b.shape[0] if b.ndim == 3 else None
    if batch_a is not None and batch_b is not None and batch_a != batch_b:
        raise ModelTypeError(f"@ of shapes {a.shape} and {b.shape}: the batch sizes {batch_a} and {batch_b} differ")
    batch = batch_a if batch_a is not None else batch_b

    def entry(n: sp.Expr, i: sp.Expr, j: sp.Expr) -> sp.Expr:
        k = fresh()
        left = a.entry(n, i, k) if a.ndim == 3 else a.entry(i, k)
        right = b.entry(n, k, j) if b.ndim == 3 else b.entry(k, j)
        return sp.Sum(left * right, (k, 1, inner_a))
    return a._with((batch, a.shape[-2], b.shape[-1]), entry, b)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as numpy writes it: ``einsum("ij,jk->ik", A, B)`` is ``A @ B``.

    Letters in the output are free; every other letter is summed over its size. Without
    ``->`` the output is the letters that occur once, in alphabetical order (numpy's rule).

    Examples:
        >>> from derive.model import Size, Vector
        >>> u = Vector("u", Size("n"))
        >>> einsum("i,i", u, u).expr.function
        u[k·...]**2
    """
    tensors = [as_tensor(o) for o in operands]
    if not isinstance(subscripts, str):
        raise ModelTypeError(f"einsum's first argument is a subscript string such as 'ij,jk->ik', got {subscripts!r}")
    spec = subscripts.replace(" ", "")
    inputs_text, arrow, output = spec.partition("->")
    inputs = inputs_text.split(",")
    if len(inputs) != len(tensors):
        raise ModelTypeError(f"einsum({subscripts!r}) names {len(inputs)} operands, and {len(tensors)} were given")
    sizes: dict[str, sp.Expr] = {}
    for letters, t in zip(inputs, tensors, strict=True):
        if not all(c.isalpha() and c.isascii() for c in letters) or len(letters) != t.ndim:
            raise ModelTypeError(f"einsum({subscripts!r}): {letters!r} must be one letter per axis of a tensor "
                                 f"of shape {t.shape}")
        for c, n in zip(letters, t.shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise ModelTypeError(f"einsum({subscripts!r}): the letter {c!r} has sizes {sizes[c]} and {n}")
    if not arrow:
        counts = {c: inputs_text.count(c) for c in sizes}
        output = "".join(sorted(c for c, m in counts.items() if m == 1))
    if len(set(output)) != len(output) or any(c not in sizes for c in output):
        raise ModelTypeError(f"einsum({subscripts!r}): the output {output!r} must name distinct letters of the inputs")
    summed = [c for c in dict.fromkeys("".join(inputs)) if c not in output]

    def entry(*ix: sp.Expr) -> sp.Expr:
        at = dict(zip(output, ix, strict=True))
        bound = {c: fresh() for c in summed}
        at.update(bound)
        body = sp.Mul(*[t.entry(*[at[c] for c in letters]) if t.ndim else t.entry()
                        for letters, t in zip(inputs, tensors, strict=True)])
        if not summed:
            return body
        # One Sum with a limit per letter in order of appearance, as sum(axis=None) writes a full sum.
        return sp.Sum(body, *[(bound[c], 1, sizes[c]) for c in summed])
    first, *rest = tensors
    return first._with(tuple(sizes[c] for c in output), entry, *rest)
