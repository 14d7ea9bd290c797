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

from derive.model.arrays import Array, einsum, transpose
from derive.model.blocks import attention, batch_norm, gelu, layer_norm
from derive.model.broadcast import broadcast_to, eye, ones, zeros
from derive.model.claims import claim
from derive.model.errors import ModelTypeError
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
    sigmoid,
    softmax,
    sqrt,
    tanh,
    trace,
)
from derive.model.piecewise import abs, maximum, minimum, relu, sign, where
from derive.model.tensor import Labels, Matrix, Scalar, Size, Tensor, Vector

__all__ = [
    "Array",
    "Labels",
    "Matrix",
    "ModelTypeError",
    "Scalar",
    "Size",
    "Tensor",
    "Vector",
    "abs",
    "attention",
    "batch_norm",
    "binary_cross_entropy",
    "broadcast_to",
    "claim",
    "cross_entropy",
    "diag",
    "einsum",
    "elementwise",
    "exp",
    "eye",
    "gelu",
    "grad",
    "hessian",
    "jacobian",
    "l2",
    "layer_norm",
    "log",
    "log_softmax",
    "logsumexp",
    "maximum",
    "minimum",
    "mse",
    "norm",
    "ones",
    "relu",
    "sigmoid",
    "sign",
    "softmax",
    "sqrt",
    "tanh",
    "trace",
    "transpose",
    "where",
    "zeros",
]
