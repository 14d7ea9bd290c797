"""Functions of tensors: elementwise maps, softmax, losses, and the gradient SymPy computes.

Every function here builds an expression; nothing decides. ``grad(L, X)`` is SymPy's
derivative of the built loss by the entry ``X[a, b]`` at free indices, returned in X's shape.

Examples:
    >>> from derive.model import Size, Vector, Labels, softmax, cross_entropy, grad
    >>> k = Size("k")
    >>> z, y = Vector("z", k, role="logits"), Labels("y", k, soft=True)
    >>> grad(cross_entropy(y, softmax(z)), z).shape
    (k,)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from derive.engine.differentiate import derivative
from derive.model.graph import recorded
from derive.model.tensor import Tensor, as_tensor, fresh

__all__ = [
    "binary_cross_entropy",
    "cross_entropy",
    "diag",
    "elementwise",
    "exp",
    "grad",
    "hessian",
    "jacobian",
    "l2",
    "log",
    "log_softmax",
    "logsumexp",
    "mse",
    "norm",
    "relu",
    "sigmoid",
    "softmax",
    "sqrt",
    "tanh",
    "trace",
]


@recorded("elementwise")
def elementwise(fn: Callable[[sp.Expr], sp.Expr], t: Any) -> Tensor:
    """``fn`` applied to every entry of ``t`` (any SymPy function of one value).

    Examples:
        >>> from derive.model import Size, Vector
        >>> elementwise(sp.sinh, Vector("x", Size("n")))[2]
        sinh(x[2])
    """
    x = as_tensor(t)
    return x._with(x.shape, lambda *ix: fn(x.entry(*ix)))



@recorded("exp")
def exp(t: Any) -> Tensor:
    """Elementwise exp."""
    return elementwise(sp.exp, t)


@recorded("log")
def log(t: Any) -> Tensor:
    """Elementwise natural log (of a softmax: its log-sum-exp form, which is equal and smaller)."""
    x = as_tensor(t)
    if x.log_entry is not None:
        return x._with(x.shape, x.log_entry)
    return elementwise(sp.log, x)


@recorded("tanh")
def tanh(t: Any) -> Tensor:
    """Elementwise tanh."""
    return elementwise(sp.tanh, t)


@recorded("sigmoid")
def sigmoid(t: Any) -> Tensor:
    """Elementwise logistic sigmoid 1 / (1 + exp(-x))."""
    x = as_tensor(t)
    out = elementwise(lambda v: 1 / (1 + sp.exp(-v)), x)
    # log σ(v) = -log(1 + exp(-v)), log(1 - σ(v)) = -v - log(1 + exp(-v)): keeps BCE small.
    return Tensor(out.shape, out.entry, out.declarations, out.sizes,
                  log_entry=lambda *ix: -sp.log(1 + sp.exp(-x.entry(*ix))), kind="sigmoid")


@recorded("relu")
def relu(t: Any) -> Tensor:
    """Elementwise max(0, x)."""
    return elementwise(lambda v: sp.Max(0, v), t)


@recorded("sqrt")
def sqrt(t: Any) -> Tensor:
    """Elementwise square root."""
    return elementwise(sp.sqrt, t)


def _rows(x: Tensor, what: str) -> tuple[sp.Expr, Callable[..., sp.Expr]]:
    """The class size and the sum of exp over a vector (or over each row of a matrix)."""
    if x.ndim == 1:
        def total(*_: sp.Expr) -> sp.Expr:
            n = fresh("n")
            return sp.Sum(sp.exp(x.entry(n)), (n, 1, x.shape[0]))
        return x.shape[0], total
    if x.ndim == 2:
        def row_total(r: sp.Expr, *_: sp.Expr) -> sp.Expr:
            n = fresh("n")
            return sp.Sum(sp.exp(x.entry(r, n)), (n, 1, x.shape[1]))
        return x.shape[1], row_total
    raise TypeError(f"{what} takes a vector or a matrix (over its rows), got a scalar")


@recorded("softmax")
def softmax(t: Any) -> Tensor:
    """softmax of a vector, or of each row of a matrix: exp(z_i) / Σ_n exp(z_n)."""
    x = as_tensor(t)
    _, total = _rows(x, "softmax")
    out = x._with(x.shape, lambda *ix: sp.exp(x.entry(*ix)) / total(*ix))
    return Tensor(out.shape, out.entry, out.declarations, out.sizes,
                  log_entry=lambda *ix: x.entry(*ix) - sp.log(total(*ix)), kind="softmax")


@recorded("log_softmax")
def log_softmax(t: Any) -> Tensor:
    """log softmax in log-sum-exp form: z_i - log Σ_n exp(z_n) (of a vector, or of each row)."""
    return log(softmax(t))


@recorded("logsumexp")
def logsumexp(t: Any) -> Tensor:
    """log Σ_n exp(z_n) of a vector (a scalar)."""
    x = as_tensor(t)
    if x.ndim != 1:
        raise TypeError(f"logsumexp takes a vector, got shape {x.shape}")
    _, total = _rows(x, "logsumexp")
    return x._with((), lambda: sp.log(total()))


@recorded("cross_entropy")
def cross_entropy(y: Any, yhat: Any) -> Tensor:
    """-Σ_n y_n log ŷ_n for vectors; for matrices (a batch, one sample a row) the mean over the rows."""
    labels, probs = as_tensor(y), as_tensor(yhat)
    if labels.shape != probs.shape or labels.ndim not in (1, 2):
        raise TypeError(f"cross_entropy(y, yhat) takes two vectors (or two matrices) of one shape, got "
                        f"{labels.shape} and {probs.shape}")
    per = labels * log(probs)
    if labels.ndim == 1:
        return -per.sum()
    return -per.sum(axis=1).mean()


@recorded("binary_cross_entropy")
def binary_cross_entropy(t: Any, p: Any) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)), the mean over the entries for a vector or matrix."""
    target, prob = as_tensor(t), as_tensor(p)
    if prob.kind == "sigmoid":
        log_p = log(prob)
        # log(1 - σ(v)) = log σ(v) - v: the input of the sigmoid is recovered from the tensor.
        log_q = prob._with(prob.shape, lambda *ix: prob.log_entry(*ix) - _sigmoid_input(prob.entry(*ix)))  # type: ignore[misc]
    else:
        log_p, log_q = log(prob), log(1 - prob)
    per = -(target * log_p + (1 - target) * log_q)
    return per if per.ndim == 0 else per.mean()


def _sigmoid_input(value: sp.Expr) -> sp.Expr:
    # value is 1 / (1 + exp(-v)): Pow(Add(1, exp(-v)), -1)
    base = value.base if isinstance(value, sp.Pow) else value
    e = next(a for a in sp.Add.make_args(base) if isinstance(a, sp.exp))
    return -e.args[0]


@recorded("mse")
def mse(pred: Any, target: Any) -> Tensor:
    """The mean of the squared differences (all entries)."""
    diff = as_tensor(pred) - as_tensor(target)
    sq = diff * diff
    return sq if sq.ndim == 0 else sq.mean()


@recorded("l2")
def l2(w: Any, lam: Any = 1) -> Tensor:
    """The ridge penalty (λ/2) Σ w², whose gradient is λ w."""
    x = as_tensor(w)
    return as_tensor(lam) / 2 * (x * x).sum()


@recorded("diag")
def diag(v: Any) -> Tensor:
    """The square matrix with v on its diagonal."""
    x = as_tensor(v)
    if x.ndim != 1:
        raise TypeError(f"diag takes a vector, got shape {x.shape}")
    return x._with((x.shape[0], x.shape[0]), lambda i, j: sp.KroneckerDelta(i, j) * x.entry(i))


@recorded("trace")
def trace(m: Any) -> Tensor:
    """The sum of the diagonal of a square matrix (a scalar).

    Examples:
        >>> from derive.model import Size, Matrix
        >>> entry = trace(Matrix("A", Size("n"), Size("n"))).expr.function
        >>> entry.base, entry.indices[0] == entry.indices[1]
        (A, True)
    """
    x = as_tensor(m)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise TypeError(f"trace takes a square matrix, got shape {x.shape}")
    b = fresh()
    return x._with((), lambda: sp.Sum(x.entry(b, b), (b, 1, x.shape[0])))


@recorded("norm")
def norm(t: Any) -> Tensor:
    """The Euclidean norm of a vector, the Frobenius norm of a matrix, |x| of a scalar: sqrt(Σ x²).

    Examples:
        >>> from derive.model import Size, Vector
        >>> norm(Vector("x", Size("n"))).expr.args[1]
        1/2
    """
    x = as_tensor(t)
    if x.ndim == 0:
        return x._with((), lambda: sp.Abs(x.entry()))
    total = (x * x).sum()
    return total._with((), lambda: sp.sqrt(total.entry()))


def _variable(x: Tensor) -> tuple[Callable[..., sp.Expr], tuple[sp.Expr, ...]]:
    if len(x.declarations) != 1 or x.kind not in ("array", "labels", "scalar"):
        raise TypeError("grad(L, X) takes X a declared Vector, Matrix, Labels or Scalar, not an expression")
    return x.entry, x.shape


def grad(loss: Any, wrt: Tensor) -> Tensor:
    """∂L/∂X: SymPy's derivative of the scalar ``loss`` by each entry of ``wrt``, in wrt's shape."""
    L = as_tensor(loss)
    if L.ndim:
        raise TypeError(f"grad(L, X) needs a scalar L; the loss has shape {L.shape} (take .sum() or .mean())")
    at, shape = _variable(wrt)
    expr = L.expr
    free = tuple(sp.Symbol(f"∂{n}", integer=True, positive=True) for n in range(len(shape)))
    d = derivative(expr, at(*free))

    def entry(*ix: sp.Expr) -> sp.Expr:
        return d.xreplace(dict(zip(free, ix, strict=True)))
    return L._with(shape, entry, wrt)


def jacobian(v: Any, wrt: Tensor) -> Tensor:
    """∂v_i/∂x_j of a vector v by a vector x (a matrix)."""
    out = as_tensor(v)
    at, shape = _variable(wrt)
    if out.ndim != 1 or len(shape) != 1:
        raise TypeError(f"jacobian takes a vector and a declared vector, got shapes {out.shape} and {shape}")
    i, j = sp.Symbol("∂i", integer=True, positive=True), sp.Symbol("∂j", integer=True, positive=True)
    d = derivative(out.entry(i), at(j))
    return out._with((out.shape[0], shape[0]), lambda a, b: d.xreplace({i: a, j: b}), wrt)


def hessian(loss: Any, wrt: Tensor) -> Tensor:
    """The matrix of second derivatives of a scalar loss by a vector."""
    return jacobian(grad(loss, wrt), wrt)
