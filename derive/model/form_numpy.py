"""A matrix form as numpy: the source of a function of the model's arrays, and the same computation as a callable.

Vectors and rows are 1-D arrays (a row is a transposed column, which numpy does not tell apart),
matrices 2-D; ``u vᵀ`` is ``np.outer(u, v)``, every other product ``@``. The sizes are read
from the arrays' shapes. The callable (:func:`evaluator`) walks the form itself, so nothing is
compiled from text; the source (:func:`source`) is for reading and pasting.

Examples:
    >>> import numpy as np
    >>> from derive.model import Size, Vector, tanh
    >>> from derive.model.matrix_gradient import gradient
    >>> p = Size("p"); x, w = Vector("x", p), Vector("w", p)
    >>> g = gradient((tanh(w) * x).sum(), w, names={})
    >>> print(source(g.form, "grad_w"))
    def grad_w(w, x):
        return x * (1 - (np.tanh(w) * np.tanh(w)))
    >>> float(evaluator(g.form)(w=np.zeros(2), x=np.ones(2))[0])
    1.0
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from derive.model.matrix_form import Form

__all__ = ["evaluator", "parameters", "source"]

_FUNCTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "tanh": ("np.tanh", np.tanh),
    "exp": ("np.exp", np.exp),
    "log": ("np.log", np.log),
    "sqrt": ("np.sqrt", np.sqrt),
    "sigmoid": ("_sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    "relu": ("_relu", lambda v: np.maximum(v, 0)),
    "step": ("_step", lambda v: np.heaviside(v, 0.0)),  # relu's derivative, Heaviside(v, 0): 0 at 0
    "softmax": ("_softmax", lambda v: _softmax(v)),
    "diag": ("np.diag", np.diag),  # of a vector: the diagonal matrix (the logistic Hessian's weights)
}

_HELPERS = {
    "_sigmoid": "def _sigmoid(v):\n    return 1 / (1 + np.exp(-v))\n",
    "_relu": "def _relu(v):\n    return np.maximum(v, 0)\n",
    "_step": "def _step(v):\n    return np.heaviside(v, 0.0)\n",
    "_softmax": ("def _softmax(v):\n    e = np.exp(v - v.max(axis=-1, keepdims=True))\n"
                 "    return e / e.sum(axis=-1, keepdims=True)\n"),
}


def _softmax(v: Any) -> Any:
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _py_name(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) else name


def parameters(form: Form) -> tuple[list[str], dict[sp.Symbol, tuple[str, int]]]:
    """The declared names the form needs (its function's parameters) and, per size, an array that has it."""
    names: set[str] = set()
    sizes: dict[sp.Symbol, tuple[str, int]] = {}
    for node in form.all_nodes():
        for decl in node.decls:
            if node.op == "var" and node.definition is not None:
                continue
            names.add(decl.name)
            for axis, size in enumerate(decl.shape):
                sizes.setdefault(size.symbol, (decl.name, axis))
    return sorted(names), sizes


class _Emit:
    """Python source of each node; named intermediates become assignments, in order."""

    def __init__(self, renamed: Mapping[str, str] | None = None) -> None:
        self.renamed = dict(renamed or {})  # sizes whose name an array or an intermediate has (p and p = σ(Xw))
        self.lines: list[str] = []
        self.helpers: set[str] = set()
        self.assigned: set[int] = set()

    def value(self, v: sp.Expr) -> str:
        names = {s: sp.Symbol(self.renamed.get(s.name, _py_name(s.name))) for s in v.free_symbols
                 if isinstance(s, sp.Symbol)}
        code = sp.pycode(v.xreplace(names), fully_qualified_modules=True).replace("math.", "np.")  # np.sqrt(d)
        return code if v.is_Atom else f"({code})"

    def shape(self, shape: tuple[sp.Expr, ...]) -> str:
        dims = ", ".join(self.value(s) for s in shape)
        return f"({dims},)" if len(shape) == 1 else f"({dims})"

    def __call__(self, f: Form) -> str:
        op, a = f.op, f.args
        if op == "var":
            if f.definition is None:
                return _py_name(f.name)
            if f.uid not in self.assigned:
                body = self(f.definition)
                self.assigned.add(f.uid)
                self.lines.append(f"    {_py_name(f.name)} = {_strip(body)}")
            return _py_name(f.name)
        if op == "const":
            assert f.value is not None
            return self.value(f.value)
        if op == "ones":
            return f"np.ones({self.shape(f.shape)})"
        if op == "eye":
            return f"np.eye({self.value(f.shape[0])})"
        if op == "T":
            return f"{self(a[0])}.T" if f.ndim == 2 and not f.is_row and a[0].ndim == 2 else self(a[0])
        if op == "matmul":
            left, right = self(a[0]), self(a[1])
            if a[0].ndim == 1 and a[1].is_row:
                return f"np.outer({_strip(left)}, {_strip(right)})"
            return f"({left} @ {right})"
        if op == "sum":
            return f"np.sum({_strip(self(a[0]))}" + ("" if f.axis is None else f", axis={f.axis}") + ")"
        if op in _FUNCTIONS:
            label = _FUNCTIONS[op][0]
            if label.startswith("_"):
                self.helpers.add(label)
            return f"{label}({_strip(self(a[0]))})"
        if op == "add" and a[1].op == "scale" and _negative(a[1].args[0]):
            return f"({self(a[0])} - {self(-a[1])})"
        if op == "scale" and a[0].is_const(-1):
            return f"(-{self(a[1])})"
        symbols = {"add": "+", "scale": "*", "mul": "*", "div": "/", "pow": "**"}
        if op in symbols:
            return f"({self(a[0])} {symbols[op]} {self(a[1])})"
        raise TypeError(f"no numpy code for {op!r}")


def _negative(c: Form) -> bool:
    return c.is_const() and c.value is not None and c.value.could_extract_minus_sign()


def _strip(code: str) -> str:
    """Outer parentheses dropped where they enclose the whole expression."""
    if not (code.startswith("(") and code.endswith(")")):
        return code
    depth = 0
    for n, ch in enumerate(code):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and n < len(code) - 1:
            return code
    return code[1:-1]


def source(form: Form, name: str = "gradient") -> str:
    """``def name(<arrays>): ...`` computing the form with numpy (``import numpy as np`` assumed)."""
    params, sizes = parameters(form)
    taken = {*params, *(v.name for v in form.variables() if v.definition is not None)}
    emit = _Emit({s.name: f"{s.name}_size" for s in sizes if s.name in taken})
    result = _strip(emit(form))
    used = {s for node in form.all_nodes() for s in _symbols(node)}
    size_lines = [f"    {emit.renamed.get(s.name, _py_name(s.name))} = {_py_name(arr)}.shape[{axis}]"
                  for s, (arr, axis) in sorted(sizes.items(), key=lambda kv: kv[0].name) if s in used]
    helpers = "".join(_HELPERS[h] + "\n\n" for h in sorted(emit.helpers))
    body = "\n".join([*size_lines, *emit.lines, f"    return {result}"])
    return f"{helpers}def {name}({', '.join(_py_name(p) for p in params)}):\n{body}"


def _symbols(node: Form) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    if node.value is not None:
        out |= node.value.free_symbols
    if node.op in ("ones", "eye"):
        for s in node.shape:
            out |= sp.sympify(s).free_symbols
    return out


def evaluator(form: Form) -> Callable[..., Any]:
    """The form as a function of the arrays (keyword arguments named as declared), at float64."""
    params, sizes = parameters(form)
    order = list(form.walk())
    definitions = [v for v in form.variables() if v.definition is not None]

    def run(**arrays: Any) -> Any:
        missing = [p for p in params if p not in arrays and _py_name(p) not in arrays]
        if missing:
            raise TypeError(f"the gradient needs the arrays {', '.join(missing)}")
        values = {p: np.asarray(arrays.get(p, arrays.get(_py_name(p))), dtype=np.float64) for p in params}
        env: dict[str, Any] = {s.name: values[arr].shape[axis] for s, (arr, axis) in sizes.items()}
        env.update({p: values[p] for p in params if values[p].ndim == 0})
        memo: dict[int, Any] = {}
        for v in definitions:
            assert v.definition is not None
            memo[v.uid] = _run(v.definition, values, env, memo)
        return _run(form, values, env, memo, order)
    return run


def _number(value: sp.Expr, env: Mapping[str, Any]) -> float:
    """A scalar (numbers, sizes, declared scalars) at the values of this call."""
    subs = {s: sp.Float(float(env[s.name]), 30) for s in value.free_symbols if isinstance(s, sp.Symbol)
            and s.name in env}
    return float(value.xreplace(subs))


def _run(form: Form, values: Mapping[str, Any], env: Mapping[str, Any], memo: dict[int, Any],
         order: list[Form] | None = None) -> Any:
    for node in order if order is not None else list(form.walk()):
        if node.uid in memo:
            continue
        a = [memo[x.uid] for x in node.args]
        op = node.op
        if op == "var":
            out = values[node.name] if node.definition is None else _run(node.definition, values, env, memo)
        elif op == "const":
            assert node.value is not None
            out = _number(node.value, env)
        elif op in ("ones", "eye"):
            dims = tuple(int(_number(sp.sympify(s), env)) for s in node.shape)
            out = np.ones(dims) if op == "ones" else np.eye(dims[0])
        elif op == "T":
            out = a[0].T
        elif op == "matmul":
            out = np.outer(a[0], a[1]) if node.args[0].ndim == 1 and node.args[1].is_row else a[0] @ a[1]
        elif op == "sum":
            out = np.sum(a[0], axis=node.axis)
        elif op in _FUNCTIONS:
            out = _FUNCTIONS[op][1](a[0])
        elif op in ("scale", "mul"):
            out = a[0] * a[1]
        elif op == "add":
            out = a[0] + a[1]
        elif op == "div":
            out = a[0] / a[1]
        elif op == "pow":
            out = a[0] ** a[1]
        else:
            raise TypeError(f"no numpy evaluation for {op!r}")
        memo[node.uid] = out
    return memo[form.uid]
