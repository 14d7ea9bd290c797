"""The chain rule on the recorded graph, in matrix form: the adjoint of each node, backwards.

Each rule says, for one operation of the model layer, what the adjoint ``G`` of its result
contributes to the adjoint of each operand, written with the model's operations (the shapes
of :mod:`derive.model.matrix_form`). With ``fused`` the losses are read whole: the
cross-entropy of a softmax gives ``ŷ - y`` (which needs Σy = 1), the binary cross-entropy of a
sigmoid ``p - t``; without it every operation is differentiated on its own, which needs no
hypothesis but prints less simply. Nothing here is trusted: the engine decides the result
against SymPy's gradient (:mod:`derive.model.matrix_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from derive.model.matrix_form import (
    ELEMENTWISE,
    Form,
    NoMatrixForm,
    _node,
    apply,
    const,
    mul,
    ones,
    scale,
    sum_along,
    var,
)
from derive.model.tensor import Tensor

__all__ = ["backprop", "express"]


class _Expressions:
    """Graph nodes written as forms: a named intermediate is a var (with its definition), the rest inline."""

    def __init__(self) -> None:
        self.cache: dict[int, Form] = {}
        self.sigma: dict[int, Form] = {}  # normalize's node → its σ (a named scalar, or a column of them)

    def __call__(self, node: Form) -> Form:
        if not node.op.startswith("graph:"):
            return node
        if node.uid not in self.cache:
            inline = self._inline(node)
            assert node.tensor_ is not None
            self.cache[node.uid] = var(node.tensor_, node.name, inline) if node.name else inline
        return self.cache[node.uid]

    def _inline(self, node: Form) -> Form:
        op, a = node.op.removeprefix("graph:"), [self(x) for x in node.args]
        if op in ("sum", "mean"):
            total = sum_along(a[0], node.axis)
            return total if op == "sum" else total / const(_count(node.args[0], node.axis), sizes=node.sizes)
        binary: dict[str, Callable[[], Form]] = {
            "add": lambda: a[0] + a[1], "sub": lambda: a[0] - a[1], "mul": lambda: mul(a[0], a[1]),
            "div": lambda: a[0] / a[1], "matmul": lambda: a[0] @ a[1],
            "pow": lambda: _node("pow", (a[0], a[1]), a[0].shape)}
        if op in binary:
            return binary[op]()
        if op == "neg":
            return -a[0]
        if op == "T":
            return a[0].T
        if op in _OF_NUMBERS and a[0].is_const() and a[0].value is not None:  # √d: a number, kept in front
            return const(_OF_NUMBERS[op](a[0].value), a[0].decls, a[0].sizes)
        if op in ELEMENTWISE or op == "softmax":
            return apply(op, a[0])
        if op == "log_softmax":
            return apply("log", apply("softmax", a[0]))
        if op == "normalize":
            return self._normalize(node, a[0], a[1])
        # Unwritable here; harmless unless it reaches the gradient, which backprop checks.
        return _node("opaque", (), node.shape, name=op)


    def _normalize(self, node: Form, x: Form, eps: Form) -> Form:
        """x̂ = (x - μ)/σ along its axis, with μ and σ named (the forms layer norm and batch norm are written
        with): along the last axis μ and σ are a number (a vector) or a column of them (a batch's rows);
        along axis 0 (batch norm) a vector of one per column, spread down the rows as 𝟏μᵀ."""
        axis = None if x.ndim == 1 else node.axis  # a vector's one axis is all of it
        n = const(_count(x, axis), sizes=node.sizes)
        mu = _named(sum_along(x, axis) / n, "mu")
        centred = x - _spread_along(mu, x, axis)
        sigma = _named(apply("sqrt", sum_along(mul(centred, centred), axis) / n + eps), "sigma")
        self.sigma[node.uid] = sigma
        return centred / _spread_along(sigma, x, axis)


express = _Expressions


def _named(f: Form, name: str) -> Form:
    """``f`` as a named intermediate (printed as its name, defined after "where")."""
    return var(f.tensor(), name, f)


def _spread_along(v: Form, like: Form, axis: int | None) -> Form:
    """The values of a reduction along ``axis`` spread back to the shape of ``like``: a scalar as it is (it
    broadcasts), a column of per-row values (axis 1) as v𝟏ᵀ, a row of per-column values (axis 0) as 𝟏vᵀ."""
    if like.ndim == 1 or axis is None:
        return v
    if axis == 0:
        return ones((like.shape[0],), like.sizes) @ v.T
    return v @ ones((like.shape[1],), like.sizes).T

_OF_NUMBERS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh}


def _count(node: Form, axis: int | None) -> sp.Expr:
    return sp.Mul(*node.shape) if axis is None else node.shape[axis]


def _unbroadcast(g: Form, operand: Form) -> Form:
    """A scalar broadcast over a tensor collects the sum of the adjoint; a vector along rows, its column sums."""
    if operand.is_scalar and not g.is_scalar:
        return sum_along(g, None)
    if operand.ndim == 1 and g.ndim == 2:
        return sum_along(g, 0)
    return g


Contribution = tuple[Form, Form]


def _rule(node: Form, g: Form, E: _Expressions, fused: bool) -> list[Contribution]:
    op, args = node.op.removeprefix("graph:"), node.args
    a = args[0] if args else None
    b = args[1] if len(args) > 1 else None
    assert a is not None
    if op == "add":
        assert b is not None
        return [(a, _unbroadcast(g, a)), (b, _unbroadcast(g, b))]
    if op == "sub":
        assert b is not None
        return [(a, _unbroadcast(g, a)), (b, _unbroadcast(-g, b))]
    if op == "mul":
        assert b is not None
        return [(a, _unbroadcast(mul(g, E(b)), a)), (b, _unbroadcast(mul(g, E(a)), b))]
    if op == "div":
        assert b is not None
        return [(a, _unbroadcast(g / E(b), a)),
                (b, _unbroadcast(-(mul(g, E(a)) / mul(E(b), E(b))), b))]
    if op == "neg":
        return [(a, -g)]
    if op == "T":
        return [(a, _transpose(g))]
    if op == "matmul":
        assert b is not None
        return _matmul(node, g, a, b, E)
    if op == "pow":
        assert b is not None
        if not b.is_const() or b.value is None:
            raise NoMatrixForm("a power with a variable exponent")
        k = b.value
        base = E(a) if k == 2 else _node("pow", (E(a), const(k - 1)), a.shape)
        return [(a, scale(const(k), mul(g, base)))]
    if op in ("sum", "mean"):
        spread = _spread(g, a, node.axis)
        return [(a, spread if op == "sum" else spread / const(_count(a, node.axis), sizes=node.sizes))]
    out = E(node) if op in ("tanh", "sigmoid", "exp", "sqrt", "softmax") else None
    if op == "tanh":
        assert out is not None
        return [(a, mul(g, const(1) - mul(out, out)))]
    if op == "sigmoid":
        assert out is not None
        return [(a, mul(mul(g, out), const(1) - out))]
    if op == "exp":
        assert out is not None
        return [(a, mul(g, out))]
    if op == "log":
        return [(a, g / E(a))]
    if op == "relu":
        return [(a, mul(g, apply("step", E(a))))]
    if op == "sqrt":
        assert out is not None
        return [(a, scale(const(sp.Rational(1, 2)), g / out))]
    if op == "softmax":
        assert out is not None
        return [(a, _softmax_back(g, out))]
    if op == "log_softmax":
        return [(a, g - mul(apply("softmax", E(a)), sum_along(g, None) if a.ndim == 1 else
                           sum_along(g, 1) @ ones((a.shape[1],), a.sizes).T))]
    if op == "normalize":
        return [(a, _normalize_back(node, g, E))]
    if op == "logsumexp":
        return [(a, scale(g, apply("softmax", E(a))))]
    if b is None:
        raise NoMatrixForm(f"the operation {op!r} has no matrix-form rule")
    if op == "cross_entropy":
        return _cross_entropy(g, a, b, E, fused)
    if op == "binary_cross_entropy":
        return _binary_cross_entropy(g, a, b, E, fused)
    if op == "mse":
        count = const(sp.Mul(*a.shape) if a.shape else 1, sizes=node.sizes)
        diff = scale(const(2), (E(a) - E(b)) / count)
        return [(a, scale(g, diff)), (b, scale(g, -diff))]
    if op == "l2":
        return [(a, scale(g, mul(E(b), E(a)))), (b, scale(g, scale(const(sp.Rational(1, 2)),
                                                                     sum_along(mul(E(a), E(a)), None))))]
    raise NoMatrixForm(f"the operation {op!r} has no matrix-form rule")


def _transpose(g: Form) -> Form:
    """gᵀ, a product's transpose written as the product of the transposes: (Qᵀ dS)ᵀ = dSᵀ Q, as by hand."""
    if g.op == "scale":
        return scale(g.args[0], _transpose(g.args[1]))
    if g.op == "matmul":
        return g.args[1].T @ g.args[0].T
    return g.T


def _spread(g: Form, a: Form, axis: int | None) -> Form:
    """The adjoint of a sum, spread back over what was summed."""
    if a.is_scalar:
        return g
    if axis is None:
        return scale(g, ones(a.shape, a.sizes))
    if axis == 0:
        return ones((a.shape[0],), a.sizes) @ g.T
    return g @ ones((a.shape[1],), a.sizes).T


def _softmax_back(g: Form, out: Form) -> Form:
    if out.ndim == 1:
        return mul(out, g - (out.T @ g))
    rows = sum_along(mul(out, g), 1) @ ones((out.shape[1],), out.sizes).T
    return mul(out, g - rows)


def _normalize_back(node: Form, g: Form, E: _Expressions) -> Form:
    """x̂ = (x - μ)/σ: ∂L/∂x = (n g - Σg - x̂ (x̂ · g)) / (nσ), row by row for a matrix normalized along its
    rows (layer norm), column by column along its columns (batch norm); g is the adjoint of x̂."""
    xhat = E(node)
    sigma = E.sigma[node.uid]
    if g.op not in ("var", "const"):
        g = _named(g, "g")
    axis = None if node.ndim == 1 else node.axis
    n = const(_count(node, axis), sizes=node.sizes)
    if node.ndim == 1:
        return (scale(n, g) - sum_along(g, None) - mul(xhat.T @ g, xhat)) / scale(n, sigma)
    along = mul(_spread_along(sum_along(mul(xhat, g), axis), node, axis), xhat)
    return (scale(n, g) - _spread_along(sum_along(g, axis), node, axis) - along) / \
        _spread_along(scale(n, sigma), node, axis)


def _matmul(node: Form, g: Form, a: Form, b: Form, E: _Expressions) -> list[Contribution]:
    A, B = E(a), E(b)
    if node.is_scalar:
        if a.ndim == 1 and b.ndim == 1:  # u · v
            return [(a, scale(g, B)), (b, scale(g, A))]
        if a.is_row and b.ndim == 1:  # uᵀ v
            return [(a, scale(g, B.T)), (b, scale(g, A.T))]
        raise NoMatrixForm(f"@ of shapes {a.shape} and {b.shape} to a scalar")
    return [(a, g @ B.T), (b, A.T @ g)]


def _batch(form: Form) -> Form | None:
    """1/N for a batch (one sample a row), None for a single vector."""
    return const(1 / form.shape[0], sizes=form.sizes) if form.ndim == 2 else None


def _cross_entropy(g: Form, y: Form, s: Form, E: _Expressions, fused: bool) -> list[Contribution]:
    per = _batch(s)
    out: list[Contribution] = []
    if fused and s.op == "graph:softmax":
        diff = E(s) - E(y)
        out.append((s.args[0], scale(g, diff if per is None else scale(per, diff))))
    else:
        grad_s = -(E(y) / E(s))
        out.append((s, scale(g, grad_s if per is None else scale(per, grad_s))))
    log_s = apply("log", E(s))
    out.append((y, scale(g, -log_s if per is None else scale(per, -log_s))))
    return out


def _binary_cross_entropy(g: Form, t: Form, p: Form, E: _Expressions, fused: bool) -> list[Contribution]:
    count = const(sp.Mul(*p.shape) if p.shape else 1, sizes=p.sizes)
    if fused and p.op == "graph:sigmoid":
        return [(p.args[0], scale(g, (E(p) - E(t)) / count))]
    P = E(p)
    return [(p, scale(g, ((P - E(t)) / mul(P, const(1) - P)) / count))]


def backprop(loss: Form, wrt: Tensor, *, fused: bool = True) -> Form:
    """The adjoint of ``wrt`` in the graph of ``loss`` (a scalar), in matrix form."""
    order = list(loss.walk())
    target = next((n for n in order if n.op == "var" and n.tensor_ is wrt), None)
    if target is None:
        raise NoMatrixForm("the loss does not depend on the variable")
    depends: set[int] = {target.uid}
    for node in order:
        if any(a.uid in depends for a in node.args):
            depends.add(node.uid)
    E = _Expressions()
    adjoint: dict[int, Form] = {loss.uid: const(1)}
    for node in reversed(order):
        g = adjoint.get(node.uid)
        if g is None or node is target or not node.op.startswith("graph:"):
            continue
        for operand, contribution in _rule(node, g, E, fused):
            if operand.uid in depends:
                before = adjoint.get(operand.uid)
                # the later contribution first: the data term before the penalty, as textbooks write
                adjoint[operand.uid] = contribution if before is None else contribution + before
    if target.uid not in adjoint:
        raise NoMatrixForm("the loss does not depend on the variable")
    result = adjoint[target.uid]
    opaque = next((n for n in result.all_nodes() if n.op == "opaque"), None)
    if opaque is not None:
        raise NoMatrixForm(f"{opaque.name} appears inside the gradient and has no matrix form")
    return result
