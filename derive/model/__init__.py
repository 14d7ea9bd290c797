"""Your own model in numpy-like Python, built in the engine's language and decided by it.

    >>> from derive import decide
    >>> from derive.model import Size, Vector, Matrix, Labels, tanh, softmax, cross_entropy, grad, claim
    >>> c, d, p = Size("c"), Size("d"), Size("p")
    >>> x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    >>> y = Labels("y", c, soft=True)
    >>> h = tanh(W @ x); yhat = softmax(V @ h)
    >>> L = cross_entropy(y, yhat)
    >>> decide(claim(grad(L, V), (yhat - y) @ h.T)).status.value
    'proved'

:mod:`derive.model.tensor` holds the tensors and declarations, :mod:`derive.model.functions`
the functions, losses and ``grad``, :mod:`derive.model.claims` the bridge to a claim.
"""

from __future__ import annotations

from derive.model.claims import claim
from derive.model.constants import ones
from derive.model.functions import (
    binary_cross_entropy,
    cross_entropy,
    diag,
    elementwise,
    exp,
    grad,
    hessian,
    jacobian,
    l2,
    log,
    log_softmax,
    logsumexp,
    mse,
    norm,
    relu,
    sigmoid,
    softmax,
    sqrt,
    tanh,
    trace,
)
from derive.model.matrix_gradient import Gradient, gradient
from derive.model.tensor import Labels, Matrix, Scalar, Size, Tensor, Vector

__all__ = [
    "Gradient",
    "Labels",
    "Matrix",
    "Scalar",
    "Size",
    "Tensor",
    "Vector",
    "binary_cross_entropy",
    "claim",
    "cross_entropy",
    "diag",
    "elementwise",
    "exp",
    "grad",
    "gradient",
    "hessian",
    "jacobian",
    "l2",
    "log",
    "log_softmax",
    "logsumexp",
    "mse",
    "norm",
    "ones",
    "relu",
    "sigmoid",
    "softmax",
    "sqrt",
    "tanh",
    "trace",
]
