"""derive.model's piecewise maps: ReLU with the frameworks' derivative, masks, where, abs, maximum."""

from __future__ import annotations

import pytest
import sympy as sp

from derive import decide
from derive.model import (
    Matrix,
    ModelTypeError,
    Scalar,
    Size,
    Vector,
    abs,
    claim,
    grad,
    maximum,
    minimum,
    relu,
    sign,
    where,
)

pytestmark = pytest.mark.timeout(120)

n, d = Size("n"), Size("d")


def _relu_layer():  # type: ignore[no-untyped-def]
    x, W, t = Vector("x", d), Matrix("W", n, d), Vector("t", n)
    z = W @ x
    h = relu(z)
    return x, W, z, h, ((h - t) * (h - t)).sum() / 2, t


def test_a_numpy_mask_on_the_output_and_a_torch_mask_on_the_input_are_both_proved() -> None:
    x, W, z, h, L, t = _relu_layer()
    assert decide(claim(grad(L, W), ((h - t) * (h > 0)) @ x.T)).proved
    assert decide(claim(grad(L, W), ((h - t) * (z > 0)) @ x.T)).proved
    dropped = decide(claim(grad(L, W), (h - t) @ x.T))  # the mask forgotten
    assert dropped.refuted and dropped.counterexample is not None


def test_relus_derivative_at_zero_is_zero_as_in_pytorch_and_jax() -> None:
    a = Scalar("a")
    slope = grad(relu(a), a).expr
    assert slope.subs(a.expr, 0) == 0 and slope.subs(a.expr, 1) == 1 and slope.subs(a.expr, -1) == 0
    assert relu(a).expr.subs(a.expr, sp.Rational(-3, 2)) == 0
    assert maximum(a, 0).expr == relu(a).expr


def test_where_is_proved_where_it_is_differentiable() -> None:
    v = Vector("v", n)
    delta = Scalar("delta", positive=True)
    huber = where(abs(v) <= delta, v * v / 2, delta * (abs(v) - delta / 2)).sum()
    assert decide(claim(grad(huber, v), where(abs(v) <= delta, v, delta * sign(v)))).proved
    assert decide(claim(grad(huber, v), where(abs(v) <= delta, v, delta))).refuted  # the sign dropped
    leaky = where(v > 0, v, v / 10).sum()
    assert decide(claim(grad(leaky, v), where(v > 0, 1, sp.Rational(1, 10)))).proved
    assert decide(claim(grad(abs(v).sum(), v), sign(v))).proved


def test_maximum_and_minimum_broadcast_and_where_needs_a_comparison() -> None:
    a, b = Vector("a", n), Scalar("b")
    assert maximum(a, b).shape == (n.symbol,)
    assert minimum(a, b)[2] == sp.Min(sp.IndexedBase("a", real=True)[2], b.expr)
    wrong = decide(claim(maximum(a, b), a))
    assert wrong.refuted
    with pytest.raises(ModelTypeError, match="takes a comparison of tensors"):
        where(a, a, b)


def test_relu_evaluates_under_lambdify_with_the_same_convention() -> None:
    import numpy as np

    x = sp.Symbol("x", real=True)
    values, slopes = sp.lambdify([x], [relu(Scalar("x")).expr, grad(relu(Scalar("x")), Scalar("x")).expr],
                                 "numpy")(np.array([-1.0, 0.0, 2.0]))
    assert values.tolist() == [0.0, 0.0, 2.0] and slopes.tolist() == [0.0, 0.0, 1.0]
