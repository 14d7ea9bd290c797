"""Every theorem of the library: proved for symbolic sizes, at concrete sizes, and numerically."""

from __future__ import annotations

import pytest

from derive.engine.decide import decide
from derive.engine.verdict import Status
from derive.library.theorems import LIBRARY, get
from derive.library.verification import verify_theorem

REQUIRED = {
    "softmax_jacobian_diagonal", "softmax_jacobian_offdiagonal", "softmax_jacobian",
    "cross_entropy_gradient_soft", "cross_entropy_gradient_onehot",
    "cross_entropy_gradient_onehot_target", "cross_entropy_gradient_onehot_other",
    "two_layer_gradient_B", "two_layer_gradient_A", "batch_gradient_B", "batch_gradient_A",
}


def test_the_library_has_every_required_theorem() -> None:
    assert set(LIBRARY) >= REQUIRED


@pytest.mark.parametrize("name", list(LIBRARY))
def test_symbolic_proof(name: str) -> None:
    verdict = decide(LIBRARY[name].symbolic())
    assert verdict.proved, verdict.explain()


@pytest.mark.parametrize("name", list(LIBRARY))
def test_concrete_instances_and_numeric_cross_check(name: str) -> None:
    result = verify_theorem(LIBRARY[name], numeric_samples=3)
    assert result.status is Status.PROVED, result.reason
    assert result.numeric and all(report.agreed for _, report in result.numeric)
    # Extreme points are among those checked (every third point).
    assert all(report.points >= 3 for _, report in result.numeric)


@pytest.mark.parametrize("k", [2, 7])
def test_cross_entropy_at_other_sizes(k: int) -> None:
    for name in ("cross_entropy_gradient_soft", "cross_entropy_gradient_onehot", "softmax_jacobian"):
        verdict = decide(LIBRARY[name].concrete({"k": k, "ell": 2}))
        assert verdict.proved, verdict.explain()


def test_derivatives_are_computed_not_typed() -> None:
    # The left-hand side of every symbolic claim contains no unevaluated derivative and
    # is not syntactically the right-hand side: SymPy produced it.
    for theorem in LIBRARY.values():
        claim = theorem.symbolic()
        assert claim.lhs != claim.rhs, theorem.name


def test_get_names_the_known_theorems() -> None:
    with pytest.raises(KeyError, match="known: softmax_jacobian_diagonal"):
        get("nope")


@pytest.mark.slow
def test_large_fixed_sizes() -> None:
    verdict = decide(LIBRARY["cross_entropy_gradient_soft"].concrete({"k": 300}))
    assert verdict.proved, verdict.explain()
    verdict = decide(LIBRARY["softmax_jacobian"].concrete({"k": 200}))
    assert verdict.proved and "rank-one" in (verdict.strategy or "")
    verdict = decide(LIBRARY["two_layer_gradient_A"].concrete({"c": 10, "d": 8, "p": 12}))
    assert verdict.proved, verdict.explain()
