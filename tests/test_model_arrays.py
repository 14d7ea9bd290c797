"""derive.model's rank-3 arrays, einsum, and the Hessian by a matrix."""

from __future__ import annotations

import pytest

from derive import decide
from derive.model import (
    Array,
    Matrix,
    ModelTypeError,
    Size,
    Vector,
    claim,
    einsum,
    eye,
    grad,
    hessian,
    softmax,
    transpose,
)

pytestmark = pytest.mark.timeout(120)

B, T, d, h, n, m = (Size(s) for s in ("B", "T", "d", "h", "n", "m"))


def test_a_sequence_batch_times_a_weight_matrix_plus_a_bias_is_einsum() -> None:
    X, W, b = Array("X", B, T, d), Matrix("W", d, h), Vector("b", h)
    Y = X @ W + b
    assert Y.shape == (B.symbol, T.symbol, h.symbol)
    assert decide(claim(Y, einsum("btd,dh->bth", X, W) + b)).proved
    L = (Y * Y).sum() / 2
    assert decide(claim(grad(L, W), einsum("btd,bth->dh", X, Y))).proved
    assert decide(claim(grad(L, b), Y.sum(axis=0).sum(axis=0))).proved
    assert decide(claim(grad(L, W), 2 * einsum("btd,bth->dh", X, Y))).refuted
    assert softmax(Y, axis=1).shape == Y.shape  # over the sequence


def test_einsum_is_numpys_einsum() -> None:
    A, C, u = Matrix("A", n, d), Matrix("C", d, m), Vector("u", n)
    assert decide(claim(einsum("ij,jk->ik", A, C), A @ C)).proved
    assert decide(claim(einsum("i,i", u, u), u.T @ u)).proved  # implicit output: no free letter
    assert decide(claim(einsum("ij->ji", A), A.T)).proved
    S = Matrix("S", n, n)
    assert decide(claim(einsum("ij,jk->ki", S, S), S @ S)).refuted  # the output transposed
    with pytest.raises(ModelTypeError, match="the letter 'j' has sizes d and n"):
        einsum("ij,jk->ik", A, A)
    with pytest.raises(ModelTypeError, match="one letter per axis"):
        einsum("i,j->ij", A, u)


def test_transposes_of_rank_three_follow_numpy() -> None:
    X = Array("X", B, T, d)
    assert X.T.shape == (d.symbol, T.symbol, B.symbol)
    assert transpose(X, (0, 2, 1)).shape == (B.symbol, d.symbol, T.symbol)
    assert decide(claim(transpose(transpose(X, (1, 2, 0)), (2, 0, 1)), X)).proved
    with pytest.raises(ModelTypeError, match="permutation"):
        transpose(X, (0, 0, 1))
    with pytest.raises(ModelTypeError, match="1 to 3 sizes"):
        Array("Q", B, T, d, h)


def test_the_hessian_by_a_matrix_is_a_rank_four_array() -> None:
    V, x = Matrix("V", n, m), Vector("x", m)
    L = ((V @ x) * (V @ x)).sum() / 2
    H = hessian(L, V)
    assert H.shape == (n.symbol, m.symbol, n.symbol, m.symbol)
    assert decide(claim(H, einsum("ac,b,d->abcd", eye(n), x, x))).proved
    wrong = decide(claim(H, 2 * einsum("ac,b,d->abcd", eye(n), x, x)))
    assert wrong.refuted and wrong.counterexample is not None
    assert decide(claim(hessian(L, x), V.T @ V)).proved
