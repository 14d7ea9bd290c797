"""The chain rule through shared atoms agrees with SymPy's diff of the written-out expression."""

from __future__ import annotations

import sympy as sp

from derive.engine.differentiate import Differentiator, LowRankMatrix, derivative
from derive.library.functions import Role, Space, cross_entropy, softmax, two_layer


def _plain(space: Space, expr: sp.Expr) -> sp.Expr:
    return space.expand_atoms(expr)


def test_gradient_of_cross_entropy_matches_plain_diff() -> None:
    space = Space.fixed()
    z = space.vector("z", space.size("k", 4), role=Role.LOGITS)
    y = space.vector("y", space.size("k", 4), role=Role.LABELS)
    loss = cross_entropy(space, y, z)
    wrt = [z[j] for j in range(1, 5)]
    ours = Differentiator(space.definitions).gradient(loss, wrt)
    plain = _plain(space, loss)
    for d, x in zip(ours, wrt, strict=True):
        assert sp.cancel(_plain(space, d) - sp.diff(plain, x)) == 0


def test_jacobian_of_softmax_is_diagonal_plus_one_outer_product() -> None:
    space = Space.fixed()
    z = space.vector("z", space.size("k", 3), role=Role.LOGITS)
    p = softmax(space, z)
    outputs = [p[i] for i in range(1, 4)]
    wrt = [z[j] for j in range(1, 4)]
    jac = Differentiator(space.definitions).jacobian(outputs, wrt)
    assert isinstance(jac, LowRankMatrix)
    assert set(jac.diagonal) == {(0, 0), (1, 1), (2, 2)} and len(jac.outer) == 1
    for i in range(3):
        for j in range(3):
            expected = sp.diff(_plain(space, outputs[i]), wrt[j])
            assert sp.cancel(_plain(space, jac.entry(i, j)) - expected) == 0


def test_two_layer_gradients_match_plain_diff() -> None:
    space = Space.fixed()
    model = two_layer(space, c=2, d=2, p=2)
    plain = _plain(space, model.loss)
    diff = Differentiator(space.definitions)
    for weight in (model.A, model.B):
        for a in (1, 2):
            for b in (1, 2):
                ours = _plain(space, diff.total(model.loss, weight[a, b]))
                assert sp.simplify(ours - sp.diff(plain, weight[a, b])) == 0


def test_symbolic_derivative_is_sympy_diff() -> None:
    space = Space.symbolic()
    k = space.size("k")
    z = space.vector("z", k, role=Role.LOGITS)
    j = sp.Symbol("j", integer=True, positive=True)
    p = softmax(space, z)
    assert derivative(p[j], z[j]) == sp.diff(p[j], z[j])


def test_fixed_and_symbolic_spaces_build_the_same_function() -> None:
    fixed, symbolic = Space.fixed(), Space.symbolic()
    zf = fixed.vector("z", fixed.size("k", 3), role=Role.LOGITS)
    yf = fixed.vector("y", fixed.size("k", 3), role=Role.LABELS)
    zs = symbolic.vector("z", symbolic.size("k"), role=Role.LOGITS)
    ys = symbolic.vector("y", symbolic.size("k"), role=Role.LABELS)
    k = sp.Symbol("k", integer=True, positive=True)
    values = {sp.IndexedBase("z", real=True)[n]: sp.Rational(n, 3) for n in (1, 2, 3)}
    values.update({sp.IndexedBase("y", real=True)[n]: sp.Rational(n, 6) for n in (1, 2, 3)})
    fixed_value = _plain(fixed, cross_entropy(fixed, yf, zf)).xreplace(values)
    symbolic_value = cross_entropy(symbolic, ys, zs).xreplace({k: 3}).doit().xreplace(values)
    assert abs(sp.N(fixed_value - symbolic_value, 30)) < 1e-25


def test_reverse_mode_gradient_matches_plain_diff_through_nested_atoms() -> None:
    space = Space.fixed()
    model = two_layer(space, c=3, d=2, p=2, batch=2, batched=True)
    plain = _plain(space, model.loss)
    wrt = [model.A[1, 2], model.A[2, 1], model.B[3, 2], model.B[1, 1]]
    ours = Differentiator(space.definitions).gradient(model.loss, wrt)
    for d, x in zip(ours, wrt, strict=True):
        assert sp.simplify(_plain(space, d) - sp.diff(plain, x)) == 0


def test_atoms_created_after_the_differentiator_are_seen() -> None:
    # The loss is built after the Differentiator: its atoms must not count as constants.
    from derive.engine.differentiate import Differentiator
    from derive.library.functions import Role, Space, cross_entropy

    space = Space.fixed()
    diff = Differentiator(space.definitions)
    k = space.size("k", 3)
    z = space.vector("z", k, role=Role.LOGITS)
    y = space.vector("y", k, role=Role.LABELS)
    loss = cross_entropy(space, y, z)
    (first,) = diff.gradient(loss, [z[1]])
    assert first != -y[1], "the softmax denominator's atom was treated as a constant"


def test_an_atom_without_its_definition_is_an_error() -> None:
    import pytest

    from derive.engine.differentiate import Differentiator
    from derive.library.functions import Role, Space, cross_entropy

    space = Space.fixed()
    k = space.size("k", 2)
    loss = cross_entropy(space, space.vector("y", k, role=Role.LABELS), space.vector("z", k, role=Role.LOGITS))
    with pytest.raises(ValueError, match="has no definition"):
        Differentiator({}).gradient(loss, [space.arrays["z"].base[1]])


def test_every_size_derivative_by_an_entry_agrees_with_sympy_diff() -> None:
    # derivative() applies SymPy's rules itself for an array entry; written out at a
    # fixed size, it must agree with sympy.diff of the same Sum expression.
    from derive.engine.sums import instantiate_sums

    space = Space.symbolic()
    model = two_layer(space)
    a, b = sp.symbols("a b", integer=True, positive=True)
    sizes = {model.c: 2, model.d: 2, model.p: 3}
    for wrt, point in ((model.B[a, b], {a: 2, b: 1}), (model.A[a, b], {a: 1, b: 3})):
        ours = derivative(model.loss, wrt)
        theirs = sp.diff(model.loss, wrt)

        def written(e: sp.Expr, point: dict = point) -> sp.Expr:
            return instantiate_sums(e.xreplace(sizes)).xreplace(point).doit()

        rng = sp.Rational
        values = {s: rng(n % 7 + 1, 3 + n) for n, s in
                  enumerate(sorted(written(theirs).free_symbols, key=str))}
        assert (written(ours) - written(theirs)).xreplace(values).evalf(30) == 0


def test_entry_derivative_leaves_what_its_rules_do_not_cover_to_sympy() -> None:
    k = sp.Symbol("k", integer=True, positive=True)
    n, j = sp.symbols("n j", integer=True)
    z = sp.IndexedBase("z", real=True)
    # a sum that binds the variable's own index, and a function without a rule here
    for expr, wrt in ((sp.Sum(z[n] ** 2, (n, 1, k)), z[n]), (sp.tanh(sp.Sum(z[n], (n, 1, k))), z[j]),
                      (z[n] ** z[j], z[j])):
        assert derivative(expr, wrt) == sp.diff(expr, wrt)
    # the rules themselves: δ(n, j) under the sum, the chain rule through log and a power
    expr = sp.log(sp.Sum(sp.exp(z[n]), (n, 1, k))) + z[j] ** 3
    assert derivative(expr, z[j]) == sp.diff(expr, z[j])


def test_a_delta_is_the_one_sympy_builds() -> None:
    from derive.engine.differentiate import _delta

    n, m = sp.symbols("n m", integer=True)
    j = sp.Symbol("j", integer=True, positive=True)
    below = sp.Symbol("q", integer=True, negative=True)
    even, odd = sp.Symbol("e", integer=True, even=True), sp.Symbol("o", integer=True, odd=True)
    ell = sp.IndexedBase("ell")
    for a, b in [(n, j), (j, n), (m, n), (n, n), (j, below), (even, odd), (sp.Integer(2), sp.Integer(3)),
                 (sp.Integer(2), n), (ell[n], j), (n + 1, n)]:
        ours, sympy = _delta(a, b), sp.KroneckerDelta(a, b)
        assert ours == sympy and type(ours) is type(sympy), (a, b, ours, sympy)
