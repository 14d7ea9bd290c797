"""derive.testing: assertion helpers and the gradient check, with their failure messages pinned."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp

from derive.engine.claims import Claim
from derive.engine.hypotheses import InRange
from derive.library.functions import Role, Space, softmax
from derive.testing import assert_equivalent, assert_gradient, assert_proved, assert_refuted

# -- claims ---------------------------------------------------------------------------------------

def _offdiagonal_without_minus() -> Claim:
    space = Space.symbolic()
    k = space.size("k")
    z = space.vector("z", k, role=Role.LOGITS)
    yhat = softmax(space, z)
    i, j = sp.symbols("i j", integer=True, positive=True)
    from derive.engine.differentiate import derivative
    from derive.engine.hypotheses import Distinct

    return Claim.in_space(space, "offdiagonal_without_minus", derivative(yhat[i], z[j]), yhat[i] * yhat[j],
                          InRange(i, 1, k), InRange(j, 1, k), Distinct(i, j))


def test_assert_proved_takes_a_name_a_theorem_or_a_claim() -> None:
    from derive.library.theorems import LIBRARY

    assert assert_proved("softmax_jacobian_diagonal").strategy
    assert assert_proved(LIBRARY["log_softmax"]).proved
    x = sp.Symbol("x", real=True)
    assert assert_proved(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)).proved


def test_assert_proved_fails_with_the_evidence(golden: Callable[[str, str], None]) -> None:
    with pytest.raises(AssertionError) as info:
        assert_proved(_offdiagonal_without_minus())
    golden("testing/assert_proved_refuted.txt", str(info.value))


def test_assert_refuted_catches_the_wrong_step_and_fails_on_a_true_one() -> None:
    verdict = assert_refuted(_offdiagonal_without_minus())
    assert verdict.counterexample is not None
    with pytest.raises(AssertionError, match="Claim not refuted: cross_entropy_gradient_soft"):
        assert_refuted("cross_entropy_gradient_soft")


def test_assert_equivalent() -> None:
    x, y = sp.symbols("x y", positive=True)
    assert_equivalent(sp.log(x * y), sp.log(x) + sp.log(y))
    with pytest.raises(AssertionError, match="Not equivalent"):
        assert_equivalent(sp.log(x + y), sp.log(x) + sp.log(y))
    with pytest.raises(TypeError, match="strings are never parsed"):
        assert_equivalent("x", "x")  # type: ignore[arg-type]


def test_unknown_names_are_type_errors() -> None:
    with pytest.raises(TypeError, match="no theorem named"):
        assert_proved("softmax_jacobain")
    with pytest.raises(TypeError, match="unknown loss"):
        assert_gradient(lambda z, y: z, "mse")


# -- gradients ------------------------------------------------------------------------------------

def stable_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ce_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return stable_softmax(z) - y


def ce_grad_without_max_shift(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return e / e.sum() - y


def ce_grad_sign_error(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y - stable_softmax(z)


def two_layer_grads(A: np.ndarray, B: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = A @ x
    delta = stable_softmax(B @ h) - y
    return np.outer(B.T @ delta, x), np.outer(delta, h)


def two_layer_grads_transposed_a(A: np.ndarray, B: np.ndarray, x: np.ndarray,
                                 y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dA, dB = two_layer_grads(A, B, x, y)
    return dA.T, dB


def batch_grads(A: np.ndarray, B: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    H = X @ A.T
    delta = stable_softmax(H @ B.T) - Y
    return (B.T @ delta.T @ X) / len(X), (delta.T @ H) / len(X)


def batch_grads_without_mean(A: np.ndarray, B: np.ndarray, X: np.ndarray,
                             Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dA, dB = batch_grads(A, B, X, Y)
    return dA * len(X), dB * len(X)


def test_correct_numpy_gradients_pass() -> None:
    assert_gradient(ce_grad, "cross_entropy")
    assert_gradient(ce_grad, "cross_entropy_soft", sizes={"k": 4})
    assert_gradient(two_layer_grads, "two_layer")
    assert_gradient(batch_grads, "two_layer_batch")


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_backward_pass_without_the_max_shift_fails_at_large_logits(golden: Callable[[str, str], None]) -> None:
    with pytest.raises(AssertionError) as info:
        assert_gradient(ce_grad_without_max_shift, "cross_entropy")
    message = str(info.value)
    assert "non-finite entries (nan or inf)" in message and "logits up to ±1000" in message
    golden("testing/assert_gradient_overflow.txt", message)


def test_a_sign_error_fails_with_the_relative_error_per_component(golden: Callable[[str, str], None]) -> None:
    with pytest.raises(AssertionError) as info:
        assert_gradient(ce_grad_sign_error, "cross_entropy")
    golden("testing/assert_gradient_sign.txt", str(info.value))


def test_a_transposed_a_gradient_fails() -> None:
    with pytest.raises(AssertionError, match=r"wrong shape: shape \(5, 4\), expected \(4, 5\)"):
        assert_gradient(two_layer_grads_transposed_a, "two_layer")
    # With d = p the shapes agree and the values give it away.
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dA"):
        assert_gradient(two_layer_grads_transposed_a, "two_layer", sizes={"d": 4, "p": 4})


def test_a_missing_one_over_n_fails() -> None:
    with pytest.raises(AssertionError, match="Mismatched elements of dL/dA"):
        assert_gradient(batch_grads_without_mean, "two_layer_batch")


def test_a_torch_autograd_gradient_passes() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (.ci/run installs the CPU build)")

    def autograd(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = z.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(z[None, :], y[None, :])
        loss.backward()
        return z.grad

    assert_gradient(autograd, "cross_entropy", backend="torch")
    assert_gradient(autograd, "cross_entropy_soft", backend="torch")


def test_a_torch_two_layer_autograd_passes_and_a_float32_one_fails() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (.ci/run installs the CPU build)")

    def autograd(A, B, x, y, dtype=torch.float64):
        A = A.to(dtype).clone().requires_grad_(True)
        B = B.to(dtype).clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy((B @ (A @ x.to(dtype)))[None, :], y[None, :].to(dtype))
        loss.backward()
        return A.grad, B.grad

    assert_gradient(autograd, "two_layer", backend="torch")
    with pytest.raises(AssertionError, match="Gradient check failed"):
        assert_gradient(lambda *a: autograd(*a, dtype=torch.float32), "two_layer", backend="torch", rtol=1e-9)
