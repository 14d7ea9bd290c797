"""The loss theorems (derive.library.loss_theorems): proved for every size, each planted mistake refuted."""

from __future__ import annotations

import pytest

from derive import decide
from derive.library.loss_theorems import LOSS_THEOREMS, WRONG_LOSSES
from derive.library.theorems import Theorem
from derive.library.verification import verify_theorem
from derive.model import claim

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("theorem", LOSS_THEOREMS, ids=[t.name for t in LOSS_THEOREMS])
def test_proved_for_every_size(theorem) -> None:  # type: ignore[no-untyped-def]
    verdict = decide(theorem.symbolic())
    assert verdict.proved, verdict.explain()


@pytest.mark.parametrize("name", list(WRONG_LOSSES))
def test_planted_mistake_is_refuted_at_a_point(name: str) -> None:
    built = WRONG_LOSSES[name]()
    verdict = decide(claim(built.lhs, built.rhs))
    assert verdict.refuted, verdict.explain()
    found = verdict.counterexample
    assert found is not None
    for key, value in found.point.items():
        if key == "t" and name.startswith("logistic_regression_gradient"):  # a BCE target honors (0, 1)
            values = value if isinstance(value, list) else [value]
            assert all(0 < v < 1 for v in values), found.point
        if key == "delta":  # Huber's threshold honors δ > 0
            assert value > 0, found.point


def test_huber_is_proved_across_both_pieces_and_its_mistakes_refuted() -> None:
    """The gradient of the mean Huber loss, clip(r, -δ, δ) through Xᵀ, for every size; three planted bugs."""
    from derive.model import Matrix, Scalar, Size, Vector, grad
    from derive.model.piecewise import abs as tabs
    from derive.model.piecewise import sign, where

    N, d = Size("N"), Size("d")
    X, w, t = Matrix("X", N, d, role="inputs"), Vector("w", d), Vector("t", N)
    delta = Scalar("delta", positive=True)
    r = X @ w - t
    L = where(tabs(r) <= delta, r * r / 2, delta * (tabs(r) - delta / 2)).mean()
    good = X.T @ where(tabs(r) <= delta, r, delta * sign(r)) / N
    assert decide(claim(grad(L, w), good)).proved
    for wrong in (X.T @ where(tabs(r) <= delta, r, delta * sign(r)),          # the 1/N of the mean dropped
                  X.T @ where(tabs(r) <= delta, r, r) / N,                    # the clip dropped: least squares
                  X.T @ where(tabs(r) <= delta, r, 2 * delta * sign(r)) / N):  # a wrong factor outside
        verdict = decide(claim(grad(L, w), wrong))
        assert verdict.refuted, verdict.explain()
        assert verdict.counterexample is not None and verdict.counterexample.point["delta"] > 0


def test_identities_are_cited() -> None:
    verdict = decide(next(t for t in LOSS_THEOREMS if t.name == "log_cosh_gradient").symbolic())
    assert "identity used: tanh = sinh/cosh" in verdict.notes


def test_verified_like_a_library_theorem() -> None:
    m = next(t for t in LOSS_THEOREMS if t.name == "bilinear_transpose")
    theorem = Theorem(m.name, m.statement, m.latex, m.family, m.symbolic, m.concrete, m.numeric, m.defaults)
    result = verify_theorem(theorem, instances=[{"k": 1000}])
    assert result.status.value == "proved", result.reason
    assert [v.claim.name for v in result.instances][-1] == "bilinear_transpose[d=3,k=1000]"  # one entry at free indices
