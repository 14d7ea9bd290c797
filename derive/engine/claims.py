"""Claims: ``lhs == rhs`` under hypotheses, the one object every front end hands to the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TypeAlias

import sympy as sp

from derive.engine.differentiate import LowRankMatrix
from derive.engine.hypotheses import Between, Holds, Hypothesis, InRange, OneHot, SumToOne, known_signs
from derive.engine.space import ArraySpec, Space
from derive.engine.strict import expression

__all__ = ["Claim", "Side", "entries"]

#: One side of a claim: a scalar, a vector (tuple), a matrix (tuple of tuples), or a
#: square matrix kept as diagonal + outer products.
Side: TypeAlias = sp.Expr | tuple[sp.Expr, ...] | tuple[tuple[sp.Expr, ...], ...] | LowRankMatrix


@dataclass(frozen=True, eq=False)
class Claim:
    """The claim ``lhs == rhs`` for every point that satisfies ``hypotheses``.

    The sides are SymPy expressions (or numbers), vectors and matrices of them as tuples: a string is a
    TypeError that says what to pass instead, since SymPy would evaluate it as Python code.

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

    def __post_init__(self) -> None:
        # Strings are refused, never sympified: sympify runs a string through eval.
        if not isinstance(self.name, str):
            raise TypeError(f"a claim's name is a string, got {type(self.name).__name__}")
        _check_side(self.lhs, "the left side of a claim")
        _check_side(self.rhs, "the right side of a claim")
        hyps = self.hypotheses
        if isinstance(hyps, (Hypothesis, sp.Rel)):
            hyps = (hyps,)  # Claim(name, lhs, rhs, Distinct(i, j)): one hypothesis, not in a list
        try:
            items = tuple(hyps)
        except TypeError:
            raise TypeError(f"a claim's hypotheses are Hypothesis objects or SymPy relations, got "
                            f"{type(hyps).__name__}") from None
        out = []
        for h in items:
            if isinstance(h, sp.Rel):
                h = Holds(h)
            if not isinstance(h, Hypothesis):
                raise TypeError(f"claim {self.name!r}: a hypothesis is a derive Hypothesis (InRange, SumToOne, ...) "
                                f"or a SymPy relation such as sp.Eq(a + b, 1), got {type(h).__name__}")
            out.append(h)
        for h in out:
            # Every field that holds mathematics must be a SymPy object, never a string to sympify;
            # a field declared as a name (str) or left unset (None) holds none.
            spots: list[str] = [f.name for f in fields(h) if f.type not in ("str", str)] if is_dataclass(h) else []
            for name in spots:
                value = getattr(h, name)
                if value is not None:
                    expression(value, what=f"{type(h).__name__}.{name}")
        for symbol, value in self.definitions.items():
            expression(symbol, what="a defined symbol")
            expression(value, what=f"the definition of {symbol}")
        object.__setattr__(self, "hypotheses", tuple(out))
        if any(isinstance(h, (Holds, Between, SumToOne, OneHot)) for h in out):
            _check_named(self)

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
            signs = known_signs(self.hypotheses)
            bound += (signs,) if signs is not None else ()
            object.__setattr__(self, "_bound", bound)
        return bound

    def __str__(self) -> str:
        return self.statement or self.name

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.claim_latex(self)


def _check_named(claim: Claim) -> None:
    """A hypothesis about something the claim does not mention would be silently void: refuse it."""
    free: set[sp.Basic] = set()
    bases: set[sp.Basic] = {spec.base for spec in claim.arrays.values()}
    if all(isinstance(h, (SumToOne, OneHot)) and h.labels in bases for h in claim.hypotheses
           if isinstance(h, (Holds, Between, SumToOne, OneHot))):
        return  # labels of declared arrays only: nothing to look for in the sides (k = 1000 entries)
    for _, a, b in entries(claim.lhs, claim.rhs):
        free |= a.free_symbols | b.free_symbols
    bases |= {x.base for x in free if isinstance(x, sp.Indexed)}
    names = sorted({str(s) for s in free if isinstance(s, sp.Symbol)} | {str(b) for b in bases})
    known = f"the claim mentions {', '.join(names) or 'no symbols'}"
    for h in claim.hypotheses:
        if isinstance(h, (SumToOne, OneHot)) and h.labels not in bases:
            # Absent altogether, the hypothesis is void but harmless (the audit states a post's label
            # facts for every step); an array of the same name that is another object is the danger:
            # the rewrite would miss it and the sampler would break the hypothesis.
            twin = next((b for b in bases if str(b) == str(h.labels)), None)
            if twin is not None:
                raise TypeError(f"claim {claim.name!r}: hypothesis '{h.text}' is about an array {h.labels} that "
                                f"is not the claim's {twin} (another IndexedBase of that name, other assumptions); "
                                "pass the array the claim was built with (space.arrays[name].base)")
        if isinstance(h, Between) and h.symbol not in free:
            raise TypeError(f"claim {claim.name!r}: hypothesis '{h.text}' is about {h.symbol}, which the claim "
                            f"does not mention ({known}); fix the name or drop it")
        if isinstance(h, Holds):
            mentioned = h.relation.free_symbols
            for x in mentioned:
                if isinstance(x, sp.Indexed) and x.base not in bases:
                    raise TypeError(f"claim {claim.name!r}: hypothesis '{h.text}' uses the array {x.base}, which "
                                    f"is not declared ({known}); declare it or fix the name")
            stray = sorted(str(x) for x in mentioned if isinstance(x, sp.Symbol) and x not in free
                           and x not in {b.label for b in bases})
            if stray:
                raise TypeError(f"claim {claim.name!r}: hypothesis '{h.text}' names {', '.join(stray)}, which the "
                                f"claim does not mention ({known}); fix the name or drop the hypothesis")


def _check_side(side: object, what: str) -> None:
    if isinstance(side, tuple):
        for item in side:
            _check_side(item, what)
    elif isinstance(side, LowRankMatrix):
        for value in side.diagonal.values():
            _check_side(value, what)
        for left, right in side.outer:
            _check_side(left, what)
            _check_side(right, what)
    else:
        expression(side, what=what)


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
        yield None, expression(lhs), expression(rhs)
        return
    assert isinstance(rhs, tuple)
    if len(lhs) != len(rhs):
        raise TypeError(f"the two sides of a claim have lengths {len(lhs)} and {len(rhs)}")
    for i, (a, b) in enumerate(zip(lhs, rhs, strict=True)):
        if isinstance(a, tuple):
            for sub, x, y in entries(a, b):
                yield (i, *(sub or ())), x, y
        else:
            yield (i,), expression(a), expression(b)
