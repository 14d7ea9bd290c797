"""The decision engine: proofs, refutations with checked counterexamples, honest undecided."""

from __future__ import annotations

import sympy as sp

from derive.engine.claims import Claim
from derive.engine.decide import Settings, decide
from derive.engine.evaluate import sample_points
from derive.engine.hypotheses import Distinct, InRange, OneHot, SumToOne
from derive.library.functions import Role, Space, softmax
from derive.library.theorems import LIBRARY

i, j, a, b, ell = sp.symbols("i j a b ell", integer=True, positive=True)
x = sp.Symbol("x", real=True)


def _with_rhs(name: str, rhs: sp.Expr, *, drop: type | None = None) -> Claim:
    claim = LIBRARY[name].symbolic()
    hyps = tuple(h for h in claim.hypotheses if drop is None or not isinstance(h, drop))
    return Claim(f"wrong {name}", claim.lhs, rhs, hyps, definitions=claim.definitions, arrays=claim.arrays)


def _refuted_with_point(claim: Claim) -> None:
    verdict = decide(claim)
    assert verdict.refuted, verdict.explain()
    cex = verdict.counterexample
    assert cex is not None
    assert abs(cex.lhs - cex.rhs) > 1e-10 * max(1, abs(cex.lhs), abs(cex.rhs))
    assert cex.digits >= 50


def test_a_true_identity_is_proved_with_its_strategy() -> None:
    verdict = decide(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1))
    assert verdict.proved and verdict.strategy == "expand"


def test_sign_flip_is_refuted() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].symbolic()
    _refuted_with_point(_with_rhs("cross_entropy_gradient_soft", -claim.rhs))


def test_the_diagonal_formula_for_the_offdiagonal_case_is_refuted() -> None:
    space = Space.symbolic()
    z = space.vector("z", space.size("k"), role=Role.LOGITS)
    p = softmax(space, z)
    _refuted_with_point(_with_rhs("softmax_jacobian_offdiagonal", p[j] * (1 - p[j])))


def test_swapping_i_and_j_in_the_symmetric_jacobian_is_still_proved() -> None:
    # diag(ŷ) - ŷŷᵀ is symmetric: the swapped statement is true, and must be proved, not refuted.
    claim = LIBRARY["softmax_jacobian"].symbolic()
    verdict = decide(_with_rhs("softmax_jacobian", claim.rhs.xreplace({i: j, j: i})))
    assert verdict.proved, verdict.explain()


def test_indices_swapped_in_the_b_gradient_are_refuted() -> None:
    claim = LIBRARY["two_layer_gradient_B"].symbolic()
    _refuted_with_point(_with_rhs("two_layer_gradient_B", claim.rhs.xreplace({a: b, b: a})))


def test_yhat_one_minus_yhat_minus_y_is_refuted() -> None:
    space = Space.symbolic()
    k = space.size("k")
    z = space.vector("z", k, role=Role.LOGITS)
    y = space.vector("y", k, role=Role.LABELS)
    p = softmax(space, z)
    _refuted_with_point(_with_rhs("cross_entropy_gradient_soft", p[j] * (1 - p[j]) - y[j]))


def test_missing_transpose_in_the_b_gradient_is_refuted() -> None:
    # (Ax)(ŷ - y)ᵀ instead of (ŷ - y)(Ax)ᵀ: entry (a, b) becomes (Ax)_a (ŷ_b - y_b).
    claim = LIBRARY["two_layer_gradient_B"].symbolic()
    _refuted_with_point(_with_rhs("two_layer_gradient_B", claim.rhs.xreplace({a: b, b: a})))


def test_missing_transpose_in_the_a_gradient_is_refuted() -> None:
    # B(ŷ - y)xᵀ instead of Bᵀ(ŷ - y)xᵀ, at the concrete sizes where the shapes fit (c = d).
    theorem = LIBRARY["two_layer_gradient_A"]
    claim = theorem.concrete({"c": 2, "d": 2, "p": 3})
    B = claim.arrays["B"].base
    rhs = tuple(r.xreplace({B[r1, r2]: B[r2, r1] for r1 in (1, 2) for r2 in (1, 2)}) for r in claim.rhs)
    wrong = Claim("A gradient without the transpose", claim.lhs, rhs, claim.hypotheses,
                  definitions=claim.definitions, arrays=claim.arrays)
    _refuted_with_point(wrong)


def test_missing_one_over_n_is_refuted() -> None:
    claim = LIBRARY["batch_gradient_B"].symbolic()
    N = sp.Symbol("N", integer=True, positive=True)
    _refuted_with_point(_with_rhs("batch_gradient_B", claim.rhs * N))


def test_missing_sum_to_one_is_named() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].symbolic()
    verdict = decide(_with_rhs("cross_entropy_gradient_soft", claim.rhs, drop=SumToOne))
    assert verdict.refuted
    assert verdict.missing_hypothesis == "sum(y) = 1"
    text = sp.sstr(verdict.residual)
    assert "Sum(y[" in text and "- 1)" in text, text
    assert "missing hypothesis sum(y) = 1" in verdict.explain()


def test_missing_sum_to_one_at_a_fixed_size_is_named() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].concrete({"k": 4})
    wrong = Claim("no simplex", claim.lhs, claim.rhs, (), definitions=claim.definitions, arrays=claim.arrays)
    verdict = decide(wrong)
    assert verdict.refuted and verdict.missing_hypothesis == "sum(y) = 1"
    assert verdict.counterexample is not None and verdict.counterexample.entry is not None


def test_a_fixed_size_sign_error_names_the_entry() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].concrete({"k": 5})
    rhs = tuple(-r if n == 3 else r for n, r in enumerate(claim.rhs))
    verdict = decide(Claim("one bad entry", claim.lhs, rhs, claim.hypotheses, definitions=claim.definitions,
                           arrays=claim.arrays))
    assert verdict.refuted
    assert verdict.counterexample is not None and verdict.counterexample.entry == (3,)


def test_a_difference_below_any_precision_is_undecided_never_proved() -> None:
    tiny = sp.exp(-(10**6))
    verdict = decide(Claim("almost", x, x + tiny))
    assert verdict.undecided, verdict.explain()
    assert "no counterexample" in verdict.reason


def test_an_exhausted_budget_is_undecided_with_the_reason() -> None:
    # A claim that takes well over Python's thread switch interval (5 ms): within it, a
    # proof that finishes is still returned (the caller cannot run before the worker lets
    # it), and the every-size batch gradient now takes about that long.
    claim = LIBRARY["two_layer_gradient_A"].concrete({"c": 20, "d": 16, "p": 24})
    verdict = decide(claim, Settings(budget=0.001, search_budget=0.001))
    assert verdict.undecided
    assert "time budget" in verdict.reason


def test_counterexamples_honor_the_hypotheses() -> None:
    onehot = LIBRARY["cross_entropy_gradient_onehot_other"].symbolic()
    for point in sample_points(onehot, count=10, seed=3):
        values = point.describe()
        y = values["y"]
        assert isinstance(y, list)
        assert sorted(y) == [0] * (len(y) - 1) + [1]
        assert y.index(1) + 1 == values["ell"]
        assert values["j"] != values["ell"]
    soft = LIBRARY["cross_entropy_gradient_soft"].symbolic()
    points = list(sample_points(soft, count=9, seed=4))
    for point in points:
        labels = [v for ix, v in point.entries.items() if str(ix.base) == "y"]
        assert sum(labels) == 1  # exact rationals: exactly on the simplex
    logits = [v for p in points if p.kind == "extreme" for ix, v in p.entries.items() if str(ix.base) == "z"]
    assert any(abs(v) == 1000 for v in logits)


def test_extreme_logits_evaluate_without_overflow() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].symbolic()
    wrong = _with_rhs("cross_entropy_gradient_soft", claim.rhs + sp.Rational(1, 10**6))
    verdict = decide(wrong, Settings(samples=6))
    assert verdict.refuted
    cex = verdict.counterexample
    assert cex is not None and cex.lhs.is_finite and cex.rhs.is_finite


def test_distinct_and_in_range_hypotheses() -> None:
    k = sp.Symbol("k", integer=True, positive=True)
    claim = Claim("delta", sp.KroneckerDelta(i, j), sp.S.Zero, (InRange(i, 1, k), InRange(j, 1, k),
                                                                    Distinct(i, j)))
    assert decide(claim).proved
    without = Claim("delta", sp.KroneckerDelta(i, j), sp.S.Zero, (InRange(i, 1, k), InRange(j, 1, k)))
    assert not decide(without).proved


def test_one_hot_rewrites_labels() -> None:
    space = Space.symbolic()
    k = space.size("k")
    y = space.vector("y", k, role=Role.LABELS)
    base = space.arrays["y"].base
    claim = Claim.in_space(space, "one-hot", y[j], sp.KroneckerDelta(j, ell),
                           InRange(j, 1, k), InRange(ell, 1, k), OneHot(base, ell, k))
    assert decide(claim).proved


def test_a_value_without_guaranteed_digits_is_never_compared() -> None:
    # exp(1000) - exp(1000)(1 + exp(-10⁵)) evaluates to '0.e+271' without strict
    # precision: comparing that with 0 would refute a claim on noise.
    big = sp.exp(1000 + 0 * x)
    lhs = big - big * (1 + sp.exp(-(10**5)))
    verdict = decide(Claim("cancellation", lhs + x, x))
    # The claim is false (lhs is -exp(1000 - 10⁵) ≠ 0) but no precision here can see it.
    assert verdict.undecided, verdict.explain()


def test_j_and_ell_swapped_in_the_one_hot_gradient_is_refuted() -> None:
    claim = LIBRARY["cross_entropy_gradient_onehot"].symbolic()
    _refuted_with_point(_with_rhs("cross_entropy_gradient_onehot", claim.rhs.xreplace({j: ell})))


def test_a_common_factor_does_not_hide_a_difference() -> None:
    y = sp.Symbol("y", real=True)
    assert decide(Claim("same factor", x * sp.exp(y), x * sp.exp(2 * y))).refuted
    verdict = decide(Claim("factor", x * (y + 1) ** 2, x * (y**2 + 2 * y + 1)))
    assert verdict.proved and verdict.strategy == "common factor + expand"


def test_setting_label_sums_to_one_builds_what_xreplace_builds() -> None:
    from derive.engine.hypotheses import _set_to_one

    s = sp.Symbol("Σy·0", real=True)
    u, v = sp.symbols("u v", real=True)
    z = sp.IndexedBase("z", real=True)
    cases = [s * sp.exp(z[1]) / (u + 1), -s * v, 2 * s * (u + v), s**2 * u * v, sp.log(s * u) + s, s, 3 * s,
             u * sp.log(s * u) * s, u * v, s / (s + u)]
    for expr in cases:
        out, expected = _set_to_one(expr, {s: sp.S.One}), expr.xreplace({s: sp.S.One})
        assert out == expected and type(out) is type(expected) and out.args == expected.args


def test_sides_equal_term_by_term_once_rewritten_are_proved_and_combined_terms_too() -> None:
    space = Space.fixed()
    z = space.vector("z", sp.Integer(2), role=Role.LOGITS)
    y = space.vector("y", sp.Integer(2), role=Role.LABELS)
    labels = space.sum(lambda n: y[n], sp.Integer(2), shared=True, name="Σy")
    base = space.arrays["y"].base
    hyp = SumToOne(base, sp.Integer(2))
    for lhs, rhs in [(labels * sp.exp(z[1]) - y[1], sp.exp(z[1]) - y[1]),
                     (labels * sp.exp(z[1]) + sp.exp(z[1]), 2 * sp.exp(z[1]))]:
        verdict = decide(Claim.in_space(space, "label sum", lhs, rhs, hyp))
        assert verdict.proved and verdict.strategy == "hypotheses", verdict.explain()
    assert decide(Claim.in_space(space, "wrong", labels * sp.exp(z[1]), 2 * sp.exp(z[1]), hyp)).refuted
