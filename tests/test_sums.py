from __future__ import annotations

import sympy as sp

from derive.engine.sums import canonical_indices, instantiate_sums, normalize_sums

k, j, i = sp.symbols("k j i", integer=True, positive=True)
n, m = sp.symbols("n m", integer=True)
z = sp.IndexedBase("z", real=True)
y = sp.IndexedBase("y", real=True)


def test_delta_sum_in_range() -> None:
    expr = sp.Sum(sp.exp(z[n]) * sp.KroneckerDelta(j, n), (n, 1, k))
    assert normalize_sums(expr, {j: (1, k)}) == sp.exp(z[j])


def test_delta_sum_not_known_in_range_is_kept() -> None:
    expr = sp.Sum(sp.exp(z[n]) * sp.KroneckerDelta(j, n), (n, 1, k))
    assert normalize_sums(expr, {}) != sp.exp(z[j])


def test_linearity_and_constants_leave_the_sum() -> None:
    expr = sp.Sum(2 * y[n] * sp.exp(z[j]) + y[n], (n, 1, k))
    expected = 2 * sp.exp(z[j]) * sp.Sum(y[n], (n, 1, k)) + sp.Sum(y[n], (n, 1, k))
    assert normalize_sums(expr) == canonical_indices(expected)


def test_sums_differing_only_in_their_index_cancel() -> None:
    expr = sp.Sum(y[n] * z[n], (n, 1, k)) - sp.Sum(y[m] * z[m], (m, 1, k))
    assert normalize_sums(expr) == 0


def test_constant_body() -> None:
    assert normalize_sums(sp.Sum(z[j], (n, 1, k))) == k * z[j]


def test_no_capture_of_a_shadowed_index() -> None:
    # The inner sum's index must stay distinct from the outer one after renaming.
    inner = sp.Sum(z[m] * y[n], (m, 1, k))
    expr = sp.Sum(inner, (n, 1, k))
    out = normalize_sums(expr)
    value = instantiate_sums(out.xreplace({k: 2})).xreplace({z[1]: 3, z[2]: 5, y[1]: 7, y[2]: 11})
    assert value == (3 + 5) * (7 + 11)


def test_instantiate_writes_out_integer_ranges() -> None:
    assert instantiate_sums(sp.Sum(z[n], (n, 1, 3))) == z[1] + z[2] + z[3]


def test_delta_substitution_between_free_indices() -> None:
    expr = sp.KroneckerDelta(i, j) * (sp.exp(z[i]) - sp.exp(z[j]))
    assert normalize_sums(expr) == 0


def _value(expr: sp.Expr, size: int = 2) -> sp.Expr:
    """expr at k = size with every z and y entry a distinct integer: a check independent of names."""
    out = instantiate_sums(expr.xreplace({k: size}))
    entries = {e: 10 * (e.base == z) + 3 * int(e.indices[0]) + 1 for e in out.atoms(sp.Indexed)}
    return sp.expand(out.xreplace(entries))


def test_canonical_names_keep_the_value_and_are_the_same_wherever_a_sum_stands() -> None:
    a, b = sp.symbols("a b", integer=True)
    i0, i1 = sp.Symbol("ι0", integer=True), sp.Symbol("ι1", integer=True)
    denominator = sp.Sum(sp.exp(z[m]), (m, 1, k))
    inner = sp.Sum(z[m] * y[n], (m, 1, k))
    cases = [
        sp.Sum(sp.exp(z[n]) * inner, (n, 1, k)) + sp.log(denominator),
        # bound names that are canonical names already, but the wrong ones, swapped
        sp.Sum(z[i0] * sp.Sum(z[i1] * y[i0], (i1, 1, k)), (i0, 1, k)),
        # the same name bound twice, nested (shadowing)
        sp.Sum(z[n] * sp.Sum(y[n], (n, 1, k)), (n, 1, k)),
        sp.Sum(sp.Sum(z[a] * y[b], (a, 1, k)) * sp.Sum(z[b], (b, 1, k)), (b, 1, k)),
    ]
    for expr in cases:
        out = canonical_indices(expr)
        assert _value(out) == _value(expr)
        assert canonical_indices(out) is out  # canonical already: the very same object
        assert not {s for s in out.atoms(sp.Symbol) if s.name.startswith("ι")} - {i0, i1}
    # The denominator inside a sum and at the top: one canonical form, so they cancel.
    nested = sp.Sum(y[n] / denominator, (n, 1, k)) * denominator
    renamed, alone = canonical_indices(nested), canonical_indices(denominator)
    (over_n,) = [f for f in renamed.args if isinstance(f, sp.Sum) and f.function.has(y)]
    assert alone in renamed.args and alone in over_n.function.atoms(sp.Sum)
    assert normalize_sums(nested) == canonical_indices(sp.Sum(y[n], (n, 1, k)))


def test_a_free_canonical_name_is_never_captured() -> None:
    i0 = sp.Symbol("ι0", integer=True)
    expr = sp.Sum(z[n] * y[i0], (n, 1, k))
    assert canonical_indices(expr) is expr


def test_canonical_names_never_capture_another_limit_of_the_same_sum() -> None:
    # Sum(Y[ι1, ι0], (ι1, ..), (ι0, ..)) once became Sum(Y[ι1, ι1], ...): a wrong residual.
    k, N = sp.symbols("k N", integer=True, positive=True)
    i0, i1 = sp.Symbol("ι0", integer=True), sp.Symbol("ι1", integer=True)
    Y = sp.IndexedBase("Y")
    original = sp.Sum(Y[i1, i0] * i1, (i1, 1, N), (i0, 1, k))
    out = canonical_indices(original)
    assert out == sp.Sum(Y[i0, i1] * i0, (i0, 1, N), (i1, 1, k))
    values = {Y[r, c]: 10 * r + c for r in range(1, 4) for c in range(1, 3)}
    at = {N: 3, k: 2}
    assert out.xreplace(at).doit().xreplace(values) == original.xreplace(at).doit().xreplace(values)


def test_renamed_functions_are_the_objects_sympy_would_build() -> None:
    # Renaming skips SymPy's evaluation of exp, log and deltas (it decided to leave them as
    # they were); a delta's indices must still come out in SymPy's order.
    q = sp.Symbol("q", integer=True)
    i0 = sp.Symbol("ι0", integer=True)
    expr = sp.Sum(sp.KroneckerDelta(n, q) * sp.exp(z[n]) * sp.log(y[n]), (n, 1, k))
    expected = sp.Sum(sp.KroneckerDelta(q, i0) * sp.exp(z[i0]) * sp.log(y[i0]), (i0, 1, k))
    out = canonical_indices(expr)
    assert out == expected and sp.srepr(out) == sp.srepr(expected)
    assert out.function.is_real == expected.function.is_real


def test_a_hypothesis_rewrite_applies_after_each_round() -> None:
    labels = sp.Sum(y[n], (n, 1, k))
    expr = sp.Sum(sp.exp(z[n]) * sp.KroneckerDelta(n, j), (n, 1, k)) * labels - sp.exp(z[j])
    assert normalize_sums(expr, {j: (1, k)}) != 0
    ones = {canonical_indices(labels): sp.S.One}
    assert normalize_sums(expr, {j: (1, k)}, rewrite=lambda e: e.xreplace(ones)) == 0
