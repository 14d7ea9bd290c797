"""Mechanical differentiation: every derivative is SymPy's ``diff`` of a built expression.

For symbolic sizes this is ``sympy.diff`` on the Sum expression itself, with respect
to an entry such as ``z[j]`` or ``B[a, b]``; SymPy answers with Kronecker deltas
inside sums, which :mod:`derive.engine.sums` then reduces.

For fixed sizes, expressions are built over shared atoms (see
:mod:`derive.library.functions`). The total derivative is the chain rule through them,

    D_x f = ∂f/∂x + Σ_a ∂f/∂a · D_x a      (a: the atoms of f that depend on x),

where every partial ∂ is ``sympy.diff``. Sums are differentiated term by term, and
only the terms that depend on x are visited: a term free of x has derivative 0,
the same test SymPy's own ``diff`` makes first. That is what turns the k partial
derivatives of a k-term loss from O(k²) node visits into O(k).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from derive.engine.memo import memoized_sum_symbols

__all__ = ["Differentiator", "LowRankMatrix", "derivative"]


def derivative(expr: sp.Expr, wrt: sp.Expr) -> sp.Expr:
    """d expr / d wrt for an expression with symbolic sums.

    By an entry ``wrt = z[j]`` of an array, SymPy's own rules are applied node by node
    (:func:`_entry_diff`); by anything else, ``sympy.diff``.
    """
    with memoized_sum_symbols():
        if isinstance(wrt, sp.Indexed):
            return _entry_diff(expr, wrt)
        return sp.diff(expr, wrt)


def _entry_diff(expr: sp.Expr, x: sp.Indexed) -> sp.Expr:
    """∂expr/∂x for an array entry x, with SymPy's rules and without its ``Derivative`` wrapper.

    The rules are SymPy's: linearity, the product rule, the chain rule for exp, log and
    constant powers, ∂z[n]/∂z[j] = δ(n, j), and a sum differentiated under the sign
    (``Sum._eval_derivative``). ``sympy.diff`` wraps each in a ``Derivative`` whose
    assumption queries on sums were about half of an every-size theorem's time. A node
    these rules do not cover, or a sum that binds an index of x, goes to ``sympy.diff``.
    """
    label = x.base.label
    bound_clash = x.free_symbols - {x, label}

    def depends(e: sp.Basic) -> bool:
        # z[n] depends on z[j] for a symbolic n: the label, not the entry, is the test.
        return label in e.free_symbols

    def d(e: sp.Expr) -> sp.Expr:
        if e == x:
            return sp.S.One
        if not depends(e):
            return sp.S.Zero
        if isinstance(e, sp.Indexed) and e.base == x.base and len(e.indices) == len(x.indices):
            return sp.Mul(*[_delta(i, j) for i, j in zip(e.indices, x.indices, strict=True)])
        if isinstance(e, sp.Add):
            return sp.Add(*[d(t) for t in e.args if depends(t)])
        if isinstance(e, sp.Mul):
            args = e.args
            return sp.Add(*[sp.Mul(*args[:k], d(f), *args[k + 1:]) for k, f in enumerate(args) if depends(f)])
        if isinstance(e, sp.exp):
            return e * d(e.args[0])
        if isinstance(e, sp.log):
            return d(e.args[0]) / e.args[0]
        if isinstance(e, sp.Pow) and not depends(e.exp):
            base, n = e.args
            return n * base ** (n - 1) * d(base)
        if isinstance(e, sp.Sum) and not any(
                v in bound_clash or depends(lo) or depends(hi) for v, lo, hi in e.limits):
            return sp.Sum(d(e.function), *e.limits)
        return sp.diff(e, x)

    return d(expr)


def _delta(i: sp.Expr, j: sp.Expr) -> sp.Expr:
    """KroneckerDelta(i, j), as SymPy's constructor builds it, without asking what it need not.

    δ(i, j) is 1 where i = j and 0 elsewhere, evaluated or not; SymPy's constructor
    evaluates it only when it can tell i = j or i ≠ j, and for two different index symbols
    it can tell i ≠ j only from assumptions that contradict (one positive, the other not;
    one even, the other odd). Without a contradiction it would ask its assumption system
    whether i - j is zero (0.4 ms, a new expression) only to leave δ as it is, with its
    indices in sorted order: that is built directly. Otherwise, and for anything but two
    symbols, SymPy's constructor decides (given the sorted order, so it asks once, not
    again for j - i). About a sixth of an every-size proof went to those questions.
    """
    i, j = sorted((i, j), key=sp.default_sort_key)
    if isinstance(i, sp.Symbol) and isinstance(j, sp.Symbol) and i != j:
        known_i, known_j = i.assumptions0, j.assumptions0
        if all(known_i[fact] == known_j[fact] for fact in known_i.keys() & known_j.keys()):
            return sp.KroneckerDelta(i, j, evaluate=False)
    return sp.KroneckerDelta(i, j)


def _diff(expr: sp.Expr, x: sp.Basic) -> sp.Expr:
    """∂expr/∂x by SymPy's own differentiation rules.

    ``sympy.diff`` wraps ``expr._eval_derivative(x)`` (the rules: product, chain,
    fdiff of each function) in a ``Derivative`` constructor whose assumption
    queries cost ~1 ms per call on fresh expressions. The wrapper adds nothing for
    the expressions built here, so call the rules directly; anything they do not
    handle goes through ``sympy.diff``.
    """
    if expr == x:
        return sp.S.One
    if x not in expr.free_symbols:
        return sp.S.Zero
    if isinstance(expr, sp.Mul):
        # The product rule over the factors that mention x, each factor by this same
        # function: SymPy's Mul rule calls ``diff`` (and its constructor) per factor.
        args = expr.args
        terms = []
        for k, factor in enumerate(args):
            if factor == x:
                terms.append(sp.Mul(*args[:k], *args[k + 1:]))
            elif x in factor.free_symbols:
                terms.append(sp.Mul(*args[:k], _diff(factor, x), *args[k + 1:]))
        return sp.Add(*terms)
    if isinstance(expr, sp.Add):
        return sp.Add(*[_diff(t, x) for t in expr.args if x in t.free_symbols])
    # The chain rule for the functions the library builds, reusing expr itself (SymPy's
    # rule rebuilds exp(u) and differentiates u through sympy.diff's constructor).
    if isinstance(expr, sp.exp):
        return expr * _diff(expr.args[0], x)
    if isinstance(expr, sp.log):
        return _diff(expr.args[0], x) / expr.args[0]
    if isinstance(expr, sp.Pow) and x not in expr.exp.free_symbols:
        base, n = expr.args
        return n * base ** (n - 1) * _diff(base, x)
    result = expr._eval_derivative(x) if isinstance(expr, sp.Pow) else None
    return result if result is not None else sp.diff(expr, x)


def _leaves(expr: sp.Basic) -> set[sp.Basic]:
    """The independent variables and atoms an expression mentions directly."""
    free = expr.free_symbols
    # free_symbols of z[1] holds both z[1] and the label z; the label is not a variable.
    labels = {s.base.label for s in free if isinstance(s, sp.Indexed)}
    return free - labels if labels else set(free)


@dataclass(frozen=True)
class LowRankMatrix:
    """A square matrix ``diag + Σ col ⊗ row`` kept in that form (k² entries in O(k) space).

    ``diagonal`` maps (i, j) to a sparse direct part (usually only i == j);
    ``outer`` lists (col, row) pairs of equal length. Entry (i, j) is
    ``diagonal.get((i, j), 0) + Σ col[i] * row[j]``.
    """

    size: int
    diagonal: Mapping[tuple[int, int], sp.Expr]
    outer: tuple[tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]], ...]

    def entry(self, i: int, j: int) -> sp.Expr:
        value = self.diagonal.get((i, j), sp.S.Zero)
        for col, row in self.outer:
            value = value + col[i] * row[j]
        return value

    def dense(self) -> list[list[sp.Expr]]:
        return [[self.entry(i, j) for j in range(self.size)] for i in range(self.size)]


class Differentiator:
    """Total derivatives through shared atoms, for expressions built in a fixed space."""

    def __init__(self, definitions: Mapping[sp.Symbol, sp.Expr]) -> None:
        # A reference, not a copy: atoms a space creates after this (building the loss
        # later) must be seen, or their derivatives would silently be 0.
        self.definitions = definitions
        self._depends: dict[sp.Symbol, frozenset[sp.Basic]] = {}
        self._checked: set[sp.Symbol] = set()
        self._add_index: dict[sp.Add, dict[sp.Basic, list[sp.Expr]]] = {}
        self._memo: dict[tuple[sp.Basic, sp.Basic], sp.Expr] = {}
        self._partials: dict[tuple[sp.Expr, sp.Basic], sp.Expr] = {}
        self._direct_indices: dict[tuple[str, sp.Add], dict[sp.Basic, list[sp.Expr]]] = {}

    # -- dependencies ----------------------------------------------------------------
    def variables_of(self, expr: sp.Basic) -> frozenset[sp.Basic]:
        """Every independent variable expr depends on, through atoms too."""
        out: set[sp.Basic] = set()
        for leaf in _leaves(expr):
            if leaf in self.definitions:
                out |= self._atom_variables(leaf)
            else:
                out.add(leaf)
        return frozenset(out)

    def _atom_variables(self, atom: sp.Symbol) -> frozenset[sp.Basic]:
        known = self._depends.get(atom)
        if known is None:
            known = self.variables_of(self.definitions[atom])
            self._depends[atom] = known
        return known

    def _terms_with(self, expr: sp.Add, x: sp.Basic) -> list[sp.Expr]:
        index = self._add_index.get(expr)
        if index is None:
            index = {}
            for term in expr.args:
                for v in self.variables_of(term):
                    index.setdefault(v, []).append(term)
            self._add_index[expr] = index
        return index.get(x, [])

    # -- derivatives -------------------------------------------------------------------
    def _require_definitions(self, expr: sp.Basic) -> None:
        # A shared atom (named "Σexp·0", "h·3", ...) without its definition would
        # differentiate as a constant: a silently wrong derivative.
        for leaf in expr.free_symbols:
            if isinstance(leaf, sp.Symbol) and "·" in leaf.name and leaf not in self.definitions:
                raise ValueError(f"the shared atom {leaf} has no definition here; pass the definitions of the "
                                 "space the expression was built in (space.definitions)")

    def total(self, expr: sp.Expr, x: sp.Basic) -> sp.Expr:
        """D_x expr, the total derivative through every atom that depends on x."""
        self._require_definitions(expr)
        return self._total(expr, x)

    def _total(self, expr: sp.Expr, x: sp.Basic) -> sp.Expr:
        # Each atom's definition is checked once (in _atom_total), not once per variable
        # x: that made a k×k Jacobian O(k²).
        if isinstance(expr, sp.Add):
            return sp.Add(*[self._total_term(t, x) for t in self._terms_with(expr, x)])
        return self._total_term(expr, x)

    def _total_term(self, expr: sp.Expr, x: sp.Basic) -> sp.Expr:
        leaves = _leaves(expr)
        out = _diff(expr, x) if x in leaves else sp.S.Zero
        for atom in leaves & self.definitions.keys():
            if x in self._atom_variables(atom):
                out += self._partial(expr, atom) * self._atom_total(atom, x)
        return out

    def _partial(self, expr: sp.Expr, atom: sp.Symbol) -> sp.Expr:
        # ∂(T log S)/∂S is the same for every component: compute it once.
        key = (expr, atom)
        known = self._partials.get(key)
        if known is None:
            known = _diff(expr, atom)
            self._partials[key] = known
        return known

    def _atom_total(self, atom: sp.Symbol, x: sp.Basic) -> sp.Expr:
        key = (atom, x)
        known = self._memo.get(key)
        if known is None:
            if atom not in self._checked:
                self._require_definitions(self.definitions[atom])
                self._checked.add(atom)
            known = self._total(self.definitions[atom], x)
            self._memo[key] = known
        return known

    def gradient(self, expr: sp.Expr, wrt: Sequence[sp.Basic]) -> list[sp.Expr]:
        """The partial derivatives of a scalar ``expr`` by each of ``wrt``, in reverse mode.

        Each atom's adjoint ∂expr/∂atom is computed once, outermost atoms first
        (adj(a) = Σ_b adj(b) · ∂def(b)/∂a over the atoms b whose definition mentions a);
        then ∂expr/∂x = ∂expr/∂x (direct) + Σ_b adj(b) · ∂def(b)/∂x. For the two-layer
        model that is adj(h_m) · x_q for every A_mq: the sum over the classes is formed
        once per hidden unit, not once per weight.
        """
        partial = self.partials(expr)
        return [partial(x) for x in wrt]

    def partials(self, expr: sp.Expr) -> Callable[[sp.Basic], sp.Expr]:
        """x -> ∂expr/∂x as in :meth:`gradient`, the adjoints computed once, here.

        For a caller that builds something else per variable alongside the derivative (the
        right side of a claim, entry by entry), so that what the two share is still fresh
        in SymPy's cache of constructors (it keeps the last 1000 calls of each).
        """
        self._require_definitions(expr)
        adjoints = self._adjoints(expr)
        # Which atoms mention each variable directly in their definition.
        users: dict[sp.Basic, list[sp.Symbol]] = {}
        for atom in adjoints:
            for leaf in _leaves(self.definitions[atom]):
                if leaf not in self.definitions:
                    users.setdefault(leaf, []).append(atom)

        def partial(x: sp.Basic) -> sp.Expr:
            value = self._direct(expr, x)
            for atom in users.get(x, ()):
                value += adjoints[atom] * self._direct(self.definitions[atom], x)
            return value

        return partial

    def _direct(self, expr: sp.Expr, x: sp.Basic) -> sp.Expr:
        """∂expr/∂x holding every atom fixed; in a sum, only the terms that mention x."""
        if isinstance(expr, sp.Add):
            index = self._direct_index(expr)
            return sp.Add(*[_diff(t, x) for t in index.get(x, ())])
        return _diff(expr, x) if x in _leaves(expr) else sp.S.Zero

    def _direct_index(self, expr: sp.Add) -> dict[sp.Basic, list[sp.Expr]]:
        key = ("direct", expr)
        index = self._direct_indices.get(key)
        if index is None:
            index = {}
            for term in expr.args:
                for leaf in _leaves(term):
                    index.setdefault(leaf, []).append(term)
            self._direct_indices[key] = index
        return index

    def _adjoints(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        # Atoms in an order where every atom comes before the atoms its definition uses.
        order: list[sp.Symbol] = []
        seen: set[sp.Symbol] = set()

        def visit(atom: sp.Symbol) -> None:
            if atom in seen:
                return
            seen.add(atom)
            for inner in _leaves(self.definitions[atom]) & self.definitions.keys():
                visit(inner)
            order.append(atom)

        for atom in sorted(_leaves(expr) & self.definitions.keys(), key=str):
            visit(atom)
        order.reverse()
        # Each adjoint's terms are collected and added once, when the adjoint is complete
        # (every atom that uses it came before it): adding them one at a time rebuilds
        # and re-sorts a growing sum, O(terms²) per atom.
        parts: dict[sp.Symbol, list[sp.Expr]] = {atom: [self._direct(expr, atom)] for atom in order}
        adjoints: dict[sp.Symbol, sp.Expr] = {}
        for outer in order:
            adjoint = adjoints[outer] = sp.Add(*parts.pop(outer))
            definition = self.definitions[outer]
            for inner in _leaves(definition) & self.definitions.keys():
                parts[inner].append(adjoint * self._direct(definition, inner))
        return adjoints

    def jacobian(self, outputs: Sequence[sp.Expr], wrt: Sequence[sp.Basic]) -> LowRankMatrix:
        """The Jacobian of ``outputs`` by ``wrt`` as direct part + one outer product per atom.

        By the chain rule, J = ∂F/∂x + Σ_a (∂F/∂a)(D_x a)ᵀ, where the first term is
        sparse (each output mentions few variables directly).
        """
        for output in outputs:
            self._require_definitions(output)
        if len(outputs) != len(wrt):
            raise ValueError("a low-rank Jacobian needs as many outputs as variables")
        position = {x: n for n, x in enumerate(wrt)}
        direct: dict[tuple[int, int], sp.Expr] = {}
        atoms: list[sp.Symbol] = []
        for i, f in enumerate(outputs):
            for leaf in _leaves(f):
                if leaf in position:
                    direct[(i, position[leaf])] = _diff(f, leaf)
                elif leaf in self.definitions and leaf not in atoms:
                    atoms.append(leaf)
        outer = []
        for atom in atoms:
            col = tuple(_diff(f, atom) for f in outputs)
            row = tuple(self._atom_total(atom, x) for x in wrt)
            outer.append((col, row))
        return LowRankMatrix(len(wrt), direct, tuple(outer))
