"""derive.model: a network written like numpy, its gradient from SymPy, claims decided for every size."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

from derive import Claim, Distinct, InRange, Settings, SumToOne, decide
from derive.engine.space import Role, Space
from derive.library.functions import cross_entropy as library_cross_entropy
from derive.library.functions import softmax as library_softmax
from derive.library.model_theorems import MODEL_THEOREMS, WRONG
from derive.library.theorems import LIBRARY
from derive.model import (
    Labels,
    Matrix,
    Scalar,
    Size,
    Vector,
    claim,
    cross_entropy,
    grad,
    l2,
    mse,
    softmax,
    tanh,
)
from derive.testing import assert_gradient

pytestmark = pytest.mark.timeout(120)


def _mlp(c: Size, d: Size, p: Size):  # type: ignore[no-untyped-def]
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    h = tanh(W @ x)
    yhat = softmax(V @ h)
    return x, y, W, V, h, yhat, cross_entropy(y, yhat)


def test_the_tanh_mlp_gradient_is_proved_for_every_size() -> None:
    c, d, p = Size("c"), Size("d"), Size("p")
    x, y, W, V, h, yhat, L = _mlp(c, d, p)
    verdict = decide(claim(grad(L, W), ((V.T @ (yhat - y)) * (1 - h * h)) @ x.T))
    assert verdict.proved and verdict.strategy == "index calculus"
    # For every size: the claim is about the entry (i, j) with symbolic ranges.
    assert verdict.claim.ranges[sp.Symbol("i", integer=True, positive=True)][1] == d.symbol
    assert decide(claim(grad(L, V), (yhat - y) @ h.T)).proved


def test_the_mlp_gradient_is_proved_at_fixed_sizes_entry_by_entry() -> None:
    c, d, p = Size("c", 2), Size("d", 2), Size("p", 3)
    x, y, W, V, h, yhat, L = _mlp(c, d, p)
    verdict = decide(claim(grad(L, W), ((V.T @ (yhat - y)) * (1 - h * h)) @ x.T))
    assert verdict.proved, verdict.explain()
    assert "(6 entries)" in (verdict.strategy or "")
    assert not verdict.claim.ranges  # explicit entries, no free indices
    # The same through sizes=..., and a wrong one is refuted there too.
    c2, d2, p2 = Size("c"), Size("d"), Size("p")
    x, y, W, V, h, yhat, L = _mlp(c2, d2, p2)
    wrong = decide(claim(grad(L, W), (V.T @ (yhat - y)) @ x.T, sizes={c2: 2, "d": 2, p2: 2}))
    assert wrong.refuted


@pytest.mark.parametrize("name", ["ridge_gradient", "logistic_gradient", "temperature_gradient",
                                  "label_smoothing_gradient", "softmax_shift_invariance", "logsumexp_shift",
                                  "cross_entropy_hessian", "cross_entropy_hessian_psd", "mlp_gradient_W",
                                  "mlp_gradient_V"])
def test_the_model_theorems_are_proved_for_every_size_and_at_their_sizes(name: str) -> None:
    theorem = LIBRARY[name]
    assert decide(theorem.symbolic()).proved
    assert decide(theorem.concrete(theorem.sizes())).proved


def _honors_domains(point: dict[str, object]) -> None:
    for name in ("t", "eps", "epsilon"):
        if name in point and not isinstance(point[name], list):
            assert 0 < float(point[name]) < 1  # type: ignore[arg-type]
    for name in ("T", "lam", "lambda"):
        if name in point:
            assert float(point[name]) > 0  # type: ignore[arg-type]
    if isinstance(point.get("y"), list):
        assert abs(sum(point["y"]) - 1) < 1e-12  # type: ignore[arg-type]


@pytest.mark.parametrize("mistake", list(WRONG))
def test_each_wrong_variant_is_refuted_at_a_point_that_honors_the_domains(mistake: str) -> None:
    built = WRONG[mistake]()
    verdict = decide(claim(built.lhs, built.rhs))
    assert verdict.refuted, verdict.explain()
    assert verdict.counterexample is not None
    _honors_domains(dict(verdict.counterexample.point))


def test_every_model_theorem_has_a_wrong_variant_and_a_numeric_check() -> None:
    named = {m.split(":")[0] for m in WRONG}
    assert named == {t.name for t in MODEL_THEOREMS}
    report = LIBRARY["temperature_gradient"].numeric({"k": 3}).run(samples=2)
    assert report.agreed and report.points == 2


def test_a_shape_mismatch_is_a_type_error_that_says_what_to_do() -> None:
    c, p = Size("c"), Size("p")
    x, W = Vector("x", p), Matrix("W", c, p)
    with pytest.raises(TypeError, match="inner sizes"):
        W.T @ W.T @ x
    with pytest.raises(TypeError, match=r"transpose with \.T"):
        claim(W @ x, x)
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)


def test_trace_norm_and_elementwise_agree_with_numpy_at_a_fixed_size() -> None:
    from derive.model import diag, elementwise, norm, trace

    n = Size("n", 3)
    A, u = Matrix("A", n, n), Vector("u", n)
    rng = np.random.default_rng(0)
    values = {"A": rng.normal(size=(3, 3)), "u": rng.normal(size=3)}

    a_base, u_base = sp.IndexedBase("A", real=True), sp.IndexedBase("u", real=True)
    point = {a_base[i + 1, j + 1]: values["A"][i, j] for i in range(3) for j in range(3)}
    point.update({u_base[i + 1]: values["u"][i] for i in range(3)})

    def at(expr: sp.Expr) -> float:
        return float(expr.xreplace({n.symbol: 3}).doit().xreplace(point))

    assert at(trace(A @ diag(u)).expr) == pytest.approx(np.trace(values["A"] @ np.diag(values["u"])))
    assert at(norm(u).expr) == pytest.approx(np.linalg.norm(values["u"]))
    assert at(norm(A).expr) == pytest.approx(np.linalg.norm(values["A"]))
    assert at(elementwise(sp.sinh, u)[2]) == pytest.approx(np.sinh(values["u"][1]))
    assert norm(Scalar("c")).expr == sp.Abs(sp.Symbol("c", real=True))
    with pytest.raises(TypeError, match="square matrix"):
        trace(Matrix("B", n, Size("m")))


# -- hypotheses -------------------------------------------------------------------------------------

def test_a_relation_over_plain_symbols_is_a_hypothesis_and_the_sampler_honors_it() -> None:
    y1, y2, y3 = sp.symbols("y1 y2 y3", real=True)
    assert decide(Claim("sum", y1 * (y1 + y2 + y3), y1, sp.Eq(y1 + y2 + y3, 1))).proved
    wrong = decide(Claim("sum", y2 * (y1 + y2 + y3), y1, sp.Eq(y1 + y2 + y3, 1)))
    assert wrong.refuted
    point = wrong.counterexample.point  # type: ignore[union-attr]
    assert point["y1"] + point["y2"] + point["y3"] == pytest.approx(1, abs=1e-12)
    a = sp.Symbol("a", real=True)
    refuted = decide(Claim("abs", sp.Abs(a), -a, a > 0))
    assert refuted.refuted and refuted.counterexample.point["a"] > 0  # type: ignore[union-attr]


def test_a_hypothesis_about_something_absent_is_an_error_with_the_fix() -> None:
    a, b = sp.symbols("a b", real=True)
    with pytest.raises(TypeError, match="names b, which the claim does not mention"):
        Claim("x", a, a, sp.Eq(b, 1))
    z = sp.IndexedBase("z", real=True)
    with pytest.raises(TypeError, match="array z, which is not declared"):
        Claim("x", a, a, sp.Eq(z[1], a))
    k = Size("k")
    zz, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    other = sp.IndexedBase("q", real=True)
    with pytest.raises(TypeError, match="does not use"):
        claim(softmax(zz), softmax(zz), SumToOne(other, k.symbol))
    del y


def test_bounded_scalars_are_drawn_inside_their_interval() -> None:
    eps, z = Scalar("eps", between=(0, 1)), Scalar("z")
    verdict = decide(claim(eps * z, z), Settings(samples=12))
    assert verdict.refuted
    assert 0 < verdict.counterexample.point["eps"] < 1  # type: ignore[union-attr,operator]


def test_sum_to_one_accepts_the_vector_space_vector_returns() -> None:
    space = Space.symbolic()
    k = space.size("k")
    z, y = space.vector("z", k, role=Role.LOGITS), space.vector("y", k, role=Role.LABELS)
    j = sp.Symbol("j", integer=True, positive=True)
    lhs = sp.diff(library_cross_entropy(space, y, z), z[j])
    verdict = decide(Claim.in_space(space, "ce", lhs, library_softmax(space, z)[j] - y[j], InRange(j, 1, k),
                                    SumToOne(y, k)))  # type: ignore[arg-type]
    assert verdict.proved
    with pytest.raises(TypeError, match="IndexedBase of a declared array"):
        SumToOne("y", k)  # type: ignore[arg-type]


def test_one_hypothesis_needs_no_list_and_a_missing_range_gets_a_hint() -> None:
    i, j = sp.symbols("i j", integer=True, positive=True)
    assert decide(Claim("delta", sp.KroneckerDelta(i, j), 0, Distinct(i, j))).proved
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    built = claim(grad(cross_entropy(y, softmax(z)), z), softmax(z) - y)
    without = Claim("no range", built.lhs, built.rhs, tuple(h for h in built.hypotheses
                                                            if not isinstance(h, InRange)), arrays=built.arrays)
    verdict = decide(without)
    assert verdict.undecided and verdict.residual is None
    assert "add InRange(i, 1, k)" in verdict.reason


# -- assert_gradient ----------------------------------------------------------------------------------

def _mlp_backward(x: np.ndarray, y: np.ndarray, W: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = np.tanh(W @ x)
    s = V @ h
    e = np.exp(s - s.max())
    g = e / e.sum() - y
    return np.outer((V.T @ g) * (1 - h**2), x), np.outer(g, h)


def test_assert_gradient_passes_a_correct_mlp_backward_and_fails_a_wrong_one() -> None:
    c, d, p = Size("c"), Size("d"), Size("p")
    x, y, W, V, _, _, L = _mlp(c, d, p)
    assert_gradient(_mlp_backward, L, wrt=[W, V], args=[x, y, W, V])

    def without_tanh_slope(*args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x_, _, W_, _ = args
        dW, dV = _mlp_backward(*args)
        h = np.tanh(W_ @ x_)
        return dW / (1 - h**2)[:, None], dV
    with pytest.raises(AssertionError) as info:
        assert_gradient(without_tanh_slope, L, wrt=[W, V], args=[x, y, W, V])
    text = str(info.value)
    assert text.startswith("Gradient check failed: your model's loss L: fn(x, y, W, V) -> (dL/dW, dL/dV)")
    assert " Mismatched elements of dL/dW:" in text and " Max absolute difference:" in text
    assert " reproduce: derive.testing.assert_gradient(without_tanh_slope, L, wrt=[W, V], args=[x, y, W, V]" in text


def test_assert_gradient_for_ridge_and_its_missing_one_over_n() -> None:
    N, p = Size("N"), Size("p")
    X, w, t, lam = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p), Vector("t", N), Scalar("lam", positive=True)
    L = mse(X @ w, t) / 2 + l2(w, lam)
    assert_gradient(lambda X, w, t, lam: X.T @ (X @ w - t) / len(t) + lam * w, L, wrt=[w], args=[X, w, t, lam])
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dw"):
        assert_gradient(lambda X, w, t, lam: X.T @ (X @ w - t) + lam * w, L, wrt=[w], args=[X, w, t, lam])


def test_assert_gradient_says_what_is_wrong_with_odd_results() -> None:
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    L = cross_entropy(y, softmax(z))
    with pytest.raises(AssertionError, match="complex-valued"):
        assert_gradient(lambda z, y: z * 1j, L, wrt=[z], args=[z, y])
    for odd in ("grad", {"z": 1}, None):
        with pytest.raises(AssertionError, match="must be a numpy array"):
            assert_gradient(lambda z, y, o=odd: o, L, wrt=[z], args=[z, y])
    start = time.perf_counter()
    late = r"did not return within the check's timeout=0\.2 s \([\d.]+ s of it were left"
    with pytest.raises(AssertionError, match=late):
        assert_gradient(lambda z, y: time.sleep(3), L, wrt=[z], args=[z, y], timeout=0.2)
    assert time.perf_counter() - start < 2.5
    with pytest.raises(TypeError, match="args does not pass"):
        assert_gradient(lambda z: z, L, wrt=[z], args=[z])


def test_torch_autograd_passes_for_the_mlp() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (CI installs torch==2.13.0)")
    c, d, p = Size("c"), Size("d"), Size("p")
    x, y, W, V, _, _, L = _mlp(c, d, p)

    def autograd(x_, y_, W_, V_):  # type: ignore[no-untyped-def]
        W_ = W_.clone().requires_grad_(True)
        V_ = V_.clone().requires_grad_(True)
        loss = -(y_ * torch.log_softmax(V_ @ torch.tanh(W_ @ x_), dim=0)).sum()
        loss.backward()
        return W_.grad, V_.grad
    assert_gradient(autograd, L, wrt=[W, V], args=[x, y, W, V], backend="torch")


def test_one_hot_labels_and_a_batch_mean() -> None:
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k)
    verdict = decide(claim(grad(cross_entropy(y, softmax(z)), z), softmax(z) - y))
    assert verdict.proved
    assert any("one-hot" in h.text for h in verdict.claim.hypotheses)
    N, p, c = Size("N"), Size("p"), Size("c")
    X, W, Y = Matrix("X", N, p, role=Role.INPUTS), Matrix("W", c, p), Labels("Y", c, soft=True, batch=N)
    P = softmax(X @ W.T)  # one row of class probabilities per sample
    L = cross_entropy(Y, P)  # the mean over the batch
    assert decide(claim(grad(L, W), (P - Y).T @ X / N)).proved
    assert decide(claim(grad(L, W), (P - Y).T @ X)).refuted  # the 1/N forgotten
