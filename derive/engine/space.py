"""The space claims live in: sizes, indices, the arrays a claim is about, and their roles.

Every layer uses it: the library builds its functions in a :class:`Space`, the engine
draws counterexamples from an :class:`ArraySpec`'s shape and :class:`Role`, and the audit
declares a post's arrays in one. A :class:`Space` decides how a sum over a vector is written:

- :meth:`Space.symbolic`: sizes are symbols (k, c, d, p, N), vectors are
  ``IndexedBase`` objects, and a sum is an unevaluated ``Sum(f(n), (n, 1, k))``.
  One proof in this space holds for every size.
- :meth:`Space.fixed`: sizes are integers, and every shared sum (the softmax
  denominator, the sum of the labels, each logit of the linear model) is a *named
  atom*: a positive or real symbol with its definition recorded in
  ``space.definitions``. Derivatives then cost O(1) per component instead of
  walking a k-term sum every time (see :mod:`derive.engine.differentiate`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import sympy as sp

# SymPy imports these the first time it meets certain arguments, in the middle of the
# first claim: Add imports sympy.tensor.tensor (and with it sympy.combinatorics, ~0.1 s),
# exp and log import sympy.sets.setexpr, comparing a size with a bound imports
# sympy.assumptions.wrapper (together ~0.7 ms of a 10 ms every-size proof). Loading
# them with the engine puts that one-time cost where it belongs, in the import.
import sympy.assumptions.wrapper
import sympy.sets.setexpr
import sympy.tensor.tensor

from derive.engine.strict import expression

__all__ = ["ArraySpec", "Role", "Space", "Vector", "entries", "memoized"]

T = TypeVar("T")


class Role:
    """What an array holds, so counterexamples are drawn where such values live."""

    LOGITS = "logits"
    LABELS = "labels"
    WEIGHTS = "weights"
    INPUTS = "inputs"


@dataclass(frozen=True)
class ArraySpec:
    """An array the claim is about: its base, its shape (symbols or integers), its role."""

    base: sp.IndexedBase
    shape: tuple[sp.Expr, ...]
    role: str


@dataclass(frozen=True)
class Vector:
    """A vector of a given size whose n-th entry (1-based) is ``entry(n)``."""

    size: sp.Expr
    entry: Callable[[sp.Expr], sp.Expr]

    def __getitem__(self, n: sp.Expr | int) -> sp.Expr:
        return self.entry(expression(n, what="an index"))


@dataclass
class Space:
    """Where functions are built: symbolic sizes with Sums, or fixed sizes with shared atoms."""

    fixed_sizes: bool
    definitions: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    arrays: dict[str, ArraySpec] = field(default_factory=dict)
    _atoms_by_definition: dict[sp.Expr, sp.Symbol] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)
    _built: dict[tuple[str, int], tuple[object, Any]] = field(default_factory=dict)

    @classmethod
    def symbolic(cls) -> Space:
        return cls(fixed_sizes=False)

    @classmethod
    def fixed(cls) -> Space:
        return cls(fixed_sizes=True)

    # -- names ---------------------------------------------------------------------------
    def size(self, name: str, value: int | None = None) -> sp.Expr:
        """A size: the integer ``value`` in a fixed space, else a positive integer symbol."""
        if self.fixed_sizes:
            if value is None:
                raise TypeError(f"size {name!r} needs a value in a fixed-size space, e.g. {name}=3")
            return sp.Integer(value)
        return sp.Symbol(name, integer=True, positive=True)

    def index(self, name: str) -> sp.Symbol:
        return sp.Symbol(name, integer=True, positive=True)

    def array(self, name: str, *shape: sp.Expr, role: str) -> sp.IndexedBase:
        base = sp.IndexedBase(name, real=True)
        self.arrays[name] = ArraySpec(base, tuple(expression(s, what="a size") for s in shape), role)
        return base

    def vector(self, name: str, size: sp.Expr, *, role: str) -> Vector:
        base = self.array(name, size, role=role)
        return Vector(size, entries(base))

    # -- sums ----------------------------------------------------------------------------
    def sum(self, body: Callable[[sp.Expr], sp.Expr], size: sp.Expr, *, index: str = "n",
            shared: bool = False, positive: bool = False, name: str = "s") -> sp.Expr:
        """The sum of ``body(n)`` for n = 1..size.

        In a fixed space with ``shared=True`` the sum becomes a named atom (one per
        distinct definition), so the expressions that use it stay small.
        """
        if not self.fixed_sizes:
            n = sp.Symbol(index, integer=True)
            return sp.Sum(body(n), (n, 1, size))
        total = sp.Add(*[body(sp.Integer(n)) for n in range(1, int(size) + 1)])
        if not shared:
            return total
        return self.share(total, name=name, positive=positive)

    def once(self, what: str, of: object, build: Callable[[], T]) -> T:
        """``build()``, computed once per space for ``what`` of the object ``of``.

        Keyed by ``of``'s identity (kept alive with the value, so the id is not reused): a
        shared sum is written out in O(size) before it is found to exist already.
        """
        key = (what, id(of))
        known = self._built.get(key)
        if known is None:
            known = self._built[key] = (of, build())
        return cast(T, known[1])

    def share(self, definition: sp.Expr, *, name: str, positive: bool = False) -> sp.Expr:
        """A named atom standing for ``definition`` (the same atom for the same definition)."""
        known = self._atoms_by_definition.get(definition)
        if known is not None:
            return known
        atom = sp.Symbol(f"{name}·{next(self._counter)}", positive=True) if positive else \
            sp.Symbol(f"{name}·{next(self._counter)}", real=True)
        self.definitions[atom] = definition
        self._atoms_by_definition[definition] = atom
        return atom

    def expand_atoms(self, expr: sp.Expr) -> sp.Expr:
        """Replace every atom by its definition, innermost last, until none is left."""
        out = expr
        for _ in range(len(self.definitions) + 1):
            if not (out.free_symbols & self.definitions.keys()):
                return out
            out = out.xreplace(self.definitions)
        return out


def entries(base: sp.IndexedBase) -> Callable[..., sp.Indexed]:
    """``base[indices]``, each entry built once: SymPy derives an Indexed's assumptions anew
    for every object (about 0.1 ms), and a fixed-size function uses each entry several times.

    The key is the tuple of indices (integers or index symbols, cheap to hash and compare).
    """
    known: dict[tuple[sp.Expr, ...], sp.Indexed] = {}

    def entry(*indices: sp.Expr) -> sp.Indexed:
        found = known.get(indices)
        if found is None:
            found = known[indices] = base[indices]
        return found

    return entry


def memoized(entry: Callable[[sp.Expr], sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
    """``entry(n)``, each entry built once (keyed by the index, cheap to hash and compare).

    A fixed-size function uses an entry in several places (exp(z_j) in the softmax
    denominator, in ŷ_j, in the derivative), built apart in time: SymPy's own cache of
    constructors keeps only the last 1000 calls, so past k ≈ 1000 each use built the
    entry again, with its assumptions, and the time per entry grew with k.
    """
    known: dict[sp.Expr, sp.Expr] = {}

    def cached(n: sp.Expr) -> sp.Expr:
        found = known.get(n)
        if found is None:
            found = known[n] = entry(n)
        return found

    return cached
