"""Points and numbers: draw points that honor a claim's hypotheses, evaluate at high precision.

A point gives every size, index and array entry an exact value (an Integer or a
Rational), so both sides can be evaluated by SymPy's ``evalf`` to any number of
digits: logits of ±1000 are no trouble (no overflow, no nan), and a difference is
only called real when it survives at two precisions.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.core.evalf import PrecisionExhausted
from sympy.core.function import AppliedUndef

from derive.engine.claims import Claim
from derive.engine.hypotheses import Between, Distinct, Domain, Equal, Holds, OneHot, SumToOne
from derive.engine.space import ArraySpec, Role
from derive.engine.sums import instantiate_sums

__all__ = ["Point", "differs", "evaluate", "sample_points"]


@dataclass(frozen=True)
class Point:
    """Exact values for sizes and indices (``scalars``) and for array entries (``entries``)."""

    scalars: Mapping[sp.Symbol, sp.Rational]
    entries: Mapping[sp.Indexed, sp.Rational]
    kind: str

    def describe(self) -> dict[str, object]:
        """Name -> value, sizes and indices first, then each array as a list."""
        out: dict[str, object] = {str(s): _number(v) for s, v in sorted(self.scalars.items(), key=str)}
        by_base: dict[str, list[tuple[tuple[int, ...], sp.Rational]]] = {}
        for ix, value in self.entries.items():
            by_base.setdefault(str(ix.base), []).append((tuple(int(i) for i in ix.indices), value))
        for base, items in sorted(by_base.items()):
            items.sort()
            if all(len(idx) == 1 for idx, _ in items):
                out[base] = [_number(v) for _, v in items]
            else:
                rows: dict[int, list[object]] = {}
                for idx, v in items:
                    rows.setdefault(idx[0], []).append(_number(v))
                out[base] = [rows[r] for r in sorted(rows)]
        return out


def _number(value: sp.Rational) -> object:
    return int(value) if value.is_Integer else float(value)


def _sizes_and_indices(claim: Claim, free: set[sp.Basic]) -> tuple[list[sp.Symbol], list[sp.Symbol]]:
    shape_symbols: set[sp.Symbol] = set()
    for spec in claim.arrays.values():
        for dim in spec.shape:
            shape_symbols |= {s for s in dim.free_symbols if isinstance(s, sp.Symbol)}
    ranges = claim.ranges
    for lo, hi in ranges.values():
        shape_symbols |= {s for s in (lo.free_symbols | hi.free_symbols) if isinstance(s, sp.Symbol)}
    indices = sorted((s for s in free if isinstance(s, sp.Symbol) and s in ranges), key=str)
    sizes = sorted(shape_symbols, key=str)
    return sizes, indices


def _free_symbols(claim: Claim) -> set[sp.Basic]:
    from derive.engine.claims import entries

    free: set[sp.Basic] = set()
    for _, a, b in entries(claim.lhs, claim.rhs):
        free |= a.free_symbols | b.free_symbols
    for h in claim.hypotheses:
        if isinstance(h, (Equal, Distinct)):
            free |= {h.a, h.b}
        if isinstance(h, OneHot) and not isinstance(h.at, sp.IndexedBase):
            free |= h.at.free_symbols
    return free


def sample_points(claim: Claim, *, count: int, seed: int = 0) -> Iterator[Point]:
    """Up to ``count`` points honoring the hypotheses: random ones, then extreme ones.

    Extreme points put logits at ±1000 and labels at 0 and 1, where a numerically naive
    evaluation overflows; here every value is exact.
    """
    rng = random.Random(seed)
    free = _free_symbols(claim)
    sizes, indices = _sizes_and_indices(claim, free)
    # An index with no range hypothesis still needs a value: give it the range of any
    # size it is compared with, else 1..3.
    loose = sorted((s for s in free if isinstance(s, sp.Symbol) and s.is_integer and s not in indices
                    and s not in sizes), key=str)
    labels = {spec.base.label for spec in claim.arrays.values()}
    labels |= {ix.base.label for ix in free if isinstance(ix, sp.Indexed)}
    reals = sorted((s for s in free if isinstance(s, sp.Symbol) and not s.is_integer and s not in labels
                    and s not in claim.definitions), key=str)
    ranges = claim.ranges
    intervals = {h.symbol: (h.lo, h.hi) for h in claim.hypotheses if isinstance(h, Between)}
    relations = [h for h in claim.hypotheses if isinstance(h, Holds)]
    domains = {h.name: h for h in claim.hypotheses if isinstance(h, Domain)}
    # Arrays in the order of their names: the point must not depend on PYTHONHASHSEED.
    arrays = sorted(claim.arrays.values(), key=lambda spec: str(spec.base.label))
    made = 0
    for attempt in itertools.count():
        if made >= count or attempt > count * 20:
            return
        extreme = attempt % 3 == 2
        scalars: dict[sp.Symbol, sp.Rational] = {}
        for s in sizes:
            scalars[s] = sp.Integer(rng.randint(2, 4))
        ok = True
        for ix in indices:
            lo, hi = ranges[ix]
            lo_v, hi_v = lo.xreplace(scalars), hi.xreplace(scalars)
            if not (lo_v.is_Integer and hi_v.is_Integer) or lo_v > hi_v:
                ok = False
                break
            scalars[ix] = sp.Integer(rng.randint(int(lo_v), int(hi_v)))
        for s in loose:
            scalars[s] = sp.Integer(rng.randint(1, 3))
        for s in reals:
            magnitude = 1000 if extreme else 3
            if s.name in domains:
                scalars[s] = domains[s.name].draw(rng.randint, extreme)
                continue
            value = sp.Rational(rng.randint(-magnitude * 1000, magnitude * 1000), 1000)
            scalars[s] = abs(value) + sp.Rational(1, 1000) if s.is_positive or s.is_nonnegative else value
            if s in intervals:
                lo, hi = intervals[s]
                # Extreme: close to either end of the open interval.
                share = sp.Rational(rng.choice([1, 999]), 1000) if extreme else sp.Rational(rng.randint(1, 999), 1000)
                scalars[s] = lo + (hi - lo) * share
        for h in claim.hypotheses:
            if isinstance(h, Equal) and h.a in scalars:
                scalars[h.b] = scalars[h.a]
        if not ok or any(isinstance(h, Distinct) and scalars.get(h.a) == scalars.get(h.b)
                         for h in claim.hypotheses):
            continue
        values: dict[sp.Indexed, sp.Rational] = {}
        for spec in arrays:
            values.update(_fill(spec, claim, scalars, rng, extreme, domains.get(str(spec.base.label))))
        if not _honors(relations, intervals, scalars, values):
            continue
        made += 1
        yield Point(scalars, values, "extreme" if extreme else "random")


def _honors(relations: list[Holds], intervals: Mapping[sp.Symbol, tuple[sp.Rational, sp.Rational]],
            scalars: dict[sp.Symbol, sp.Rational], values: dict[sp.Indexed, sp.Rational]) -> bool:
    """Set what each equation determines, then check every relation exactly at the point."""
    for h in relations:
        if h.solved is not None:
            target, value = h.solved
            exact = value.xreplace(scalars).xreplace(values)
            if not exact.is_Rational:
                return False
            (values if isinstance(target, sp.Indexed) else scalars)[target] = exact
    for h in relations:
        if h.relation.xreplace(scalars).xreplace(values) is not sp.true:
            return False
    return all(lo < scalars[s] < hi for s, (lo, hi) in intervals.items() if s in scalars)


def _fill(spec: ArraySpec, claim: Claim, scalars: Mapping[sp.Symbol, sp.Rational], rng: random.Random,
          extreme: bool, domain: Domain | None = None) -> dict[sp.Indexed, sp.Rational]:
    shape = [int(dim.xreplace(scalars)) for dim in spec.shape]
    cells = list(itertools.product(*[range(1, n + 1) for n in shape]))
    out: dict[sp.Indexed, sp.Rational] = {}
    one_hot = next((h for h in claim.hypotheses if isinstance(h, OneHot) and h.labels == spec.base), None)
    simplex = any(isinstance(h, SumToOne) and h.labels == spec.base for h in claim.hypotheses)
    if one_hot is not None and (one_hot.rank is None or one_hot.rank == len(shape)):
        classes: dict[tuple[int, ...], int] = {}
        for cell in cells:
            prefix = cell[:-1]
            if prefix not in classes:
                if isinstance(one_hot.at, sp.IndexedBase):
                    # ℓ_n: a class of its own for each sample, recorded in the point.
                    classes[prefix] = rng.randint(1, shape[-1])
                    out[one_hot.at[prefix]] = sp.Integer(classes[prefix])
                else:
                    classes[prefix] = int(sp.sympify(one_hot.at).xreplace(scalars))
            out[spec.base[cell]] = sp.Integer(1 if cell[-1] == classes[prefix] else 0)
        return out
    if domain is not None:
        for cell in cells:
            out[spec.base[cell]] = domain.draw(rng.randint, extreme)
        return out
    if simplex:  # Σ = 1 along the last index is a hypothesis of the claim, whatever the array's role
        rows: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for cell in cells:
            rows.setdefault(cell[:-1], []).append(cell)
        for row in rows.values():
            # Extreme: almost all mass on one class (probabilities near 0 and 1).
            weights = [rng.randint(1, 100) for _ in row]
            if extreme:
                weights = [1] * len(row)
                weights[rng.randrange(len(row))] = 10**6
            total = sum(weights)
            for cell, w in zip(row, weights, strict=True):
                out[spec.base[cell]] = sp.Rational(w, total)
        return out
    for cell in cells:
        if spec.role == Role.LOGITS:
            v = sp.Integer(rng.choice([1000, -1000, 999, 0, 500])) if extreme else \
                sp.Rational(rng.randint(-3000, 3000), 1000)
        elif spec.role == Role.LABELS:
            v = sp.Rational(rng.randint(0, 1000), 1000)
        else:
            v = sp.Rational(rng.randint(-30000, 30000), 1000) if extreme else \
                sp.Rational(rng.randint(-2000, 2000), 1000)
        out[spec.base[cell]] = v
    return out


def substitute(expr: sp.Expr, point: Point, definitions: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """The exact expression at ``point``: sizes and indices in, sums written out, atoms expanded."""
    out = _at_sizes(expr, frozenset(point.scalars.items()), tuple(definitions.items()))
    return _put(out, dict(point.entries))


@functools.lru_cache(maxsize=16)
def _at_sizes(expr: sp.Expr, scalars: frozenset[tuple[sp.Symbol, sp.Rational]],
              definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Expr:
    """``expr`` with its atoms expanded, the sizes, indices and scalars put in, and its sums written out.

    Cached: a central difference evaluates one function at two points for every entry of the
    gradient, and all of them share the sizes and scalars, so the sums (the costly part, written
    out term by term) are written out once per function and point, not twice per entry. The
    result is the same expression whichever way it is reached: nothing is approximated.
    """
    out = expr
    known = dict(definitions)
    for _ in range(len(known) + 1):
        if not (out.free_symbols & known.keys()):
            break
        out = out.xreplace(known)
    out = _put(out, dict(scalars))
    return instantiate_sums(out)


def _put(expr: sp.Expr, values: Mapping[sp.Basic, sp.Expr]) -> sp.Expr:
    if expr.has(sp.Derivative):
        # xreplace cannot put a number where a derivative's variable is (SymPy raises);
        # subs writes the derivative of an unknown function at a point as Subs(...), which
        # is not a number, so no counterexample can rest on it.
        return expr.subs(values, simultaneous=True)
    return expr.xreplace(values)


#: What evalf raises where it finds no value (mpmath's ZeroDivisionError and OverflowError, a
#: ValueError or TypeError from a function it cannot evaluate there, a RecursionError on a deep tree).
_NO_VALUE = (ArithmeticError, ValueError, TypeError, RecursionError)


def evaluate(expr: sp.Expr, point: Point, definitions: Mapping[sp.Symbol, sp.Expr], digits: int) -> sp.Expr:
    """``expr`` at ``point``, to ``digits`` significant digits (a Float, or a non-number if it is not one)."""
    exact = substitute(expr, point, definitions)
    if exact.has(sp.Derivative):
        exact = exact.doit()
    if exact.atoms(AppliedUndef):
        # An unknown function's value is not a number (and SymPy's evalf of the Subs that
        # holds its derivative at a point recurses without end): nothing to compare.
        return exact
    try:
        # strict: a value whose digits SymPy cannot guarantee (say, a cancellation that
        # leaves 0.e+271) must never be compared, or a true claim could look refuted.
        return exact.evalf(digits, strict=True)
    except PrecisionExhausted:
        pass
    except _NO_VALUE:
        return sp.nan  # mpmath gave up here (a ZeroDivisionError in log(1 + exp(...))): no number to compare
    # SymPy cannot certify the digits of a sum that cancels to (near) zero. Evaluated with
    # many more working digits, a value that stays below 10^-digits is zero to the digits
    # compared (its error is bounded by the working precision); anything else is no number.
    try:
        value = exact.evalf(digits, strict=False, maxn=8 * digits)
    except _NO_VALUE:
        return sp.nan
    if value.is_number and not value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) and abs(value) < sp.Float(10) ** -digits:
        return sp.Float(0, digits)
    return sp.nan


def differs(lhs: sp.Expr, rhs: sp.Expr, digits: int) -> bool:
    """True when two numbers evaluated to ``digits`` digits differ beyond rounding."""
    if not (lhs.is_number and rhs.is_number) or lhs.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return False
    if rhs.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return False
    scale = max(sp.Float(1), abs(lhs), abs(rhs))
    return bool(abs(lhs - rhs) > scale * sp.Float(10) ** (-(digits // 2)))
