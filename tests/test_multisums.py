"""The canonical multi-index form: nested sums in any order, deltas, factors free of an index."""

from __future__ import annotations

import sympy as sp

from derive import decide
from derive.engine.multisums import canonical_sums
from derive.model import Matrix, Size, Vector, claim, elementwise, tanh

a, b, c, i = sp.symbols("a b c i", integer=True, positive=True)
k, d = sp.symbols("k d", integer=True, positive=True)
u, w, M, z = (sp.IndexedBase(n, real=True) for n in "uwMz")


def test_swapping_nested_sums_is_zero():
    left = sp.Sum(u[a] * sp.Sum(M[b, a] * w[b], (b, 1, d)), (a, 1, k))
    right = sp.Sum(w[b] * sp.Sum(M[b, a] * u[a], (a, 1, k)), (b, 1, d))
    assert canonical_sums(left - right) == 0


def test_a_wrong_index_order_is_not_zero():
    left = sp.Sum(u[a] * sp.Sum(M[b, a] * w[b], (b, 1, k)), (a, 1, k))
    right = sp.Sum(u[a] * sp.Sum(M[a, b] * w[b], (b, 1, k)), (a, 1, k))
    assert canonical_sums(left - right) != 0


def test_indices_of_one_range_are_permuted_to_one_order():
    left = sp.Sum(M[a, b] * u[a] * w[b], (a, 1, k), (b, 1, k))
    right = sp.Sum(M[b, a] * u[b] * w[a], (a, 1, k), (b, 1, k))
    assert canonical_sums(left - right) == 0


def test_product_of_sums_is_one_double_sum():
    product = sp.Sum(u[a], (a, 1, k)) * sp.Sum(w[b], (b, 1, d))
    double = sp.Sum(sp.Sum(u[a] * w[b], (a, 1, k)), (b, 1, d))
    assert canonical_sums(product - double) == 0


def test_factor_free_of_the_index_leaves_the_sum():
    inside = sp.Sum(u[i] * w[a], (a, 1, k))
    assert canonical_sums(inside - u[i] * sp.Sum(w[b], (b, 1, k))) == 0


def test_delta_is_summed_when_the_index_is_in_range():
    expr = sp.Sum(sp.KroneckerDelta(a, i) * w[a], (a, 1, k)) - w[i]
    assert canonical_sums(expr, {i: (1, k)}) == 0
    assert canonical_sums(expr) != 0  # i's range unknown: the delta stays


def test_empty_index_counts():
    assert canonical_sums(sp.Sum(u[i], (a, 1, k)) - k * u[i]) == 0


def test_inner_sums_inside_functions_compare_by_normal_form():
    s1 = sp.exp(sp.Sum(M[a, b] * w[b], (b, 1, d)))
    left = sp.Sum(u[a] * s1, (a, 1, k))
    right = sp.Sum(u[c] * sp.exp(sp.Sum(w[a] * M[c, a], (a, 1, d))), (c, 1, k))
    assert canonical_sums(left - right) == 0


def test_user_nu_names_are_left_alone():
    nu = sp.Symbol("ν0", integer=True)
    expr = sp.Sum(u[a] * u[nu], (a, 1, k)) - sp.Sum(u[b] * u[nu], (b, 1, k))
    assert canonical_sums(expr) == expr  # no renaming that could capture ν0


def test_model_transpose_claim_is_proved_for_every_size():
    n, m = Size("k"), Size("d")
    uu, ww, MM = Vector("u", n), Vector("w", m), Matrix("M", m, n)
    verdict = decide(claim(uu.T @ (MM.T @ ww), ww.T @ (MM @ uu)))
    assert verdict.proved, verdict.explain()
    wrong = decide(claim(uu.T @ (MM.T @ ww), ww.T @ (MM @ uu) + uu.T @ uu))
    assert wrong.refuted


def test_sum_of_tanh_is_sum_of_sinh_over_cosh():
    zz = Vector("z", Size("k"))
    verdict = decide(claim(tanh(zz).sum(), elementwise(lambda e: sp.sinh(e) / sp.cosh(e), zz).sum()))
    assert verdict.proved, verdict.explain()
    assert "identity used: tanh = sinh/cosh" in verdict.notes
