"""derive.model's operations for real layers: broadcasting, constants, reductions, piecewise maps."""

from __future__ import annotations

import pytest
import sympy as sp

from derive import decide
from derive.model import (
    Labels,
    Matrix,
    ModelTypeError,
    Size,
    Vector,
    broadcast_to,
    claim,
    cross_entropy,
    eye,
    grad,
    log_softmax,
    logsumexp,
    mse,
    ones,
    softmax,
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


def test_batched_softmax_regression_with_a_bias_is_proved_for_every_size() -> None:
    k = Size("k")
    X, W, b = Matrix("X", N, d), Matrix("W", d, k), Vector("b", k)
    Y = Labels("Y", k, soft=True, batch=N)
    P = softmax(X @ W + b, axis=1)
    L = cross_entropy(Y, P)
    assert decide(claim(grad(L, W), X.T @ (P - Y) / N)).proved
    assert decide(claim(grad(L, b), (P - Y).mean(axis=0))).proved
    assert decide(claim(grad(L, b), (P - Y).sum(axis=0))).refuted  # the missing 1/N


def test_reductions_take_an_axis_and_keepdims() -> None:
    k = Size("k")
    S = Matrix("S", N, k)
    assert S.sum(axis=0).shape == (k.symbol,) and S.mean(axis=-1, keepdims=True).shape == (N.symbol, 1)
    assert decide(claim(softmax(S, axis=0).sum(axis=0), ones(k))).proved  # each column sums to one
    assert decide(claim(grad(logsumexp(S, axis=1).sum(), S), softmax(S, axis=1))).proved
    assert decide(claim(log_softmax(S, axis=0), S - logsumexp(S, axis=0, keepdims=True))).proved
    # Over every entry, logsumexp's gradient is one softmax over all of S, not one per row.
    assert decide(claim(grad(logsumexp(S), S), softmax(S, axis=1))).refuted
    with pytest.raises(ModelTypeError, match=r"axis=2\) on a tensor of shape \(N, k\)"):
        S.sum(axis=2)


def test_max_takes_fixed_sizes_and_the_stable_softmax_is_the_softmax() -> None:
    z = Vector("z", Size("k", 3), role="logits")
    assert decide(claim(softmax(z - z.max()), softmax(z))).proved
    assert decide(claim(softmax(z - z.max()), 2 * softmax(z))).refuted
    with pytest.raises(ModelTypeError, match=r"declare the size with a value, e.g. Size\('k', 3\)"):
        Vector("z", Size("k")).max()
