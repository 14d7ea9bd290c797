"""The notation proofs and the audit share: names that stand for definitions, and their meaning.

A :class:`Notation` says that a name (``ŷ``, ``CE``, ``s``) stands for an expression.
:func:`unfold` writes a line out in its definitions; :func:`meaning` also computes every
``Derivative`` in it, holding a notation's name as a variable while it is differentiated
(``∂L/∂s_i`` is the derivative of L as a function of s), which is what makes a chain-rule
step checkable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

__all__ = ["Notation", "Notations", "base_of", "meaning", "unfold"]


# -- notation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Notation:
    r"""A name of the proof's notation (ŷ, s, L, ...) and what it stands for.

    Args:
        name: the IndexedBase or Symbol used in the expressions.
        define: the definition, given the indices (none for a scalar name).
        latex: how the name prints (``\hat{y}``).
        where: the defining equation as LaTeX, for the notation section.
        hidden_indices: leading indices the LaTeX name already shows (the sample t
            of ``[(\hat{y}_t - y_t)(A x_t)^T]_{ab}``).
    """

    name: sp.Basic
    define: Callable[..., sp.Expr]
    latex: str
    where: str
    hidden_indices: int = 0


Notations = Mapping[sp.Basic, Notation]


def base_of(var: sp.Basic) -> sp.Basic:
    return var.base if isinstance(var, sp.Indexed) else var


def unfold(expr: sp.Basic, notations: Notations, keep: frozenset[sp.Basic] = frozenset()) -> sp.Basic:
    """Replace each notation name (except those in ``keep``) by its definition, once."""
    def is_name(node: sp.Basic) -> bool:
        if isinstance(node, sp.Indexed):
            return node.base in notations and node.base not in keep
        return isinstance(node, sp.Symbol) and node in notations and node not in keep

    def definition(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Indexed):
            return notations[node.base].define(*node.indices)
        return notations[node].define()

    def walk(node: sp.Basic) -> sp.Basic:
        if is_name(node):
            return definition(node)
        # Never into an IndexedBase: in L_n the L is not the scalar a post defined as L.
        if isinstance(node, sp.IndexedBase) or not node.args:
            return node
        args = [walk(a) for a in node.args]
        return node.func(*args) if any(a is not b for a, b in zip(args, node.args, strict=True)) else node

    return walk(expr)


def _at_kept(expr: sp.Basic, kept: frozenset[sp.Basic], notations: Notations) -> sp.Basic:
    """A derivative SymPy left unevaluated (of an unknown function) by a kept name, written at that name.

    ``Derivative(f(μ), μ)`` with μ a notation is ``Subs(Derivative(f(ξ), ξ), ξ, μ)``: μ can then be unfolded
    without SymPy differentiating by an expression (which it refuses).
    """
    def named(var: sp.Basic) -> bool:
        return base_of(var) in kept and (var in notations or base_of(var) in notations)

    def at(node: sp.Derivative) -> sp.Basic:
        variables = [v for v, _ in node.variable_count if named(v)]
        if not variables:
            return node
        fresh = {v: sp.Dummy(f"ξ{n}", real=True) for n, v in enumerate(variables)}
        body = sp.Derivative(node.expr.xreplace(fresh), *[(fresh.get(v, v), k) for v, k in node.variable_count])
        return sp.Subs(body, tuple(fresh.values()), tuple(fresh))
    if not expr.has(sp.Derivative):
        return expr
    return expr.replace(lambda node: isinstance(node, sp.Derivative), at)


def meaning(expr: sp.Basic, notations: Notations, keep: frozenset[sp.Basic] = frozenset()) -> sp.Basic:
    """What a line of a proof says: notation unfolded, derivatives computed by SymPy.

    In ``Derivative(f, v)`` the variable's own name is kept while f is unfolded and
    differentiated (∂L/∂s_i is the partial derivative of L as a function of s), and
    unfolded afterwards.
    """
    if isinstance(expr, sp.Derivative):
        # Every variable's own name is kept (two in ∂²L/∂s_i∂s_j).
        inner_keep = keep | {base_of(var) for var, _ in expr.variable_count}
        inner = meaning(expr.expr, notations, inner_keep)
        out = inner
        for var, order in expr.variable_count:  # one variable at a time, each derivative computed
            out = sp.diff(out, var, order)
        out = _at_kept(out, inner_keep - keep, notations)
        # Unfold what was kept; not meaning() again: a Derivative SymPy left unevaluated
        # (of an unknown function) would be differentiated forever.
        for _ in range(50):
            unfolded = unfold(out, notations, keep)
            if unfolded == out:
                return out
            out = unfolded
        return out
    if isinstance(expr, (sp.Indexed, sp.Symbol)):
        out = unfold(expr, notations, keep)
        return expr if out == expr else meaning(out, notations, keep)
    if not expr.args:
        return expr
    return expr.func(*[meaning(a, notations, keep) for a in expr.args])


