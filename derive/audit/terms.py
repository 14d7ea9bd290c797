r"""Names a post introduces as the terms of a sum: ``L = -\sum_j y_j \log p_j = -\sum_j \ell_j``.

Posts name the per-class (per-sample) terms of a loss by writing the sum again over a new name. The
new name is defined nowhere else, and the steps after it differentiate it (``\partial \ell_j / \partial p_j``):
the post means ``\ell_j = y_j \log p_j``, term by term. The link is read as that definition, with its
line, when

- both sides are the same coefficient times a sum with the same index and limits,
- the right side's term is the new name at that index alone, and
- the name has no meaning yet and is written as no equation's left side anywhere in the post.

An equality of two sums says less than the equality of their terms, which is why each condition is
needed: with a name the post defines (or a term that is not a bare entry) the link is a claim, and checked.
"""

from __future__ import annotations

import sympy as sp

from derive.audit.declarations import PostState
from derive.audit.symbols import written

__all__ = ["named_terms"]


def _coefficient_and_sum(expr: sp.Basic) -> tuple[sp.Basic, sp.Sum] | None:
    if isinstance(expr, sp.Sum):
        return sp.S.One, expr
    if isinstance(expr, sp.Mul):
        sums = [a for a in expr.args if isinstance(a, sp.Sum)]
        if len(sums) == 1:
            rest = sp.Mul(*(a for a in expr.args if a is not sums[0]))
            if not rest.free_symbols & set(sums[0].variables):
                return rest, sums[0]
    return None


def named_terms(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> tuple[sp.Indexed, sp.Basic] | None:
    r"""``(\ell_j, y_j \log p_j)`` when ``lhs = rhs`` names the terms of ``lhs``'s sum, as above; else None."""
    left, right = _coefficient_and_sum(lhs), _coefficient_and_sum(rhs)
    if left is None or right is None or left[0] != right[0]:
        return None
    (_, total), (_, named) = left, right
    if len(total.limits) != 1 or total.limits != named.limits:
        return None
    index = total.limits[0][0]
    term = named.function
    if not isinstance(term, sp.Indexed) or term.indices != (index,) or not total.function.has(index):
        return None
    label = str(term.base.label)
    spelled = written(label)
    if spelled is None or spelled in post.left_sides or total.function.has(term.base) or \
            term.base in post.definitions or label in post.table.entries or label in post.meaning.shapes.arrays \
            or label in post.scalars or label in post.meaning.functions:
        return None
    return term, total.function
