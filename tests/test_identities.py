"""Elementwise identities: each named rule, and the textbook identities they prove."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.engine import identities
from derive.engine.multisums import atoms_cancel

a = sp.Symbol("a", real=True)
p = sp.Symbol("p", positive=True)
n = sp.Symbol("n", negative=True)


def sigma(x):
    return 1 / (1 + sp.exp(-x))


def softplus(x):
    return sp.log(1 + sp.exp(x))


def _zero(expr):
    return atoms_cancel(identities.normalize(expr)) == 0


@pytest.mark.parametrize("name,expr", [
    ("σ(−a) = 1 − σ(a)", sigma(-a) - (1 - sigma(a))),
    ("σ′ = σ(1 − σ)", sp.diff(sigma(a), a) - sigma(a) * (1 - sigma(a))),
    ("tanh = sinh/cosh", sp.tanh(a) - sp.sinh(a) / sp.cosh(a)),
    ("1 − tanh² = sech²", 1 - sp.tanh(a) ** 2 - sp.sech(a) ** 2),
    ("softplus′ = σ", sp.diff(softplus(a), a) - sigma(a)),
    ("log σ(a) = −softplus(−a)", sp.log(sigma(a)) + softplus(-a)),
    ("d log cosh = tanh", sp.diff(sp.log(sp.cosh(a)), a) - sp.tanh(a)),
    ("exp(2a) = exp(a)²", sp.exp(2 * a) - sp.exp(a) ** 2),
])
def test_textbook_identity(name, expr):
    assert _zero(expr), name


@pytest.mark.parametrize("expr", [
    sigma(-a) - sigma(a),
    sp.tanh(a) - sp.cosh(a) / sp.sinh(a),
    1 + sp.tanh(a) ** 2 - sp.sech(a) ** 2,
    sp.log(sigma(a)) - softplus(-a),
])
def test_false_identity_is_not_zero(expr):
    assert not _zero(expr)


def test_domain_decides_abs_relu_and_step():
    used: set[str] = set()
    assert identities.normalize(sp.Abs(p + 0 * a), used) == p  # SymPy decides this one itself
    assert identities.normalize(sp.Max(0, n), used) == 0
    assert identities.normalize(sp.Heaviside(p), used) == 1
    assert identities.normalize(sp.Heaviside(a), used) == sp.Heaviside(a)  # the domain does not decide it


def test_log_rules_need_positivity():
    x = sp.Symbol("x", real=True)
    used: set[str] = set()
    assert identities.normalize(sp.log(sp.exp(x), evaluate=False), used) == x
    assert "log e^a = a" in used
    y = sp.Symbol("y")  # complex: log(e^y) is not y
    assert identities.normalize(sp.log(sp.exp(y))) == sp.log(sp.exp(y))
    assert identities.normalize(sp.log(x * a)) == sp.log(x * a)  # signs unknown: not split


def test_sign_takes_one_orientation_for_a_and_minus_a():
    x, y = sp.symbols("x y", real=True)
    used: set[str] = set()
    one, other = identities.normalize(sp.sign(x - y), used), identities.normalize(sp.sign(y - x), used)
    assert one == -other and "sign(-a) = -sign(a)" in used
    assert identities.normalize(one) == one  # applied once, not back and forth
    # Numerically at both signs and at zero: sign(-a) = -sign(a) for every real a.
    for value in (-2.5, 0, 0.75):
        assert sp.sign(-sp.Float(value)) == -sp.sign(sp.Float(value))
    assert not _zero(sp.sign(x - y) - sp.sign(y - x))  # the false spelling stays nonzero


def test_every_rule_has_latex_for_the_proof_that_cites_it():
    for rule in identities.RULES:
        assert rule.latex and "\\text{" + rule.name not in identities.latex_of(rule.name), rule.name
    for name in (identities.EXP_PRODUCT, identities.EXP_POWER, identities.SUM_ORDER):
        assert not identities.latex_of(name).startswith("\\text{")  # known, not the prose fallback
    assert identities.latex_of("a_1 & b") == r"\text{a\_1 \& b}"  # an unknown name is escaped prose
