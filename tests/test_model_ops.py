"""derive.model's operations for real layers: broadcasting, constants, reductions, piecewise maps."""

from __future__ import annotations

import pytest
import sympy as sp

from derive import decide
from derive.model import (
    Matrix,
    ModelTypeError,
    Size,
    Vector,
    broadcast_to,
    claim,
    eye,
    grad,
    mse,
    ones,
)
from derive.model.broadcast import broadcast_shapes

pytestmark = pytest.mark.timeout(120)

N, d, h = Size("N"), Size("d"), Size("h")


def _linear():  # type: ignore[no-untyped-def]
    X, W, b, Y = Matrix("X", N, d), Matrix("W", d, h), Vector("b", h), Matrix("Y", N, h)
    return X, W, b, Y, X @ W + b


def test_a_bias_row_broadcasts_over_the_batch_and_its_gradient_is_proved_for_every_size() -> None:
    X, W, b, Y, P = _linear()
    assert P.shape == (N.symbol, h.symbol)
    L = mse(P, Y)
    assert decide(claim(grad(L, b), (2 / (N * h)) * (P - Y).sum(axis=0))).proved
    assert decide(claim(grad(L, W), (2 / (N * h)) * (X.T @ (P - Y)))).proved
    # A missing 1/N is refuted at a point.
    wrong = decide(claim(grad(L, b), (2 / h) * (P - Y).sum(axis=0)))
    assert wrong.refuted and wrong.counterexample is not None


def test_broadcasting_follows_numpys_rules_up_to_rank_three() -> None:
    n, t, f = (s.symbol for s in (N, Size("T"), Size("f")))
    one = sp.S.One
    assert broadcast_shapes((n, t, f), (f,)) == (n, t, f)
    assert broadcast_shapes((n, one, f), (t, f)) == (n, t, f)
    assert broadcast_shapes((n, one), (one, f)) == (n, f)
    with pytest.raises(ModelTypeError, match="on axis -1 the sizes are f and T"):
        broadcast_shapes((n, f), (t,))
    with pytest.raises(ModelTypeError, match="rank up to 3"):
        broadcast_shapes((n, n, n, n), (n,))
    column = broadcast_to(Vector("u", N).T.T, (N.symbol,))
    assert column[2] == sp.IndexedBase("u", real=True)[2]


def test_a_shape_clash_says_which_axis_and_is_still_a_type_error() -> None:
    X, b = Matrix("X", N, d), Vector("b", h)
    with pytest.raises(TypeError, match="do not broadcast"):
        _ = X + b  # (N, d) + (h,)


def test_ones_and_eye_mean_what_they_say() -> None:
    X = Matrix("X", N, d)
    v = Vector("v", N)
    assert decide(claim(X @ eye(d), X)).proved
    assert decide(claim(eye(N) @ X, X)).proved
    assert decide(claim(ones(N).T @ v, v.sum())).proved
    assert decide(claim(ones(N).T @ v, 2 * v.sum())).refuted
    assert ones(1, N).shape == (1, N.symbol)
    with pytest.raises(ModelTypeError, match="positive int"):
        ones(0)
