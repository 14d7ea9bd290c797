"""Expressions in matrix form: the model's own operations (@, .T, ⊙, diag, ones, sums), as a tree.

A :class:`Form` is what a textbook writes: ``Xᵀ(Xw - t)/N + λw``. It is built from the tensors of
a model (:func:`from_tensor` reads the recorded graph of :mod:`derive.model.graph`) or by the
chain rule (:mod:`derive.model.backprop`), and turned back into a model tensor with
:meth:`Form.tensor`, so that the engine can decide it against ``grad(L, W)`` for every size.

The constructors simplify as they build (scalars gathered in front, double transposes
dropped), so that what is printed is what one would write by hand. Shapes follow the model
layer: a vector is a column ``(n,)``, its transpose the row ``(1, n)``, a matrix ``(m, n)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derive.model import functions as fn
from derive.model import piecewise, reductions
from derive.model.blocks import DEFAULT_EPS
from derive.model.graph import hinted, origin
from derive.model.tensor import Declaration, Size, Tensor, as_tensor

__all__ = ["ELEMENTWISE", "Form", "NoMatrixForm", "const", "from_tensor", "ones", "var"]

#: Elementwise functions a form may apply (name → the model's function).
ELEMENTWISE = {"tanh": fn.tanh, "exp": fn.exp, "log": fn.log, "sigmoid": fn.sigmoid, "relu": piecewise.relu,
               "sqrt": fn.sqrt,
               "step": lambda t: fn.elementwise(lambda v: sp.Heaviside(v, 0), t)}  # relu's derivative: 0 at 0

#: Losses and reductions read from the graph whole, so that their gradient has its textbook form.
COMPOSITE = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "binary_cross_entropy", "mse", "l2",
             "norm", "trace", "diag", "normalize")


class NoMatrixForm(Exception):
    """The graph holds an operation with no matrix-form rule (the message names it)."""


_ids = itertools.count()


@dataclass(frozen=True, eq=False)
class Form:
    """One node: ``op`` on ``args``, of shape ``shape``.

    ``var`` nodes stand for a tensor (a declared array, or a named intermediate whose
    ``definition`` is its own form); ``const`` nodes for a scalar SymPy value (numbers, sizes,
    declared scalars) with the declarations it needs.
    """

    op: str
    args: tuple[Form, ...]
    shape: tuple[sp.Expr, ...]
    name: str = ""
    tensor_: Tensor | None = None
    value: sp.Expr | None = None
    decls: frozenset[Declaration] = frozenset()
    sizes: frozenset[Size] = frozenset()
    axis: int | None = None
    definition: Form | None = None
    uid: int = field(default_factory=lambda: next(_ids))

    # -- what it is --------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_scalar(self) -> bool:
        return not self.shape

    @property
    def is_row(self) -> bool:
        return self.ndim == 2 and self.shape[0] == 1

    def is_const(self, value: Any = None) -> bool:
        return self.op == "const" and (value is None or self.value == value)

    def walk(self) -> Iterator[Form]:
        """Every node once, children before parents (a topological order)."""
        seen: set[int] = set()
        stack: list[tuple[Form, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                yield node
                continue
            if node.uid in seen:
                continue
            seen.add(node.uid)
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args))

    def variables(self) -> list[Form]:
        """The var nodes this form mentions, named intermediates' definitions included, in order of use."""
        out: dict[int, Form] = {}

        def visit(f: Form) -> None:
            for node in f.walk():
                if node.op == "var" and node.uid not in out:
                    if node.definition is not None:
                        visit(node.definition)
                    out[node.uid] = node
        visit(self)
        return list(out.values())

    def all_nodes(self) -> Iterator[Form]:
        """Every node, those of named intermediates' definitions too."""
        yield from self.walk()
        for v in self.variables():
            if v.definition is not None:
                yield from v.definition.walk()

    # -- arithmetic that simplifies ------------------------------------------------------
    def __add__(self, other: Form) -> Form:
        return add(self, other)

    def __sub__(self, other: Form) -> Form:
        return add(self, scale(const(-1), other))

    def __neg__(self) -> Form:
        return scale(const(-1), self)

    def __mul__(self, other: Form) -> Form:
        return mul(self, other)

    def __truediv__(self, other: Form) -> Form:
        if other.is_const():
            assert other.value is not None
            return scale(const(1 / other.value, other.decls, other.sizes), self)
        return _node("div", (self, other), _broadcast(self, other))

    def __matmul__(self, other: Form) -> Form:
        return matmul(self, other)

    @property
    def T(self) -> Form:
        if self.is_scalar:
            return self
        if self.op == "T":
            return self.args[0]
        if self.op == "scale":
            return scale(self.args[0], self.args[1].T)
        if self.ndim == 1:
            return _node("T", (self,), (sp.S.One, self.shape[0]))
        if self.is_row:
            return _node("T", (self,), (self.shape[1],))
        return _node("T", (self,), (self.shape[1], self.shape[0]))

    # -- back to the model -----------------------------------------------------------------
    def tensor(self) -> Tensor:
        """This form as a model tensor, built with the model's own operations."""
        memo: dict[int, Tensor] = {}
        for node in self.walk():
            memo[node.uid] = node._build([memo[a.uid] for a in node.args])
        return memo[self.uid]

    def _build(self, a: list[Tensor]) -> Tensor:
        op = self.op
        if op == "var":
            assert self.tensor_ is not None
            return self.tensor_
        if op == "const":
            value = self.value
            return Tensor((), lambda: value, self.decls, self.sizes, kind="tensor")
        if op == "ones":
            return Tensor(self.shape, lambda *_: sp.S.One, sizes=self.sizes)
        if op == "eye":
            return Tensor(self.shape, lambda i, j: sp.KroneckerDelta(i, j), sizes=self.sizes)
        if op in ("scale", "mul"):
            return a[0] * a[1]
        simple = {"add": lambda: a[0] + a[1], "div": lambda: a[0] / a[1], "matmul": lambda: a[0] @ a[1],
                  "T": lambda: a[0].T, "pow": lambda: a[0] ** a[1], "softmax": lambda: reductions.softmax(a[0]),
                  "diag": lambda: fn.diag(a[0]), "sum": lambda: a[0].sum(self.axis)}
        if op in simple:
            return simple[op]()
        if op in ELEMENTWISE:
            return ELEMENTWISE[op](a[0])
        raise NoMatrixForm(f"a form with {op!r} has no model tensor")


# -- constructors ------------------------------------------------------------------------------

def _node(op: str, args: tuple[Form, ...], shape: tuple[sp.Expr, ...], **extra: Any) -> Form:
    return Form(op, args, tuple(shape), **extra)


def var(t: Tensor, name: str, definition: Form | None = None) -> Form:
    decls = frozenset(t.declarations)
    return Form("var", (), t.shape, name=name, tensor_=t, decls=decls, sizes=t.sizes, definition=definition)


def const(value: Any, decls: frozenset[Declaration] = frozenset(), sizes: frozenset[Size] = frozenset()) -> Form:
    return Form("const", (), (), value=sp.sympify(value), decls=decls, sizes=sizes)


def ones(shape: tuple[sp.Expr, ...], sizes: frozenset[Size]) -> Form:
    return Form("ones", (), tuple(shape), sizes=sizes)


def eye(n: sp.Expr, sizes: frozenset[Size]) -> Form:
    return Form("eye", (), (n, n), sizes=sizes)


def apply(name: str, a: Form) -> Form:
    return _node(name, (a,), a.shape)


def _broadcast(a: Form, b: Form) -> tuple[sp.Expr, ...]:
    """Equal shapes, a scalar with anything, or (as numpy) a vector along the rows of a matrix."""
    if a.shape and b.shape and a.shape != b.shape:
        if a.ndim == 2 and b.ndim == 1 and b.shape[0] == a.shape[1]:
            return a.shape
        if b.ndim == 2 and a.ndim == 1 and a.shape[0] == b.shape[1]:
            return b.shape
        raise NoMatrixForm(f"elementwise operation on shapes {a.shape} and {b.shape}")
    return a.shape or b.shape


def _const_product(a: Form, b: Form) -> Form:
    assert a.value is not None and b.value is not None
    return const(a.value * b.value, a.decls | b.decls, a.sizes | b.sizes)


def scale(c: Form, x: Form) -> Form:
    """The scalar ``c`` times ``x``; constants are multiplied out and kept in front."""
    if c.is_const(1):
        return x
    if x.is_const() and c.is_const():
        return _const_product(c, x)
    if x.op == "scale":
        inner, rest = x.args
        if c.is_const() and inner.is_const():
            return scale(_const_product(c, inner), rest)
        if not c.is_const() and inner.is_const():  # constants in front: 2·(g·x), not g·(2·x)
            return scale(inner, scale(c, rest))
    if c.op == "scale" and c.args[0].is_const():
        return scale(c.args[0], scale(c.args[1], x))
    return _node("scale", (c, x), x.shape)


def mul(a: Form, b: Form) -> Form:
    """Elementwise product (⊙), or a scalar times a tensor."""
    if (a.is_scalar and not b.is_scalar) or a.is_const():
        return scale(a, b)
    if b.is_scalar:
        return scale(b, a)
    if a.op == "ones" and a.shape == b.shape:
        return b
    if b.op == "ones" and a.shape == b.shape:
        return a
    if a.op == "scale":
        return scale(a.args[0], mul(a.args[1], b))
    if b.op == "scale":
        return scale(b.args[0], mul(a, b.args[1]))
    return _node("mul", (a, b), _broadcast(a, b))


def same(a: Form, b: Form) -> bool:
    """The same expression (structurally): x ⊙ x differentiated gives x twice, which is 2x."""
    if a is b:
        return True
    return (a.op == b.op and a.shape == b.shape and a.name == b.name and a.tensor_ is b.tensor_
            and a.value == b.value and a.axis == b.axis and len(a.args) == len(b.args)
            and all(same(x, y) for x, y in zip(a.args, b.args, strict=True)))


def add(a: Form, b: Form) -> Form:
    if a.is_const(0):
        return b
    if b.is_const(0):
        return a
    if a.is_const() and b.is_const() and a.value is not None and b.value is not None:
        return const(a.value + b.value, a.decls | b.decls, a.sizes | b.sizes)
    if same(a, b):
        return scale(const(2), a)
    if a.op == "scale" and b.op == "scale" and a.args[0].is_const() and b.args[0].is_const() \
            and same(a.args[1], b.args[1]):
        return scale(add(a.args[0], b.args[0]), a.args[1])
    return _node("add", (a, b), _broadcast(a, b))


def matmul(a: Form, b: Form) -> Form:
    """The matrix product with the model's shapes (column vectors, 1 × n rows); scalars pulled out."""
    if a.op == "scale":
        return scale(a.args[0], matmul(a.args[1], b))
    if b.op == "scale":
        return scale(b.args[0], matmul(a, b.args[1]))
    if b.op == "eye" and a.ndim == 2:
        return a
    if a.op == "eye" and b.ndim == 2:
        return b
    shape = _product_shape(a.shape, b.shape)
    return _node("matmul", (a, b), shape)


def _product_shape(a: tuple[sp.Expr, ...], b: tuple[sp.Expr, ...]) -> tuple[sp.Expr, ...]:
    if not a or not b:
        raise NoMatrixForm("@ of a scalar")
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return (a[0], b[1])
    if len(b) == 1:
        return () if a[0] == 1 else (a[0],)
    if a[0] == 1 and b[1] == 1:
        return ()
    return (a[0], b[1])


def sum_along(x: Form, axis: int | None) -> Form:
    """Σ of all entries (axis None) or along an axis of a matrix."""
    if axis is None:
        return _node("sum", (x,), ())
    return _node("sum", (x,), (x.shape[1 - axis],), axis=axis)


# -- from the recorded graph ----------------------------------------------------------------------

_DERIVED = {"add", "sub", "mul", "div", "neg", "matmul", "T", "pow", "sum", "mean", *ELEMENTWISE, *COMPOSITE}


def from_tensor(t: Any, names: dict[int, str], memo: dict[int, Form] | None = None, *,
                hints: bool = False) -> Form:
    """The form of a model tensor, read from its recorded graph; ``names`` maps id(tensor) to a name.

    A declared array is a var; a named intermediate is a var with its definition; a number or
    a size is a const. An operation without a rule raises :class:`NoMatrixForm`. With ``hints``
    the names library blocks suggest for what they build inside are used too.
    """
    memo = {} if memo is None else memo
    tensor = as_tensor(t)
    if id(tensor) in memo:
        return memo[id(tensor)]
    record = origin(tensor)
    if record is None:
        form = _leaf(tensor, names)
    elif record.op == "ones" and tensor.ndim in (1, 2):
        form = ones(tensor.shape, tensor.sizes)
    elif record.op == "eye":
        form = eye(tensor.shape[0], tensor.sizes)
    else:
        if record.op not in _DERIVED:
            raise NoMatrixForm(f"the operation {record.op!r} has no matrix-form rule")
        operands = record.args[:1] if record.op in ("sum", "mean") else record.args  # the axis is an option
        if record.op == "normalize":  # x and ε; the axis is an option
            operands = (record.args[0], record.option("eps", record.args[2] if len(record.args) > 2 else DEFAULT_EPS))
        args = tuple(from_tensor(a, names, memo, hints=hints) if isinstance(a, (Tensor, Size, int, float, sp.Basic))
                     else a for a in operands)
        form = Form("graph:" + record.op, tuple(a for a in args if isinstance(a, Form)), tensor.shape,
                    tensor_=tensor, decls=frozenset(tensor.declarations), sizes=tensor.sizes,
                    axis=_axis(record), name=names.get(id(tensor), "") or (_hint(tensor, names) if hints else ""))
    memo[id(tensor)] = form
    return form


def _hint(t: Tensor, names: dict[int, str]) -> str:
    """A block's suggested name (layer norm's x̂, attention's A), unless the caller used it for another tensor."""
    name = hinted(t)
    return name if name not in names.values() else ""


def _axis(record: Any) -> int | None:
    if record.op == "normalize":
        x = record.args[0]
        axis = record.option("axis", record.args[1] if len(record.args) > 1 else -1)
        ndim = len(x.shape) if isinstance(x, Tensor) else 0
        if ndim == 2 and axis in (0, -2):
            return 0  # batch norm: each column (feature) normalized over the batch
        if ndim not in (1, 2) or axis not in (-1, ndim - 1):
            raise NoMatrixForm("normalize has a matrix-form rule only along an axis of a vector or a matrix")
        return ndim - 1
    if record.op in ("softmax", "log_softmax", "logsumexp"):
        axis = record.option("axis", record.args[1] if len(record.args) > 1 else -1)
        ndim = len(record.args[0].shape) if isinstance(record.args[0], Tensor) else 0
        if record.op == "logsumexp" and (axis is not None or ndim != 1):
            raise NoMatrixForm("logsumexp has a matrix-form rule only for a vector")
        if record.op != "logsumexp" and axis not in (-1, ndim - 1):
            raise NoMatrixForm(f"{record.op} along axis {axis} has no matrix-form rule (only along the last)")
        return None
    if record.op in ("sum", "mean"):
        if record.option("keepdims", len(record.args) > 2 and record.args[2]):
            raise NoMatrixForm(f"{record.op}(keepdims=True) has no matrix-form rule")
        axis = record.option("axis", record.args[1] if len(record.args) > 1 else None)
        if isinstance(axis, int) and axis < 0:
            axis += len(record.args[0].shape)
        return axis if isinstance(axis, int) else None
    return None


def _leaf(t: Tensor, names: dict[int, str]) -> Form:
    if t.kind in ("array", "labels") and len(t.declarations) == 1:
        (decl,) = t.declarations
        return var(t, decl.name)
    if t.ndim == 0 and (t.kind == "scalar" or not t.declarations):
        return const(t.entry(), frozenset(t.declarations), t.sizes)
    raise NoMatrixForm(f"a tensor of shape {t.shape} that no recorded operation made ({names.get(id(t), 'unnamed')})")
