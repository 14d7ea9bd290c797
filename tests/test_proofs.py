"""Proofs: every library theorem has a chain of steps the engine proves, and wrong steps are caught."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.engine.verdict import Status
from derive.library.proofs import UnprovedStepError, build_proof, meaning, proof_names, prove, with_step_replaced
from derive.library.theorems import LIBRARY
from derive.render.latex import document, fragment, markdown


def test_every_library_theorem_has_a_proof() -> None:
    assert set(proof_names()) == set(LIBRARY)


@pytest.mark.parametrize("name", proof_names())
def test_every_step_is_proved_by_the_engine(name: str) -> None:
    proof = prove(name)
    assert proof.status is Status.PROVED
    assert len(proof.steps) >= 2, "a proof shows its steps"
    for step in proof.steps:
        assert step.verdict.status is Status.PROVED and step.verdict.strategy
        assert step.verdict.claim.hypotheses == proof.hypotheses


def test_the_last_step_is_the_theorem_and_the_first_is_its_left_side() -> None:
    proof = prove("cross_entropy_gradient_soft")
    y, yhat = sp.IndexedBase("y", real=True), sp.IndexedBase("yhat", real=True)
    j = sp.Symbol("j", integer=True, positive=True)
    assert proof.steps[-1].expr == yhat[j] - y[j]
    assert proof.start == sp.Derivative(sp.Symbol("CE", real=True), sp.IndexedBase("z", real=True)[j])


def test_the_one_hot_case_j_not_ell_is_y_hat_j_not_zero() -> None:
    # Seed 000 claims 0 here: the ℓ term depends on z_j through the softmax denominator.
    proof = prove("cross_entropy_gradient_onehot_other")
    rules = [s.rule for s in proof.steps]
    assert "derivative of log-sum-exp; Kronecker delta sum" in rules
    assert str(proof.steps[-1].expr) == "yhat[j]"


def test_the_chain_rule_step_is_checked_through_the_intermediate_variable() -> None:
    proof = prove("two_layer_gradient_B")
    assert proof.steps[0].rule == "chain rule through s"
    assert proof.steps[0].expr.has(sp.Derivative)


def test_meaning_keeps_the_variable_of_a_partial_derivative() -> None:
    # ∂L/∂s_i differentiates L as a function of s; s is written out only afterwards.
    s, x = sp.IndexedBase("s", real=True), sp.IndexedBase("x", real=True)
    L = sp.Symbol("L", real=True)
    i = sp.Symbol("i", integer=True, positive=True)
    from derive.library.proofs import Notation

    notes = {L: Notation(L, lambda: s[1] ** 2, "L", "L = s_1^2"),
             s: Notation(s, lambda n: 3 * x[n], "s", "s_n = 3 x_n")}
    assert meaning(sp.Derivative(L, s[1]), notes) == 6 * x[1]
    assert meaning(sp.Derivative(L, x[1]), notes) == 18 * x[1]
    assert meaning(sp.Derivative(L, s[i]), notes) == 6 * x[1] * sp.KroneckerDelta(1, i)


@pytest.mark.parametrize(("name", "number", "change", "what"), [
    ("softmax_jacobian_diagonal", 4, lambda e: -e, "a sign error"),
    ("cross_entropy_gradient_soft", 6, lambda e: e.args[0] if isinstance(e, sp.Add) else e, "a dropped term"),
    ("two_layer_gradient_A", 6, lambda e: e.subs(sp.Symbol("a", integer=True, positive=True),
                                                  sp.Symbol("b", integer=True, positive=True)), "a and b swapped"),
])
def test_an_injected_wrong_step_is_refuted_and_not_rendered(name: str, number: int, change, what: str) -> None:
    proof = with_step_replaced(name, number, change)
    wrong = proof.steps[number - 1]
    assert wrong.verdict.status is Status.REFUTED, what
    assert wrong.verdict.counterexample is not None
    assert proof.status is Status.REFUTED
    assert wrong in proof.failures
    for render in (document, fragment, markdown):
        with pytest.raises(UnprovedStepError, match=rf"{name}: step {number} \(.*\) is refuted"):
            render([proof])
    draft = document([proof], mark_unproved=True)
    assert r"\textbf{REFUTED}" in draft


def test_a_proof_has_no_truth_value() -> None:
    proof = build_proof("log_softmax")
    with pytest.raises(TypeError, match="three outcomes"):
        bool(proof)


def test_unknown_proof_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: softmax_jacobian_diagonal"):
        build_proof("softmax_jacobain")


@pytest.mark.parametrize("name,rule,tex", [
    ("log_cosh_gradient", "tanh = sinh/cosh", r"\tanh a = \frac{\sinh a}{\cosh a}"),
    ("bilinear_transpose", "Σ_a Σ_b f = Σ_b Σ_a f", r"\sum_{a} \sum_{b} f = \sum_{b} \sum_{a} f"),
    ("huber_gradient", "sign(-a) = -sign(a)", r"\operatorname{sign}(-a) = -\operatorname{sign}(a)"),
])
def test_a_step_proved_by_an_identity_names_it(name: str, rule: str, tex: str) -> None:
    proof = prove(name)
    cited = [s for s in proof.steps if rule in s.verdict.identities]
    assert cited, [(s.rule, s.verdict.identities) for s in proof.steps]
    step = cited[0]
    # The LaTeX and the Markdown write the rule on the line of the step that used it.
    for text in (fragment([proof]), markdown([proof])):
        line = next(ln for ln in text.splitlines() if ln.lstrip().startswith("&=") and r"\text{; by }" in ln
                    and tex in ln)
        assert step.rule.split()[0] in line
