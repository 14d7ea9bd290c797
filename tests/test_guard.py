"""The size guard: numbers too large to compute are refused before SymPy builds them."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from derive.engine.guard import MAX_DIGITS, too_large

i, j, n = sp.symbols("i j n", integer=True)
x = sp.Symbol("x", real=True)
NINES = sp.Integer(9) ** 999


@pytest.mark.timeout(10)
@pytest.mark.parametrize("expr, words", [
    (sp.Product(2, (i, 1, 10**29)), "about 10^29 terms"),
    (sp.Product(sp.Product(NINES, (j, 1, 1000)), (i, 1, 1000)), "953,060,966 digits"),
    (sp.Product(NINES, (j, 1, 1000), (i, 1, 1000)), "953,060,966 digits"),
    (sp.Sum(2**i, (i, 1, 10**29)), "terms"),
    (sp.factorial(sp.Integer(10) ** 10, evaluate=False), "factorial"),
    (sp.Pow(2, sp.Integer(10) ** 20, evaluate=False), "the power"),
    (sp.Pow(3, sp.Pow(3, 30, evaluate=False), evaluate=False), "the power"),
    (sp.Product(2**i, (i, 1, 2000)), "digits"),
])
def test_huge_numbers_are_refused_without_computing_them(expr: sp.Basic, words: str) -> None:
    start = time.perf_counter()
    reason = too_large(expr)
    assert reason is not None and words in reason
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("expr", [
    x**1000, sp.Product(2, (i, 1, n)), sp.Product(i, (i, 1, 100)), NINES, sp.factorial(n), sp.exp(x * 100),
    sp.Sum(sp.exp(x * i), (i, 1, 10)), sp.Indexed(sp.IndexedBase("z"), i) ** 3,
])
def test_ordinary_expressions_pass(expr: sp.Basic) -> None:
    assert too_large(expr) is None


def test_the_limit_is_near_the_number_of_digits() -> None:
    # 2**(3.3 * MAX_DIGITS) has 0.99 * MAX_DIGITS digits; twice that is refused.
    assert too_large(sp.Pow(2, int(3.3 * MAX_DIGITS), evaluate=False)) is None
    assert too_large(sp.Pow(2, int(6.7 * MAX_DIGITS), evaluate=False)) is not None
    assert 2 ** int(3.3 * MAX_DIGITS) > 10 ** int(0.99 * MAX_DIGITS)


def test_vectors_of_sides_are_walked() -> None:
    assert too_large((x, (x, sp.Product(2, (i, 1, 10**29))))) is not None
    assert too_large((x, x), x) is None
