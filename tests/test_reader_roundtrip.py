"""Round trip at the reader: every expression derive writes in a proof reads back to itself.

The audit of derive's own proofs depends on this first: if the printer and the reader
disagree (an operator ∂/∂z whose scope the printer leaves open, indices written ``B_{a b}``),
a true step is misjudged before any meaning is given. Entries of bracketed matrix expressions
(``\\left[(\\hat{y} - y)(Ax)^T\\right]_{ab}``) read as the ENTRY marker, which the semantics resolves.
"""

from __future__ import annotations

import zlib

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.reader import ENTRY, read_latex
from derive.engine.budget import run_with_budget
from derive.library.proofs import proof_names, prove
from derive.render.latex import to_latex

SIZES = frozenset({"k", "K", "c", "C", "d", "p", "N"})


def _value(key: str) -> sp.Rational:
    return sp.Rational(1, 4) + sp.Rational(zlib.crc32(key.encode()) % 1750, 1000)


def _at_point(expr: sp.Basic) -> sp.Expr:
    """Sizes 3, each index 1..3 by its name, every entry and scalar a rational by its name."""
    ints = {s: sp.Integer(3 if s.name in SIZES else 1 + zlib.crc32(s.name.encode()) % 3)
            for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.is_integer}
    expr = expr.xreplace(ints).doit()
    values: dict[sp.Basic, sp.Expr] = {a: _value(f"{a.base.label}{tuple(int(q) for q in a.indices)}")
                                       for a in expr.atoms(sp.Indexed)}
    values.update({s: _value(s.name) for s in expr.free_symbols if isinstance(s, sp.Symbol)})
    return sp.N(expr.xreplace(values), 30)


def _same(written: sp.Expr, read: sp.Expr) -> bool:
    if str(written) == str(read):  # same names, same structure (assumptions aside)
        return True
    a, b = _at_point(written), _at_point(read)
    assert a.is_number and b.is_number and not (a.atoms(AppliedUndef) or b.atoms(AppliedUndef)), (a, b)
    return bool(abs(a - b) <= sp.Float("1e-20", 30) * (1 + abs(a)))


@pytest.mark.parametrize("name", proof_names())
def test_every_expression_of_a_proof_reads_back_to_itself(name: str) -> None:
    proof = prove(name)
    for number, expr in enumerate([proof.start, *(step.expr for step in proof.steps)]):
        tex = to_latex(expr, proof.notations)
        read = run_with_budget(lambda t=tex: read_latex(t), 10.0, what="reading a proof's line")
        if read.has(ENTRY):
            assert r"\right]_{a b}" in tex or r"\right]_{i j}" in tex, tex  # only [M]_{ab} is a marker
            continue
        assert _same(expr, read), f"{name}, line {number}: {tex!r} read as {read}, written {expr}"
