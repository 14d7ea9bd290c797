"""An every-size claim at fixed sizes: every size a number, every free index each of its values.

When the symbolic proof leaves a claim undecided, the same claim at small sizes often is
decided: a counterexample there is a counterexample to the claim (a particular size is one
of the sizes it is about), and a proof there is evidence, reported as such, never as a proof
for every size.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace

import sympy as sp

from derive.engine.claims import Claim, entries
from derive.engine.differentiate import LowRankMatrix
from derive.engine.hypotheses import Hypothesis, InRange
from derive.engine.space import ArraySpec
from derive.engine.sums import instantiate_sums

__all__ = ["ENTRY_LIMIT", "at_sizes", "symbolic_sizes", "with_sizes"]

#: Index assignments of one fixed-size claim beyond which it is not built (too many entries).
ENTRY_LIMIT = 64


def symbolic_sizes(claim: Claim) -> list[sp.Symbol]:
    """The sizes a claim leaves symbolic: in its arrays' shapes, its index ranges and its sums' bounds."""
    if isinstance(claim.lhs, LowRankMatrix) or isinstance(claim.rhs, LowRankMatrix):
        return []
    found: set[sp.Basic] = set()
    for spec in claim.arrays.values():
        for dim in spec.shape:
            found |= sp.sympify(dim).free_symbols
    for lo, hi in claim.ranges.values():
        found |= lo.free_symbols | hi.free_symbols
    for _, lhs, rhs in entries(claim.lhs, claim.rhs):
        for s in (lhs.atoms(sp.Sum) | rhs.atoms(sp.Sum)):
            for _, lo, hi in s.limits:
                found |= lo.free_symbols | hi.free_symbols
    return sorted((s for s in found if isinstance(s, sp.Symbol) and s.is_integer and s.is_positive), key=str)


def _substituted(h: Hypothesis, values: Mapping[sp.Basic, sp.Basic]) -> Hypothesis:
    if not is_dataclass(h):
        return h
    changes = {f.name: getattr(h, f.name).xreplace(values) for f in fields(h)
               if isinstance(getattr(h, f.name), sp.Basic)}
    return replace(h, **changes)


def _mentions(h: Hypothesis, symbols: set[sp.Symbol]) -> bool:
    if not is_dataclass(h):
        return True
    return any(isinstance(getattr(h, f.name), sp.Basic) and getattr(h, f.name).free_symbols & symbols
               for f in fields(h))


def at_sizes(claim: Claim, sizes: Mapping[sp.Symbol, int]) -> tuple[Claim, list[dict[sp.Symbol, int]]] | None:
    """The claim at these sizes, one entry per value of its free indices; None when too large.

    An index with a range in the sizes takes each value in it; the claim's sides become
    vectors of those entries, sums written out. The list gives each entry's index values.
    """
    fixed = {s: sp.Integer(v) for s, v in sizes.items()}
    free = [(h.index, h.lo.xreplace(fixed), h.hi.xreplace(fixed)) for h in claim.hypotheses
            if isinstance(h, InRange) and isinstance(h.index, sp.Symbol)]
    if any(not (lo.is_Integer and hi.is_Integer) for _, lo, hi in free):
        return None
    values = [range(int(lo), int(hi) + 1) for _, lo, hi in free]
    count = 1
    for r in values:
        count *= len(r)
    if count > ENTRY_LIMIT or count == 0:
        return None
    left: list[sp.Expr] = []
    right: list[sp.Expr] = []
    where: list[dict[sp.Symbol, int]] = []
    for choice in itertools.product(*values):
        at = {v: c for (v, _, _), c in zip(free, choice, strict=True)}
        point = {**fixed, **{v: sp.Integer(c) for v, c in at.items()}}
        for _, lhs, rhs in entries(claim.lhs, claim.rhs):
            left.append(instantiate_sums(lhs.xreplace(point)))
            right.append(instantiate_sums(rhs.xreplace(point)))
            where.append(at)
    indices = {v for v, _, _ in free}
    hyps = tuple(_substituted(h, fixed) for h in claim.hypotheses
                 if not (isinstance(h, InRange) and h.index in indices))
    if any(_mentions(h, indices) for h in hyps):
        return None  # a hypothesis about the indices (i ≠ j, one-hot at j) would differ per entry
    arrays = {name: ArraySpec(spec.base, tuple(sp.sympify(d).xreplace(fixed) for d in spec.shape), spec.role)
              for name, spec in claim.arrays.items()}
    label = ",".join(f"{s}={v}" for s, v in sorted(((str(s), v) for s, v in sizes.items())))
    return Claim(f"{claim.name}[{label}]", tuple(left), tuple(right), hyps, claim.statement, claim.latex,
                 claim.definitions, arrays), where


def with_sizes(claim: Claim, sizes: Mapping[str, int]) -> Claim | None:
    """The every-size claim with its sizes fixed by name and its free indices kept, or None.

    At a large size this is the claim about every entry at once (an index i with its range
    1..1000 stands for each of them) without writing a thousand entries out: the sums keep
    their bounds as numbers. None when the sides are not one entry or a size is not known.
    """
    if not (isinstance(claim.lhs, sp.Expr) and isinstance(claim.rhs, sp.Expr)):
        return None
    by_name = {str(s): s for s in symbolic_sizes(claim)}
    if not set(by_name) <= set(sizes):
        return None
    fixed = {s: sp.Integer(sizes[name]) for name, s in by_name.items()}
    if not fixed:
        return None
    hyps = tuple(_substituted(h, fixed) for h in claim.hypotheses)
    arrays = {name: ArraySpec(spec.base, tuple(sp.sympify(d).xreplace(fixed) for d in spec.shape), spec.role)
              for name, spec in claim.arrays.items()}
    label = ",".join(f"{name}={sizes[name]}" for name in sorted(by_name))
    return Claim(f"{claim.name}[{label}]", claim.lhs.xreplace(fixed), claim.rhs.xreplace(fixed), hyps,
                 claim.statement, claim.latex, claim.definitions, arrays)
