"""derive.model.gradient: the gradient in matrix form, proved for every size, or the index form with the reason."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.engine.space import Role
from derive.model import (
    Labels,
    Matrix,
    Scalar,
    Size,
    Vector,
    binary_cross_entropy,
    cross_entropy,
    l2,
    mse,
    norm,
    sigmoid,
    softmax,
    tanh,
)
from derive.model.examples import tanh_classifier
from derive.model.matrix_gradient import gradient


def _mlp() -> dict:
    m = tanh_classifier()
    return {"L": m.L, "W": m.W, "V": m.V, "names": m.names}


def test_tanh_mlp_first_layer_is_the_textbook_form() -> None:
    m = _mlp()
    g = gradient(m["L"], m["W"], names=m["names"])
    assert g.proved
    assert str(g).splitlines()[0] == "∂L/∂W = ((Vᵀ(ŷ - y)) ⊙ (1 - h ⊙ h))xᵀ   [proved for every size]"
    assert "h = tanh(Wx)" in str(g) and "ŷ = softmax(Vh)" in str(g)


def test_tanh_mlp_second_layer() -> None:
    m = _mlp()
    g = gradient(m["L"], m["V"], names=m["names"])
    assert g.proved and str(g).startswith("∂L/∂V = (ŷ - y)hᵀ ")


def test_names_default_to_the_callers_variables() -> None:
    p = Size("p")
    x, w = Vector("x", p), Vector("w", p)
    hidden = tanh(w)
    g = gradient((hidden * x).sum(), w)
    assert g.proved and "hidden" in str(g)


def test_ridge() -> None:
    N, p = Size("N"), Size("p")
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p, role=Role.WEIGHTS), Vector("t", N)
    lam = Scalar("lambda", positive=True)
    g = gradient(mse(X @ w, t) / 2 + l2(w, lam), w, names={})
    assert g.proved and str(g).startswith("∂L/∂w = Xᵀ(Xw - t)/N + λw ")
    assert g.latex() == r"\frac{\partial L}{\partial w} = \frac{1}{N} X^T \left(X w - t\right) + \lambda w"


def test_batched_softmax_regression() -> None:
    N, p, c = Size("N"), Size("p"), Size("c")
    X, W, Y = Matrix("X", N, p, role=Role.INPUTS), Matrix("W", p, c), Labels("Y", c, soft=True, batch=N)
    Yhat = softmax(X @ W)
    g = gradient(cross_entropy(Y, Yhat), W, names={"Yhat": Yhat})
    assert g.proved and str(g).startswith("∂L/∂W = Xᵀ(Ŷ - Y)/N ")


def test_binary_cross_entropy_of_a_sigmoid() -> None:
    N = Size("N")
    z, t = Vector("z", N, role=Role.LOGITS), Vector("t", N)
    p = sigmoid(z)
    g = gradient(binary_cross_entropy(t, p), z, names={"p": p})
    assert g.proved and str(g).startswith("∂L/∂z = (p - t)/N ")


def test_without_labels_summing_to_one_the_fused_form_is_not_returned() -> None:
    # y is a plain vector: ŷ - y is false, the engine refutes it, the operation-by-operation form is proved.
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Vector("y", k)
    g = gradient(cross_entropy(y, softmax(z)), z, names={})
    assert g.proved
    assert g.tried[0][1].status.value == "refuted"
    assert str(g) != "∂L/∂z = softmax(z) - y   [proved for every size]"


def test_no_rule_gives_the_simplified_index_form_and_says_why() -> None:
    p = Size("p")
    w = Vector("w", p)
    g = gradient(norm(w), w, names={})
    assert not g.proved and g.form is None
    assert "'norm' has no matrix-form rule" in g.note
    (i,) = g.indices
    expected = w.entry(i) / sp.sqrt(sp.Sum(w.entry(sp.Symbol("n", integer=True)) ** 2,
                                           (sp.Symbol("n", integer=True), 1, p.symbol)))
    assert sp.simplify(g.index - expected) == 0
    assert "·" not in sp.sstr(g.index)  # bound names are readable letters, not the engine's k·12


def test_index_form_has_deltas_resolved_and_sum_to_one_applied() -> None:
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    g = gradient(cross_entropy(y, softmax(z)), z, names={})
    assert "KroneckerDelta" not in sp.sstr(g.index)
    assert g.index.has(y.entry(g.indices[0]))


@pytest.mark.parametrize("wrt", ["W", "V"])
def test_latex_of_the_mlp_states_where(wrt: str) -> None:
    m = _mlp()
    out = gradient(m["L"], m[wrt], names=m["names"]).latex()
    assert out.startswith(rf"\frac{{\partial L}}{{\partial {wrt}}} = ")
    assert r"\text{where } h = \tanh\left(W x\right)" in out


def test_a_bias_repeated_over_the_rows_with_ones() -> None:
    from derive.model import ones

    N, p, c = Size("N"), Size("p"), Size("c")
    X, W, b = Matrix("X", N, p, role=Role.INPUTS), Matrix("W", p, c), Vector("b", c)
    Y = Labels("Y", c, soft=True, batch=N)
    Yhat = softmax(X @ W + ones(N) @ b.T)
    g = gradient(cross_entropy(Y, Yhat), b, names={"Yhat": Yhat})
    assert g.proved and str(g).startswith("∂L/∂b = (Ŷ - Y)ᵀ𝟏/N ")


def test_a_square_gives_one_term_twice_as_large() -> None:
    p = Size("p")
    w = Vector("w", p)
    g = gradient((w * w).sum(), w, names={})
    assert g.proved and str(g) == "∂L/∂w = 2w   [proved for every size]"


def test_a_batched_relu_network_with_broadcast_biases() -> None:
    from derive.model import relu

    N, p, d, c = Size("N"), Size("p"), Size("d"), Size("c")
    X, W1, b1 = Matrix("X", N, p, role=Role.INPUTS), Matrix("W1", p, d), Vector("b1", d)
    W2, b2 = Matrix("W2", d, c), Vector("b2", c)
    Y = Labels("Y", c, soft=True, batch=N)
    Z1 = X @ W1 + b1
    H = relu(Z1)
    Yhat = softmax(H @ W2 + b2)
    L = cross_entropy(Y, Yhat)
    names = {"Z1": Z1, "H": H, "Yhat": Yhat}
    g = gradient(L, W1, names=names)
    assert g.proved and str(g).startswith("∂L/∂W1 = Xᵀ(((Ŷ - Y)W2ᵀ) ⊙ H(Z1))/N ")
    g = gradient(L, b2, names=names)
    assert g.proved and str(g).startswith("∂L/∂b2 = sum[axis 0]((Ŷ - Y)/N) ")


@pytest.mark.slow
def test_attention_by_queries() -> None:
    from derive.model import sqrt

    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    A = softmax(Q @ K.T / sqrt(d))
    L = (G * (A @ V)).sum()
    assert str(gradient(L, V, names={"A": A})).startswith("∂L/∂V = AᵀG ")
    g = gradient(L, Q, names={"A": A})
    assert g.proved and str(g).startswith("∂L/∂Q = (A ⊙ (GVᵀ - sum[axis 1](A ⊙ (GVᵀ))𝟏ᵀ))K/(sqrt(d)) ")


@pytest.mark.slow
def test_the_logistic_hessian() -> None:
    from derive.model.matrix_hessian import hessian_form

    N, p = Size("N"), Size("p")
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p), Vector("t", N)
    lam = Scalar("lambda", positive=True)
    prob = sigmoid(X @ w)
    L = binary_cross_entropy(t, prob) + l2(w, lam)
    assert str(gradient(L, w, names={"p": prob})).startswith("∂L/∂w = Xᵀ(p - t)/N + λw ")
    assert hessian_form(L, w, names={"p": prob}).startswith(
        "∂²L/∂w² = Xᵀ(diag(p ⊙ (1 - p))X)/N + λI   [proved for every size]")
