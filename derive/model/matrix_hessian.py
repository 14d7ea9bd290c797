"""``hessian_form(L, w)``: the Hessian of a loss by a vector in matrix form, proved equal to ``hessian(L, w)``.

The gradient in matrix form (:func:`derive.model.matrix_gradient.gradient`) is differentiated
once more, forward: the Jacobian of each node by w, for the nodes a gradient is made of
(a matrix that does not depend on w times a vector, sums, scalars in front, elementwise
products, sigmoid and tanh). ``J(σ(u)) = diag(σ(u) ⊙ (1 - σ(u))) J(u)``, ``J(Xw) = X``,
``J(λw) = λI``. The engine decides the result against SymPy's Hessian for every size.

Examples:
    >>> from derive.engine.space import Role
    >>> from derive.model import Size, Matrix, Vector, Scalar, sigmoid, binary_cross_entropy, l2
    >>> N, p = Size("N"), Size("p")
    >>> X, w, t = Matrix("X", N, p, role=Role.INPUTS), Vector("w", p), Vector("t", N)
    >>> lam = Scalar("lambda", positive=True)
    >>> prob = sigmoid(X @ w)
    >>> print(hessian_form(binary_cross_entropy(t, prob) + l2(w, lam), w, names={"p": prob}).splitlines()[0])
    ∂²L/∂w² = Xᵀ(diag(p ⊙ (1 - p))X)/N + λI   [proved for every size]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derive.engine.decide import Settings, decide
from derive.engine.verdict import Status, Verdict
from derive.model.claims import claim
from derive.model.form_print import text
from derive.model.functions import hessian
from derive.model.matrix_form import Form, NoMatrixForm, apply, const, eye, matmul, mul, scale
from derive.model.matrix_gradient import gradient
from derive.model.tensor import Tensor

__all__ = ["hessian_form", "hessian_matrix", "jacobian_form"]


def _depends(f: Form, w: Tensor) -> bool:
    return any(n.op == "var" and n.tensor_ is w for n in f.all_nodes())


def _add(a: Form | None, b: Form | None) -> Form | None:
    return b if a is None else a if b is None else a + b


def jacobian_form(f: Form, w: Tensor) -> Form | None:
    """∂f/∂w of a vector form f by the declared vector w, in matrix form (None: zero)."""
    if not _depends(f, w):
        return None
    op, a = f.op, f.args
    if op == "var":
        if f.tensor_ is w:
            return eye(w.shape[0], w.sizes)
        assert f.definition is not None
        inner = f.definition
        if inner.op in ("sigmoid", "tanh"):  # the named intermediate stands for the function's value
            slope = mul(f, const(1) - f) if inner.op == "sigmoid" else const(1) - mul(f, f)
            return _chain(slope, jacobian_form(inner.args[0], w))
        return jacobian_form(inner, w)
    if op == "add":
        return _add(jacobian_form(a[0], w), jacobian_form(a[1], w))
    if op == "scale":
        if _depends(a[0], w):
            raise NoMatrixForm("a scalar factor that depends on the variable")
        scaled = jacobian_form(a[1], w)
        return None if scaled is None else scale(a[0], scaled)
    if op == "matmul" and a[1].ndim == 1 and not _depends(a[0], w):
        product = jacobian_form(a[1], w)
        return None if product is None else matmul(a[0], product)
    if op == "mul" and f.ndim == 1:
        return _add(_chain(a[1], jacobian_form(a[0], w)), _chain(a[0], jacobian_form(a[1], w)))
    if op in ("sigmoid", "tanh"):
        slope = mul(f, const(1) - f) if op == "sigmoid" else const(1) - mul(f, f)
        return _chain(slope, jacobian_form(a[0], w))
    raise NoMatrixForm(f"no Jacobian rule for {op!r} of shape {f.shape}")


def _chain(slope: Form, inner: Form | None) -> Form | None:
    """diag(slope) J: an elementwise factor applied to a Jacobian."""
    return None if inner is None else matmul(apply("diag", slope), inner)


def hessian_matrix(loss: Any, w: Tensor, *, names: Mapping[str, Tensor] | None = None,
                   settings: Settings | None = None) -> tuple[Form | None, Verdict | None, str]:
    """The Hessian of ``loss`` by the vector ``w`` in matrix form with its verdict, or (None, None, why not).

    A zero Hessian is ``(None, None, "0")``.
    """
    g = gradient(loss, w, names=names if names is not None else {}, settings=settings)
    if not g.proved or g.form is None:
        return None, None, f"the gradient has none ({g.note})"
    try:
        form = jacobian_form(g.form, w)
    except NoMatrixForm as exc:
        return None, None, str(exc)
    if form is None:
        return None, None, "0"
    name = next(iter(w.declarations)).name
    return form, decide(claim(hessian(loss, w), form.tensor(), name=f"∂²L/∂{name}²"), settings or Settings()), ""


def hessian_form(loss: Any, w: Tensor, *, names: Mapping[str, Tensor] | None = None,
                 settings: Settings | None = None) -> str:
    """The Hessian of ``loss`` by the vector ``w`` in matrix form, with the verdict (a line of text)."""
    name = next(iter(w.declarations)).name
    form, verdict, why = hessian_matrix(loss, w, names=names, settings=settings)
    if why == "0":
        return f"∂²L/∂{name}² = 0"
    if form is None or verdict is None:
        return f"∂²L/∂{name}² has no matrix form: {why}"
    status = "proved for every size" if verdict.status == Status.PROVED else f"{verdict.status.value}, not proved"
    where = [f"{text(v)} = {text(v.definition)}" for v in form.variables() if v.definition is not None]
    return f"∂²L/∂{name}² = {text(form)}   [{status}]" + (f"\n  where {', '.join(where)}" if where else "")
