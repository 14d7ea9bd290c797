"""Hypotheses a claim is decided under: index ranges, index cases, label constraints.

Each hypothesis does two things, and only these: it rewrites a residual symbolically
(``rewrite``), and it constrains the points a counterexample may be drawn from (the
sampler in :mod:`derive.engine.evaluate` reads its fields). A hypothesis never decides.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from derive.engine.strict import expression

__all__ = ["Distinct", "Equal", "Hypothesis", "InRange", "OneHot", "SumToOne"]


class Hypothesis:
    """Base class: a fact assumed true of every point the claim is about."""

    def rewrite(self, expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        return expr

    @property
    def text(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def latex(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class InRange(Hypothesis):
    """``lo <= index <= hi`` for an integer index (a component of a vector)."""

    index: sp.Symbol
    lo: sp.Expr
    hi: sp.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "lo", expression(self.lo, what="lo"))
        object.__setattr__(self, "hi", expression(self.hi, what="hi"))

    @property
    def text(self) -> str:
        return f"{self.lo} <= {self.index} <= {self.hi}"

    @property
    def latex(self) -> str:
        return rf"{sp.latex(self.lo)} \le {sp.latex(self.index)} \le {sp.latex(self.hi)}"


@dataclass(frozen=True)
class Equal(Hypothesis):
    """The case ``a = b`` of two indices: ``b`` is replaced by ``a``."""

    a: sp.Symbol
    b: sp.Symbol

    def rewrite(self, expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        return expr.xreplace({self.b: self.a})

    @property
    def text(self) -> str:
        return f"{self.a} = {self.b}"

    @property
    def latex(self) -> str:
        return f"{sp.latex(self.a)} = {sp.latex(self.b)}"


@dataclass(frozen=True)
class Distinct(Hypothesis):
    """The case ``a != b`` of two indices: their Kronecker delta is 0."""

    a: sp.Symbol
    b: sp.Symbol

    def rewrite(self, expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        return expr.xreplace({sp.KroneckerDelta(self.a, self.b): sp.S.Zero})

    @property
    def text(self) -> str:
        return f"{self.a} != {self.b}"

    @property
    def latex(self) -> str:
        return rf"{sp.latex(self.a)} \neq {sp.latex(self.b)}"


@dataclass(frozen=True)
class SumToOne(Hypothesis):
    """Soft labels: the entries of ``labels`` along its last axis sum to 1.

    For a symbolic size, every ``Sum(y[..., v], (v, 1, size))`` becomes 1; for a fixed
    size, the shared sum whose definition is ``y[1] + ... + y[size]`` becomes 1.
    """

    labels: sp.IndexedBase
    size: sp.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", expression(self.size, what="size"))

    def rewrite(self, expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        base = self.labels

        def is_label_sum(node: sp.Basic) -> bool:
            if isinstance(node, sp.Sum) and len(node.limits) == 1:
                v, lo, hi = node.limits[0]
                body = node.function
                return (
                    isinstance(body, sp.Indexed)
                    and body.base == base
                    and body.indices[-1] == v
                    and lo == 1
                    and hi == self.size
                )
            return False

        out = expr.replace(is_label_sum, lambda node: sp.S.One) if expr.has(sp.Sum) else expr
        ones = {atom: sp.S.One for atom, d in definitions.items() if _is_fixed_label_sum(d, base, self.size)}
        return out.xreplace(ones) if ones else out

    @property
    def text(self) -> str:
        return f"sum({self.labels}) = 1"

    @property
    def latex(self) -> str:
        return rf"\sum_{{n=1}}^{{{sp.latex(self.size)}}} {sp.latex(self.labels)}_n = 1"


@functools.lru_cache(maxsize=4096)
def _is_fixed_label_sum(definition: sp.Expr, base: sp.IndexedBase, size: sp.Expr) -> bool:
    # Cached: every entry of a k-component claim asks the same question of the same atoms.
    if not (isinstance(definition, sp.Add) and size.is_Integer):
        return False
    terms = definition.args
    if len(terms) != int(size):
        return False
    prefixes = set()
    lasts = set()
    for t in terms:
        if not (isinstance(t, sp.Indexed) and t.base == base):
            return False
        prefixes.add(t.indices[:-1])
        lasts.add(t.indices[-1])
    return len(prefixes) == 1 and lasts == set(sp.Integer(n) for n in range(1, int(size) + 1))


@dataclass(frozen=True)
class OneHot(Hypothesis):
    """One-hot labels: ``y[n] = 1`` if ``n = at``, else 0 (``at`` is an index)."""

    labels: sp.IndexedBase
    at: sp.Expr
    size: sp.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", expression(self.at, what="at"))
        object.__setattr__(self, "size", expression(self.size, what="size"))

    def rewrite(self, expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        base = self.labels
        out = expr.replace(
            lambda node: isinstance(node, sp.Indexed) and node.base == base,
            lambda node: sp.KroneckerDelta(node.indices[-1], self.at),
        )
        if definitions:
            # A shared sum of the labels is 1 as well; substitute through definitions.
            reps = {}
            for atom, d in definitions.items():
                if _is_fixed_label_sum(d, base, self.size):
                    reps[atom] = sp.S.One
            out = out.xreplace(reps) if reps else out
        return out

    @property
    def text(self) -> str:
        return f"{self.labels} one-hot at {self.at}"

    @property
    def latex(self) -> str:
        return rf"{sp.latex(self.labels)}_n = \delta_{{n {sp.latex(self.at)}}}"
