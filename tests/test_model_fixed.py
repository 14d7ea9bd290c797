"""derive.model claims at fixed sizes: built in time linear in their entries with shared atoms, under a budget."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from derive import decide
from derive.engine.budget import BudgetExceeded
from derive.engine.claims import entries
from derive.model import Labels, Size, Vector, claim, cross_entropy, grad, softmax

pytestmark = pytest.mark.timeout(120)


def _soft_label_claim(k: int, *, wrong: bool = False, budget: float | None = 20.0):  # type: ignore[no-untyped-def]
    K = Size("k", k)
    z, y = Vector("z", K, role="logits"), Labels("y", K, soft=True)
    rhs = softmax(z) + y if wrong else softmax(z) - y
    return claim(grad(cross_entropy(y, softmax(z)), z), rhs, budget=budget)


def _nodes(c) -> int:  # type: ignore[no-untyped-def]
    return sum(sum(1 for _ in sp.preorder_traversal(a)) + sum(1 for _ in sp.preorder_traversal(b))
               for _, a, b in entries(c.lhs, c.rhs))


def test_the_entries_grow_linearly_and_each_sum_is_one_shared_atom() -> None:
    small, large = _soft_label_claim(40), _soft_label_claim(160)
    assert _nodes(large) <= 4.2 * _nodes(small)  # 4x the entries, not 16x
    # The softmax denominator and the label sum, once each, whatever k is.
    assert len(small.definitions) == len(large.definitions) == 2
    assert any(atom.is_positive for atom in large.definitions)  # Σ exp(z_n) > 0
    assert decide(large).proved
    wrong = decide(_soft_label_claim(40, wrong=True))
    assert wrong.refuted and wrong.counterexample is not None


def test_a_build_past_its_budget_raises_budget_exceeded() -> None:
    with pytest.raises(BudgetExceeded, match="building"):
        _soft_label_claim(400, budget=0.05)


@pytest.mark.slow
def test_the_soft_label_cross_entropy_at_k_1000_is_decided_in_seconds() -> None:
    start = time.perf_counter()
    verdict = decide(_soft_label_claim(1000, budget=None))
    elapsed = time.perf_counter() - start
    assert verdict.proved
    # About 3 s on an idle machine; the bound leaves room for a loaded one.
    assert elapsed < 20.0, f"k = 1000 took {elapsed:.1f} s"
