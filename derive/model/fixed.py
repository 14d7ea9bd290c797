"""Writing a model's entries out at fixed sizes in time linear in their entries, with shared atoms.

An entry's expression is built once with symbolic indices; each cell is then written out by a
walk that carries the integer value of every index in an environment, so SymPy never rebuilds
the symbolic sums per cell. A written-out sum becomes a named atom (a symbol whose definition
the claim records), once per distinct sum and values of the indices it depends on, as the
library's fixed-size space does (:meth:`derive.engine.space.Space.share`): a k-class softmax
denominator is written once, not once per entry, and the label sum y_1 + ... + y_k is an atom
:class:`derive.engine.hypotheses.SumToOne` sets to 1. Inside a sum, a Kronecker delta at a
known index picks its term (Σ_n δ(n, 3) f(n) = f(3)) and factors that do not depend on the
index are taken out, so an entry costs O(1) beyond the sums it shares.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from derive.engine.space import Space

__all__ = ["FixedWriter"]

Env = Mapping[sp.Basic, sp.Integer]


class FixedWriter:
    """Writes out every Sum with integer limits; the sums it shares are in ``space.definitions``."""

    def __init__(self) -> None:
        self.space = Space.fixed()
        self._free: dict[sp.Basic, frozenset[sp.Basic]] = {}
        self._expanded: dict[sp.Basic, tuple[sp.Expr, ...]] = {}
        self._sums: dict[object, sp.Expr] = {}

    def write(self, expr: sp.Basic, env: Env | None = None) -> sp.Basic:
        """``expr`` with each index at its value in ``env`` and every sum written out."""
        return self._write(expr, dict(env or {}))

    # -- the walk ---------------------------------------------------------------------------------
    def _free_of(self, node: sp.Basic) -> frozenset[sp.Basic]:
        known = self._free.get(node)
        if known is None:
            known = self._free[node] = frozenset(node.free_symbols)
        return known

    def _key(self, node: sp.Basic, env: Env) -> object:
        return node, tuple(sorted(((s, env[s]) for s in self._free_of(node) if s in env), key=lambda p: str(p[0])))

    def _write(self, node: sp.Basic, env: Env) -> sp.Basic:
        if not node.args:
            return env.get(node, node)
        if isinstance(node, sp.Sum):
            key = self._key(node, env)
            known = self._sums.get(key)
            if known is None:
                known = self._sums[key] = self._sum(node, env)
            return known
        if not self._free_of(node) & env.keys():
            return self._write_sums(node, env)
        return node.func(*[self._write(a, env) for a in node.args])

    def _write_sums(self, node: sp.Basic, env: Env) -> sp.Basic:
        # Nothing to substitute: only sums inside need writing out.
        if not node.has(sp.Sum):
            return node
        return node.func(*[self._write(a, env) for a in node.args])

    def _sum(self, node: sp.Sum, env: Env) -> sp.Expr:
        limits = list(node.limits)
        # Sum(f, (a, ...), (b, ...)) is Σ_b Σ_a f: the outermost limit is the last.
        v, lo, hi = limits[-1]
        lo_v, hi_v = self._write(lo, env), self._write(hi, env)
        inner = sp.Sum(node.function, *limits[:-1]) if len(limits) > 1 else node.function
        if not (lo_v.is_Integer and hi_v.is_Integer):
            return sp.Sum(self._write(inner, env), (v, lo_v, hi_v))
        return self._one(inner, v, int(lo_v), int(hi_v), env)

    def _terms(self, body: sp.Expr) -> tuple[sp.Expr, ...]:
        known = self._expanded.get(body)
        if known is None:
            known = self._expanded[body] = sp.Add.make_args(sp.expand_mul(body))
        return known

    def _one(self, body: sp.Expr, v: sp.Symbol, lo: int, hi: int, env: Env) -> sp.Expr:
        """Σ_{v=lo..hi} body, term by term of the body's expansion."""
        out: list[sp.Expr] = []
        for term in self._terms(body):
            free: list[sp.Expr] = []
            bound: list[sp.Expr] = []
            for f in sp.Mul.make_args(term):
                (bound if v in self._free_of(f) else free).append(f)
            outside = self._write(sp.Mul(*free), env)
            if not bound:
                out.append(outside * (hi - lo + 1))
                continue
            picked = self._delta(bound, v, lo, hi, env)
            if picked is None:
                picked = self._shared(sp.Mul(*bound), v, lo, hi, env)
            out.append(outside * picked)
        return sp.Add(*out)

    def _shared(self, dependent: sp.Expr, v: sp.Symbol, lo: int, hi: int, env: Env) -> sp.Expr:
        """Σ_{v=lo..hi} dependent written out once per values of its indices, and shared as an atom."""
        key = ("terms", self._key(dependent, {s: n for s, n in env.items() if s != v}), v, lo, hi)
        known = self._sums.get(key)
        if known is None:
            terms = [self._write(dependent, {**env, v: sp.Integer(n)}) for n in range(lo, hi + 1)]
            known = sp.Add(*terms)
            if len(terms) > 1 and isinstance(known, sp.Add):
                known = self.space.share(known, name="s", positive=all(t.is_positive for t in terms))
            self._sums[key] = known
        return known

    def _delta(self, factors: list[sp.Expr], v: sp.Symbol, lo: int, hi: int, env: Env) -> sp.Expr | None:
        """The term a delta δ(v, c) at an integer c picks (0 outside lo..hi), or None if there is none."""
        for at, f in enumerate(factors):
            if isinstance(f, sp.KroneckerDelta) and v in f.args:
                c = f.args[1] if f.args[0] == v else f.args[0]
                value = self._write(c, env)
                if not value.is_Integer:
                    continue
                if not lo <= int(value) <= hi:
                    return sp.S.Zero
                rest = sp.Mul(*(factors[:at] + factors[at + 1:]))
                return self._write(rest, {**env, v: value})
        return None
