"""What a written expression means: names, shapes, definitions, and the component-wise reading.

The reader (:mod:`derive.audit.reader`) turns LaTeX into SymPy without knowing what the
names stand for. This module knows, from the post's declarations and definitions:

- which names are vectors and matrices and their shapes (``A \\in \\mathbb{R}^{d \\times p}``),
  and which arrays carry a leading sample index (``x_n``, ``y_{nj}``);
- what ``\\hat{y}``, ``\\operatorname{softmax}``, ``\\sigma`` and ``\\mathrm{CE}`` mean,
  and every name the post defines (``L_n = ...``, ``s_{nj} = ...``);
- how a vector or matrix equation is read: **component-wise**. ``∂L/∂B_j`` (B a
  matrix, B_j its row j) is read at component b, ``∂L_n/∂B_{jb}``; ``(A x_n)^T`` at b is
  ``Σ_q A_{bq} x_{nq}``; a product of vectors and matrices is put in the one order
  their shapes allow (``B_j \\cdot A x_n`` is a scalar). A vector side compared with a
  scalar side indexed by the component index j is read at j;
- what the reader's markers (⊙, diag, tr, norms, the ones, entries) and functions of a whole
  vector mean here: where a vector is meant, and where a vector stands for one of its entries.
  What is done with tensors once read (products, ⊙, diag, tr, norms) is
  :mod:`derive.audit.tensors`.

Everything here only builds expressions; :mod:`derive.engine.decide` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.application import function_at
from derive.audit.journal import TrackedDict, TrackedSet
from derive.audit.reader import DIAG, ENTRY, HADAMARD, MATMUL, NORM, ONES, TRACE, TRANSPOSE
from derive.audit.tensors import (
    SemanticsError,
    Tensor,
    contracted,
    describe,
    diag,
    elementwise,
    hadamard,
    kind,
    norm,
    ones_like,
    ordered_product,
    product,
    shape_text,
    trace,
    without_order,
)
from derive.engine.space import ArraySpec, Role
from derive.library.notation import Notation

__all__ = ["Meaning", "SemanticsError", "Shapes", "Tensor"]


@dataclass
class Shapes:
    """Names of the post: array shapes (after the sample index), sample-indexed arrays, roles."""

    arrays: dict[str, tuple[sp.Expr, ...]] = field(default_factory=TrackedDict)
    per_sample: set[str] = field(default_factory=TrackedSet)
    roles: dict[str, str] = field(default_factory=dict)
    samples: sp.Symbol = field(default_factory=lambda: sp.Symbol("N", integer=True, positive=True))

    def rank(self, name: str) -> int | None:
        shape = self.arrays.get(name)
        if shape is None:
            return None
        return len(shape) + (1 if name in self.per_sample else 0)


def _size(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


_FRESH = ("a", "b", "q", "r", "u", "v")


@dataclass
class Meaning:
    """The meaning of a post's expressions, built up as its declarations and definitions are read.

    Args:
        shapes: the arrays and their shapes.
        notations: names the post defines (``L``, ``s``, ``\\hat{y}``), as for proofs.
        functions: functions the post defines (``g(x) = ...``): their parameters and body.
        logits: the array softmax is taken of when ``\\hat{y}`` is used without a definition.
        default_size: the length of a vector whose shape is not declared (k).
    """

    shapes: Shapes = field(default_factory=Shapes)
    notations: dict[sp.Basic, Notation] = field(default_factory=dict)
    logits: str | None = None
    default_size: sp.Symbol = field(default_factory=lambda: _size("k"))
    component: sp.Symbol = field(default_factory=lambda: _size("j"))
    #: Functions the post defines: name -> (parameters, body).
    functions: dict[str, tuple[tuple[sp.Basic, ...], sp.Expr]] = field(default_factory=TrackedDict)
    #: Whether σ, which the reader applies as softmax, is the sigmoid of a scalar argument: in a post that
    #: never writes softmax (σ of a vector is still its softmax).
    sigmoid_of_scalars: bool = False
    #: The limits of the sums being read, innermost last: (index, lower, upper).
    _bound: list[tuple[sp.Basic, ...]] = field(default_factory=list, repr=False)
    _in_derivative: int = field(default=0, repr=False)
    _function_depth: int = field(default=0, repr=False)
    #: Whether what is being read is an operand of ⊙, diag, tr, a norm or an entry: a vector is meant there.
    _array_meant: bool = field(default=False, repr=False)

    # -- names ----------------------------------------------------------------------------
    def length(self, name: str) -> sp.Expr:
        shape = self.shapes.arrays.get(name)
        return shape[-1] if shape else self.default_size

    def array_specs(self, expr: sp.Basic) -> dict[str, ArraySpec]:
        """An ArraySpec for every array in ``expr``, so counterexamples give their entries values."""
        out: dict[str, ArraySpec] = {}
        for ix in expr.atoms(sp.Indexed):
            name = str(ix.base.label)
            if name in out:
                continue
            shape = self.shapes.arrays.get(name)
            if shape is None and name.startswith("∂") and "/∂" in name:
                # The opaque gradient ∂L/∂y of an undefined loss (steps.through_defined) has y's shape.
                shape = self.shapes.arrays.get(name.partition("/∂")[2])
            dims: tuple[sp.Expr, ...]
            if shape is not None:
                dims = ((self.shapes.samples,) if name in self.shapes.per_sample else ()) + tuple(shape)
            else:
                dims = (self.default_size,) * len(ix.indices)
            if len(dims) != len(ix.indices):
                continue  # read with another number of indices: not an array we can fill
            role = self.shapes.roles.get(name, Role.LOGITS if name == self.logits else Role.INPUTS)
            out[name] = ArraySpec(ix.base, dims, role)
        return out

    def index_ranges(self, expr: sp.Basic) -> dict[sp.Symbol, sp.Expr]:
        """For each free index, the size of the dimension it indexes (the first entry, by name, wins)."""
        ranges: dict[sp.Symbol, sp.Expr] = {}
        specs = self.array_specs(expr)
        free = expr.free_symbols  # once: with a softmax written out, the walk is long
        # In the order of their names, so that a range never depends on PYTHONHASHSEED.
        for ix in sorted(expr.atoms(sp.Indexed), key=str):
            spec = specs.get(str(ix.base.label))
            if spec is None:
                continue
            for pos, index in enumerate(ix.indices):
                if isinstance(index, sp.Symbol) and index in free:
                    ranges.setdefault(index, spec.shape[pos])
        for applied in sorted(expr.atoms(AppliedUndef), key=str):
            # softmax(s_n)_i, read softmax(s, n, i): i ranges over s's last dimension.
            args = applied.args
            if applied.func.__name__ in ("softmax", "logsoftmax") and len(args) >= 2 and \
                    isinstance(args[0], (sp.Symbol, sp.IndexedBase)) and isinstance(args[-1], sp.Symbol) and \
                    args[-1] in free:
                ranges.setdefault(args[-1], self.length(str(getattr(args[0], "label", args[0]))))
        for delta in sorted(expr.atoms(sp.KroneckerDelta), key=str):
            for index in delta.args:
                if isinstance(index, sp.Symbol) and index.is_integer and index in free:
                    ranges.setdefault(index, self.default_size)
        return ranges

    # -- built-in functions ---------------------------------------------------------------
    def softmax(self, logits: sp.Basic, index: sp.Expr, prefix: tuple[sp.Expr, ...] = ()) -> sp.Expr:
        if not isinstance(logits, (sp.Indexed, sp.Symbol, sp.IndexedBase)) and not prefix:
            return self._softmax_of(self.tensor(logits)).at(index)  # softmax(z/T)_j
        base = logits.base if isinstance(logits, sp.Indexed) else logits
        if isinstance(logits, sp.Indexed):
            if self._is_component(logits):
                raise SemanticsError(f"softmax of {sp.sstr(logits)}, a single component: softmax takes a vector")
            prefix = tuple(logits.indices)
        if isinstance(base, sp.Symbol):
            base = sp.IndexedBase(base.name, real=True)
        if not isinstance(base, sp.IndexedBase):
            raise SemanticsError(f"softmax of {sp.sstr(logits)}: expected a vector")
        n = sp.Symbol("n_", integer=True)
        size = self.length(str(base.label))
        return sp.exp(base[(*prefix, index)]) / sp.Sum(sp.exp(base[(*prefix, n)]), (n, 1, size))

    def _sigmoid(self, expr: sp.Basic) -> sp.Expr | None:
        """σ(x) or σ'(x) of a scalar x as the sigmoid (or its derivative), where σ may mean it; else None."""
        if not (self.sigmoid_of_scalars and isinstance(expr, AppliedUndef) and len(expr.args) == 1
                and expr.func.__name__ in ("softmax", "softmax'")):
            return None
        arg = expr.args[0]
        if isinstance(arg, sp.IndexedBase) or (isinstance(arg, sp.Symbol) and arg.name in self.shapes.arrays) or \
                self.tensor(arg).shape:
            return None
        value = 1 / (1 + sp.exp(-arg))
        return value if expr.func.__name__ == "softmax" else value * (1 - value)

    def _functions(self, expr: sp.Basic, component: sp.Symbol | None) -> sp.Basic:
        """softmax(z, i), softmax(z) at the component, CE(y, ŷ) written out."""
        def rewrite(node: sp.Basic) -> sp.Basic:
            name = node.func.__name__
            args = node.args
            sigmoid = self._sigmoid(node)
            if sigmoid is not None:
                return sigmoid
            if name in self.functions and len(args) == len(self.functions[name][0]):
                out = function_at(self, node, *self.functions[name])
                # h_θ(x) = g(θ^T x) read before g was defined: g of the body is written out too (a bounded
                # depth: two functions defined by each other are left as they are).
                if out != node and out.has(AppliedUndef) and self._function_depth < 8:
                    self._function_depth += 1
                    try:
                        out = self._functions(out, component)
                    finally:
                        self._function_depth -= 1
                return out
            if name in ("softmax",):
                if len(args) == 2:
                    return self.softmax(args[0], args[1])
                if len(args) > 2 and isinstance(args[0], (sp.Symbol, sp.IndexedBase)):
                    # softmax(s_n)_i, read softmax(s, n, i): the sample's vector s_n at component i.
                    return self.softmax(args[0], args[-1], tuple(args[1:-1]))
                if len(args) == 1 and component is not None:
                    return self.softmax(args[0], component)
            # CE(z_i, z_j): the audit made CE a function of both logits of ∂²CE/∂z_i∂z_j, not CE(y, p).
            by_logits = self.logits is not None and all(
                isinstance(a, sp.Indexed) and str(a.base.label) == self.logits and self._is_component(a) for a in args)
            if name in ("CE", "ce") and len(args) > 1 and by_logits:
                args = args[:1]
            elif name in ("CE", "ce", "H", "NLL") and len(args) == 2:
                y, p = (self._as_base(a) for a in args)
                m = sp.Symbol("m_", integer=True)
                size = self.length(str(y.label))
                return -sp.Sum(y[m] * sp.log(self._entry(p, m)), (m, 1, size))
            if name in ("CE", "ce") and len(args) == 1 and self.logits is not None:
                # CE(θ) as a function of the logits: the labels are the post's label vector.
                logits = args[0]
                if isinstance(logits, sp.Indexed) and self._is_component(logits):
                    if str(logits.base.label) != self.logits:
                        return node
                    # ∂CE/∂z_j: the audit made CE a function of the one logit z_j; CE is a
                    # function of the whole logit vector z (of sample i for z^{(i)}_j).
                    prefix = logits.indices[:-1]
                    logits = logits.base[prefix] if prefix else logits.base
                labels = next((n for n, r in self.shapes.roles.items() if r == Role.LABELS), "y")
                m = sp.Symbol("m_", integer=True)
                y = sp.IndexedBase(labels, real=True)
                return -sp.Sum(y[m] * sp.log(self.softmax(logits, m)), (m, 1, self.length(labels)))
            return node
        # CE of vector expressions first, from their whole vectors: CE(y, softmax(z/T)),
        # CE((1-ε)y + ε/k, ŷ) (the general pass, inside out, would take softmax(z/T) at j first).
        expr = expr.replace(lambda node: isinstance(node, AppliedUndef) and len(node.args) == 2 and
                            node.func.__name__ in ("CE", "ce", "H", "NLL") and
                            not all(isinstance(a, (sp.Symbol, sp.IndexedBase)) for a in node.args),
                            self._cross_entropy)
        return expr.replace(lambda node: isinstance(node, AppliedUndef), rewrite)

    def _cross_entropy(self, node: sp.Basic) -> sp.Basic:
        labels, probabilities = (self.tensor(a) for a in node.args)
        if len(labels.shape) != 1 or labels.shape != probabilities.shape:
            raise SemanticsError(f"CE(y, p) of a {shape_text(labels)} and a {shape_text(probabilities)}: "
                                 "it takes two vectors of one length")
        m = contracted()
        return -sp.Sum(labels.at(m) * sp.log(probabilities.at(m)), (m, 1, labels.shape[0]))

    def _is_component(self, expr: sp.Indexed) -> bool:
        """Whether ``expr`` is one entry of its array (z_j of a vector z), not a row of it."""
        rank = self.shapes.rank(str(expr.base.label))
        return rank is not None and len(expr.indices) >= rank

    def _as_base(self, arg: sp.Basic) -> sp.IndexedBase:
        if isinstance(arg, sp.IndexedBase):
            return arg
        if isinstance(arg, sp.Symbol):
            return sp.IndexedBase(arg.name, real=True)
        raise SemanticsError(f"expected a vector name, found {sp.sstr(arg)}")

    def _entry(self, base: sp.IndexedBase, index: sp.Expr) -> sp.Expr:
        if str(base.label) == "yhat" and base not in self.notations and self.logits is not None:
            return self.softmax(sp.IndexedBase(self.logits, real=True), index)
        return base[index]

    # -- tensors --------------------------------------------------------------------------
    def tensor(self, expr: sp.Basic, expected: tuple[sp.Expr, ...] | None = None) -> Tensor:
        """The component-wise reading of ``expr``: its shape and its entry at given indices."""
        if isinstance(expr, sp.Symbol) and expr.name in self.shapes.arrays and \
                self.shapes.rank(expr.name) == len(self.shapes.arrays[expr.name]):
            return self._array(sp.IndexedBase(expr.name, real=True), ())
        if isinstance(expr, sp.IndexedBase):
            return self._array(expr, ())
        if isinstance(expr, sp.Indexed):
            name = str(expr.base.label)
            rank = self.shapes.rank(name)
            if rank is not None and len(expr.indices) < rank:
                return self._array(expr.base, tuple(expr.indices))
            return Tensor.scalar(expr)
        if isinstance(expr, AppliedUndef) and expr.func == TRANSPOSE:
            inner = self.tensor(expr.args[0])
            if len(inner.shape) == 2:
                return Tensor((inner.shape[1], inner.shape[0]), lambda a, b: inner.at(b, a))
            return Tensor(inner.shape, inner.at, row=not inner.row) if inner.shape else inner
        if isinstance(expr, AppliedUndef) and expr.func == MATMUL:
            return ordered_product(self._factors_with_ones(expr.args))
        sigmoid = self._sigmoid(expr)
        if sigmoid is not None:
            return Tensor.scalar(sigmoid)
        if isinstance(expr, AppliedUndef) and expr.func.__name__ == "softmax" and len(expr.args) == 1:
            arg = expr.args[0]
            if isinstance(arg, (sp.Symbol, sp.IndexedBase)) or (isinstance(arg, sp.Indexed) and
                                                                 not self._is_component(arg)):
                base = self._as_base(arg)
                return Tensor((self.length(str(base.label)),), lambda i: self.softmax(base, i))
            return self._softmax_of(self.tensor(arg))
        if isinstance(expr, AppliedUndef) and expr.func in _MARKERS:
            return self._marker(expr)
        if isinstance(expr, sp.Derivative) and len(expr.variable_count) > 1:
            # ∂²f/∂z_i∂z_j: a mixed derivative by entries (scalars) is a scalar.
            with self._meant(array=False):
                body = self.tensor(expr.expr)
            if body.shape or any(self.tensor(v).shape for v, _ in expr.variable_count):
                raise SemanticsError("a mixed derivative of a vector, or by a whole vector, is not read; "
                                     "write it by entries, \\frac{\\partial^2 f}{\\partial z_i \\partial z_j}")
            return Tensor.scalar(sp.Derivative(body.at(), *expr.variable_count))
        if isinstance(expr, sp.Derivative):
            (var, order), = expr.variable_count
            wrt = self.tensor(var)
            # Inside a derivative a scalar function of a vector keeps its older reading, the
            # component (∂/∂z_j log softmax(z) is of the j-th entry), never a whole vector.
            self._in_derivative += 1
            try:
                with self._meant(array=False):
                    body = self.tensor(expr.expr)
            finally:
                self._in_derivative -= 1
            if len(body.shape) == 1 and len(wrt.shape) == 1 and order == 1:
                # ∂ŷ/∂z, the Jacobian: entry (a, b) is ∂ŷ_a/∂z_b (numerator layout).
                return Tensor((body.shape[0], wrt.shape[0]),
                              lambda a, b: sp.Derivative(body.at(a), wrt.at(b)))
            whole = isinstance(var, sp.Indexed) and var.indices[-1] == self.component and order == 1 \
                and self._is_component(var)
            if len(body.shape) == 1 and whole:
                # ∂ŷ/∂z, which the reader took by z's component j: the Jacobian, entry (a, b) ∂ŷ_a/∂z_b.
                assert isinstance(var, sp.Indexed)
                prefix, base = var.indices[:-1], var.base
                size = self.length(str(base.label))
                return Tensor((body.shape[0], size), lambda a, b: sp.Derivative(body.at(a), base[(*prefix, b)]))
            if len(body.shape) == 1 and not wrt.shape:
                return Tensor(body.shape, lambda a: sp.Derivative(body.at(a), var, order), row=body.row)
            if body.shape:
                raise SemanticsError("the derivative of a matrix, or of a vector by a matrix (a Jacobian of "
                                     "higher rank), is not read")
            if not wrt.shape:
                return Tensor.scalar(sp.Derivative(body.at(), var, order))
            return Tensor(wrt.shape, lambda *ix: sp.Derivative(body.at(), wrt.at(*ix), order), row=wrt.row)
        if isinstance(expr, sp.Add):
            if expr.has(ONES()):
                # v - \mathbf{1}: the ones have the length of the vectors they are added to.
                expr = expr.xreplace({ONES(): sp.Integer(1)})
                if not any(len(self.tensor(a).shape) == 1 for a in expr.args):
                    raise SemanticsError("the vector of ones is added to no vector: its length is not known")
            parts = [self.tensor(a) for a in expr.args]
            shapes = {p.shape for p in parts}
            if any(len(p.shape) == 1 for p in parts) and any(not p.shape and self._two_vectors(a)
                                                             for a, p in zip(expr.args, parts, strict=True)):
                # y = x γ + β: two vectors side by side are a dot product only where a scalar is meant;
                # added to a vector, they may as well be the entrywise product x ⊙ γ of layer norm.
                raise SemanticsError("a product of two vectors is added to a vector: it may be their dot "
                                     "product or their entrywise product; write x^T y or x \\odot y")
            broadcast = self._broadcast(parts)
            if broadcast is not None:
                return broadcast
            if len(shapes) > 1:
                # -1 + softmax(z): a vector among scalars is its component j (the post's abuse).
                parts = [self._at_component(p, "added to a scalar") for p in parts]
            shape = parts[0].shape
            return Tensor(shape, lambda *ix: sp.Add(*[p.at(*ix) for p in parts]), row=parts[0].row)
        if isinstance(expr, sp.Mul):
            return product([self.tensor(a) for a in expr.args], expected)
        if isinstance(expr, sp.Sum):
            # Inside Σ_i, a vector used as a scalar is its component i (Σ_i y_i log softmax(θ)).
            self._bound.append(tuple(expr.limits[-1]))
            try:
                with self._meant(array=False):
                    body = self.tensor(expr.function, expected)
            finally:
                self._bound.pop()
            return Tensor(body.shape, lambda *ix: sp.Sum(body.at(*ix), *expr.limits), row=body.row)
        if isinstance(expr, sp.Pow):
            base = self.tensor(expr.base)
            if len(base.shape) == 1 and (self._array_meant or (expr.exp == sp.S.Half and self._may_map())):
                # √v entry by entry; (1 - h^2) beside ⊙ (where a vector is meant) is 1 - h ⊙ h.
                return elementwise(lambda v: v ** expr.exp, base)
            base = self._at_component(base, "raised to a power")
            return Tensor.scalar(base.at() ** expr.exp)
        if isinstance(expr, AppliedUndef) and expr.func != TRANSPOSE:
            definition = self.functions.get(expr.func.__name__)
            if definition is not None and len(expr.args) == 1 and any(
                    str(ix.base.label) == str(definition[0][0]) for ix in definition[1].atoms(sp.Indexed)):
                # logsumexp(x) = log Σ_i exp(x_i): a function of a whole vector, one number (never mapped).
                return Tensor.scalar(self._functions(expr, None))
            if expr.func.__name__ in self.functions and len(expr.args) == 1 and self._may_map():
                # σ(W x) with σ the post's own function of a number: applied to each entry.
                mapped = self._entrywise(expr, lambda v: self._functions(expr.func(v), None))
                if mapped is not None:
                    return mapped
            if definition is not None and len(definition[0]) == len(expr.args):
                return Tensor.scalar(expr.func(*(self._number_argument(expr, param, arg, definition[1])
                                                 for param, arg in zip(definition[0], expr.args, strict=True))))
            if any(a.has(MATMUL, TRANSPOSE) for a in expr.args):
                # g(θ^T x) of a g the post has not defined yet: a product of arrays that is a number is written
                # out (Σ_j θ_j x_j), so that the body holds no marker when g is defined later.
                lowered = [self.tensor(a) if a.has(MATMUL, TRANSPOSE) else None for a in expr.args]
                if all(t is None or not t.shape for t in lowered):
                    return Tensor.scalar(expr.func(*(a if t is None else t.at()
                                                     for a, t in zip(expr.args, lowered, strict=True))))
            return Tensor.scalar(expr)  # a function's value is a scalar; its arguments stay as written
        if isinstance(expr, (*_ELEMENTWISE, sp.Max, sp.Min)) and self._may_map():
            # tanh(Wx), exp(z), max(0, Wx): a function of a whole vector is applied to each entry.
            mapped = self._entrywise(expr)
            if mapped is not None:
                return mapped
        if isinstance(expr, (sp.exp, sp.log)):
            # log(softmax(z)): the vector argument of a scalar function is its component j.
            arg = self._at_component(self.tensor(expr.args[0]), f"the argument of {expr.func.__name__}")
            return Tensor.scalar(expr.func(arg.at()))
        if expr.args and not isinstance(expr, (sp.Indexed, sp.KroneckerDelta)):
            parts = [self.tensor(a) for a in expr.args if isinstance(a, sp.Expr)]
            if any(t.shape for t in parts):
                raise SemanticsError(f"{type(expr).__name__} of a vector or matrix is not read")
        return Tensor.scalar(expr)

    @contextmanager
    def _meant(self, *, array: bool) -> Iterator[None]:
        """Read what is inside as an operand where a vector is meant (``array``), or not."""
        saved, self._array_meant = self._array_meant, array
        try:
            yield
        finally:
            self._array_meant = saved

    def _may_map(self) -> bool:
        """Whether a function of a whole vector applies to each entry here: where a vector is meant,
        or outside a sum and a derivative (inside, it keeps the older reading, the vector's component)."""
        return self._array_meant or not (self._bound or self._in_derivative)

    def _entrywise(self, expr: sp.Basic, fn: Callable[[sp.Expr], sp.Expr] | None = None) -> Tensor | None:
        """``f(v)``, ``max(0, v)``: the function at each entry of its one vector argument (None: no vector)."""
        parts = [self.tensor(a) for a in expr.args]
        vectors = [n for n, t in enumerate(parts) if t.shape]
        if len(vectors) != 1 or len(parts[vectors[0]].shape) != 1:
            return None
        at = vectors[0]
        values = [t.at() if n != at else None for n, t in enumerate(parts)]

        def apply(v: sp.Expr) -> sp.Expr:
            return expr.func(*[v if n == at else values[n] for n in range(len(parts))])
        return elementwise(fn or apply, parts[at])

    def _two_vectors(self, expr: sp.Basic) -> bool:
        """Whether ``expr`` is a product of two vectors with no transpose to say which product it is."""
        product = isinstance(expr, sp.Mul) or (isinstance(expr, AppliedUndef) and expr.func == MATMUL)
        return product and not expr.has(TRANSPOSE) and sum(len(self.tensor(a).shape) == 1 for a in expr.args) == 2

    def _broadcast(self, parts: list[Tensor]) -> Tensor | None:
        """v + s, 1 - h ⊙ h: a scalar added to a vector is added to each entry (ones(n)·s).

        Only outside a sum over an index or a derivative (there the older reading takes the vector
        at that index, or at the component), and only for vectors: 1 + M of a matrix M may mean the
        identity, so it is not read.
        """
        vectors = [p for p in parts if len(p.shape) == 1]
        if not self._may_map() or not vectors or any(len(p.shape) > 1 for p in parts):
            return None
        if len({p.shape for p in vectors}) > 1 or len({p.row for p in vectors}) > 1:
            raise SemanticsError("vectors of different lengths (or a row and a column) are added: "
                                 + " and ".join(shape_text(p) for p in vectors))
        ones = [p for p in parts if p.shape == ("ones",)]
        if ones:
            raise SemanticsError("the vector of ones is added to a scalar only")
        return Tensor(vectors[0].shape, lambda i: sp.Add(*[p.at(i) if p.shape else p.at() for p in parts]),
                      row=vectors[0].row)

    def _factors_with_ones(self, args: tuple[sp.Basic, ...]) -> list[Tensor]:
        r"""The factors of a written product; \mathbf{1} takes its length from its neighbour
        (``\mathbf{1}^T v``: v's length; ``M \mathbf{1}``: M's columns)."""
        transposed_ones = TRANSPOSE(ONES())
        factors: list[Tensor | None] = [None if a in (ONES(), transposed_ones) else self._factor(a) for a in args]
        for at, arg in enumerate(args):
            if factors[at] is not None:
                continue
            row = arg == transposed_ones
            neighbour = factors[at + 1] if row and at + 1 < len(args) else factors[at - 1] if at > 0 and not row \
                else None
            if neighbour is None or not neighbour.shape:
                raise SemanticsError("the vector of ones stands where its length is not known; write its "
                                     "length out with a sum, \\sum_{i=1}^{n}")
            length = neighbour.shape[0] if row else neighbour.shape[-1]
            factors[at] = Tensor((length,), lambda _i: sp.Integer(1), row=row)
        return [f for f in factors if f is not None]

    def _factor(self, arg: sp.Basic) -> Tensor:
        """A factor of a written product: ∂L/∂u (L a scalar, u by the reader's component j) is the gradient."""
        var = arg.variables[0] if isinstance(arg, sp.Derivative) and arg.derivative_count == 1 else None
        body = self.tensor(arg)
        if isinstance(var, sp.Indexed) and var.indices[-1] == self.component and self._is_component(var) \
                and not body.shape:
            prefix, base = var.indices[:-1], var.base
            return Tensor((self.length(str(base.label)),), lambda i: body.at().xreplace({var: base[(*prefix, i)]}))
        return body

    def _softmax_of(self, t: Tensor) -> Tensor:
        """softmax(z/T), softmax(z + a): the softmax of a vector expression, entry by entry."""
        if len(t.shape) != 1:
            raise SemanticsError(f"softmax of a {kind(t)}: softmax takes a vector")
        n = sp.Symbol("n_", integer=True)
        return Tensor(t.shape, lambda i: sp.exp(t.at(i)) / sp.Sum(sp.exp(t.at(n)), (n, 1, t.shape[0])), row=t.row)

    def _marker(self, expr: AppliedUndef) -> Tensor:
        """⊙, diag, tr, ‖·‖, [M]_{ab} and the vector of ones, entry by entry (:mod:`derive.audit.tensors`)."""
        if expr.func == HADAMARD:
            if all(arg == ONES() for arg in expr.args):
                raise SemanticsError("an elementwise product of two vectors of ones: their length is not known")
            # 1 ⊙ v: the ones take the other operand's shape.
            a, b = (self._operand(arg) if arg != ONES() else None for arg in expr.args)
            return hadamard(a or ones_like(b), b or ones_like(a))
        if expr.func == ENTRY:
            inner, indices = self._operand(expr.args[0]), expr.args[1:]
            if len(indices) != len(inner.shape):
                raise SemanticsError(f"{len(indices)} {'index' if len(indices) == 1 else 'indices'} on a "
                                     f"{describe(inner)}: its entries take {len(inner.shape)}")
            return Tensor.scalar(inner.at(*indices))
        if expr.func == ONES:
            raise SemanticsError("the vector of ones stands where its length is not known; "
                                 "write it next to a vector of the same length")
        inner = self._operand(expr.args[0])
        if expr.func == DIAG:
            return diag(inner)
        if expr.func == TRACE:
            return trace(inner)
        # NORM: the Euclidean norm of a vector, the Frobenius norm of a matrix, |x| of a scalar.
        names = sorted(s.name for s in expr.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer)
        if not inner.shape and names:
            # As numbers, \|v\|^2 = v^2 would hold; of a vector v it does not.
            raise SemanticsError(f"the norm of {', '.join(names)}, which the post gives no shape: declare "
                                 f"{'it' if len(names) == 1 else 'them'} (<!-- derive: vector {names[0]} -->), "
                                 "or write |x| for a number")
        return norm(inner)

    def _operand(self, expr: sp.Basic) -> Tensor:
        """An operand of ⊙, diag, tr, a norm or an entry, where a vector is meant (``1 - h^2`` is one)."""
        with self._meant(array=True):
            return self.tensor(expr)

    def _at_component(self, t: Tensor, where: str) -> Tensor:
        if not t.shape:
            return t
        if len(t.shape) == 1:
            if not self._bound:
                return Tensor.scalar(t.at(self.component))
            index, _, upper = self._bound[-1]
            if t.shape[0] != upper:
                # Σ_{i=1}^{p} x_i log softmax(z) with z of length k: the i-th entry of z may not exist.
                raise SemanticsError(f"a vector of length {shape_text(t)} stands for its entry {index} in a sum "
                                     f"up to {sp.sstr(upper)}: write the entry, or declare the sizes alike")
            return Tensor.scalar(t.at(index))
        raise SemanticsError(f"a matrix {where} is not read")

    def _number_argument(self, expr: sp.Basic, param: sp.Basic, arg: sp.Basic, body: sp.Basic) -> sp.Basic:
        """The argument ``arg`` of the post's function at its parameter ``param``, as the body takes it.

        A parameter whose entries the body takes (``u_k`` in ``g_k(u)``), or an index, takes the argument as
        written. Any other takes a number: s(w^T x_i) is s of Σ_j w_j x_ij, written out before the body takes
        it, and s(x) of an array x is not read (never s of a symbol other than the x a derivative is by)."""
        if param.is_integer or any(str(ix.base.label) == str(param) for ix in body.atoms(sp.Indexed)):
            return arg
        named_array = isinstance(arg, sp.Symbol) and arg.name in self.shapes.arrays
        value = self.tensor(sp.IndexedBase(arg.name) if named_array else arg)
        if value.shape:
            raise SemanticsError(f"{expr.func.__name__} is the post's function of numbers, applied here to an "
                                 f"array ({sp.sstr(expr)}): write its entry")
        return value.at()

    def _array(self, base: sp.IndexedBase, prefix: tuple[sp.Expr, ...]) -> Tensor:
        name = str(base.label)
        shape = self.shapes.arrays.get(name, (self.default_size,))
        sample = name in self.shapes.per_sample
        have = len(prefix) - (1 if sample else 0)
        if sample and not prefix:
            raise SemanticsError(f"{name} has a sample index: write {name}_n")
        rest = shape[have:] if have > 0 else shape
        row = have > 0 and len(shape) == 2 and have == 1
        if row:
            rest = shape[1:]  # B_j: row j of a matrix
        return Tensor(tuple(rest), lambda *ix: base[(*prefix, *ix)], row=row)

    # -- a whole side ---------------------------------------------------------------------
    def component_reading(self, lhs: sp.Basic, rhs: sp.Basic) -> list[tuple[sp.Expr, sp.Expr]]:
        """Both sides at the same components: one pair for a scalar equation, fresh indices otherwise."""
        return [(without_order(a), without_order(b)) for a, b in self._component_reading(lhs, rhs)]

    def _component_reading(self, lhs: sp.Basic, rhs: sp.Basic) -> list[tuple[sp.Expr, sp.Expr]]:
        # The left side says what shape the step is about (∂L/∂A: a matrix), which
        # settles a product of two vectors on the right (B_j x_n^T: an outer product).
        left = self.tensor(lhs)
        right = self.tensor(rhs, left.shape or None)
        if left.shape == () and right.shape == ():
            return [(left.at(), right.at())]
        if len(left.shape) != len(right.shape):
            vector, scalar = (left, right) if left.shape else (right, left)
            if len(vector.shape) == 1 and not scalar.shape:
                # A vector against the j-th component: the vector at j (the reader's component index).
                value = scalar.at()
                pair = (vector.at(self.component), value)
                return [pair if vector is left else (pair[1], pair[0])]
            raise SemanticsError(f"a {kind(left)} is set equal to a {kind(right)}")
        if left.shape != right.shape:
            raise SemanticsError(f"the two sides have different shapes: {shape_text(left)} and {shape_text(right)}")
        used = {s.name for s in (lhs.free_symbols | rhs.free_symbols) if isinstance(s, sp.Symbol)}
        names = [n for n in _FRESH if n not in used][:len(left.shape)]
        indices = [_size(n) for n in names]
        return [(left.at(*indices), right.at(*indices))]

    def expand_functions(self, expr: sp.Basic, component: sp.Symbol | None = None) -> sp.Basic:
        """softmax, CE and ŷ (when the logits are declared and ŷ is not defined) written out."""
        out = self._functions(expr, component)
        if self.logits is not None and not any(str(getattr(b, "label", b)) == "yhat" for b in self.notations):
            logits = sp.IndexedBase(self.logits, real=True)
            out = out.replace(
                lambda node: isinstance(node, sp.Indexed) and str(node.base.label) == "yhat",
                lambda node: self.softmax(logits[node.indices[:-1]] if len(node.indices) > 1 else logits,
                                          node.indices[-1]))
        return out


#: Functions that act on a whole vector entry by entry.
_ELEMENTWISE = (sp.exp, sp.log, sp.tanh, sp.sinh, sp.cosh, sp.Abs)
#: The markers the reader leaves for the notation of real posts (see derive.audit.reader).
_MARKERS = (HADAMARD, DIAG, TRACE, NORM, ONES, ENTRY)
