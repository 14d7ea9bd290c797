"""assert_gradient for any loss built with :mod:`derive.model`: two references, both exact in what they rest on.

- :class:`ProvedCheck`, at any size: the gradient in matrix form that the engine proved equal to
  SymPy's for every size (:func:`derive.model.gradient`), evaluated at float64 with numpy on
  arrays of the real sizes. Points are drawn with numpy, honoring the declarations (soft
  labels on the simplex, one-hot labels, positive and bounded scalars), random then
  extreme (logits of ±1000, labels near 0 and 1).
- :class:`ModelCheck`, for small sizes and where the float64 reference is not finite: the loss
  written out at fixed sizes, SymPy's derivative by every entry compiled once for mpmath
  and evaluated at 50 digits at points the engine's sampler draws.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from derive.engine.claims import Claim
from derive.engine.evaluate import Point, sample_points
from derive.engine.space import Role
from derive.model import Size, Tensor, grad
from derive.model.claims import context, instantiate
from derive.model.tensor import Declaration

__all__ = ["ModelCheck", "ProvedCheck", "choose_sizes", "model_check", "validated"]


class ModelCheck:
    """One loss, its arguments and the arrays the gradient is taken by, at fixed sizes."""

    def __init__(self, loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor],
                 sizes: Mapping[Any, int] | None) -> None:
        self.args, self.wrt = validated(loss, wrt, args)
        everything = [loss, *args]
        self.sizes = choose_sizes(loss, args, sizes)
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


def validated(loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor]) -> tuple[list[Declaration],
                                                                                   list[Declaration]]:
    """The declarations of args and wrt, after checking that they fit the loss."""
    if not isinstance(loss, Tensor) or loss.ndim:
        raise TypeError("assert_gradient(fn, L, ...): L is a scalar loss built with derive.model "
                        "(take .sum() or .mean() of a tensor)")
    arg_decls = [ModelCheck._declared(a, "args") for a in args]
    wrt_decls = [ModelCheck._declared(w, "wrt") for w in wrt]
    passed = {d.name for d in arg_decls}
    for w in wrt_decls:
        if w.name not in passed:
            raise TypeError(f"wrt names {w.name}, which args does not pass; add it to args")
    missing = sorted(d.name for d in loss.declarations if d.name not in passed)
    if missing:
        raise TypeError(f"the loss uses {', '.join(missing)}, which args does not pass; args lists what your "
                        "function is called with, in order")
    return arg_decls, wrt_decls


def choose_sizes(loss: Tensor, args: Sequence[Tensor], given: Mapping[Any, int] | None) -> dict[str, int]:
    return _choose_sizes(frozenset().union(*(t.sizes for t in [loss, *args])), given)


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
    # Distinct and at least 3: a transpose, or a constant such as /2 that only holds at n = 2, cannot hide.
    free = iter(range(3, 100))
    for name in sorted(names - out.keys()):
        value = next(free)
        while value in out.values():
            value = next(free)
        out[name] = value
    return {k: v for k, v in sorted(out.items()) if v is not None}


def model_check(loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor],
                sizes: Mapping[Any, int] | None) -> ModelCheck:
    return ModelCheck(loss, wrt, args, sizes)


_PROVED: weakref.WeakKeyDictionary[Tensor, dict[int, Any]] = weakref.WeakKeyDictionary()


class ProvedCheck:
    """The proved every-size gradients of a model loss, evaluated at float64 at fixed sizes."""

    def __init__(self, loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor], sizes: Mapping[str, int],
                 budget: float) -> None:
        from derive.engine.decide import Settings
        from derive.model.matrix_gradient import gradient

        self.args, self.wrt = validated(loss, wrt, args)
        self.sizes = dict(sizes)
        settings = Settings(budget=max(budget, 0.1), search_budget=0.1, samples=1)
        # Proved once per loss and variable: the proof holds for every size, so later checks reuse it.
        known = _PROVED.setdefault(loss, {})
        for w in wrt:
            if id(w) not in known or not known[id(w)].proved:
                known[id(w)] = gradient(loss, w, names={}, settings=settings)
        self.gradients = [known[id(w)] for w in wrt]
        self.evaluators = [g.numpy() for g in self.gradients] if self.proved else []
        self.shapes = {d.name: tuple(self.sizes[s.name] for s in d.shape) for d in self.args}

    @property
    def proved(self) -> bool:
        return all(g.proved for g in self.gradients)

    def reasons(self) -> str:
        return "; ".join(f"dL/d{g.wrt_name}: {g.note}" for g in self.gradients if not g.proved)

    def points(self, count: int, seed: int) -> list[tuple[str, dict[str, np.ndarray]]]:
        """Random points, then extreme ones in turn, honoring the declarations."""
        rng = np.random.default_rng(seed)
        return [(kind, {d.name: _draw(d, self.shapes[d.name], rng, kind) for d in self.args})
                for kind in ("random" if n % 2 == 0 else "extreme" for n in range(count))]

    def exact(self, values: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return [np.asarray(run(**values), dtype=np.float64).reshape(self.shapes[d.name])
                    for run, d in zip(self.evaluators, self.wrt, strict=True)]


def _draw(d: Declaration, shape: tuple[int, ...], rng: np.random.Generator, kind: str) -> np.ndarray:
    extreme = kind == "extreme"
    if d.kind == "scalar":
        if d.between is not None:
            lo, hi = (float(v) for v in d.between)
            return np.array(rng.uniform(lo + (hi - lo) * 0.01, hi - (hi - lo) * 0.01))
        positive = d.symbol is not None and d.symbol.is_positive
        return np.array(rng.uniform(0.5, 2.0) if positive else rng.normal())
    if d.kind == "labels":
        classes = shape[-1]
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        out = np.zeros((rows, classes))
        for r in range(rows):
            hot = rng.integers(classes)
            if not d.soft:
                out[r, hot] = 1.0
            elif extreme:
                out[r] = 1e-12
                out[r, hot] = 1.0 - 1e-12 * (classes - 1)
            else:
                w = rng.uniform(0.05, 1.0, classes)
                out[r] = w / w.sum()
        return out.reshape(shape)
    if d.role == Role.LOGITS:
        return rng.choice([1000.0, -1000.0, 999.0, 0.0, 500.0, -999.5], size=shape) if extreme else \
            rng.normal(0, 3, shape)
    return rng.normal(0, 10 if extreme else 1, shape)
