"""Theorems about real layers (derive.library.layer_theorems): each proved (for every size, or at its
default sizes, as EVERY_SIZE records) and its planted mistake refuted at a point; the blocks themselves."""

from __future__ import annotations

import pytest
import sympy as sp

from derive import decide
from derive.library.layer_theorems import EVERY_SIZE, LAYER_THEOREMS, WRONG_LAYERS
from derive.model import (
    Matrix,
    ModelTypeError,
    Size,
    Vector,
    attention,
    batch_norm,
    claim,
    elementwise,
    gelu,
    grad,
)
from derive.model.piecewise import where

pytestmark = pytest.mark.timeout(300)

EVERY = [t for t in LAYER_THEOREMS if EVERY_SIZE[t.name]]
FIXED = [t for t in LAYER_THEOREMS if not EVERY_SIZE[t.name]]


def test_the_layer_theorems_cover_the_issue() -> None:
    families = {t.family for t in LAYER_THEOREMS}
    assert families == {"softmax regression", "ReLU MLP", "layer norm", "batch norm", "attention", "RNN"}
    assert {t.name for t in LAYER_THEOREMS} >= {"relu_mlp_W1", "relu_mlp_b1", "relu_mlp_W2", "relu_mlp_b2",
                                                 "attention_Q", "attention_K", "attention_V", "rnn_bptt_W"}


@pytest.mark.parametrize("theorem", EVERY, ids=[t.name for t in EVERY])
def test_proved_for_every_size_and_its_mistake_refuted(theorem) -> None:  # type: ignore[no-untyped-def]
    verdict = decide(theorem.symbolic())
    assert verdict.proved, verdict.explain()
    b = WRONG_LAYERS[theorem.name]()
    wrong = decide(claim(b.lhs, b.rhs))
    assert wrong.refuted and wrong.counterexample is not None


@pytest.mark.slow
@pytest.mark.parametrize("theorem", FIXED, ids=[t.name for t in FIXED])
def test_proved_at_its_sizes_and_its_mistake_refuted_there(theorem) -> None:  # type: ignore[no-untyped-def]
    verdict = decide(theorem.concrete(theorem.defaults))
    assert verdict.proved, verdict.explain()
    b = WRONG_LAYERS[theorem.name]()
    wrong = decide(claim(b.lhs, b.rhs, sizes=dict(theorem.defaults)))
    assert wrong.refuted and wrong.counterexample is not None


def test_gelu_is_x_times_the_normal_cdf_and_its_derivative_is_proved() -> None:
    x = Vector("x", Size("n"))
    e = sp.IndexedBase("x", real=True)[2]
    assert gelu(x)[2] == e / 2 * (1 + sp.erf(e / sp.sqrt(2)))
    def slope(v: sp.Expr) -> sp.Expr:  # Φ(v) + v φ(v)
        return (1 + sp.erf(v / sp.sqrt(2))) / 2 + v * sp.exp(-v**2 / 2) / sp.sqrt(2 * sp.pi)
    assert decide(claim(grad(gelu(x).sum(), x), elementwise(slope, x))).proved
    assert decide(claim(grad(gelu(x).sum(), x), elementwise(lambda v: (1 + sp.erf(v / sp.sqrt(2))) / 2, x))).refuted
    assert gelu(x, approximate="tanh").shape == x.shape
    with pytest.raises(ModelTypeError, match="'none' or 'tanh'"):
        gelu(x, approximate="fast")


def test_a_masked_attention_adds_the_mask_to_the_scores() -> None:
    T, d = Size("T"), Size("d")
    Q, K, V, M = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("M", T, T)
    assert decide(claim(attention(Q, K, V, mask=M * 0), attention(Q, K, V))).proved
    assert decide(claim(attention(Q, K, V, mask=M), attention(Q, K, V))).refuted
    with pytest.raises(ModelTypeError, match="three matrices"):
        attention(Vector("q", d), K, V)
    with pytest.raises(ModelTypeError, match="N × d batch"):
        batch_norm(Vector("q", d), Vector("g", d), Vector("b", d))
    assert where(Q > 0, Q, 0).shape == Q.shape
