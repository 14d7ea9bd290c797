"""Theorems about losses and linear models proved for every size by the canonical sums and the identities.

Logistic regression (one sample and a batch, its gradient and its L2-regularized Hessian), the
transpose of a bilinear form, the log-cosh loss and a Gaussian negative log-likelihood with a
learned (softplus) variance. Each is a :class:`derive.library.model_theorems.ModelTheorem`;
``WRONG_LOSSES`` holds the planted mistake of each (a missing transpose, a dropped term, a
missing 1/N, a wrong factor), which the engine must refute at a point honoring the domains.

They are in :data:`derive.library.theorems.LIBRARY`, so the proofs the library writes must audit back
valid (tests/test_proof_audit.py): the LaTeX statements are written entry by entry (∂/∂w_i, one sum per
index, \\frac{1}{2}), the notation the audit's reader reads.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from derive.library.model_theorems import Built, ModelTheorem, gradient_claim, hessian_claim
from derive.model import (
    Matrix,
    Scalar,
    Size,
    Vector,
    binary_cross_entropy,
    diag,
    elementwise,
    eye,
    l2,
    sigmoid,
)
from derive.model.piecewise import abs, sign, where

__all__ = ["LOSS_THEOREMS", "WRONG_LOSSES"]


def _logistic(wrong: bool = False) -> Built:
    d = Size("d")
    x, w, t = Vector("x", d), Vector("w", d), Scalar("t", between=(0, 1))
    s = sigmoid(x.T @ w)
    L = binary_cross_entropy(t, s)
    rhs = s * x if wrong else (s - t) * x  # wrong: the target dropped
    return gradient_claim(L, w, rhs, {"d": d})


def _logistic_batch(wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, w, t = Matrix("X", N, d, role="inputs"), Vector("w", d), Vector("t", N, between=(0, 1))
    s = sigmoid(X @ w)
    L = binary_cross_entropy(t, s)
    rhs = X.T @ (s - t) if wrong else X.T @ (s - t) / N  # wrong: the 1/N of the mean dropped
    return gradient_claim(L, w, rhs, {"N": N, "d": d})


def _logistic_hessian(wrong: bool = False) -> Built:
    d = Size("d")
    # t without its domain (0, 1): the Hessian does not depend on it, and a domain on a name
    # the proof's lines no longer mention would be a hypothesis about nothing.
    x, w, t = Vector("x", d), Vector("w", d), Scalar("t")
    lam = Scalar("lambda", positive=True)
    s = sigmoid(x.T @ w)
    L = binary_cross_entropy(t, s) + l2(w, lam)
    curvature = s * (1 - s) * (x @ x.T)
    rhs = curvature + (2 * lam if wrong else lam) * eye(d)  # wrong: the factor 2 of λ‖w‖²
    return hessian_claim(L, w, rhs, {"d": d})


def _logistic_batch_hessian(wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, w, t = Matrix("X", N, d, role="inputs"), Vector("w", d), Vector("t", N)  # t free, as for one sample
    lam = Scalar("lambda", positive=True)
    s = sigmoid(X @ w)
    L = binary_cross_entropy(t, s) + l2(w, lam)
    weighted = X.T @ diag(s * (1 - s)) @ X
    rhs = (weighted if wrong else weighted / N) + lam * eye(d)  # wrong: the 1/N dropped
    return hessian_claim(L, w, rhs, {"N": N, "d": d})


def _bilinear(wrong: bool = False) -> Built:
    k = Size("k")
    d = k if wrong else Size("d")  # square when wrong, so that the missing transpose type-checks
    u, w, M = Vector("u", k), Vector("w", d), Matrix("M", d, k)
    lhs = u.T @ (M.T @ w)
    rhs = w.T @ (M.T @ u) if wrong else w.T @ (M @ u)  # wrong: a transpose too many
    sizes = {"k": k} if wrong else {"k": k, "d": d}
    return Built(lhs, rhs, lhs, w, M @ u, sizes, derivative=False)


def _log_cosh(wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, w, t = Matrix("X", N, d, role="inputs"), Vector("w", d), Vector("t", N)
    r = X @ w - t
    L = elementwise(lambda e: sp.log(sp.cosh(e)), r).mean()
    tanh_r = elementwise(sp.tanh, r)
    rhs = X.T @ tanh_r if wrong else X.T @ tanh_r / N  # wrong: the 1/N of the mean dropped
    return gradient_claim(L, w, rhs, {"N": N, "d": d})


def _gaussian_nll(wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, y = Matrix("X", N, d, role="inputs"), Vector("y", N)
    w, v = Vector("w", d), Vector("v", d)
    var = elementwise(lambda e: sp.log(1 + sp.exp(e)), X @ v)  # softplus: a positive variance
    r = y - X @ w
    L = (elementwise(sp.log, var) + r * r / var).sum() / 2
    slope = sigmoid(X @ v)  # softplus' = σ
    inner = 1 / var if wrong else 1 / var - r * r / (var * var)  # wrong: the residual's term dropped
    rhs = X.T @ (slope * inner) / 2
    return gradient_claim(L, v, rhs, {"N": N, "d": d})


def _huber(wrong: bool = False) -> Built:
    N, d = Size("N"), Size("d")
    X, w, t = Matrix("X", N, d, role="inputs"), Vector("w", d), Vector("t", N)
    delta = Scalar("delta", positive=True)
    r = X @ w - t
    # Quadratic inside |r| <= δ, linear outside: differentiable everywhere (the pieces' slopes
    # agree at |r| = δ), and sign's kink at r = 0 lies inside the quadratic piece.
    L = where(abs(r) <= delta, r * r / 2, delta * (abs(r) - delta / 2)).mean()
    slope = where(abs(r) <= delta, r, delta if wrong else delta * sign(r))  # wrong: the sign dropped
    rhs = X.T @ slope / N
    return gradient_claim(L, w, rhs, {"N": N, "d": d})


_D = {"d": 2}
_ND = {"N": 2, "d": 2}

_SIGMOID = r"define \sigma(x) = \frac{1}{1 + e^{-x}}"
#: The logit z_n of row n of a batch, named so that σ is applied to a name; one sample's σ(xᵀw)
#: is written out (the reader defines indexed names, not a scalar z).
_SAMPLE = r"\frac{1}{1 + e^{-\sum_{n=1}^{d} x_n w_n}}"
_BATCH = (_SIGMOID, r"define z_n = \sum_{m=1}^{d} X_{nm} w_m")
_BCE_ONE = r"-t \log " + _SAMPLE + r" - (1 - t) \log\Big(1 - " + _SAMPLE + r"\Big)"
_BCE_ROW = r"-t_n \log \sigma(z_n) - (1 - t_n) \log(1 - \sigma(z_n))"

LOSS_THEOREMS: list[ModelTheorem] = [
    ModelTheorem("logistic_regression_gradient", "∇_w BCE(t, σ(xᵀw)) = (σ(xᵀw) - t) x (0 < t < 1)",
                 r"\frac{\partial}{\partial w_i} \Big[" + _BCE_ONE + r"\Big] = \Big(" + _SAMPLE + r" - t\Big) x_i",
                 "losses", _logistic, _D, title="Logistic regression: the gradient for one sample"),
    ModelTheorem("logistic_regression_gradient_batch", "∇_w mean BCE(t, σ(Xw)) = Xᵀ(σ(Xw) - t)/N",
                 r"\frac{\partial}{\partial w_i} \frac{1}{N}\sum_{n=1}^{N} \Big[" + _BCE_ROW
                 + r"\Big] = \frac{1}{N} \sum_{n=1}^{N} X_{ni} (\sigma(z_n) - t_n)",
                 "losses", _logistic_batch, _ND, title="Logistic regression: the gradient for a batch",
                 declarations=_BATCH),
    ModelTheorem("logistic_regression_hessian_l2", "∇²_w [BCE(t, σ(xᵀw)) + (λ/2)‖w‖²] = σ(1 - σ) x xᵀ + λI",
                 r"\frac{\partial^2}{\partial w_i \partial w_j} \Big[" + _BCE_ONE
                 + r" + \frac{\lambda}{2} \sum_{n=1}^{d} w_n^2\Big] = " + _SAMPLE + r"\Big(1 - " + _SAMPLE
                 + r"\Big) x_i x_j + \lambda \delta_{ij}",
                 "losses", _logistic_hessian, _D,
                 title="L2-regularized logistic regression: the Hessian for one sample"),
    ModelTheorem("logistic_regression_hessian_l2_batch",
                 "∇²_w [mean BCE(t, σ(Xw)) + (λ/2)‖w‖²] = Xᵀ diag(σ(1 - σ)) X / N + λI",
                 r"\frac{\partial^2}{\partial w_i \partial w_j} \Big[\frac{1}{N}\sum_{n=1}^{N} \Big[" + _BCE_ROW
                 + r"\Big] + \frac{\lambda}{2} \sum_{m=1}^{d} w_m^2\Big] = \frac{1}{N} \sum_{n=1}^{N} X_{ni} X_{nj} "
                 r"\sigma(z_n)(1 - \sigma(z_n)) + \lambda \delta_{ij}", "losses",
                 _logistic_batch_hessian, _ND, title="L2-regularized logistic regression: the Hessian for a batch",
                 declarations=_BATCH),
    ModelTheorem("bilinear_transpose", "uᵀ(Mᵀw) = wᵀ(Mu)", r"u^T (M^T w) = w^T (M u)", "losses", _bilinear,
                 {"k": 2, "d": 3}, title="The transpose of a bilinear form"),
    ModelTheorem("log_cosh_gradient", "∇_w mean log cosh(Xw - t) = Xᵀ tanh(Xw - t)/N",
                 r"\frac{\partial}{\partial w_i} \frac{1}{N}\sum_{n=1}^{N} "
                 r"\log\cosh\Big(\sum_{m=1}^{d} X_{nm} w_m - t_n\Big)"
                 r" = \frac{1}{N} \sum_{n=1}^{N} X_{ni} \tanh\Big(\sum_{m=1}^{d} X_{nm} w_m - t_n\Big)", "losses",
                 _log_cosh, _ND, title="The log-cosh loss: the gradient"),
    ModelTheorem("gaussian_nll_variance_gradient",
                 "∇_v ½Σ[log s + r²/s] = ½ Xᵀ(σ(Xv) ⊙ (1/s - r²/s²)) for s = softplus(Xv), r = y - Xw",
                 r"\frac{\partial}{\partial v_i} \frac{1}{2}\sum_{n=1}^{N} \Big[\log s_n + \frac{r_n^2}{s_n}\Big] "
                 r"= \frac{1}{2} \sum_{n=1}^{N} X_{ni}\, \sigma\Big(\sum_{m=1}^{d} X_{nm} v_m\Big) "
                 r"\Big(\frac{1}{s_n} - \frac{r_n^2}{s_n^2}\Big)", "losses",
                 _gaussian_nll, _ND, title="A Gaussian NLL with a learned variance: the gradient by its weights",
                 declarations=(_SIGMOID, r"define s_n = \log\Big(1 + e^{\sum_{m=1}^{d} X_{nm} v_m}\Big)",
                               r"define r_n = y_n - \sum_{m=1}^{d} X_{nm} w_m")),
]

LOSS_THEOREMS.append(
    ModelTheorem("huber_gradient", "∇_w mean Huber_δ(Xw - t) = Xᵀ clip(Xw - t, -δ, δ)/N (δ > 0)",
                 r"\frac{\partial}{\partial w_i} \frac{1}{N}\sum_{n=1}^{N} h_n"
                 r" = \frac{1}{N} \sum_{n=1}^{N} X_{ni}\, g_n", "losses", _huber, _ND,
                 title="The Huber loss: the gradient",
                 declarations=(r"assume 0 < \delta",
                               r"define r_n = \sum_{m=1}^{d} X_{nm} w_m - t_n",
                               r"define h_n = \begin{cases} \frac{1}{2} r_n^2, & |r_n| \le \delta \\ "
                               r"\delta (|r_n| - \frac{1}{2} \delta), & |r_n| > \delta \end{cases}",
                               r"define g_n = \begin{cases} r_n, & |r_n| \le \delta \\ "
                               r"\delta \operatorname{sign}(r_n), & |r_n| > \delta \end{cases}")))

#: The planted mistake of each theorem, which the engine must refute.
WRONG_LOSSES: dict[str, Callable[[], Built]] = {
    "logistic_regression_gradient: target dropped": lambda: _logistic(wrong=True),
    "logistic_regression_gradient_batch: missing 1/N": lambda: _logistic_batch(wrong=True),
    "logistic_regression_hessian_l2: 2λ": lambda: _logistic_hessian(wrong=True),
    "logistic_regression_hessian_l2_batch: missing 1/N": lambda: _logistic_batch_hessian(wrong=True),
    "bilinear_transpose: a transpose too many": lambda: _bilinear(wrong=True),
    "log_cosh_gradient: missing 1/N": lambda: _log_cosh(wrong=True),
    "gaussian_nll_variance_gradient: dropped term": lambda: _gaussian_nll(wrong=True),
    "huber_gradient: sign dropped": lambda: _huber(wrong=True),
}
