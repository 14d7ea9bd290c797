"""A "wrong" is checked again before it is reported: the point honors every condition, the step differs there.

The engine's counterexample search draws points that honor the claim's hypotheses.
Before the audit calls a written step wrong it checks that point again, on its own,
against everything the post says, and evaluates the step *as read* (its two sides with
the post's names written out, never a rewritten residual) at that point:

- every size is a positive integer, every index lies in its range;
- every sum over a symbolic range is written out at the point, and every array entry
  it then touches exists (no index beyond a sum's limit, beyond an array's end);
- the case assumptions (``j \\neq \\ell``), the labels' constraint (rows summing to one,
  one-hot rows) and the scalar domains (``T > 0``) hold;
- no name stands for two things (a size and a real number of one name);
- both sides are numbers there, and they differ at two precisions.

A point that fails any of these is never shown: :func:`recheck` returns the reason,
and the step is undecided.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.engine.claims import Claim
from derive.engine.evaluate import differs
from derive.engine.hypotheses import Distinct, Domain, Equal, InRange, OneHot, SumToOne
from derive.engine.sums import instantiate_sums
from derive.engine.verdict import Counterexample

__all__ = ["recheck"]

_DIGITS = 30


def recheck(claim: Claim, left: sp.Expr, right: sp.Expr, found: Counterexample) -> str | None:
    """None if ``found`` is a genuine counterexample to ``left = right`` under ``claim``'s conditions, else why not."""
    values = dict(found.values)
    problem = _names(left, right) or _conditions(claim, values)
    if problem:
        return problem
    try:
        a = _at(left, values)
        b = _at(right, values)
    except _Outside as exc:
        return str(exc)
    if isinstance(a, str) or isinstance(b, str):
        return a if isinstance(a, str) else str(b)
    undefined = _undefined(a) or _undefined(b)
    if undefined:
        return f"the point found is not a point of the post: {undefined}"
    for digits in (_DIGITS, 2 * _DIGITS):
        if not differs(a.evalf(digits), b.evalf(digits), digits):
            return "the two sides, evaluated again from the step as read, do not differ at the point found"
    return None


def _undefined(side: sp.Expr) -> str | None:
    """Why a side, written out at a point, has no real value there (None if it has one).

    A logarithm of a number ≤ 0, a root or fractional power of a negative number, a division by zero, or a
    complex result: such a point is no point of a post about real numbers, and is never shown.
    """
    for node in sp.preorder_traversal(side):
        if isinstance(node, sp.log):
            arg = node.args[0].evalf(_DIGITS)
            if arg.is_real is not True or arg <= 0:
                return f"the logarithm of {sp.sstr(arg.evalf(4))} is not a real number"
        elif isinstance(node, sp.Pow):
            base, exp = node.args[0].evalf(_DIGITS), node.exp
            if base.is_zero and (exp.is_negative or exp.is_real is not True):
                return "a division by zero"
            if not exp.is_integer and base.is_real and base < 0:
                return f"a root or fractional power of the negative number {sp.sstr(base.evalf(4))}"
    value = side.evalf(_DIGITS)
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.is_real is False or \
            (value.is_number and abs(sp.im(value)) > 10 ** -(_DIGITS // 2)):
        return f"a side is {sp.sstr(value.evalf(4))}, not a real number"
    return None


class _Outside(ValueError):
    pass


def _names(left: sp.Expr, right: sp.Expr) -> str | None:
    seen: dict[str, sp.Symbol] = {}
    for s in sorted((left - right).free_symbols, key=sp.default_sort_key):
        if isinstance(s, sp.Symbol):
            other = seen.setdefault(s.name, s)
            if other != s:
                return (f"the name {s.name} stands for two things in this step (a size or index and a number); "
                        "declare it (<!-- derive: size " + s.name + " -->)")
    return None


def _conditions(claim: Claim, values: Mapping[sp.Basic, sp.Rational]) -> str | None:
    def value(expr: sp.Basic) -> sp.Expr:
        return sp.sympify(expr).xreplace(dict(values))

    for spec in claim.arrays.values():
        for dim in spec.shape:
            size = value(dim)
            if not (size.is_Integer and size >= 1):
                return f"the size {dim} has no positive integer value at the point found"
    for h in claim.hypotheses:
        if isinstance(h, InRange) and isinstance(h.index, sp.Symbol) and h.index in values:
            v, lo, hi = value(h.index), value(h.lo), value(h.hi)
            if not (v.is_Integer and lo.is_Integer and hi.is_Integer and lo <= v <= hi):
                return f"the index {h.index} = {v} is outside {h.lo}..{h.hi} at the point found"
        elif isinstance(h, Equal) and h.a in values and value(h.a) != value(h.b):
            return f"the point found breaks the assumption {h.text}"
        elif isinstance(h, Distinct) and h.a in values and value(h.a) == value(h.b):
            return f"the point found breaks the assumption {h.text}"
        elif isinstance(h, Domain):
            for key, v in values.items():
                name = str(key.base.label) if isinstance(key, sp.Indexed) else str(key)
                if name == h.name and not h.contains(v):
                    return f"the point found breaks the assumption {h.text} ({key} = {v})"
        elif isinstance(h, (SumToOne, OneHot)):
            problem = _labels(h, values)
            if problem:
                return problem
    return None


def _labels(h: SumToOne | OneHot, values: Mapping[sp.Basic, sp.Rational]) -> str | None:
    rows: dict[tuple[sp.Basic, ...], dict[sp.Basic, sp.Rational]] = {}
    for key, v in values.items():
        if isinstance(key, sp.Indexed) and key.base == h.labels:
            rows.setdefault(tuple(key.indices[:-1]), {})[key.indices[-1]] = v
    for prefix, row in rows.items():
        if isinstance(h, SumToOne):
            if any(v < 0 or v > 1 for v in row.values()) or sum(row.values()) != 1:
                return f"the labels {h.labels} do not sum to one in a row at the point found"
            continue
        at = h.class_of(prefix)
        cls = sp.sympify(at).xreplace(dict(values)) if at is not None else None
        if cls is None or not cls.is_Integer:
            continue
        if any(v != (1 if i == cls else 0) for i, v in row.items()):
            return f"the labels {h.labels} are not one-hot at {at} at the point found"
    return None


def _at(expr: sp.Expr, values: Mapping[sp.Basic, sp.Rational]) -> sp.Expr | str:
    scalars = {k: v for k, v in values.items() if not isinstance(k, sp.Indexed)}
    entries = {k: v for k, v in values.items() if isinstance(k, sp.Indexed)}
    out = expr.subs(scalars, simultaneous=True) if expr.has(sp.Derivative) else expr.xreplace(scalars)
    if out.has(sp.Derivative):
        out = out.doit()
    out = instantiate_sums(out)
    if out.has(sp.Sum):
        return "a sum's range has no integer value at the point found"
    missing = sorted((ix for ix in out.atoms(sp.Indexed) if ix not in entries), key=sp.default_sort_key)
    if missing:
        raise _Outside(f"the step at the point found uses {missing[0]}, which the point does not give "
                       "(an index beyond a sum's limit or an array's end)")
    out = out.xreplace(entries)
    if out.atoms(AppliedUndef) or out.free_symbols:
        return "the step is not a number at the point found (it uses names the point does not give)"
    return out
