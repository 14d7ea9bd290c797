"""Theorems built through the model layer (:mod:`derive.model`): a loss in numpy-like Python, its
gradient from SymPy, the familiar form as the right-hand side.

Each entry gives the left side, the right side and, for the independent numeric check, a
function, the variable it is differentiated by and the derivative claimed (compared with
central differences by :class:`derive.engine.crosscheck.FiniteDifferenceCheck`).
:mod:`derive.library.theorems` turns them into library theorems; the wrong variants the tests
refute are here too (``WRONG``), so each theorem's typical mistake is one name away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from derive.engine.claims import Claim
from derive.engine.crosscheck import FiniteDifferenceCheck
from derive.engine.hypotheses import Between, InRange
from derive.engine.space import Role
from derive.model import (
    Labels,
    Matrix,
    Scalar,
    Size,
    Tensor,
    Vector,
    binary_cross_entropy,
    claim,
    cross_entropy,
    diag,
    grad,
    hessian,
    l2,
    logsumexp,
    mse,
    sigmoid,
    softmax,
    tanh,
)
from derive.model.claims import context, instantiate
from derive.model.matrix_gradient import lettered

__all__ = ["MODEL_THEOREMS", "WRONG", "Built", "ModelTheorem", "gradient_claim", "hessian_claim"]


@dataclass(frozen=True)
class Built:
    """lhs == rhs; and f, x, df: the claimed derivative df of f by x, for the numeric check."""

    lhs: Tensor
    rhs: Tensor
    f: Tensor
    x: Tensor
    df: Tensor
    sizes: Mapping[str, Size]
    #: lhs is the derivative of f by x (a gradient, or the Jacobian of a gradient).
    derivative: bool = True


def gradient_claim(f: Tensor, x: Tensor, rhs: Tensor, sizes: Mapping[str, Size]) -> Built:
    """The claim ∇ₓf == rhs, with what the numeric check needs (f, x and the claimed derivative rhs)."""
    return Built(grad(f, x), rhs, f, x, rhs, sizes)


def hessian_claim(f: Tensor, x: Tensor, rhs: Tensor, sizes: Mapping[str, Size]) -> Built:
    """The claim ∇²ₓf == rhs: checked numerically as the derivative of the gradient ∇ₓf."""
    return Built(hessian(f, x), rhs, grad(f, x), x, rhs, sizes)


@dataclass(frozen=True)
class ModelTheorem:
    name: str
    statement: str
    latex: str
    family: str
    build: Callable[[], Built]
    defaults: Mapping[str, int]
    title: str = ""
    #: What the statement's names mean, for ``derive audit`` (``define \sigma(x) = ...``): the
    #: proof writer puts them before the statement, so that the post it writes reads back as meant.
    declarations: tuple[str, ...] = ()

    def symbolic(self) -> Claim:
        b = self.build()
        return claim(b.lhs, b.rhs, name=self.name, statement=self.statement)

    def concrete(self, sizes: Mapping[str, int]) -> Claim:
        b = self.build()
        return claim(b.lhs, b.rhs, sizes=_known(b, sizes), name=self.name, statement=self.statement)

    def numeric(self, sizes: Mapping[str, int]) -> FiniteDifferenceCheck:
        b = self.build()
        fixed = _known(b, sizes)
        df = instantiate(b.df, fixed)
        arrays, hyps = context([b.f, b.x, b.df], fixed)
        # A scalar's domain that the claimed derivative does not mention (the target t of a
        # Hessian's gradient) cannot be a hypothesis of the check's claim; t is then drawn freely.
        mentioned = set().union(*(e.free_symbols for e in (df if isinstance(df, tuple) else (df,))
                                  for e in (e if isinstance(e, tuple) else (e,))))
        hyps = [h for h in hyps if not isinstance(h, Between) or h.symbol in mentioned]
        check = Claim(f"{self.name} numeric", df, df, tuple(hyps), self.statement, "", {}, arrays)
        f = instantiate(b.f, fixed)
        variables = instantiate(b.x, fixed)
        wrt = list(variables) if isinstance(variables, tuple) and not isinstance(variables[0], tuple) else \
            [v for row in variables for v in row] if isinstance(variables, tuple) else [variables]
        return FiniteDifferenceCheck(check, f, wrt)


def proof_lines(theorem: ModelTheorem) -> tuple[Claim, sp.Expr, list[tuple[str, sp.Expr]]]:
    """The every-size claim, the proof's start and its lines (rule, expression).

    Start from ∂f/∂x unevaluated (or from the left side), then SymPy's derivative, then the
    index calculus (linearity, delta sums, the hypotheses), then the right side: each line
    is decided equal to the one before by the engine.
    """
    from derive.engine.multisums import canonical_sums
    from derive.engine.sums import normalize_sums, split_exponentials

    b = theorem.build()
    c = claim(b.lhs, b.rhs, name=theorem.name, statement=theorem.statement)
    assert isinstance(c.lhs, sp.Expr) and isinstance(c.rhs, sp.Expr)
    index = [h.index for h in c.hypotheses if isinstance(h, InRange)][:len(b.lhs.shape)]
    lines: list[tuple[str, sp.Expr]] = []
    if b.derivative:
        out_ix, var_ix = index[:b.f.ndim], index[b.f.ndim:]
        start = sp.Derivative(b.f.entry(*out_ix), b.x.entry(*var_ix))
        lines.append(("SymPy's derivative", c.lhs))
    else:
        start = c.lhs
        split = split_exponentials(c.lhs)
        if split != start:
            lines.append(("exp(a + b) = exp(a) exp(b)", split))
    reduced = normalize_sums(c.rewrite(split_exponentials(c.lhs)), c.ranges)
    if reduced != lines[-1][1] if lines else reduced != start:
        lines.append(("index calculus (linearity, delta sums, hypotheses)", reduced))
    if lines and not b.derivative and lettered(lines[-1][1]) == lettered(start):
        lines = []  # the index calculus changed only the names of the bound indices
    if not lines:
        # Nothing to differentiate and nothing the index calculus changes (uᵀ(Mᵀw)): the
        # sums in one canonical order are the step that shows the two sides are one sum.
        # The step's verdict cites the identities and the reordering the engine used.
        canonical = canonical_sums(reduced, c.ranges)
        if canonical != start:
            lines.append(("nested sums in one canonical order", canonical))
    joined = split_exponentials(c.rhs)
    if joined != c.rhs:  # the lines above have exp(a + b) split; meet the right side in that form first
        lines.append(("algebra", joined))
        lines.append(("exp(a) exp(b) = exp(a + b)", c.rhs))
    else:
        lines.append(("algebra", c.rhs))
    return c, lettered(start), [(rule, lettered(e)) for rule, e in lines]


def _known(b: Built, sizes: Mapping[str, int]) -> dict[str, int]:
    return {k: v for k, v in sizes.items() if k in b.sizes}


def _column(t: Tensor) -> Tensor:
    """A vector as a one-column matrix (a Jacobian by a scalar)."""
    return Tensor((t.shape[0], sp.S.One), lambda i, _j: t.entry(i), t.declarations, t.sizes)


# -- the models ------------------------------------------------------------------------------------

def _mlp(weight: str, wrong: bool = False, square: bool = False) -> Built:
    c, d, p = Size("c"), Size("d"), Size("p")
    if square:
        c = d  # V square, so that a missing transpose still type-checks and must be refuted
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    h = tanh(W @ x)
    yhat = softmax(V @ h)
    L = cross_entropy(y, yhat)
    if weight == "W":
        back = (V if square else V.T) @ (yhat - y)
        rhs = (back if wrong else back * (1 - h * h)) @ x.T  # wrong: the (1 - h²) dropped
        return gradient_claim(L, W, rhs, {"c": c, "d": d, "p": p})
    rhs = (y - yhat) @ h.T if wrong else (yhat - y) @ h.T  # wrong: the sign
    return gradient_claim(L, V, rhs, {"c": c, "d": d, "p": p})


def _logistic(wrong: bool = False) -> Built:
    z, t = Scalar("z", role=Role.LOGITS), Scalar("t", between=(0, 1))
    L = binary_cross_entropy(t, sigmoid(z))
    rhs = t - sigmoid(z) if wrong else sigmoid(z) - t  # wrong: the sign
    return gradient_claim(L, z, rhs, {})


def _ridge(wrong: str = "") -> Built:
    N, p = Size("N"), Size("p")
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p, role=Role.WEIGHTS), Vector("t", N)
    lam = Scalar("lambda", positive=True)  # printed \lambda, which the reader reads back
    L = mse(X @ w, t) / 2 + l2(w, lam)
    fit = X.T @ (X @ w - t)
    rhs = (fit if wrong == "N" else fit / N) + (2 * lam * w if wrong == "lam" else lam * w)
    return gradient_claim(L, w, rhs, {"N": N, "p": p})


def _temperature(wrong: bool = False) -> Built:
    k = Size("k")
    z, y, T = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True), Scalar("T", positive=True)
    L = cross_entropy(y, softmax(z / T))
    rhs = softmax(z / T) - y if wrong else (softmax(z / T) - y) / T  # wrong: the 1/T dropped
    return gradient_claim(L, z, rhs, {"k": k})


def _smoothing(wrong: bool = False) -> Built:
    k = Size("k")
    # epsilon, not eps: SymPy prints \epsilon, which the reader reads back (eps would read as e·p·s)
    z, y, eps = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True), Scalar("epsilon", between=(0, 1))
    yhat = softmax(z)
    L = cross_entropy((1 - eps) * y + eps / k, yhat)
    rhs = yhat - y if wrong else yhat - ((1 - eps) * y + eps / k)  # wrong: the smoothing forgotten
    return gradient_claim(L, z, rhs, {"k": k})


def _shift_softmax(wrong: bool = False) -> Built:
    k = Size("k")
    z, a = Vector("z", k, role=Role.LOGITS), Scalar("a")
    lhs = softmax(z + a)
    rhs = softmax(z) + a if wrong else softmax(z)
    zero = _column(lhs * 0)
    return Built(lhs, rhs, lhs, a, zero, {"k": k}, derivative=False)


def _shift_lse(wrong: bool = False) -> Built:
    k = Size("k")
    z, a = Vector("z", k, role=Role.LOGITS), Scalar("a")
    lhs = logsumexp(z + a)
    rhs = logsumexp(z) if wrong else logsumexp(z) + a
    one = lhs * 0 + 1
    return Built(lhs, rhs, lhs, a, one, {"k": k}, derivative=False)


def _hessian(wrong: bool = False) -> Built:
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    yhat = softmax(z)
    L = cross_entropy(y, yhat)
    rhs = diag(yhat) + yhat @ yhat.T if wrong else diag(yhat) - yhat @ yhat.T  # wrong: the sign
    return hessian_claim(L, z, rhs, {"k": k})


def _psd(wrong: bool = False) -> Built:
    k = Size("k")
    # Logits of ±30 at extreme points, not ±1000: there Σᵢ ŷᵢ(vᵢ - m)² cancels below the
    # 80 digits of the numeric cross-check, which then has no digits it can trust.
    z, v = Vector("z", k, role=Role.INPUTS), Vector("v", k)
    yhat = softmax(z)
    lhs = v.T @ (diag(yhat) - yhat @ yhat.T) @ v
    mean = (yhat * v).sum()
    rhs = ((v - mean) ** 2).sum() if wrong else (yhat * (v - mean) ** 2).sum()  # wrong: the weights ŷ_i dropped
    return Built(lhs, rhs, lhs, v, grad(rhs, v), {"k": k}, derivative=False)


_CDP = {"c": 2, "d": 2, "p": 2}
_K = {"k": 3}

#: h, s, ŷ and L of the tanh network, for the audit of its statements.
_MLP_NOTATION = (r"define h_r = \tanh\Big(\sum_{q=1}^{p} W_{rq} x_q\Big)", r"define s_i = \sum_{r=1}^{d} V_{ir} h_r",
                 r"define \hat{y}_i = \frac{e^{s_i}}{\sum_{n=1}^{c} e^{s_n}}",
                 r"define L = -\sum_{m=1}^{c} y_m \log \hat{y}_m")

MODEL_THEOREMS: list[ModelTheorem] = [
    ModelTheorem("logistic_gradient", "∂BCE(t, σ(z))/∂z = σ(z) - t (0 < t < 1)",
                 r"\frac{\partial\, \mathrm{BCE}(t, \sigma(z))}{\partial z} = \sigma(z) - t", "model",
                 _logistic, {}, title='Logistic regression: the gradient of binary cross-entropy',
                 declarations=(r"define \sigma(x) = \frac{1}{1 + e^{-x}}",
                               r"define \mathrm{BCE}(t, p) = -t \log p - (1 - t) \log(1 - p)")),
    ModelTheorem("ridge_gradient", "∇_w [‖Xw - t‖²/(2N) + (λ/2)‖w‖²] = Xᵀ(Xw - t)/N + λw",
                 r"\nabla_w \Big[\tfrac{1}{2N}\|Xw - t\|^2 + \tfrac{\lambda}{2}\|w\|^2\Big] "
                 r"= \tfrac{1}{N} X^T(Xw - t) + \lambda w", "model", _ridge, {"N": 3, "p": 2},
                 title='Ridge regression: the gradient'),
    ModelTheorem("mlp_gradient_W", "∂L/∂W = (Vᵀ(ŷ - y) ⊙ (1 - h⊙h)) xᵀ for h = tanh(Wx), ŷ = softmax(Vh)",
                 r"\frac{\partial L}{\partial W} = \big((V^T(\hat{y} - y)) \odot (1 - h \odot h)\big) x^T",
                 "model", lambda: _mlp("W"), _CDP, title='The tanh network: the gradient by the first layer',
                 declarations=_MLP_NOTATION),
    ModelTheorem("mlp_gradient_V", "∂L/∂V = (ŷ - y) hᵀ for h = tanh(Wx), ŷ = softmax(Vh)",
                 r"\frac{\partial L}{\partial V} = (\hat{y} - y) h^T", "model", lambda: _mlp("V"), _CDP,
                 title='The tanh network: the gradient by the second layer',
                 declarations=_MLP_NOTATION),
    ModelTheorem("temperature_gradient", "∂CE(y, softmax(z/T))/∂z = (softmax(z/T) - y)/T (T > 0)",
                 r"\frac{\partial\, \mathrm{CE}(y, \mathrm{softmax}(z/T))}{\partial z} "
                 r"= \tfrac{1}{T}(\mathrm{softmax}(z/T) - y)", "model", _temperature, _K,
                 title='Temperature-scaled cross-entropy: the gradient'),
    ModelTheorem("label_smoothing_gradient", "∂CE((1-ε)y + ε/k, ŷ)/∂z = ŷ - ((1-ε)y + ε/k)",
                 r"\frac{\partial\, \mathrm{CE}((1-\epsilon)y + \epsilon/k, \hat{y})}{\partial z} "
                 r"= \hat{y} - \big((1-\epsilon)y + \tfrac{\epsilon}{k}\big)", "model", _smoothing, _K,
                 title='Label smoothing: the gradient'),
    ModelTheorem("softmax_shift_invariance", "softmax(z + a) = softmax(z)",
                 r"\mathrm{softmax}(z + a) = \mathrm{softmax}(z)", "model", _shift_softmax, _K,
                 title='Softmax is invariant under a shift'),
    ModelTheorem("logsumexp_shift", "log Σ exp(z_n + a) = log Σ exp(z_n) + a",
                 r"\log \sum_n e^{z_n + a} = \log \sum_n e^{z_n} + a", "model", _shift_lse, _K,
                 title='Log-sum-exp under a shift'),
    ModelTheorem("cross_entropy_hessian", "∂²CE(y, softmax(z))/∂z² = diag(ŷ) - ŷŷᵀ (Σy = 1)",
                 r"\frac{\partial^2 \mathrm{CE}}{\partial z_i \partial z_j} "
                 r"= \left[\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T\right]_{ij}",
                 "model", _hessian, _K, title='The Hessian of cross-entropy'),
    ModelTheorem("cross_entropy_hessian_psd", "vᵀ(diag(ŷ) - ŷŷᵀ)v = Σ_i ŷ_i (v_i - Σ_j ŷ_j v_j)²",
                 r"v^T(\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T)v "
                 r"= \sum_i \hat{y}_i \Big(v_i - \sum_j \hat{y}_j v_j\Big)^2", "model", _psd, _K,
                 title="The quadratic form of the Hessian",
                 declarations=(r"define \hat{y}_i = \frac{e^{z_i}}{\sum_{n=1}^{k} e^{z_n}}",)),
]

#: A wrong variant of each theorem (the mistake people make), which the engine must refute.
WRONG: dict[str, Callable[[], Built]] = {
    "logistic_gradient: sign": lambda: _logistic(wrong=True),
    "ridge_gradient: missing 1/N": lambda: _ridge("N"),
    "ridge_gradient: 2λ": lambda: _ridge("lam"),
    "mlp_gradient_W: dropped (1 - h²)": lambda: _mlp("W", wrong=True),
    "mlp_gradient_W: missing transpose (V square)": lambda: _mlp("W", square=True),
    "mlp_gradient_V: sign": lambda: _mlp("V", wrong=True),
    "temperature_gradient: missing 1/T": lambda: _temperature(wrong=True),
    "label_smoothing_gradient: smoothing forgotten": lambda: _smoothing(wrong=True),
    "softmax_shift_invariance: shift kept": lambda: _shift_softmax(wrong=True),
    "logsumexp_shift: shift dropped": lambda: _shift_lse(wrong=True),
    "cross_entropy_hessian: sign": lambda: _hessian(wrong=True),
    "cross_entropy_hessian_psd: weights dropped": lambda: _psd(wrong=True),
}
