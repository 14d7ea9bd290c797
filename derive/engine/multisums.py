"""Nested sums in one canonical order: the normal form of sums of products of indexed arrays.

:func:`canonical_sums` rewrites an expression with finite sums over symbolic ranges into

    closed part  +  Σ_g  c_g · Σ_{ν ∈ L_g} m_g(ν)

where each ``m_g`` is a product of factors (array entries, deltas, powers and function
applications) that depend on the bound indices ν, each ``c_g`` is free of them, and the
multi-index sums ``Σ_{ν ∈ L_g}`` are in one canonical order with canonically named indices.
The steps, each an equality for every range:

1. **flatten**: Σ_a f · Σ_b g = Σ_{a,b} f g, (Σ_a f)(Σ_b g) = Σ_{a,b} f g (the indices
   renamed apart), and products distributed over sums (a positive integer power of a sum is
   a product of copies);
2. **deltas**: Σ_a δ(a, q) f(a) = f(q) when q lies in a's range (q free with a known range,
   a number in it, or another bound index with the same range);
3. **empty indices**: an index no factor mentions leaves as its count (hi − lo + 1);
4. **canonical order**: the indices of one multi-sum are ordered by their ranges, and among
   indices of one range by the permutation that gives the smallest sorted list of factors;
   they are then named ν_h, ν_{h+1}, … with h above every name bound inside their factors
   (so no capture is possible);
5. **grouping**: the terms of one multi-index range are summed in one body, which is zero
   when the body cancels as a rational function of its atoms (each function application and
   each inner sum an independent symbol); otherwise factors free of the indices leave the sum
   and equal multi-sums combine.

Inside function arguments and non-integer powers the same form is applied recursively, so
``exp(Σ …)`` and ``1/Σ …`` are atoms that compare equal exactly when their normal forms do.

**Complete for:** polynomials (with integer powers) in entries of arrays, Kronecker deltas
and closed atoms, summed over rectangular index ranges, when the ranges of the indices that
must be permuted are few (at most :data:`PERMUTATION_LIMIT` orders are tried): two such
expressions are equal for every size exactly when their normal forms are equal, because a
multi-sum of a monomial over free ranges is a polynomial in the array entries whose
monomials determine the term up to renaming of its indices, and the renaming is made
canonical by step 4. Elementwise functions of entries are atoms once :mod:`identities` has
brought them to exp/log form, so identities between them are found when they are rational
identities in those atoms.

**Not complete for:** sums whose bounds depend on other indices (triangular ranges, left as
atoms), identities that need a relation between the atoms themselves beyond the rules
(Σ y = 1 is the hypotheses' job), more index permutations than the limit (a fixed order is
used: still sound), and alignments of two bodies that only cancel together while being
ordered differently by step 4.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from derive.engine import identities

__all__ = ["PERMUTATION_LIMIT", "atoms_cancel", "canonical_sums"]

#: Orders of one multi-sum's indices tried for the canonical one; beyond it a fixed order.
PERMUTATION_LIMIT = 720

#: Terms a flattening may produce before it is given up (the expression is left as it is).
TERM_LIMIT = 4000

_PREFIX = "ν"


class _TooLarge(Exception):
    pass


@dataclass
class _Term:
    coeff: sp.Expr
    limits: list[tuple[sp.Symbol, sp.Expr, sp.Expr]]
    factors: list[sp.Expr]

    def times(self, other: _Term) -> _Term:
        return _Term(self.coeff * other.coeff, self.limits + other.limits, self.factors + other.factors)


def _name(n: int) -> sp.Symbol:
    return sp.Symbol(f"{_PREFIX}{n}", integer=True)


def _height(expr: sp.Basic) -> int:
    """One more than the largest ν name in expr (bound inside its sums), 0 if none."""
    names = [int(s.name[len(_PREFIX):]) for s in expr.atoms(sp.Symbol)
             if s.name.startswith(_PREFIX) and s.name[len(_PREFIX):].isdigit()]
    return max(names) + 1 if names else 0


class _Normalizer:
    def __init__(self, ranges: Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]]) -> None:
        self.ranges = dict(ranges)
        self.memo: dict[sp.Basic, sp.Expr] = {}
        self.fired: set[str] = set()

    # -- flattening ------------------------------------------------------------------------
    def terms(self, node: sp.Expr) -> list[_Term]:
        if node.is_Number:
            return [_Term(node, [], [])]
        if isinstance(node, sp.Add):
            return [t for a in node.args for t in self.terms(a)]
        if isinstance(node, sp.Mul):
            out = [_Term(sp.S.One, [], [])]
            for a in node.args:
                parts = self.terms(a)
                out = [x.times(y) for x in out for y in parts]
                if len(out) > TERM_LIMIT:
                    raise _TooLarge
            return out
        if isinstance(node, sp.Pow) and node.exp.is_Integer and 1 < node.exp <= 6 \
                and (node.base.is_Add or node.base.has(sp.Sum)):
            out = [_Term(sp.S.One, [], [])]
            for _ in range(int(node.exp)):
                parts = self.terms(node.base)  # fresh indices for each copy
                out = [x.times(y) for x in out for y in parts]
                if len(out) > TERM_LIMIT:
                    raise _TooLarge
            return out
        if isinstance(node, sp.Sum) and self._rectangular(node):
            limits = [(sp.Dummy(str(v), integer=True), lo, hi) for v, lo, hi in node.limits]
            # One pass over the body for every bound name (rectangular: no limit mentions another's name).
            body = node.function.xreplace({v: fresh for (v, _, _), (fresh, _, _) in zip(node.limits, limits,
                                                                                        strict=True)})
            return [_Term(t.coeff, limits + t.limits, t.factors) for t in self.terms(body)]
        return [_Term(sp.S.One, [], [self.atom(node)])]

    @staticmethod
    def _rectangular(node: sp.Sum) -> bool:
        bound = {v for v, _, _ in node.limits}
        return all(not ((lo.free_symbols | hi.free_symbols) & bound) for _, lo, hi in node.limits)

    def atom(self, node: sp.Expr) -> sp.Expr:
        """A factor that is not a product or a sum: its arguments in normal form."""
        if not node.args or isinstance(node, (sp.Indexed, sp.IndexedBase, sp.KroneckerDelta)):
            return node
        if isinstance(node, sp.Sum):  # a triangular sum: its body normalized, the sum kept
            return sp.Sum(self.normal(node.function), *node.limits)
        args = [self.normal(a) if isinstance(a, sp.Expr) else a for a in node.args]
        return node if all(a is b for a, b in zip(args, node.args, strict=True)) else node.func(*args)

    # -- one term ----------------------------------------------------------------------------
    def _in_range(self, q: sp.Expr, lo: sp.Expr, hi: sp.Expr, local: Mapping[sp.Symbol, tuple]) -> bool:
        if q.is_Integer and lo.is_Integer and hi.is_Integer:
            return bool(lo <= q <= hi)
        known = local.get(q) if isinstance(q, sp.Symbol) else None
        if known is None and isinstance(q, sp.Symbol):
            known = self.ranges.get(q)
        return known is not None and tuple(known) == (lo, hi)

    def resolve(self, term: _Term) -> _Term | None:
        """Deltas summed, empty indices counted; None for a term that is zero."""
        limits, factors = list(term.limits), list(term.factors)
        changed = True
        while changed:
            changed = False
            local = {v: (lo, hi) for v, lo, hi in limits}
            for n, f in enumerate(factors):
                if not isinstance(f, sp.KroneckerDelta):
                    continue
                p, q = f.args
                for v, other in ((p, q), (q, p)):
                    if v not in local or v in other.free_symbols:
                        continue
                    lo, hi = local[v]
                    if not self._in_range(other, lo, hi, local):
                        if other.is_Integer and lo.is_Integer and hi.is_Integer:
                            return None  # the delta is zero over the whole range
                        continue
                    rest = factors[:n] + factors[n + 1:]
                    factors = [g.xreplace({v: other}) for g in rest]
                    limits = [lim for lim in limits if lim[0] != v]
                    changed = True
                    break
                if changed:
                    break
        coeff = term.coeff
        used: set[sp.Basic] = set().union(*(f.free_symbols for f in factors)) if factors else set()
        kept = []
        for v, lo, hi in limits:
            if v in used or any(v in (lo2.free_symbols | hi2.free_symbols) for _, lo2, hi2 in limits):
                kept.append((v, lo, hi))
            else:
                coeff = coeff * (hi - lo + 1)
        return _Term(coeff, kept, factors)

    def canonical(self, term: _Term) -> tuple[sp.Expr, tuple, int, sp.Expr]:
        """(free part, the ranges in canonical order, the first name's number, bound part) of a term."""
        bound = {v for v, _, _ in term.limits}
        free = [f for f in term.factors if not f.free_symbols & bound]
        inner = [f for f in term.factors if f.free_symbols & bound]
        free_part = sp.Mul(term.coeff, *free)
        if not term.limits:
            return free_part, (), 0, sp.S.One
        base = _height(sp.Mul(*inner))
        groups: dict[tuple, list[sp.Symbol]] = {}
        for v, lo, hi in term.limits:
            groups.setdefault((lo, hi), []).append(v)
        ordered = sorted(groups.items(), key=lambda kv: sp.default_sort_key(sp.Tuple(*kv[0])))
        orders = [list(itertools.permutations(vs)) for _, vs in ordered]
        if math.prod(len(o) for o in orders) > PERMUTATION_LIMIT:
            orders = [[tuple(vs)] for _, vs in ordered]
        best: tuple | None = None
        for choice in itertools.product(*orders):
            flat = [v for part in choice for v in part]
            names = {v: _name(base + n) for n, v in enumerate(flat)}
            renamed = [f.xreplace(names) for f in inner]
            key = tuple(sorted(sp.srepr(f) for f in renamed))
            if best is None or key < best[0]:
                best = (key, renamed, flat)
        assert best is not None
        if best[2] != [v for v, _, _ in term.limits]:
            self.fired.add(identities.SUM_ORDER)  # the proof cites the reordering
        ranges = tuple(r for r, vs in ordered for _ in vs)
        return free_part, ranges, base, sp.Mul(*best[1])

    # -- the whole -------------------------------------------------------------------------
    def normal(self, expr: sp.Expr) -> sp.Expr:
        known = self.memo.get(expr)
        if known is not None:
            return known
        if not expr.has(sp.Sum, sp.KroneckerDelta):
            return expr
        closed: list[sp.Expr] = []
        groups: dict[tuple, list[tuple[sp.Expr, int, sp.Expr]]] = {}
        for term in self.terms(expr):
            resolved = self.resolve(term)
            if resolved is None:
                continue
            free, ranges, base, inner = self.canonical(resolved)
            if ranges:
                groups.setdefault(ranges, []).append((free, base, inner))
            else:
                closed.append(free)
        out_terms = list(closed)
        for ranges, parts in groups.items():
            # One numbering for the group: above every name bound inside any of its terms.
            top = max(b for _, b, _ in parts)
            shifted = [(f, m if b == top else m.xreplace({_name(b + n): _name(top + n) for n in range(len(ranges))}))
                       for f, b, m in parts]
            limits = [(_name(top + n), lo, hi) for n, (lo, hi) in enumerate(ranges)]
            body = sp.Add(*[f * m for f, m in shifted])
            if body == 0 or atoms_cancel(body, self.fired) == 0:
                continue
            by_inner: dict[sp.Expr, list[sp.Expr]] = {}
            for f, m in shifted:
                by_inner.setdefault(m, []).append(f)
            for m, fs in by_inner.items():
                coeff = sp.Add(*fs)
                if coeff != 0:
                    out_terms.append(coeff * sp.Sum(m, *limits))
        out = sp.Add(*out_terms)
        self.memo[expr] = out
        return out


def atoms_cancel(expr: sp.Expr, fired: set[str] | None = None) -> sp.Expr:
    """``cancel`` with every function application and every sum an independent symbol (sound).

    An exponential is split first into exponentials of single terms with integer powers
    (:func:`identities.exp_atoms`), so that exp(2a), exp(-a) and exp(a) share one symbol.
    """
    symbols: dict[sp.Basic, sp.Symbol] = {}

    def symbol(node: sp.Basic) -> sp.Symbol:
        known = symbols.get(node)
        if known is None:
            known = symbols[node] = sp.Dummy(f"a{len(symbols)}")
        return known

    replaced: dict[sp.Basic, sp.Expr] = {}

    def walk(node: sp.Basic) -> None:
        if node in replaced:
            return
        if isinstance(node, sp.exp):
            replaced[node] = identities.exp_atoms(node, symbol, fired)
            return
        if isinstance(node, (sp.Sum, sp.Function)) and not isinstance(node, sp.KroneckerDelta):
            replaced[node] = symbol(node)
            return
        for a in node.args:
            walk(a)

    walk(expr)
    atomic = expr.xreplace(replaced) if replaced else expr
    # Most bodies that vanish do so term by term once expanded (the same products with opposite signs),
    # and expand is far cheaper than cancel's gcds: cancel runs only where a common denominator is needed.
    if sp.expand(atomic) == 0:
        return sp.S.Zero
    return sp.cancel(atomic)


def canonical_sums(expr: sp.Expr, ranges: Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]] | None = None,
                   fired: set[str] | None = None) -> sp.Expr:
    """The canonical form described above (exactly 0 when it shows that ``expr`` is zero).

    ``fired`` collects the names of the elementwise identities that were used, and
    :data:`identities.SUM_ORDER` when nested sums were brought to another order.
    An expression that mentions a free ν name, or whose flattening is too large, is returned
    as it is after the identities (a canonical name could capture the free one).

    Examples:
        >>> import sympy as sp
        >>> a, b, k, d = sp.symbols("a b k d", integer=True, positive=True)
        >>> u, w, M = sp.IndexedBase("u"), sp.IndexedBase("w"), sp.IndexedBase("M")
        >>> left = sp.Sum(u[a] * sp.Sum(M[b, a] * w[b], (b, 1, d)), (a, 1, k))
        >>> right = sp.Sum(w[b] * sp.Sum(M[b, a] * u[a], (a, 1, k)), (b, 1, d))
        >>> canonical_sums(left - right)
        0
    """
    out = identities.normalize(expr, fired)
    if any(s.name.startswith(_PREFIX) for s in out.free_symbols if isinstance(s, sp.Symbol)):
        return out
    normalizer = _Normalizer(ranges or {})
    try:
        out = normalizer.normal(out)
    except _TooLarge:
        return out
    if out != 0 and atoms_cancel(out, normalizer.fired) == 0:
        out = sp.S.Zero
    if fired is not None:
        fired |= normalizer.fired
    return out
