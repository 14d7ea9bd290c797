"""Claims: ``lhs == rhs`` under hypotheses, the one object every front end hands to the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

import sympy as sp

from derive.engine.differentiate import LowRankMatrix
from derive.engine.hypotheses import Hypothesis, InRange
from derive.engine.space import ArraySpec, Space

__all__ = ["Claim", "Side", "entries"]

#: One side of a claim: a scalar, a vector (tuple), a matrix (tuple of tuples), or a
#: square matrix kept as diagonal + outer products.
Side: TypeAlias = sp.Expr | tuple[sp.Expr, ...] | tuple[tuple[sp.Expr, ...], ...] | LowRankMatrix


@dataclass(frozen=True, eq=False)
class Claim:
    """The claim ``lhs == rhs`` for every point that satisfies ``hypotheses``.

    ``definitions`` names the shared atoms of a fixed-size space (an atom stands for
    its definition); ``arrays`` says which IndexedBase objects are vectors or matrices,
    their shapes and roles, so that counterexamples honor them.
    """

    name: str
    lhs: Side
    rhs: Side
    hypotheses: tuple[Hypothesis, ...] = ()
    statement: str = ""
    latex: str = ""
    definitions: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    arrays: Mapping[str, ArraySpec] = field(default_factory=dict)

    @classmethod
    def in_space(cls, space: Space, name: str, lhs: Side, rhs: Side, *hypotheses: Hypothesis,
                 statement: str = "", latex: str = "") -> Claim:
        """A claim about functions built in ``space`` (its atoms and arrays come along)."""
        return cls(name, lhs, rhs, tuple(hypotheses), statement or name, latex,
                   dict(space.definitions), dict(space.arrays))

    def with_hypotheses(self, *extra: Hypothesis) -> Claim:
        return Claim(self.name, self.lhs, self.rhs, self.hypotheses + tuple(extra), self.statement,
                     self.latex, self.definitions, self.arrays)

    @property
    def ranges(self) -> dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]:
        return {h.index: (h.lo, h.hi) for h in self.hypotheses if isinstance(h, InRange)}

    def rewrite(self, expr: sp.Expr) -> sp.Expr:
        """Apply every hypothesis's symbolic rewrite to ``expr``."""
        for rewrite in self._rewrites():
            expr = rewrite(expr)
        return expr

    def _rewrites(self) -> tuple[Callable[[sp.Expr], sp.Expr], ...]:
        # Bound once per claim: what the hypotheses read from the definitions does not
        # change from one entry to the next (a claim is immutable).
        bound = self.__dict__.get("_bound")
        if bound is None:
            defs = dict(self.definitions)
            bound = tuple(h.bind(defs) for h in self.hypotheses)
            object.__setattr__(self, "_bound", bound)
        return bound

    def __str__(self) -> str:
        return self.statement or self.name

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.claim_latex(self)


def entries(lhs: Side, rhs: Side) -> Iterator[tuple[tuple[int, ...] | None, sp.Expr, sp.Expr]]:
    """Pairs of corresponding entries of two sides of the same shape (index None for scalars)."""
    if isinstance(lhs, LowRankMatrix) or isinstance(rhs, LowRankMatrix):
        left = lhs.dense() if isinstance(lhs, LowRankMatrix) else lhs
        right = rhs.dense() if isinstance(rhs, LowRankMatrix) else rhs
        yield from entries(tuple(tuple(r) for r in left), tuple(tuple(r) for r in right))
        return
    if isinstance(lhs, tuple) != isinstance(rhs, tuple):
        raise TypeError("the two sides of a claim must have the same shape: one is a scalar, one is not")
    if not isinstance(lhs, tuple):
        yield None, sp.sympify(lhs), sp.sympify(rhs)
        return
    assert isinstance(rhs, tuple)
    if len(lhs) != len(rhs):
        raise TypeError(f"the two sides of a claim have lengths {len(lhs)} and {len(rhs)}")
    for i, (a, b) in enumerate(zip(lhs, rhs, strict=True)):
        if isinstance(a, tuple):
            for sub, x, y in entries(a, b):
                yield (i, *(sub or ())), x, y
        else:
            yield (i,), sp.sympify(a), sp.sympify(b)
