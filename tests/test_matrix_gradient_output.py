"""The proved gradient as LaTeX (it compiles), as numpy code (it matches the exact gradient) and in Jupyter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.engine.space import Role
from derive.model import (
    Labels,
    Matrix,
    Scalar,
    Size,
    Vector,
    cross_entropy,
    grad,
    l2,
    mse,
    relu,
    softmax,
    tanh,
)
from derive.model.claims import instantiate
from derive.model.matrix_gradient import Gradient, gradient

SIZES = {"c": 3, "d": 4, "p": 5, "N": 6}


def _models() -> dict[str, tuple[Gradient, object, dict[str, str]]]:
    c, d, p, N = Size("c"), Size("d"), Size("p"), Size("N")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    h = tanh(W @ x)
    yhat = softmax(V @ h)
    L = cross_entropy(y, yhat)
    X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p, role=Role.WEIGHTS), Vector("t", N)
    lam = Scalar("lambda", positive=True)
    R = mse(X @ w, t) / 2 + l2(w, lam)
    Wc, Y = Matrix("Wc", p, c), Labels("Y", c, soft=True, batch=N)
    Yhat = softmax(X @ Wc)
    S = cross_entropy(Y, Yhat)
    r = relu(W @ x)
    M = cross_entropy(y, softmax(V @ r))
    named = {"h": h, "yhat": yhat, "Yhat": Yhat, "r": r}
    return {"mlp W": (gradient(L, W, names=named), L, {}), "mlp V": (gradient(L, V, names=named), L, {}),
            "ridge": (gradient(R, w, names=named), R, {}), "softmax regression": (gradient(S, Wc, names=named), S, {}),
            "relu mlp W": (gradient(M, W, names=named), M, {})}


@pytest.fixture(scope="module")
def models() -> dict[str, tuple[Gradient, object, dict[str, str]]]:
    return _models()


def _random_arrays(g: Gradient, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for decl in g.loss.declarations:
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


def _exact(g: Gradient, arrays: dict[str, np.ndarray]) -> np.ndarray:
    entries = instantiate(grad(g.loss, g.wrt), SIZES)
    values: dict[sp.Basic, sp.Basic] = {}
    for decl in g.loss.declarations:
        if decl.kind == "scalar":
            assert decl.symbol is not None
            values[decl.symbol] = sp.Float(float(arrays[decl.name]), 30)
    def at(e: sp.Expr) -> float:
        subs = dict(values)
        for atom in e.atoms(sp.Indexed):
            ix = tuple(int(i) - 1 for i in atom.indices)
            subs[atom] = sp.Float(float(arrays[str(atom.base)][ix]), 30)
        return float(e.xreplace(subs).evalf(30))
    return np.array(np.vectorize(at, otypes=[float])(np.array(entries, dtype=object)))


@pytest.mark.slow  # the exact reference is SymPy's gradient written out entry by entry
@pytest.mark.parametrize("which", ["mlp W", "mlp V", "ridge", "softmax regression", "relu mlp W"])
def test_numpy_code_matches_the_exact_gradient_at_random_points(models, which: str) -> None:
    g, _, _ = models[which]
    assert g.proved, g.note
    namespace: dict[str, object] = {"np": np}
    code = g.numpy_code("f")
    exec(compile(code, "<gradient>", "exec"), namespace)  # our own generated code, from declared identifiers
    rng = np.random.default_rng(7)
    for _ in range(2):
        arrays = _random_arrays(g, rng)
        args = {k.replace("lambda", "lambda_"): v for k, v in arrays.items()}
        params = code.split("def f(")[1].split(")")[0].split(", ")
        got = namespace["f"](**{k: args[k] for k in params})  # type: ignore[operator]
        exact = _exact(g, arrays)
        np.testing.assert_allclose(got, exact, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g.numpy()(**arrays), exact, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_a_wrong_form_would_not_match(models) -> None:
    # The comparison can fail: the exact gradient of the MLP by W against V's form's shape and values.
    g, _, _ = models["mlp W"]
    arrays = _random_arrays(g, np.random.default_rng(1))
    exact = _exact(g, arrays)
    assert not np.allclose(g.numpy()(**arrays) * 1.01, exact, rtol=1e-6)


def test_numpy_code_of_the_mlp_reads_as_written(models) -> None:
    code = models["mlp W"][0].numpy_code()
    assert code.splitlines()[0].startswith("def _softmax(v):")
    assert "def grad_W(V, W, x, y):" in code
    assert "    h = np.tanh(W @ x)" in code and "    yhat = _softmax(V @ h)" in code
    assert "np.outer(" in code


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed (TeX Live needed)")
def test_latex_compiles(models, tmp_path: Path) -> None:
    body = "\n".join(f"\\[ {g.latex()} \\]" for g, _, _ in models.values())
    doc = "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    (tmp_path / "g.tex").write_text(doc)
    run = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "g.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "g.pdf").stat().st_size > 0


def test_jupyter_shows_the_math_with_a_proved_badge(models) -> None:
    g = models["ridge"][0]
    assert g._repr_latex_() == f"$${g.latex()}$$"
    out = g._repr_html_()
    assert "proved for every size" in out and "derive-badge" in out
    assert "\\frac{\\partial L}{\\partial w}" in out

