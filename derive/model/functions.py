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

import weakref
from collections.abc import Callable
from typing import Any

import sympy as sp

from derive.engine.differentiate import derivative
from derive.model.errors import ModelTypeError
from derive.model.graph import recorded
from derive.model.piecewise import deltas_out_of_pieces
from derive.model.reductions import log_softmax, logsumexp, softmax
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


@recorded("sqrt")
def sqrt(t: Any) -> Tensor:
    """Elementwise square root."""
    return elementwise(sp.sqrt, t)


@recorded("cross_entropy")
def cross_entropy(y: Any, yhat: Any) -> Tensor:
    """-Σ_n y_n log ŷ_n for vectors; for matrices (a batch, one sample a row) the mean over the rows."""
    labels, probs = as_tensor(y), as_tensor(yhat)
    if labels.shape != probs.shape or labels.ndim not in (1, 2):
        raise ModelTypeError(f"cross_entropy(y, yhat) takes two vectors (or two matrices) of one shape, got "
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
        raise ModelTypeError(f"diag takes a vector, got shape {x.shape}")
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
        raise ModelTypeError(f"trace takes a square matrix, got shape {x.shape}")
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
        raise ModelTypeError("grad(L, X) takes X a declared Vector, Matrix, Labels or Scalar, not an expression")
    return x.entry, x.shape


#: A scalar loss's expression, built once: a loss differentiated by W1, b1, W2, b2 is written out once, not four
#: times (each build draws fresh bound indices, so SymPy's own cache cannot see that they are the same).
_LOSS_EXPRESSIONS: weakref.WeakKeyDictionary[Tensor, sp.Expr] = weakref.WeakKeyDictionary()


def _loss_expression(L: Tensor) -> sp.Expr:
    expr = _LOSS_EXPRESSIONS.get(L)
    if expr is None:
        expr = _LOSS_EXPRESSIONS[L] = L.expr
    return expr


def grad(loss: Any, wrt: Tensor) -> Tensor:
    """∂L/∂X: SymPy's derivative of the scalar ``loss`` by each entry of ``wrt``, in wrt's shape."""
    L = as_tensor(loss)
    if L.ndim:
        raise ModelTypeError(f"grad(L, X) needs a scalar L; the loss has shape {L.shape} (take .sum() or .mean())")
    at, shape = _variable(wrt)
    expr = _loss_expression(L)
    free = tuple(sp.Symbol(f"∂{n}", integer=True, positive=True) for n in range(len(shape)))
    d = deltas_out_of_pieces(derivative(expr, at(*free)), dict(zip(free, shape, strict=True)))

    def entry(*ix: sp.Expr) -> sp.Expr:
        return d.xreplace(dict(zip(free, ix, strict=True)))
    return L._with(shape, entry, wrt)


def jacobian(v: Any, wrt: Tensor) -> Tensor:
    """∂v[a...]/∂x[b...] of a tensor v by a declared tensor x: shape v.shape + x.shape (a matrix for two vectors)."""
    out = as_tensor(v)
    at, shape = _variable(wrt)
    if out.ndim + len(shape) > 4:
        raise ModelTypeError(f"jacobian of shape {out.shape} by shape {shape} would have rank "
                             f"{out.ndim + len(shape)}; derive.model takes rank up to 4 (a Hessian by a matrix)")
    outer = tuple(sp.Symbol(f"∂o{n}", integer=True, positive=True) for n in range(out.ndim))
    inner = tuple(sp.Symbol(f"∂{n}", integer=True, positive=True) for n in range(len(shape)))
    ranges = dict(zip(inner, shape, strict=True))
    d = deltas_out_of_pieces(derivative(out.entry(*outer), at(*inner)), ranges)
    names = (*outer, *inner)

    def entry(*ix: sp.Expr) -> sp.Expr:
        return d.xreplace(dict(zip(names, ix, strict=True)))
    return out._with((*out.shape, *shape), entry, wrt)


def hessian(loss: Any, wrt: Tensor) -> Tensor:
    """The second derivatives of a scalar loss: by a vector a matrix, by a matrix W the array H[a, b, c, d] =
    ∂²L/∂W_ab ∂W_cd (rank 4)."""
    return jacobian(grad(loss, wrt), wrt)
