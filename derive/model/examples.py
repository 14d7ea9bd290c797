"""The tanh classifier of the docs, built once: ŷ = softmax(V tanh(Wx)), L = CE(y, ŷ).

The tests of matrix-form gradients and the benchmark against peers both start from it, so they
measure and check the same model.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.model.functions import cross_entropy, tanh
from derive.model.reductions import softmax
from derive.model.tensor import Labels, Matrix, Size, Tensor, Vector

__all__ = ["TanhClassifier", "tanh_classifier"]


@dataclass(frozen=True)
class TanhClassifier:
    """The model's tensors: the loss L, the weights W and V, and the intermediates h and ŷ."""

    L: Tensor
    W: Tensor
    V: Tensor
    h: Tensor
    yhat: Tensor

    @property
    def names(self) -> dict[str, Tensor]:
        """The intermediates by the names a gradient's ``where`` line gives them."""
        return {"h": self.h, "yhat": self.yhat}


def tanh_classifier() -> TanhClassifier:
    """x ∈ ℝᵖ, W ∈ ℝᵈˣᵖ, V ∈ ℝᶜˣᵈ, soft labels y ∈ ℝᶜ; h = tanh(Wx), ŷ = softmax(Vh), L = CE(y, ŷ).

    Examples:
        >>> from derive.model.matrix_gradient import gradient
        >>> m = tanh_classifier()
        >>> gradient(m.L, m.V, names=m.names).text()
        '∂L/∂V = (ŷ - y)hᵀ   [proved for every size]\\n  where h = tanh(Wx), ŷ = softmax(Vh)'
    """
    c, d, p = Size("c"), Size("d"), Size("p")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    h = tanh(W @ x)
    yhat = softmax(V @ h)
    return TanhClassifier(cross_entropy(y, yhat), W, V, h, yhat)
