"""assert_gradient at real sizes against the proved gradient, its timeout, sizes and failure messages."""

from __future__ import annotations

import time

import numpy as np
import pytest

from derive.engine.space import Role
from derive.model import Labels, Matrix, Size, Vector, cross_entropy, relu, softmax, tanh
from derive.testing import assert_gradient
from derive.testing.model_gradient import choose_sizes

pytestmark = pytest.mark.timeout(120)


def _mlp():  # type: ignore[no-untyped-def]
    c, d, p = Size("c"), Size("d"), Size("p")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    return x, y, W, V, cross_entropy(y, softmax(V @ tanh(W @ x)))


def mlp_backward(x: np.ndarray, y: np.ndarray, W: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = np.tanh(W @ x)
    s = V @ h
    e = np.exp(s - s.max())
    g = e / e.sum() - y
    return np.outer((V.T @ g) * (1 - h**2), x), np.outer(g, h)


def test_the_mlp_is_checked_at_real_sizes_in_seconds() -> None:
    x, y, W, V, L = _mlp()
    start = time.perf_counter()
    assert_gradient(mlp_backward, L, wrt=[W, V], args=[x, y, W, V], sizes={"c": 10, "d": 64, "p": 128})
    assert time.perf_counter() - start < 10


def test_a_missing_transpose_fails_at_real_sizes() -> None:
    x, y, W, V, L = _mlp()

    def transposed(x_, y_, W_, V_):  # type: ignore[no-untyped-def]
        dW, dV = mlp_backward(x_, y_, W_, V_)
        return dW, dV.T.reshape(dV.shape)
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dV"):
        assert_gradient(transposed, L, wrt=[W, V], args=[x, y, W, V], sizes={"c": 10, "d": 64, "p": 128})


def test_default_sizes_are_distinct_and_at_least_three() -> None:
    _, _, _, _, L = _mlp()
    chosen = choose_sizes(L, [], None)
    assert sorted(chosen.values()) == [3, 4, 5] and len(set(chosen.values())) == 3


def test_a_hard_coded_half_that_holds_only_at_n_2_fails_by_default() -> None:
    n = Size("n")
    z = Vector("z", n)
    L = ((z - z.mean()) * (z - z.mean())).sum()  # Σ (z_i - mean)²: the gradient is 2 (z - mean)
    assert_gradient(lambda z: 2 * (z - z.mean()), L, wrt=[z], args=[z])

    def half(z):  # type: ignore[no-untyped-def]
        return 2 * z - z.sum()  # 2(z - Σz/2): right only when n = 2
    half(np.ones(2))
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dz"):
        assert_gradient(half, L, wrt=[z], args=[z])


def test_a_mismatch_where_the_exact_value_is_zero_reports_the_absolute_difference() -> None:
    n = Size("n")
    z, y = Vector("z", n), Vector("y", n)
    L = (z * y).sum() * 0  # the gradient is 0 everywhere
    with pytest.raises(AssertionError) as info:
        assert_gradient(lambda z, y: y, L, wrt=[z], args=[z, y])
    text = str(info.value)
    assert "(the exact value there is 0)" in text
    assert "Max relative difference: none (the exact gradient is 0 in every entry" in text
    assert "e+307" not in text


def test_the_reproduce_line_is_a_call_with_the_callers_names() -> None:
    x, y, first_layer, V, loss = _mlp()
    with pytest.raises(AssertionError) as info:
        assert_gradient(lambda x, y, W, V: (2 * mlp_backward(x, y, W, V)[0], mlp_backward(x, y, W, V)[1]), loss,
                        wrt=[first_layer, V], args=[x, y, first_layer, V])
    line = next(x for x in str(info.value).splitlines() if x.startswith(" reproduce: "))
    assert line == (" reproduce: derive.testing.assert_gradient((lambda x, y, W, V: (2 * mlp_backward(x, y, W, V)[0], "
                    "mlp_backward(x, y, W, V)[1])), loss, wrt=[first_layer, V], args=[x, y, first_layer, V], "
                    "sizes={'c': 3, 'd': 4, 'p': 5}, samples=6, seed=0)")
    assert " rerun:     pytest 'tests/test_gradient_checks.py::test_the_reproduce_line_is_a_call_with_the_callers_" \
           "names'" in str(info.value)
    # pasted where the test's names exist, it runs the same check, which fails the same way
    import derive.testing

    scope = {"derive": derive, "mlp_backward": mlp_backward, "loss": loss, "first_layer": first_layer, "V": V,
             "x": x, "y": y}
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dW") as again:
        eval(line.removeprefix(" reproduce: "), scope)  # the line derive printed, not user text
    assert "wrt=[first_layer, V], args=[x, y, first_layer, V]" in str(again.value)


@pytest.mark.slow
def test_the_timeout_bounds_the_whole_check() -> None:
    x, y, W, V, L = _mlp()
    calls = []

    def slow(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.5)
        return mlp_backward(*args)
    start = time.perf_counter()
    with pytest.raises(AssertionError, match=r"timeout=4 s"):
        assert_gradient(slow, L, wrt=[W, V], args=[x, y, W, V], samples=20, timeout=4)
    assert time.perf_counter() - start < 5.5
    assert 0 < len(calls) < 20


@pytest.mark.slow
def test_a_relu_network_without_its_mask_fails() -> None:
    c, d, p = Size("c"), Size("d"), Size("p")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    L = cross_entropy(y, softmax(V @ relu(W @ x)))

    def backward(x_, y_, W_, V_, mask=True):  # type: ignore[no-untyped-def]
        a = W_ @ x_
        h = np.maximum(a, 0)
        s = V_ @ h
        e = np.exp(s - s.max())
        g = e / e.sum() - y_
        back = V_.T @ g
        return np.outer(back * (a > 0) if mask else back, x_), np.outer(g, h)
    assert_gradient(backward, L, wrt=[W, V], args=[x, y, W, V], sizes={"c": 10, "d": 32, "p": 64})
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dW"):
        assert_gradient(lambda *a: backward(*a, mask=False), L, wrt=[W, V], args=[x, y, W, V],
                        sizes={"c": 10, "d": 32, "p": 64})


def test_logits_are_drawn_up_to_1000_at_extreme_points() -> None:
    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    L = cross_entropy(y, softmax(z))

    def without_max_shift(z_, y_):  # type: ignore[no-untyped-def]
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z_)
            return e / e.sum() - y_
    with pytest.raises(AssertionError, match="non-finite"):
        assert_gradient(without_max_shift, L, wrt=[z], args=[z, y], sizes={"k": 50})


MODEL_CLAIM = '''
from derive.model import Size, Vector, claim, grad, tanh
from derive.testing import theorem

@theorem
def test_tanh_slope_forgotten():
    x = Vector("x", Size("n"))
    return claim(grad(tanh(x).sum(), x), x * 0 + 1)
'''


@pytest.mark.slow
def test_the_plugin_header_names_the_test_and_the_reproduce_line_calls_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_model_claim=MODEL_CLAIM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Claim not proved: test_tanh_slope_forgotten",
                                 "*reproduce: derive.decide(__import__('test_model_claim')"
                                 ".test_tanh_slope_forgotten(), derive.Settings(seed=0, samples=12))",
                                 "*rerun:     pytest 'test_model_claim.py::test_tanh_slope_forgotten'"])
    assert "Claim not proved: model claim" not in result.stdout.str()
