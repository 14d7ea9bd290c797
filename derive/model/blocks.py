"""Library blocks of real networks, built from the model's operations: layer norm, batch norm, attention, GELU.

Each block is plain composition of :mod:`derive.model` operations (reductions with
``keepdims``, broadcasting, ``softmax`` along an axis), so its gradient is SymPy's derivative
of what the block computes and the engine decides claims about it like any other model.

Examples:
    >>> from derive.model import Size, Vector, Matrix
    >>> d, T = Size("d"), Size("T")
    >>> layer_norm(Vector("x", d), Vector("g", d), Vector("b", d)).shape
    (d,)
    >>> attention(Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d)).shape
    (T, d)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.model.errors import ModelTypeError
from derive.model.functions import sqrt, tanh
from derive.model.graph import hint, recorded
from derive.model.reductions import mean, normalized_axis, softmax
from derive.model.tensor import Tensor, as_tensor

__all__ = ["attention", "batch_norm", "gelu", "layer_norm", "normalize"]

#: The ε of PyTorch's LayerNorm and BatchNorm.
DEFAULT_EPS = sp.Rational(1, 100000)


@recorded("normalize")  # read whole by the chain rule in matrix form: the textbook (g - mean g - x̂ mean(g ⊙ x̂))/σ
def normalize(x: Any, axis: int, eps: Any = DEFAULT_EPS) -> Tensor:
    """(x - mean) / sqrt(var + eps) along ``axis``, the biased variance as in PyTorch's normalization layers."""
    t = as_tensor(x)
    if t.ndim == 0:
        raise ModelTypeError("normalize takes a vector, a matrix or a rank-3 tensor, got a scalar")
    a = normalized_axis(t, axis, "normalize")
    centred = t - mean(t, a, keepdims=True)
    var = mean(centred * centred, a, keepdims=True)
    return centred / sqrt(var + eps)


def layer_norm(x: Any, gamma: Any, beta: Any, eps: Any = DEFAULT_EPS) -> Tensor:
    """γ ⊙ x̂ + β with x̂ the input normalized over its last axis (each sample's features)."""
    return hint(normalize(x, -1, eps), "xhat") * gamma + beta


def batch_norm(x: Any, gamma: Any, beta: Any, eps: Any = DEFAULT_EPS) -> Tensor:
    """γ ⊙ x̂ + β with x̂ each feature (column of an N × d batch) normalized over the batch, as in training mode."""
    t = as_tensor(x)
    if t.ndim != 2:
        raise ModelTypeError(f"batch_norm takes an N × d batch (a matrix), got shape {t.shape}")
    return hint(normalize(t, 0, eps), "xhat") * gamma + beta


def attention(q: Any, k: Any, v: Any, mask: Any = None) -> Tensor:
    """softmax(Q Kᵀ / √d + M) V, scaled dot-product attention over the rows (queries) of Q.

    ``mask`` is added to the scores before the softmax, as PyTorch's float ``attn_mask``: 0 to keep
    a key, a large negative number to hide it (a causal mask is -10⁹ above the diagonal).
    """
    Q, K, V = as_tensor(q), as_tensor(k), as_tensor(v)
    if Q.ndim != 2 or K.ndim != 2 or V.ndim != 2:
        raise ModelTypeError(f"attention takes three matrices (queries × d, keys × d, keys × d_v), got shapes "
                             f"{Q.shape}, {K.shape} and {V.shape}")
    width = Q.shape[1]
    # √d as a number of the sizes (no declarations), so the recorded graph reads it as a constant
    scores = Q @ K.T / Tensor((), lambda: sp.sqrt(width), sizes=Q.sizes)
    if mask is not None:
        scores = scores + mask
    return hint(softmax(scores, axis=-1), "A") @ V


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Φ(x) = x/2 (1 + erf(x/√2)); ``approximate="tanh"`` is the tanh form PyTorch and BERT also use."""
    t = as_tensor(x)
    if approximate == "none":
        return t._with(t.shape, lambda *ix: t.entry(*ix) / 2 * (1 + sp.erf(t.entry(*ix) / sp.sqrt(2))))
    if approximate == "tanh":
        c = sp.sqrt(2 / sp.pi)
        return t / 2 * (1 + tanh(c * (t + sp.Rational(44715, 1000000) * t * t * t)))
    raise ModelTypeError(f"gelu(approximate=...) is 'none' or 'tanh', as in PyTorch, not {approximate!r}")
