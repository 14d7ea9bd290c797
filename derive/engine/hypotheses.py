"""Hypotheses a claim is decided under: index ranges, index cases, label constraints, scalar domains, relations.

Each hypothesis does two things, and only these: it rewrites a residual symbolically
(``rewrite``), and it constrains the points a counterexample may be drawn from (the
sampler in :mod:`derive.engine.evaluate` reads its fields). A hypothesis never decides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from derive.engine.strict import expression

__all__ = ["Between", "Distinct", "Domain", "Equal", "Holds", "Hypothesis", "InRange", "OneHot", "SumToOne",
           "known_signs"]


class Hypothesis:
    """Base class: a fact assumed true of every point the claim is about."""

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
        return expr

    def bind(self, definitions: Mapping[sp.Symbol, sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
        """``rewrite`` with the definitions of one claim, for a claim that rewrites many entries.

        What a hypothesis learns from the definitions (which shared atoms are label sums)
        is worked out here once, not once per entry: asked per entry, it made the k
        entries of a fixed-size claim cost O(k) each.
        """
        return lambda expr: self.rewrite(expr, definitions)

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

    #: An index, or an IndexedBase whose every entry is an index (ℓ_n, one class per sample).
    index: sp.Symbol | sp.IndexedBase
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

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
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

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
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
        object.__setattr__(self, "labels", _label_base(self.labels, "SumToOne"))
        object.__setattr__(self, "size", _size(self.size, "SumToOne"))

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
        return self.bind(definitions)(expr)

    def bind(self, definitions: Mapping[sp.Symbol, sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
        base = self.labels

        def is_label_sum(node: sp.Basic) -> bool:
            if isinstance(node, sp.Sum) and len(node.limits) == 1:
                v, lo, hi = node.limits[0]
                body = node.function
                # Σ_j y_{nj} = 1 for each n; Σ_j y_{jj} is not a row of y (j in its other indices).
                return (
                    isinstance(body, sp.Indexed)
                    and body.base == base
                    and body.indices[-1] == v
                    and not any(v in i.free_symbols for i in body.indices[:-1])
                    and lo == 1
                    and hi == self.size
                )
            return False

        ones = _label_sum_atoms(definitions, base, self.size)

        def rewrite(expr: sp.Expr) -> sp.Expr:
            out = expr.replace(is_label_sum, lambda node: sp.S.One) if expr.has(sp.Sum) else expr
            return _set_to_one(out, ones) if ones and not out.free_symbols.isdisjoint(ones) else out

        return rewrite

    @property
    def text(self) -> str:
        return f"sum({self.labels}) = 1"

    @property
    def latex(self) -> str:
        return rf"\sum_{{n=1}}^{{{sp.latex(self.size)}}} {sp.latex(self.labels)}_n = 1"


def _label_base(labels: object, what: str) -> sp.IndexedBase:
    """The IndexedBase of the labels: given as one, or as the Vector ``space.vector`` returns."""
    if isinstance(labels, sp.IndexedBase):
        return labels
    entry = getattr(labels, "entry", None)
    if callable(entry):
        probe = entry(sp.Dummy("n", integer=True))
        if isinstance(probe, sp.Indexed):
            return probe.base
    raise TypeError(f"{what}(labels, size): labels is the IndexedBase of a declared array (space.array(...)) "
                    f"or the Vector space.vector(...) returned, got {type(labels).__name__}")


def _size(value: object, what: str) -> sp.Expr:
    if isinstance(value, (str, bytes)):
        return expression(value, what=f"{what}: a size or an index")  # raises StringGivenError, says what to pass
    if isinstance(value, bool) or not isinstance(value, (int, sp.Expr)):
        raise TypeError(f"{what}: sizes and indices are ints or SymPy symbols, got {value!r}")
    return expression(value, what=what)


def _label_sum_atoms(definitions: Mapping[sp.Symbol, sp.Expr], base: sp.IndexedBase,
                     size: sp.Expr) -> dict[sp.Basic, sp.Expr]:
    """The shared atoms whose definition is ``y[..., 1] + ... + y[..., size]``, each mapped to 1.

    Not cached across claims on purpose: a cache keyed by SymPy expressions compares a new
    claim's definitions with an earlier claim's equal ones by SymPy's deep ``__eq__`` at
    every lookup (17.7 s of 19.2 s for the two-layer B then A gradients). Callers bind it
    once per claim instead (:meth:`Hypothesis.bind`).
    """
    if not size.is_Integer:
        return {}
    return {atom: sp.S.One for atom, d in definitions.items() if _is_fixed_label_sum(d, base, int(size))}


def _set_to_one(expr: sp.Expr, ones: Mapping[sp.Basic, sp.Expr]) -> sp.Expr:
    """``expr`` with each atom of ``ones`` replaced by 1 (``xreplace``, without rebuilding products).

    A product that only loses such factors (or powers of them) keeps its other factors as
    they are, already in SymPy's canonical order: rebuilding it through ``Mul`` would
    rebuild each exp(z_j) in it (SymPy's Mul takes exp apart into E and z_j and puts it
    back), and past about a thousand entries SymPy's constructor cache no longer holds the
    earlier one, so every entry paid for a new exp. A product left with a sum as a factor
    goes through ``Mul`` (a number times a sum distributes).
    """
    if expr in ones:
        return sp.S.One
    if not expr.args:
        return expr
    if isinstance(expr, sp.Mul) and expr.is_commutative:
        kept, rebuilt = [], False
        for factor in expr.args:
            if (factor.base if isinstance(factor, sp.Pow) else factor) in ones:
                continue  # 1, or a power of 1
            new = _set_to_one(factor, ones)
            rebuilt = rebuilt or new is not factor
            kept.append(new)
        if len(kept) == len(expr.args) and not rebuilt:
            return expr
        if rebuilt or any(isinstance(k, sp.Add) for k in kept):
            return sp.Mul(*kept)
        return sp.Mul._from_args(kept) if len(kept) > 1 else kept[0] if kept else sp.S.One
    args = [_set_to_one(a, ones) for a in expr.args]
    return expr if all(a is b for a, b in zip(args, expr.args, strict=True)) else expr.func(*args)


def _is_fixed_label_sum(definition: sp.Expr, base: sp.IndexedBase, size: int) -> bool:
    if not isinstance(definition, sp.Add) or len(definition.args) != size:
        return False
    prefixes = set()
    lasts = set()
    for t in definition.args:
        if not (isinstance(t, sp.Indexed) and t.base == base):
            return False
        prefixes.add(t.indices[:-1])
        lasts.add(t.indices[-1])
    return len(prefixes) == 1 and lasts == set(sp.Integer(n) for n in range(1, size + 1))


@dataclass(frozen=True)
class OneHot(Hypothesis):
    """One-hot labels: ``y[n] = 1`` if ``n = at``, else 0 (``at`` is an index)."""

    labels: sp.IndexedBase
    at: sp.Basic
    size: sp.Expr
    #: How many indices an entry of the labels has (None: any). With ``at`` an IndexedBase
    #: (ℓ_n, a class per sample) the entry y[n, j] is one exactly when j = ℓ[n].
    rank: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _label_base(self.labels, "OneHot"))
        if not isinstance(self.at, sp.IndexedBase):
            object.__setattr__(self, "at", _size(self.at, "OneHot"))
        object.__setattr__(self, "size", _size(self.size, "OneHot"))

    def class_of(self, prefix: tuple[sp.Basic, ...]) -> sp.Basic | None:
        """The class of the row ``prefix`` of the labels (None: this hypothesis does not say)."""
        if isinstance(self.at, sp.IndexedBase):
            return self.at[prefix] if prefix else None
        return self.at

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
        return self.bind(definitions)(expr)

    def bind(self, definitions: Mapping[sp.Symbol, sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
        base = self.labels
        # A shared sum of the labels is 1 as well; substitute through definitions.
        ones = _label_sum_atoms(definitions, base, self.size)

        def entry(node: sp.Basic) -> bool:
            if not (isinstance(node, sp.Indexed) and node.base == base):
                return False
            if self.rank is not None and len(node.indices) != self.rank:
                return False  # an entry read with other indices: not one this hypothesis knows
            return self.class_of(node.indices[:-1]) is not None

        def rewrite(expr: sp.Expr) -> sp.Expr:
            out = expr.replace(entry, lambda node: sp.KroneckerDelta(node.indices[-1],
                                                                     self.class_of(node.indices[:-1])))
            return _set_to_one(out, ones) if ones and not out.free_symbols.isdisjoint(ones) else out

        return rewrite

    @property
    def text(self) -> str:
        return f"{self.labels} one-hot at {self.at}"

    @property
    def latex(self) -> str:
        return rf"{sp.latex(self.labels)}_n = \delta_{{n {sp.latex(self.at)}}}"


@dataclass(frozen=True)
class Between(Hypothesis):
    """``lo < symbol < hi`` for a real scalar (an open interval): points are drawn inside it."""

    symbol: sp.Symbol
    lo: sp.Rational
    hi: sp.Rational

    def __post_init__(self) -> None:
        lo, hi = sp.Rational(self.lo), sp.Rational(self.hi)
        if not lo < hi:
            raise TypeError(f"Between({self.symbol}, lo, hi) needs lo < hi, got {lo} and {hi}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @property
    def text(self) -> str:
        return f"{self.lo} < {self.symbol} < {self.hi}"

    @property
    def latex(self) -> str:
        return rf"{sp.latex(self.lo)} < {sp.latex(self.symbol)} < {sp.latex(self.hi)}"


@dataclass(frozen=True)
class Holds(Hypothesis):
    """Any SymPy relation over the claim's symbols (``Eq(y1 + y2 + y3, 1)``, ``x > 0``, ...).

    An equation linear in one of its plain symbols is used to eliminate that symbol, in
    the proof and in the sampler (which sets it from the others); every point a
    counterexample is drawn from is checked against the relation exactly, and one that
    does not satisfy it is never shown.
    """

    relation: sp.Basic

    def __post_init__(self) -> None:
        if not isinstance(self.relation, sp.Rel) or isinstance(self.relation, sp.Ne):
            raise TypeError(f"Holds takes a SymPy relation such as sp.Eq(a + b, 1) or a > 0, got {self.relation!r}")

    @functools.cached_property
    def solved(self) -> tuple[sp.Basic, sp.Expr] | None:
        """(s, value) when the relation is an equation linear in s (a symbol or an array entry)."""
        if not isinstance(self.relation, sp.Eq):
            return None
        diff = self.relation.lhs - self.relation.rhs
        labels = {x.base.label for x in diff.free_symbols if isinstance(x, sp.Indexed)}
        for s in sorted((s for s in diff.free_symbols if isinstance(s, (sp.Symbol, sp.Indexed))
                         and s not in labels), key=str):
            a = diff.diff(s)
            if a.is_number and a != 0 and s not in (rest := sp.expand(diff - a * s)).free_symbols:
                return s, -rest / a
        return None

    def rewrite(self, expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
        if self.solved is None:
            return expr
        s, value = self.solved
        return expr.xreplace({s: value}) if s in expr.free_symbols else expr

    @property
    def text(self) -> str:
        return sp.sstr(self.relation)

    @property
    def latex(self) -> str:
        return sp.latex(self.relation)


@dataclass(frozen=True)
class Domain(Hypothesis):
    """A scalar's domain: ``T > 0``, ``0 <= eps <= 1``, ``t in {0, 1}`` (of a symbol, or of every entry of an array).

    Counterexamples are drawn inside it and re-checked against it. A scalar kept positive (or
    nonnegative) by its domain is seen as such by SymPy while a side is rewritten (see
    :func:`known_signs`).
    """

    name: str
    lo: sp.Rational | None = None
    hi: sp.Rational | None = None
    lo_open: bool = False
    hi_open: bool = False
    values: tuple[sp.Rational, ...] | None = None

    def sign(self) -> str | None:
        """The sign the domain gives its scalar (T > 0: "positive", 0 <= eps <= 1: "nonnegative",
        w < 0: "negative"), or None."""
        if self.values is not None:
            return "nonnegative" if all(v >= 0 for v in self.values) else None
        if self.lo is not None and self.lo >= 0:
            return "positive" if self.lo > 0 or self.lo_open else "nonnegative"
        if self.hi is not None and self.hi <= 0:
            return "negative" if self.hi < 0 or self.hi_open else "nonpositive"
        return None

    def contains(self, value: sp.Expr) -> bool:
        if not value.is_Rational:
            return False
        if self.values is not None:
            return value in self.values
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        return not (self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)))

    def draw(self, choose: Callable[[int, int], int], extreme: bool) -> sp.Rational:
        """An exact value inside the domain, from ``choose(a, b)`` (a random integer in a..b)."""
        if self.values is not None:
            return self.values[choose(0, len(self.values) - 1)]
        lo = self.lo if self.lo is not None else (self.hi - 6 if self.hi is not None else sp.Integer(-3))
        hi = self.hi if self.hi is not None else lo + (1000 if extreme else 6)
        while True:
            value = lo + (hi - lo) * sp.Rational(choose(0, 1000), 1000)
            if self.contains(value):
                return sp.Rational(value)

    @property
    def text(self) -> str:
        if self.values is not None:
            return f"{self.name} in {{{', '.join(str(v) for v in self.values)}}}"
        lo = "" if self.lo is None else f"{self.lo} {'<' if self.lo_open else '<='} "
        hi = "" if self.hi is None else f" {'<' if self.hi_open else '<='} {self.hi}"
        return f"{lo}{self.name}{hi}"

    @property
    def latex(self) -> str:
        return self.text.replace("<=", r"\le").replace("{", r"\{").replace("}", r"\}")


def known_signs(hypotheses: Sequence[Hypothesis]) -> Callable[[sp.Expr], sp.Expr] | None:
    """A rewrite that lets SymPy see the signs the scalars' domains give (T > 0, 0 < t < 1), or None.

    All such scalars at once: Heaviside(w x) is 1 only when both w and x are known positive.
    Rebuilt with the signs known, SymPy evaluates what they decide (Heaviside, Abs, sqrt of a
    square); the symbols are then given back, so nothing else changes. Sound: the claim is only
    about points inside the domains.
    """
    signs: dict[str, str] = {}
    for h in hypotheses:
        if isinstance(h, Domain) and h.sign() is not None:
            signs[h.name] = str(h.sign())
        elif isinstance(h, Between) and h.lo >= 0:
            signs[h.symbol.name] = "positive"
    if not signs:
        return None

    def rewrite(expr: sp.Expr) -> sp.Expr:
        found = [s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.name in signs and not s.is_integer]
        if not found:
            return expr
        signed = {s: sp.Dummy(s.name, **{signs[s.name]: True}) for s in found}
        return expr.xreplace(signed).xreplace({d: s for s, d in signed.items()})
    return rewrite
