"""Each library model's gradient in its textbook matrix form: the printed form, its LaTeX compiles, its numpy matches.

One case per model of issue 23: the softmax regression (batched), the tanh MLP, ridge, the
logistic Hessian, layer norm, batch norm and attention (the library's blocks, as a user calls them). The
numpy reference is independent of the form: SymPy's gradient (or Hessian) written out entry by
entry at distinct sizes from 3 up and evaluated at 30 digits.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

from derive.engine.space import Role
from derive.engine.verdict import Status
from derive.model import (
    Labels,
    Matrix,
    Scalar,
    Size,
    Vector,
    attention,
    batch_norm,
    binary_cross_entropy,
    cross_entropy,
    hessian,
    l2,
    layer_norm,
    mse,
    sigmoid,
    softmax,
    tanh,
)
from derive.model.claims import instantiate
from derive.model.form_numpy import evaluator, source
from derive.model.form_print import latex, text
from derive.model.matrix_form import Form
from derive.model.matrix_gradient import gradient
from derive.model.matrix_hessian import hessian_matrix
from derive.render.latex import compile_pdf

SIZES = {"c": 3, "d": 4, "p": 5, "N": 6, "n": 5, "T": 3}


@dataclass(frozen=True)
class Case:
    printed: str  # the first line, as print() shows it
    form: Form
    tex: str  # the display, math mode
    exact: Any  # SymPy's gradient or Hessian, a model tensor
    loss: Any


def _gradient_case(L: Any, wrt: Any, names: dict[str, Any] | None = None) -> Case:
    g = gradient(L, wrt) if names is None else gradient(L, wrt, names=names)
    assert g.proved and g.form is not None, g.note
    return Case(str(g).splitlines()[0], g.form, g.latex(), g.exact, L)


def softmax_regression() -> Case:
    N, p, c = Size("N"), Size("p"), Size("c")
    X, W = Matrix("X", N, p, role=Role.INPUTS), Matrix("W", p, c)
    Y = Labels("Y", c, soft=True, batch=N)
    Yhat = softmax(X @ W)
    return _gradient_case(cross_entropy(Y, Yhat), W, {"Yhat": Yhat})


def tanh_mlp() -> Case:
    c, d, p = Size("c"), Size("d"), Size("p")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    h = tanh(W @ x)
    yhat = softmax(V @ h)
    return _gradient_case(cross_entropy(y, yhat), W, {"h": h, "yhat": yhat})


def ridge() -> Case:
    N, p = Size("N"), Size("p")
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p), Vector("t", N)
    lam = Scalar("lambda", positive=True)
    return _gradient_case(mse(X @ w, t) / 2 + l2(w, lam), w, {})


def logistic_hessian() -> Case:
    N, p = Size("N"), Size("p")
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p), Vector("t", N)
    lam = Scalar("lambda", positive=True)
    prob = sigmoid(X @ w)
    L = binary_cross_entropy(t, prob) + l2(w, lam)
    form, verdict, why = hessian_matrix(L, w, names={"p": prob})
    assert form is not None and verdict is not None and verdict.status == Status.PROVED, why
    return Case(f"∂²L/∂w² = {text(form)}", form, rf"\frac{{\partial^2 L}}{{\partial w^2}} = {latex(form)}",
                hessian(L, w), L)


def layer_norm_x() -> Case:
    n = Size("n")
    x, gamma, beta, u = Vector("x", n), Vector("gamma", n), Vector("beta", n), Vector("u", n)
    return _gradient_case((u * layer_norm(x, gamma, beta)).sum(), x)  # u: the gradient arriving from above


def layer_norm_batch() -> Case:
    N, n = Size("N"), Size("n")
    X, U = Matrix("X", N, n), Matrix("U", N, n)
    gamma, beta = Vector("gamma", n), Vector("beta", n)
    return _gradient_case((U * layer_norm(X, gamma, beta)).sum(), X)  # each row (sample) normalized


def batch_norm_batch() -> Case:
    N, n = Size("N"), Size("n")
    X, U = Matrix("X", N, n), Matrix("U", N, n)
    gamma, beta = Vector("gamma", n), Vector("beta", n)
    return _gradient_case((U * batch_norm(X, gamma, beta)).sum(), X)  # each column (feature) over the batch


def attention_q() -> Case:
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    return _gradient_case((G * attention(Q, K, V)).sum(), Q)


def attention_k() -> Case:
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    return _gradient_case((G * attention(Q, K, V)).sum(), K)


def attention_v() -> Case:
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    return _gradient_case((G * attention(Q, K, V)).sum(), V)


DS = "(A ⊙ (GVᵀ - sum[axis 1](A ⊙ (GVᵀ))𝟏ᵀ))"
MODELS: dict[str, tuple[Callable[[], Case], str]] = {
    "softmax regression": (softmax_regression, "∂L/∂W = Xᵀ(Ŷ - Y)/N   [proved for every size]"),
    "tanh MLP": (tanh_mlp, "∂L/∂W = ((Vᵀ(ŷ - y)) ⊙ (1 - h ⊙ h))xᵀ   [proved for every size]"),
    "ridge": (ridge, "∂L/∂w = Xᵀ(Xw - t)/N + λw   [proved for every size]"),
    "logistic Hessian": (logistic_hessian, "∂²L/∂w² = Xᵀ(diag(p ⊙ (1 - p))X)/N + λI"),
    "layer norm": (layer_norm_x, "∂L/∂x = (ng - sum(g) - (x̂ᵀg)x̂) / (nσ)   [proved for every size]"),
    "layer norm, batched": (layer_norm_batch, "∂L/∂X = (ng - sum[axis 1](g)𝟏ᵀ - (sum[axis 1](x̂ ⊙ g)𝟏ᵀ) ⊙ x̂) / "
                            "(nσ𝟏ᵀ)   [proved for every size]"),
    "batch norm": (batch_norm_batch, "∂L/∂X = (Ng - 𝟏sum[axis 0](g)ᵀ - (𝟏sum[axis 0](x̂ ⊙ g)ᵀ) ⊙ x̂) / "
                   "(N𝟏σᵀ)   [proved for every size]"),
    "attention Q": (attention_q, f"∂L/∂Q = {DS}K/(sqrt(d))   [proved for every size]"),
    "attention K": (attention_k, f"∂L/∂K = {DS}ᵀQ/(sqrt(d))   [proved for every size]"),
    "attention V": (attention_v, "∂L/∂V = AᵀG   [proved for every size]"),
}


def _arrays(loss: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for decl in loss.declarations:
        if decl.kind == "scalar":
            out[decl.name] = np.array(rng.uniform(0.5, 2.0))
            continue
        shape = tuple(SIZES[s.name] for s in decl.shape)
        if decl.kind == "labels":  # soft labels: each row sums to 1
            raw = rng.uniform(0.1, 1.0, shape)
            out[decl.name] = raw / raw.sum(axis=-1, keepdims=True)
        else:
            out[decl.name] = rng.normal(size=shape)
    return out


def _exact(case: Case, arrays: dict[str, np.ndarray]) -> np.ndarray:
    entries = instantiate(case.exact, SIZES)
    scalars = {decl.symbol: sp.Float(float(arrays[decl.name]), 30) for decl in case.loss.declarations
               if decl.kind == "scalar" and decl.symbol is not None}

    def at(e: sp.Expr) -> float:
        subs = dict(scalars)
        for atom in e.atoms(sp.Indexed):
            subs[atom] = sp.Float(float(arrays[str(atom.base)][tuple(int(i) - 1 for i in atom.indices)]), 30)
        return float(e.xreplace(subs).evalf(30))
    return np.array(np.vectorize(at, otypes=[float])(np.array(entries, dtype=object)))


@pytest.mark.parametrize("model", list(MODELS))
def test_the_gradient_prints_in_its_textbook_form(model: str) -> None:
    build, printed = MODELS[model]
    assert build().printed == printed


@pytest.mark.slow  # latexmk, and the reference written out entry by entry with SymPy
@pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdflatex")), reason="needs latexmk and pdflatex")
@pytest.mark.parametrize("model", list(MODELS))
def test_latex_compiles_and_numpy_matches_the_exact_gradient(model: str, tmp_path: Path) -> None:
    build, printed = MODELS[model]
    case = build()
    assert case.printed == printed
    tex = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
           f"\\[ {case.tex} \\]\n\\end{{document}}\n")
    compile_pdf(tex, tmp_path / "gradient.pdf")
    assert (tmp_path / "gradient.pdf").stat().st_size > 1000
    rng = np.random.default_rng(23)
    run = evaluator(case.form)
    namespace: dict[str, Any] = {"np": np}
    code = source(case.form, "f")
    exec(compile(code, "<gradient>", "exec"), namespace)  # our own generated code, from declared identifiers
    params = code.split("def f(")[1].split(")")[0].split(", ")
    for _ in range(2):
        arrays = _arrays(case.loss, rng)
        exact = _exact(case, arrays)
        got = run(**arrays)
        np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-12)
        pasted = {k.replace("lambda", "lambda_"): v for k, v in arrays.items()}
        np.testing.assert_allclose(namespace["f"](**{k: pasted[k] for k in params}), exact, rtol=1e-9, atol=1e-12)
        # the comparison can fail: a form off by 1% does not pass it
        assert not np.allclose(np.asarray(got) * 1.01, exact, rtol=1e-6, atol=1e-12)
