"""Settings.canonical_first changes how fast a claim is decided, never what is decided.

The matrix-form gradients ask for it (their residuals are sums of products, which the canonical
multi-index form decides at once); these check that the order of strategies leaves every verdict
as it was: a right form is proved either way, a wrong one is never proved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from derive.engine.decide import Settings, decide
from derive.engine.verdict import Status
from derive.model import Labels, Matrix, Size, Vector, attention, batch_norm, cross_entropy, grad, layer_norm, softmax
from derive.model.claims import claim
from derive.model.matrix_gradient import gradient


def _layer_norm() -> tuple[Any, Any]:
    n = Size("n")
    x, gamma, beta, u = Vector("x", n), Vector("gamma", n), Vector("beta", n), Vector("u", n)
    return (u * layer_norm(x, gamma, beta)).sum(), x


def _batch_norm() -> tuple[Any, Any]:
    N, n = Size("N"), Size("n")
    X, U, gamma, beta = Matrix("X", N, n), Matrix("U", N, n), Vector("gamma", n), Vector("beta", n)
    return (U * batch_norm(X, gamma, beta)).sum(), gamma


def _attention_v() -> tuple[Any, Any]:
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    return (G * attention(Q, K, V)).sum(), V


def _softmax_regression() -> tuple[Any, Any]:  # Σy = 1: a hypothesis beyond the index ranges
    c, p = Size("c"), Size("p")
    x, W, y = Vector("x", p), Matrix("W", c, p), Labels("y", c, soft=True)
    return cross_entropy(y, softmax(W @ x)), W


MODELS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "layer norm": _layer_norm, "batch norm by gamma": _batch_norm, "attention by V": _attention_v,
    "softmax regression": _softmax_regression}


@pytest.mark.parametrize("model", list(MODELS))
def test_the_order_of_strategies_leaves_the_verdict_as_it_was(model: str) -> None:
    L, wrt = MODELS[model]()
    found = gradient(L, wrt)
    assert found.proved and found.form is not None
    exact = grad(L, wrt)
    right, wrong = found.form.tensor(), found.form.tensor() * 2
    for first in (False, True):
        settings = Settings(budget=20.0, search_budget=5.0, canonical_first=first)
        assert decide(claim(exact, right, name="right"), settings).status is Status.PROVED
        assert decide(claim(exact, wrong, name="wrong"), settings).status is not Status.PROVED
