"""Named rewrite rules: each proposes the next line of a proof from the one before.

A rule is a SymPy transformation with a name the proof cites (definition of softmax,
quotient rule, linearity, Kronecker delta sum, chain rule, use of a theorem). A rule only
proposes: the engine decides whether the line it proposes equals the previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from derive.library.notation import Notations, base_of, meaning, unfold

__all__ = [
    "Rule",
    "compute",
    "fold_softmax",
    "linear",
    "on_derivatives",
    "quotient",
    "substitute",
    "sum_rule",
    "theorem_use",
    "unfold_rule",
    "variable_of",
]


# -- rules -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A named rewrite: proposes the next line of a proof from the current one."""

    name: str
    apply: Callable[[sp.Expr], sp.Expr]

    def __str__(self) -> str:
        return self.name


def on_derivatives(expr: sp.Basic, fn: Callable[[sp.Derivative], sp.Basic | None]) -> sp.Basic:
    """Rewrite each Derivative node (innermost first) with ``fn``; None leaves it as it is."""
    def rewrite(node: sp.Basic) -> sp.Basic:
        out = fn(node)
        return node if out is None else out
    return expr.replace(lambda node: isinstance(node, sp.Derivative), rewrite)


def variable_of(d: sp.Derivative) -> sp.Basic:
    return d.variables[0]


def unfold_rule(name: str, notations: Notations, bases: Sequence[sp.Basic]) -> Rule:
    """``definition of ...``: write the given names out by their definitions."""
    chosen = {b: notations[b] for b in bases}

    def apply(expr: sp.Expr) -> sp.Expr:
        # Inside ∂/∂v the variable itself stays a name (∂(...)/∂s_i, not ∂(...)/∂(Σ B h)).
        keep = frozenset(base_of(v) for d in expr.atoms(sp.Derivative) for v in d.variables)
        out = unfold(expr, chosen, keep)
        while out != expr:  # a definition may use another chosen name (s = B h, h = A x)
            expr, out = out, unfold(out, chosen, keep)
        return out
    return Rule(name, apply)


def quotient(d: sp.Derivative) -> sp.Basic | None:
    f, v = d.expr, variable_of(d)
    num, den = sp.fraction(f)
    if den == 1:
        return None
    D = sp.Derivative
    return (D(num, v) * den - num * D(den, v)) / den**2


def linear(notations: Notations) -> Callable[[sp.Derivative], sp.Basic | None]:
    """∂(a f + b g)/∂v = a ∂f/∂v + b ∂g/∂v, through sums too; factors free of v come out."""
    def depends(expr: sp.Basic, v: sp.Basic) -> bool:
        return base_of(v) in _arrays_in(expr, notations)

    def fn(d: sp.Derivative) -> sp.Basic | None:
        v = variable_of(d)

        def push(g: sp.Basic) -> sp.Basic:
            if not depends(g, v):
                return sp.S.Zero
            if isinstance(g, sp.Add):
                return sp.Add(*[push(t) for t in g.args])
            if isinstance(g, sp.Mul):
                const = [t for t in g.args if not depends(t, v)]
                rest = [t for t in g.args if depends(t, v)]
                if const and rest:
                    return sp.Mul(*const) * push(sp.Mul(*rest))
            if isinstance(g, sp.Sum):
                return sp.Sum(push(g.function), *g.limits)
            return sp.Derivative(g, v)
        out = push(d.expr)
        return None if out == d else out
    return fn


def _arrays_in(expr: sp.Basic, notations: Notations) -> set[sp.Basic]:
    """The arrays and scalars ``expr`` depends on, through the definitions of its notation names."""
    out: set[sp.Basic] = set()
    for atom in expr.atoms(sp.Indexed, sp.Symbol):
        name = base_of(atom)
        if isinstance(atom, sp.Symbol) and any(atom == ix.base.label for ix in expr.atoms(sp.Indexed)):
            continue  # the label of an IndexedBase, not a name of its own
        if name in notations:
            out |= _dependencies(notations)[name]
        else:
            out.add(name)
    return out


def _dependencies(notations: Notations) -> dict[sp.Basic, set[sp.Basic]]:
    key = id(notations)
    known = _DEPENDENCY_CACHE.get(key)
    if known is not None and known[0] is notations:
        return known[1]
    deps: dict[sp.Basic, set[sp.Basic]] = {}
    for name, note in notations.items():
        if isinstance(name, sp.IndexedBase):
            arity = 3 if name.label.name.startswith("grad") else 2
            for count in range(1, arity + 1):
                try:
                    body = note.define(*[sp.Dummy(integer=True) for _ in range(count)])
                    break
                except (TypeError, IndexError):
                    continue
        else:
            body = note.define()
        deps[name] = {base_of(a) for a in meaning(body, notations).atoms(sp.Indexed)} | \
            {a for a in meaning(body, notations).atoms(sp.Symbol) if not a.is_integer}
    _DEPENDENCY_CACHE[key] = (notations, deps)
    return deps


_DEPENDENCY_CACHE: dict[int, tuple[Notations, dict[sp.Basic, set[sp.Basic]]]] = {}


def compute(notations: Notations) -> Callable[[sp.Derivative], sp.Basic | None]:
    """Derivatives of expressions free of notation names, computed by SymPy (then Δ sums)."""
    def fn(d: sp.Derivative) -> sp.Basic | None:
        if any(base_of(a) in notations for a in d.expr.atoms(sp.Indexed)) or \
                d.expr.free_symbols & set(notations):
            if base_of(variable_of(d)) in _arrays_in(d.expr, notations):
                return None  # a name that depends on the variable: unfold it first
            return sp.S.Zero
        return sum_rule(sp.diff(d.expr, *d.variables))
    return fn


def sum_rule(expr: sp.Basic) -> sp.Basic:
    """Σ_n f(n) δ_nq = f(q); sums split over +, factors free of n pulled out (innermost first)."""
    def one(node: sp.Sum) -> sp.Basic:
        if len(node.limits) != 1:
            return node
        v, lo, hi = node.limits[0]
        body = node.function
        # Expand only when a delta sits inside a sum of terms: (ŷ_i - y_i) δ_ia stays a product.
        direct = isinstance(body, sp.Mul) and any(isinstance(f, sp.KroneckerDelta) and v in f.args
                                                  for f in body.args)
        terms = []
        expand = body.has(sp.KroneckerDelta, sp.Add) and not direct and \
            any(isinstance(t, sp.Mul) and t.has(sp.KroneckerDelta) for t in sp.Add.make_args(sp.expand(body)))
        for term in sp.Add.make_args(_expand_keeping_sums(body) if expand else body):
            factors = sp.Mul.make_args(term)
            outside = [f for f in factors if v not in f.free_symbols]
            inside = [f for f in factors if v in f.free_symbols]
            delta = next((f for f in inside if isinstance(f, sp.KroneckerDelta) and v in f.args
                          and all(v not in a.free_symbols for a in f.args if a != v)), None)
            if delta is not None:
                other = delta.args[0] if delta.args[1] == v else delta.args[1]
                rest = [f for f in inside if f is not delta]
                terms.append(sp.Mul(*outside) * sp.Mul(*rest).xreplace({v: other}))
            elif not inside:
                terms.append(sp.Mul(*outside) * (hi - lo + 1))
            else:
                terms.append(sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (v, lo, hi)))
        return sp.Add(*terms)

    return expr.replace(lambda node: isinstance(node, sp.Sum), one)


def _expand_keeping_sums(expr: sp.Basic) -> sp.Basic:
    """Expand products over sums of terms, but leave each Sum whole (its body expanded alone)."""
    sums = {node: sp.Dummy("sum") for node in expr.atoms(sp.Sum)}
    if not sums:
        return sp.expand(expr, power_base=False, log=False)
    held = sp.expand(expr.xreplace(sums), power_base=False, log=False)
    return held.xreplace({d: sp.Sum(_expand_keeping_sums(node.function), *node.limits)
                          for node, d in sums.items()})


def fold_softmax(yhat: sp.IndexedBase, logits: sp.IndexedBase, denominator: Callable[..., sp.Expr],
                  prefix: tuple[sp.Expr, ...] = ()) -> Callable[[sp.Expr], sp.Expr]:
    """e^{z_i} / Σ_n e^{z_n} back to ŷ_i."""
    def apply(expr: sp.Expr) -> sp.Expr:
        denom = denominator(*prefix)
        hold = sp.Dummy("S", positive=True)
        held = expr.xreplace({denom: hold})
        def entry(node: sp.Basic) -> tuple[sp.Integer, sp.Indexed] | None:
            # e^{z_i}, or e^{2 z_i}: SymPy writes e^{z_i} e^{z_i} that way.
            if not isinstance(node, sp.exp):
                return None
            coeff, rest = node.args[0].as_coeff_Mul()
            if isinstance(rest, sp.Indexed) and rest.base == logits and coeff.is_Integer and coeff > 0:
                return coeff, rest
            return None

        def folded(node: sp.Basic) -> sp.Basic:
            power, z = entry(node)  # type: ignore[misc]
            return (yhat[z.indices] * hold) ** power
        held = held.replace(lambda node: entry(node) is not None, folded)
        return _expand_keeping_sums(held).xreplace({hold: denom})
    return apply


def substitute(pattern: Callable[[sp.Basic], bool], value: Callable[[sp.Basic], sp.Basic]) -> Callable[[sp.Expr],
                                                                                                       sp.Expr]:
    return lambda expr: expr.replace(pattern, value)


def theorem_use(name: str, wrt: sp.IndexedBase, result: Callable[..., sp.Expr], of: sp.Basic) -> Rule:
    """Replace ∂(of)/∂(wrt)_… by a result proved earlier in the library."""
    def pattern(node: sp.Basic) -> bool:
        return isinstance(node, sp.Derivative) and node.expr == of and base_of(variable_of(node)) == wrt

    def apply(expr: sp.Expr) -> sp.Expr:
        return expr.replace(pattern, lambda node: result(*variable_of(node).indices))
    return Rule(name, apply)


