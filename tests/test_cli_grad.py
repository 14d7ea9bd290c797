"""derive grad FILE LOSS --wrt NAMES: the gradient of a model file's loss in matrix form, from the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from derive.cli import main


def test_grad_prints_each_gradient_proved(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, "L", "--wrt", "W", "V"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂W = ((Vᵀ(ŷ - y)) ⊙ (1 - h ⊙ h))xᵀ   [proved for every size]" in out
    assert "∂L/∂V = (ŷ - y)hᵀ   [proved for every size]" in out
    assert "where h = tanh(Wx), ŷ = softmax(Vh)" in out


def test_grad_latex(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, "L", "--wrt", "V", "--latex"]) == 0
    assert capsys.readouterr().out.startswith(r"\frac{\partial L}{\partial V} = \left(\hat{y} - y\right) h^T")


def test_grad_numpy_is_pasteable_code(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, "L", "--wrt", "V", "--numpy"]) == 0
    code = capsys.readouterr().out
    namespace: dict[str, object] = {}
    exec(compile(code, "<derive grad>", "exec"), namespace)  # the code derive printed, as a user would paste it
    rng = np.random.default_rng(0)
    V, W, x = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    y = np.array([0.2, 0.3, 0.5])
    h = np.tanh(W @ x)
    e = np.exp(V @ h)
    expected = np.outer(e / e.sum() - y, h)
    np.testing.assert_allclose(namespace["grad_V"](V, W, x, y), expected, rtol=1e-12)  # type: ignore[operator]


def test_grad_exits_1_with_the_index_form_when_no_matrix_form_is_proved(model: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, "R", "--wrt", "x"]) == 1
    out = capsys.readouterr().out
    assert "∂R/∂x[i] = x[i]/sqrt(Sum(x[n]**2, (n, 1, p)))" in out and "'norm' has no matrix-form rule" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["L", "--wrt", "h"], "declares no array 'h'; it declares V, W, x, y"),
    (["Q", "--wrt", "W"], "defines no tensor 'Q'; its tensors are L, R, V, W, h, x, y, yhat"),
])
def test_grad_usage_errors(model: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, *argv]) == 2
    assert message in capsys.readouterr().err


def test_grad_reports_what_the_file_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("raise ValueError('no model here')\n")
    assert main(["grad", str(bad), "L", "--wrt", "W"]) == 2
    assert "raised ValueError: no model here" in capsys.readouterr().err
