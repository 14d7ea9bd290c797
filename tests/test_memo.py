"""The memoized free symbols of sums: same answers as SymPy's, and SymPy's own property back after."""

from __future__ import annotations

import threading

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

from derive.engine.memo import memoized_sum_symbols

n, m, k = sp.symbols("n m k", integer=True)
z = sp.IndexedBase("z")
nested = sp.Sum(sp.exp(sp.Sum(z[n, m], (m, 1, k))), (n, 1, k + 1))


def test_answers_are_sympys_and_callers_may_mutate_them():
    expected = nested.free_symbols
    integral = sp.Integral(z[n] * m, (m, 0, k))
    expected_integral = integral.free_symbols
    with memoized_sum_symbols():
        first = nested.free_symbols
        first.add(sp.Symbol("intruder"))
        assert nested.free_symbols == expected
        assert integral.free_symbols == expected_integral


def test_sympys_property_is_restored_after_nested_and_failing_blocks():
    original = ExprWithLimits.__dict__["free_symbols"]
    try:
        with memoized_sum_symbols():
            with memoized_sum_symbols():
                assert ExprWithLimits.__dict__["free_symbols"] is not original
            assert ExprWithLimits.__dict__["free_symbols"] is not original
            raise RuntimeError("a failing computation")
    except RuntimeError:
        pass
    assert ExprWithLimits.__dict__["free_symbols"] is original


def test_threads_entering_and_leaving_together_leave_sympy_as_it_was():
    original = ExprWithLimits.__dict__["free_symbols"]
    expected = nested.free_symbols
    seen: list[set[sp.Basic]] = []

    def work() -> None:
        for _ in range(50):
            with memoized_sum_symbols():
                seen.append(nested.free_symbols)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ExprWithLimits.__dict__["free_symbols"] is original
    assert len(seen) == 200 and all(s == expected for s in seen)
