"""An every-size claim left undecided is tried at fixed sizes: refuted there is refuted."""

from __future__ import annotations

import sympy as sp

from derive import decide
from derive.engine.claims import Claim
from derive.engine.decide import Settings, _at_fixed_sizes
from derive.engine.fixed import at_sizes, symbolic_sizes
from derive.engine.hypotheses import Distinct, InRange
from derive.engine.space import ArraySpec, Role

k = sp.Symbol("k", integer=True, positive=True)
n = sp.Symbol("n", integer=True)
i, j = sp.symbols("i j", integer=True, positive=True)
z = sp.IndexedBase("z", real=True)
ARRAYS = {"z": ArraySpec(z, (k,), Role.INPUTS)}


def _claim(rhs: sp.Expr) -> Claim:
    # Σ_n n has no closed form in the index calculus: undecided for every size.
    return Claim("triangle", sp.Sum(n * z[i], (n, 1, k)), rhs, (InRange(i, 1, k),), arrays=ARRAYS)


def test_proved_at_fixed_sizes_is_still_undecided_and_says_so():
    verdict = decide(_claim(k * (k + 1) / 2 * z[i]))
    assert verdict.undecided
    assert verdict.reason.startswith("proved at sizes k = 2; k = 3, undecided for every size")


def test_refuted_at_a_fixed_size_is_refuted_with_the_size_and_index():
    # Wrong only at entry i = 2 of sizes k >= 3.
    claim = _claim(k * (k + 1) / 2 * z[i] + sp.KroneckerDelta(i, 2) * (k - 2) * z[i] ** 2)
    assert decide(claim).refuted
    verdict = _at_fixed_sizes(claim, Settings())  # what decide falls back on when its own search misses
    assert verdict is not None and verdict.refuted, verdict
    found = verdict.counterexample
    assert found is not None and found.point["k"] == 3 and found.point["i"] == 2
    assert "at sizes k = 3" in verdict.reason


def test_fixed_sizes_can_be_switched_off():
    verdict = decide(_claim(k * (k + 1) / 2 * z[i]), Settings(fixed_sizes=()))
    assert verdict.undecided and "proved at sizes" not in verdict.reason


def test_at_sizes_writes_every_entry_and_refuses_index_hypotheses():
    claim = _claim(k * z[i])
    assert symbolic_sizes(claim) == [k]
    built = at_sizes(claim, {k: 2})
    assert built is not None
    fixed, where = built
    assert fixed.lhs == (3 * z[1], 3 * z[2]) and fixed.rhs == (2 * z[1], 2 * z[2])
    assert where == [{i: 1}, {i: 2}]
    with_distinct = Claim("d", z[i] * z[j], z[j] * z[i], (InRange(i, 1, k), InRange(j, 1, k), Distinct(i, j)),
                          arrays=ARRAYS)
    assert at_sizes(with_distinct, {k: 2}) is None
