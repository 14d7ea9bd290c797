"""Theorems about real layers, built with :mod:`derive.model`'s operations and blocks.

Each is a :class:`derive.library.model_theorems.ModelTheorem` (the left side is SymPy's
gradient of the built loss, the right side the backward pass as written in a framework), and
each has its typical mistake one flag away (``wrong=True``) for the tests to refute.
``EVERY_SIZE`` says which are proved for every size by today's engine (all of them, since the
engine brings nested sums to one canonical order); each is also proved at its default sizes
(``ModelTheorem.concrete(defaults)``).
"""

from __future__ import annotations

from collections.abc import Callable

from derive.library.model_theorems import Built, ModelTheorem, gradient_claim
from derive.model import (
    Labels,
    Matrix,
    Size,
    Vector,
    attention,
    cross_entropy,
    relu,
    softmax,
    sqrt,
    tanh,
)
from derive.model.blocks import DEFAULT_EPS, batch_norm, layer_norm, normalize

__all__ = ["EVERY_SIZE", "LAYER_THEOREMS", "WRONG_LAYERS"]


def _softmax_regression(weight: str, wrong: bool = False) -> Built:
    N, d, k = Size("N"), Size("d"), Size("k")
    X, W, b = Matrix("X", N, d), Matrix("W", d, k), Vector("b", k)
    Y = Labels("Y", k, soft=True, batch=N)
    P = softmax(X @ W + b, axis=1)
    L = cross_entropy(Y, P)
    G = (P - Y) if wrong else (P - Y) / N  # wrong: the 1/N of the batch mean dropped
    rhs, x = (X.T @ G, W) if weight == "W" else (G.sum(axis=0), b)
    return gradient_claim(L, x, rhs, {"N": N, "d": d, "k": k})


def _mlp(weight: str, wrong: bool = False) -> Built:
    N, d, h, k = Size("N"), Size("d"), Size("h"), Size("k")
    X, W1, b1 = Matrix("X", N, d), Matrix("W1", d, h), Vector("b1", h)
    W2, b2 = Matrix("W2", h, k), Vector("b2", k)
    Y = Labels("Y", k, soft=True, batch=N)
    Z1 = X @ W1 + b1
    H = relu(Z1)
    P = softmax(H @ W2 + b2, axis=1)
    L = cross_entropy(Y, P)
    G = (P - Y) / N
    dZ1 = (G @ W2.T) if wrong else (G @ W2.T) * (H > 0)  # wrong: ReLU's mask dropped
    rhs, x = {"W2": (H.T @ G, W2), "b2": (G.sum(axis=0), b2), "W1": (X.T @ dZ1, W1),
              "b1": (dZ1.sum(axis=0), b1)}[weight]
    if wrong and weight in ("W2", "b2"):
        rhs = rhs * 2  # wrong: a factor
    return gradient_claim(L, x, rhs, {"N": N, "d": d, "h": h, "k": k})


def _layer_norm(weight: str, wrong: bool = False) -> Built:
    d = Size("d")
    x, gamma, beta, u = Vector("x", d), Vector("gamma", d), Vector("beta", d), Vector("u", d)
    L = (u * layer_norm(x, gamma, beta)).sum()  # u: the gradient arriving from above
    xhat = normalize(x, -1)
    if weight == "beta":
        rhs, v = (u * gamma if wrong else u * 1), beta
    elif weight == "gamma":
        rhs, v = (u * x if wrong else u * xhat), gamma
    else:
        centred = x - x.mean()
        inverse = 1 / sqrt((centred * centred).mean() + DEFAULT_EPS)
        g = u * gamma
        rhs = inverse * (g - g.mean() - (0 if wrong else 1) * xhat * (g * xhat).mean())  # wrong: a term dropped
        v = x
    return gradient_claim(L, v, rhs, {"d": d})


def _batch_norm(weight: str, wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, gamma, beta, G = Matrix("X", N, d), Vector("gamma", d), Vector("beta", d), Matrix("G", N, d)
    L = (G * batch_norm(X, gamma, beta)).sum()
    Xhat = normalize(X, 0)
    if weight == "beta":
        rhs, v = (G.mean(axis=0) if wrong else G.sum(axis=0)), beta
    elif weight == "gamma":
        rhs, v = (G * Xhat).sum(axis=0) * (2 if wrong else 1), gamma
    else:
        centred = X - X.mean(axis=0, keepdims=True)
        inverse = 1 / sqrt((centred * centred).mean(axis=0, keepdims=True) + DEFAULT_EPS)
        g = G * gamma
        mean_g = g.sum(axis=0, keepdims=True) if wrong else g.mean(axis=0, keepdims=True)  # wrong: 1/N
        rhs, v = inverse * (g - mean_g - Xhat * (g * Xhat).mean(axis=0, keepdims=True)), X
    return gradient_claim(L, v, rhs, {"N": N, "d": d})


def _attention(weight: str, wrong: bool = False) -> Built:
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    L = (G * attention(Q, K, V)).sum()
    P = softmax(Q @ K.T / sqrt(d), axis=1)
    dP = G @ V.T
    dS = P * (dP - (dP * P).sum(axis=1, keepdims=True))
    if weight == "V":
        rhs, x = (P @ G if wrong else P.T @ G), V  # wrong: a missing transpose
    elif weight == "Q":
        rhs, x = (dS @ K if wrong else dS @ K / sqrt(d)), Q  # wrong: the 1/√d dropped
    else:
        rhs, x = (dS @ Q if wrong else dS.T @ Q) / sqrt(d), K  # wrong: a missing transpose
    return gradient_claim(L, x, rhs, {"T": T, "d": d})


def _rnn(weight: str, wrong: bool = False) -> Built:
    h, d = Size("h"), Size("d")
    W, U, b = Matrix("W", h, h), Matrix("U", h, d), Vector("b", h)
    h0, x1, x2, g = Vector("h0", h), Vector("x1", d), Vector("x2", d), Vector("g", h)
    h1 = tanh(W @ h0 + U @ x1 + b)
    if weight == "step":
        L = (g * h1).sum()
        delta = g if wrong else g * (1 - h1 * h1)  # wrong: tanh's derivative dropped
        return gradient_claim(L, W, delta @ h0.T, {"h": h, "d": d})
    h2 = tanh(W @ h1 + U @ x2 + b)
    L = (g * h2).sum()
    delta2 = g * (1 - h2 * h2)
    delta1 = (W.T @ delta2) * (1 - h1 * h1)
    rhs = delta2 @ h1.T if wrong else delta2 @ h1.T + delta1 @ h0.T  # wrong: the earlier step dropped
    return gradient_claim(L, W, rhs, {"h": h, "d": d})


def _theorem(name: str, statement: str, latex: str, family: str, build: Callable[[], Built],
             defaults: dict[str, int]) -> ModelTheorem:
    return ModelTheorem(name, statement, latex, family, build, defaults, title=_TITLES[name])


#: Each theorem's heading in the proofs document, in words (its name is an identifier, not a title).
_TITLES = {
    "softmax_regression_W": "Softmax regression: the gradient by the weights",
    "softmax_regression_b": "Softmax regression: the gradient by the bias",
    "relu_mlp_W2": "The ReLU network: the gradient by the weights of the second layer",
    "relu_mlp_b2": "The ReLU network: the gradient by the bias of the second layer",
    "relu_mlp_W1": "The ReLU network: the gradient by the weights of the first layer",
    "relu_mlp_b1": "The ReLU network: the gradient by the bias of the first layer",
    "layer_norm_beta": "Layer normalization: the gradient by the shift",
    "layer_norm_gamma": "Layer normalization: the gradient by the scale",
    "layer_norm_x": "Layer normalization: the gradient by the input",
    "batch_norm_beta": "Batch normalization: the gradient by the shift",
    "batch_norm_gamma": "Batch normalization: the gradient by the scale",
    "batch_norm_X": "Batch normalization: the gradient by the inputs",
    "attention_V": "Attention: the gradient by the values",
    "attention_Q": "Attention: the gradient by the queries",
    "attention_K": "Attention: the gradient by the keys",
    "rnn_step_W": "A recurrent step: the gradient by the recurrent weights",
    "rnn_bptt_W": "Backpropagation through two steps: the gradient by the recurrent weights",
}


_SPECS: list[tuple[str, str, str, str, Callable[[bool], Built], dict[str, int], bool]] = [
    ("softmax_regression_W", "∂L/∂W = Xᵀ(P - Y)/N for P = softmax(XW + b), L = CE(Y, P) over the batch",
     r"\frac{\partial L}{\partial W} = \frac{1}{N} X^T (P - Y)", "softmax regression",
     lambda w: _softmax_regression("W", w), {"N": 2, "d": 2, "k": 3}, True),
    ("softmax_regression_b", "∂L/∂b = mean over the batch of (P - Y)",
     r"\frac{\partial L}{\partial b} = \frac{1}{N} \sum_n (P_n - Y_n)", "softmax regression",
     lambda w: _softmax_regression("b", w), {"N": 2, "d": 2, "k": 3}, True),
    ("relu_mlp_W2", "∂L/∂W₂ = Hᵀ(P - Y)/N for H = relu(XW₁ + b₁), P = softmax(HW₂ + b₂)",
     r"\frac{\partial L}{\partial W_2} = \frac{1}{N} H^T (P - Y)", "ReLU MLP",
     lambda w: _mlp("W2", w), {"N": 2, "d": 2, "h": 2, "k": 2}, True),
    ("relu_mlp_b2", "∂L/∂b₂ = Σ_n (P - Y)_n / N", r"\frac{\partial L}{\partial b_2} = \frac{1}{N}\sum_n (P - Y)_n",
     "ReLU MLP", lambda w: _mlp("b2", w), {"N": 2, "d": 2, "h": 2, "k": 2}, True),
    ("relu_mlp_W1", "∂L/∂W₁ = Xᵀ[((P - Y)/N) W₂ᵀ ⊙ (H > 0)]",
     r"\frac{\partial L}{\partial W_1} = X^T \left[\tfrac{1}{N}(P - Y) W_2^T \odot \mathbb{1}[H > 0]\right]",
     "ReLU MLP", lambda w: _mlp("W1", w), {"N": 2, "d": 2, "h": 2, "k": 2}, True),
    ("relu_mlp_b1", "∂L/∂b₁ = Σ_n [((P - Y)/N) W₂ᵀ ⊙ (H > 0)]_n",
     r"\frac{\partial L}{\partial b_1} = \sum_n \left[\tfrac{1}{N}(P - Y) W_2^T \odot \mathbb{1}[H > 0]\right]_n",
     "ReLU MLP", lambda w: _mlp("b1", w), {"N": 2, "d": 2, "h": 2, "k": 2}, True),
    ("layer_norm_beta", "∂L/∂β = u for L = Σ u ⊙ LayerNorm(x; γ, β)", r"\frac{\partial L}{\partial \beta} = u",
     "layer norm", lambda w: _layer_norm("beta", w), {"d": 3}, True),
    ("layer_norm_gamma", "∂L/∂γ = u ⊙ x̂", r"\frac{\partial L}{\partial \gamma} = u \odot \hat{x}",
     "layer norm", lambda w: _layer_norm("gamma", w), {"d": 3}, True),
    ("layer_norm_x", "∂L/∂x = (g - mean(g) - x̂ mean(g ⊙ x̂)) / σ for g = u ⊙ γ",
     r"\frac{\partial L}{\partial x} = \frac{1}{\sigma}\left(g - \bar{g} - \hat{x}\,\overline{g \odot \hat{x}}\right)",
     "layer norm", lambda w: _layer_norm("x", w), {"d": 3}, True),
    ("batch_norm_beta", "∂L/∂β = Σ_n G_n for L = Σ G ⊙ BatchNorm(X; γ, β)",
     r"\frac{\partial L}{\partial \beta} = \sum_n G_n", "batch norm", lambda w: _batch_norm("beta", w),
     {"N": 3, "d": 2}, True),
    ("batch_norm_gamma", "∂L/∂γ = Σ_n (G ⊙ X̂)_n", r"\frac{\partial L}{\partial \gamma} = \sum_n (G \odot \hat{X})_n",
     "batch norm", lambda w: _batch_norm("gamma", w), {"N": 3, "d": 2}, True),
    ("batch_norm_X", "∂L/∂X = (g - mean_n g - X̂ mean_n(g ⊙ X̂)) / σ for g = G ⊙ γ, per feature",
     r"\frac{\partial L}{\partial X} = \frac{1}{\sigma}\left(g - \bar{g} - \hat{X}\,\overline{g \odot \hat{X}}\right)",
     "batch norm", lambda w: _batch_norm("X", w), {"N": 3, "d": 2}, True),
    ("attention_V", "∂L/∂V = Pᵀ G for P = softmax(QKᵀ/√d), L = Σ G ⊙ PV",
     r"\frac{\partial L}{\partial V} = P^T G", "attention", lambda w: _attention("V", w), {"T": 2, "d": 2}, True),
    ("attention_Q", "∂L/∂Q = dS K / √d for dS = P ⊙ (GVᵀ - rowsum(P ⊙ GVᵀ))",
     r"\frac{\partial L}{\partial Q} = \frac{1}{\sqrt{d}}\, dS\, K", "attention", lambda w: _attention("Q", w),
     {"T": 2, "d": 2}, True),
    ("attention_K", "∂L/∂K = dSᵀ Q / √d", r"\frac{\partial L}{\partial K} = \frac{1}{\sqrt{d}}\, dS^T Q",
     "attention", lambda w: _attention("K", w), {"T": 2, "d": 2}, True),
    ("rnn_step_W", "∂L/∂W = (g ⊙ (1 - h₁²)) h₀ᵀ for h₁ = tanh(Wh₀ + Ux₁ + b), L = gᵀh₁",
     r"\frac{\partial L}{\partial W} = (g \odot (1 - h_1^2))\, h_0^T", "RNN", lambda w: _rnn("step", w),
     {"h": 2, "d": 2}, True),
    ("rnn_bptt_W", "∂L/∂W = δ₂h₁ᵀ + δ₁h₀ᵀ over two steps, δ₂ = g ⊙ (1 - h₂²), δ₁ = Wᵀδ₂ ⊙ (1 - h₁²)",
     r"\frac{\partial L}{\partial W} = \delta_2 h_1^T + \delta_1 h_0^T", "RNN", lambda w: _rnn("bptt", w),
     {"h": 2, "d": 2}, True),
]

#: The theorems about real layers, in the order above.
LAYER_THEOREMS: list[ModelTheorem] = [
    _theorem(name, statement, latex, family, lambda b=build: b(False), defaults)  # type: ignore[misc]
    for name, statement, latex, family, build, defaults, _ in _SPECS]

#: Each theorem's planted mistake (a missing 1/N, mask, transpose, term or factor).
WRONG_LAYERS: dict[str, Callable[[], Built]] = {
    name: (lambda b=build: b(True)) for name, _, _, _, build, _, _ in _SPECS}  # type: ignore[misc]

#: Proved for every size by today's engine (else: proved at the default sizes only).
EVERY_SIZE: dict[str, bool] = {name: every for name, *_, every in _SPECS}

