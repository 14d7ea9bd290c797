"""assert_gradient for any loss built with :mod:`derive.model`: the exact reference is SymPy's gradient.

The loss is written out at small fixed sizes, SymPy differentiates it by every entry of the
arrays asked for, and the result is compiled once for mpmath and evaluated at 50 digits at
points the engine's sampler draws (random, then extreme: logits of ±1000, labels near 0
and 1), every point honoring the declarations (soft labels sum to 1, one-hot labels,
positive and bounded scalars).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from derive.engine.claims import Claim
from derive.engine.evaluate import Point, sample_points
from derive.model import Size, Tensor, grad
from derive.model.claims import context, instantiate
from derive.model.tensor import Declaration

__all__ = ["ModelCheck", "model_check"]


class ModelCheck:
    """One loss, its arguments and the arrays the gradient is taken by, at fixed sizes."""

    def __init__(self, loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor],
                 sizes: Mapping[Any, int] | None) -> None:
        if not isinstance(loss, Tensor) or loss.ndim:
            raise TypeError("assert_gradient(fn, L, ...): L is a scalar loss built with derive.model "
                            "(take .sum() or .mean() of a tensor)")
        self.args = [self._declared(a, "args") for a in args]
        self.wrt = [self._declared(w, "wrt") for w in wrt]
        passed = {d.name for d in self.args}
        for w in self.wrt:
            if w.name not in passed:
                raise TypeError(f"wrt names {w.name}, which args does not pass; add it to args")
        missing = sorted(d.name for d in loss.declarations if d.name not in passed)
        if missing:
            raise TypeError(f"the loss uses {', '.join(missing)}, which args does not pass; args lists what your "
                            "function is called with, in order")
        everything = [loss, *args]
        all_sizes = frozenset().union(*(t.sizes for t in everything))
        self.sizes = _choose_sizes(all_sizes, sizes)
        self.arrays, self.hypotheses = context(everything, self.sizes)
        self.shapes = {d.name: tuple(int(n) for n in self.arrays[d.name].shape) if d.kind != "scalar" else ()
                       for d in self.args}
        self.loss = instantiate(loss, self.sizes)
        self.gradients = [instantiate(grad(loss, t), self.sizes) for t in wrt]
        self.entries = [self._entries(d) for d in self.args]

    @staticmethod
    def _declared(t: Tensor, where: str) -> Declaration:
        if not isinstance(t, Tensor) or len(t.declarations) != 1 or t.kind not in ("array", "labels", "scalar"):
            raise TypeError(f"{where} lists declared Vector, Matrix, Labels or Scalar objects, got {t!r}")
        return next(iter(t.declarations))

    def _entries(self, d: Declaration) -> list[sp.Basic]:
        if d.kind == "scalar":
            assert d.symbol is not None
            return [d.symbol]
        assert d.base is not None
        base = d.base
        return [base[tuple(i + 1 for i in cell)] if len(cell) > 1 else base[cell[0] + 1]
                for cell in np.ndindex(*self.shapes[d.name])]

    def points(self, count: int, seed: int) -> list[Point]:
        scalars = tuple(d.symbol for d in self.args if d.kind == "scalar")
        sides = (self.loss, *scalars)
        sampler = Claim("assert_gradient", sides, sides, tuple(self.hypotheses), "", "", {}, self.arrays)
        return list(sample_points(sampler, count=count, seed=seed))

    def values(self, point: Point) -> dict[str, np.ndarray]:
        out = {}
        for d, entries in zip(self.args, self.entries, strict=True):
            source = point.scalars if d.kind == "scalar" else point.entries
            numbers = [float(source[e]) for e in entries]
            out[d.name] = np.array(numbers).reshape(self.shapes[d.name])
        return out

    def compiled(self) -> Callable[..., list[Any]]:
        symbols = [sp.Symbol(f"v{n}", real=True) for n in range(sum(len(e) for e in self.entries))]
        rename = dict(zip([e for group in self.entries for e in group], symbols, strict=True))
        flat = [g for grad_ in self.gradients for g in _flatten(grad_)]
        out: Callable[..., list[Any]] = sp.lambdify(symbols, [g.xreplace(rename) for g in flat],
                                                    modules="mpmath", cse=True)
        return out

    def exact(self, compiled: Callable[..., list[Any]], values: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        import mpmath

        args = [mpmath.mpf(float(v)) for d in self.args for v in np.asarray(values[d.name], dtype=float).ravel()]
        with mpmath.workdps(50):
            numbers = [float(v) for v in compiled(*args)]
        out, pos = [], 0
        for d in self.wrt:
            shape = self.shapes[d.name]
            size = int(np.prod(shape)) if shape else 1
            out.append(np.array(numbers[pos:pos + size]).reshape(shape))
            pos += size
        return out


def _flatten(side: Any) -> list[sp.Expr]:
    if isinstance(side, tuple):
        return [e for part in side for e in _flatten(part)]
    return [side]


def _choose_sizes(sizes: frozenset[Size], given: Mapping[Size | str, int] | None) -> dict[str, int]:
    """Fixed values, then the given ones, then distinct small defaults (so a transpose cannot hide)."""
    out = {s.name: s.value for s in sizes if s.value is not None}
    names = {s.name for s in sizes}
    for key, value in (given or {}).items():
        name = key.name if isinstance(key, Size) else key
        if name not in names:
            raise TypeError(f"sizes names {name!r}, which the loss does not have; its sizes are "
                            f"{', '.join(sorted(names)) or 'none'}")
        out[name] = int(value)
    free = iter(range(2, 100))
    for name in sorted(names - out.keys()):
        value = next(free)
        while value in out.values():
            value = next(free)
        out[name] = value
    return {k: v for k, v in sorted(out.items()) if v is not None}


def model_check(loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor],
                sizes: Mapping[Any, int] | None) -> ModelCheck:
    return ModelCheck(loss, wrt, args, sizes)
