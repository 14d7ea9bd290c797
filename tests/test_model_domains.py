"""derive.model's domains on vectors and matrices, one-hot batched labels, and its error messages."""

from __future__ import annotations

import pytest

from derive import decide
from derive.model import (
    Labels,
    Matrix,
    ModelTypeError,
    Scalar,
    Size,
    Vector,
    binary_cross_entropy,
    claim,
    cross_entropy,
    grad,
    ones,
    sigmoid,
    softmax,
    sqrt,
)

pytestmark = pytest.mark.timeout(120)

N, d, k = Size("N"), Size("d"), Size("k")


def test_targets_between_zero_and_one_stay_there_in_a_counterexample() -> None:
    X, w = Matrix("X", N, d), Vector("w", d)
    t = Vector("t", N, between=(0, 1))
    p = sigmoid(X @ w)
    wrong = decide(claim(grad(binary_cross_entropy(t, p), w), X.T @ (p - t)))  # the missing 1/N
    assert wrong.refuted and wrong.counterexample is not None
    targets = wrong.counterexample.point["t"]
    assert targets and all(0 < v < 1 for v in targets)


def test_a_positive_matrix_is_drawn_positive_and_its_sign_is_known() -> None:
    S = Matrix("S", N, d, positive=True)
    assert decide(claim(sqrt(S * S), S * 1)).proved  # √(s²) = s only because s > 0
    wrong = decide(claim(sqrt(S * S), -S))
    assert wrong.refuted and wrong.counterexample is not None
    assert all(v > 0 for row in wrong.counterexample.point["S"] for v in row)
    free = Matrix("F", N, d)
    assert not decide(claim(sqrt(free * free), free * 1)).proved


def test_one_hot_batched_labels_give_the_batched_softmax_gradient() -> None:
    Z, Y = Matrix("Z", N, k, role="logits"), Labels("Y", k, batch=N)
    P = softmax(Z, axis=1)
    assert decide(claim(grad(cross_entropy(Y, P), Z), (P - Y) / N)).proved
    wrong = decide(claim(grad(cross_entropy(Y, P), Z), P - Y))
    assert wrong.refuted and wrong.counterexample is not None
    rows = wrong.counterexample.point["Y"]
    assert all(sorted(row) == [0] * (len(row) - 1) + [1] for row in rows)  # each row one-hot


def test_misuse_gives_a_model_type_error_that_says_what_to_write() -> None:
    with pytest.raises(ModelTypeError, match="lo < hi"):
        Vector("t", N, between=(1, 0))
    with pytest.raises(ModelTypeError, match="disagree"):
        Vector("t", N, between=(-1, 1), positive=True)
    with pytest.raises(ModelTypeError, match="Size"):
        Vector("t", 3)  # type: ignore[arg-type]
    with pytest.raises(ModelTypeError, match="needs a scalar L"):
        grad(Vector("v", N), Vector("v", N))
    with pytest.raises(ModelTypeError, match="inner sizes"):
        _ = Matrix("A", N, d) @ Matrix("B", N, d)
    with pytest.raises(ModelTypeError, match="shapes"):
        claim(ones(N), ones(d))
    assert Scalar("T", between=(0, 2)).declarations
