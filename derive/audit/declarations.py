"""A post's declarations and definitions: what its names mean, in the state the audit carries from step to step."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.reader import (
    ReaderContext,
    ReadError,
    read_latex,
    read_membership,
)
from derive.audit.scan import Declaration
from derive.audit.semantics import Meaning, SemanticsError, without_order
from derive.engine.hypotheses import Distinct, Equal, Hypothesis, OneHot, SumToOne
from derive.engine.space import Role
from derive.library.notation import Notation

# -- the state of a post as it is read ------------------------------------------------------------

LABEL_ROLE_NAMES = {"y", "t"}

#: What to declare so that ŷ and the labels mean what the prose says (one wording everywhere).
LOGITS_HINT = "declare the logits, so that ŷ is their softmax: <!-- derive: logits z -->"
NO_DECLARATIONS_HINT = ("no declarations: add <!-- derive: logits z; labels y one-hot at \\ell --> (see the README) "
                        "so that ŷ, softmax and the labels mean what the prose says")
LABELS_HINT = "declare the labels: <!-- derive: labels y one-hot at \\ell --> or <!-- derive: labels y soft -->"


@dataclass
class PostState:
    meaning: Meaning = field(default_factory=Meaning)
    vectors: set[str] = field(default_factory=set)
    matrices: set[str] = field(default_factory=set)
    label_hypothesis: Hypothesis | None = None
    labels: str | None = None
    assumptions: list[tuple[Hypothesis, str]] = field(default_factory=list)
    skip_next: bool = False
    definition_next: bool = False
    aliases: dict[sp.Symbol, sp.Symbol] = field(default_factory=dict)
    hints: dict[str, None] = field(default_factory=dict)
    declared: bool = False
    sample_index: str | None = None
    #: Names declared as independent scalars (``scalar x t``): held fixed in ∂/∂v.
    scalars: set[str] = field(default_factory=set)
    #: Function names the post defines (``define g(x) = ...``), read as applications.
    functions: set[str] = field(default_factory=set)
    #: What ``\sigma(...)`` reads as: softmax, or the post's own σ once it defines one.
    sigma: str = "softmax"
    #: Whether a display 'new name = expression' is taken as a definition (a post, not one step).
    infer_definitions: bool = True
    #: Plain names the audit took as unknown functions of a derivative's variable.
    unknown_scalars: set[str] = field(default_factory=set)

    def context(self) -> ReaderContext:
        base = ReaderContext()
        return ReaderContext(vectors=frozenset(self.vectors), matrices=frozenset(self.matrices),
                             sizes=base.sizes | frozenset(str(s) for s in self._sizes()),
                             default_size=self.meaning.default_size,
                             functions=base.functions | frozenset(self.functions), sigma=self.sigma,
                             scalars=frozenset(s.lstrip("\\") for s in self.scalars), drop_sample_index=True)

    def _sizes(self) -> set[sp.Basic]:
        out: set[sp.Basic] = {self.meaning.default_size}
        for shape in self.meaning.shapes.arrays.values():
            out |= {d for d in shape if isinstance(d, sp.Symbol)}
        return out

    def hypotheses(self) -> list[Hypothesis]:
        out = [h for h, _ in self.assumptions]
        if self.label_hypothesis is not None:
            out.append(self.label_hypothesis)
        return out

    def read(self, text: str, along: Sequence[str] = ()) -> sp.Basic:
        expr = read_latex(text, context=self.context(), along=along)
        return expr.xreplace(self.aliases) if self.aliases else expr


def symbol(text: str) -> sp.Symbol:
    return sp.Symbol(text, integer=True, positive=True)


def declare(post: PostState, decl: Declaration) -> str | None:
    """Apply one declaration; returns a one-line problem if it cannot be understood."""
    words = decl.text.split()
    if not words:
        return None
    key, rest = words[0].lower(), words[1:]
    post.declared = True
    shapes = post.meaning.shapes
    try:
        if key == "logits" and len(rest) == 1:
            post.meaning.logits = rest[0]
            post.vectors |= {rest[0], "yhat"}
            shapes.roles[rest[0]] = Role.LOGITS
            shapes.arrays.setdefault(rest[0], (post.meaning.default_size,))
            # ŷ = softmax(z): a vector of the same length (and per sample if z is).
            shapes.arrays.setdefault("yhat", shapes.arrays[rest[0]])
            return None
        if key == "labels" and rest:
            name = rest[0]
            post.labels = name
            post.vectors.add(name)
            shapes.roles[name] = Role.LABELS
            shapes.arrays.setdefault(name, (post.meaning.default_size,))
            size = shapes.arrays[name][-1]
            base = sp.IndexedBase(name, real=True)
            tail = " ".join(rest[1:])
            if tail.startswith("one-hot at"):
                at = post.read(tail[len("one-hot at"):].strip())
                if not isinstance(at, sp.Symbol):
                    return f"line {decl.line}: 'one-hot at' takes an index name, such as \\ell"
                post.label_hypothesis = OneHot(base, symbol(at.name), size)
            elif tail in ("soft", "sum to one", "sum to 1"):
                post.label_hypothesis = SumToOne(base, size)
            else:
                return f"line {decl.line}: 'labels {name}' needs 'one-hot at <index>' or 'soft'"
            return None
        if key == "vector" and rest:
            name = rest[0]
            size = symbol(rest[1]) if len(rest) > 1 and rest[1] != "per" else post.meaning.default_size
            shapes.arrays[name] = (size,)
            if "per" in rest:
                shapes.per_sample.add(name)
            post.vectors.add(name)
            return None
        if key == "matrix" and len(rest) == 3:
            shapes.arrays[rest[0]] = (symbol(rest[1]), symbol(rest[2]))
            post.matrices.add(rest[0])
            shapes.roles.setdefault(rest[0], Role.WEIGHTS)
            return None
        if key == "size" and len(rest) == 1:
            post.meaning.default_size = symbol(rest[0])
            return None
        if key == "same" and len(rest) == 2:
            post.aliases[symbol(rest[0])] = symbol(rest[1])
            for name, shape in list(shapes.arrays.items()):
                shapes.arrays[name] = tuple(d.xreplace(post.aliases) for d in shape)
            return None
        if key == "samples" and len(rest) in (1, 2):
            shapes.samples = symbol(rest[0])
            if len(rest) == 2:
                post.sample_index = rest[1]
            return None
        if key == "assume":
            text = " ".join(rest)
            if text in ("nothing", "none", ""):
                post.assumptions.clear()
                return None
            post.assumptions.append((relation(post, text), text))
            return None
        if key == "skip":
            post.skip_next = True
            return None
        if key == "definition":
            post.definition_next = True
            return None
        if key == "scalar" and rest:
            post.scalars |= set(rest)
            return None
        if key == "define":
            text = " ".join(rest)
            lhs, _, rhs = text.partition("=")
            if not rhs:
                return f"line {decl.line}: 'define' needs 'name = expression' or 'f(x) = expression'"
            applied = re.match(r"\s*\\?([A-Za-z]+)\s*\(", lhs)
            if applied:
                # define g(x) = ...: from here on g(...) is an application (σ too: \sigma
                # stops meaning softmax).
                name = applied.group(1)
                if name == "sigma":
                    post.sigma = "sigma"
                post.functions.add(name)
                problem = define_function(post, post.read(lhs), post.read(rhs))
            else:
                problem = define(post, post.read(lhs), post.read(rhs))
            return f"line {decl.line}: {problem}" if problem else None
    except ReadError as exc:
        return f"line {decl.line}: cannot read the declaration '{decl.text}': {exc}"
    return (f"line {decl.line}: unknown declaration '{decl.text}'; known: logits, labels, vector, matrix, "
            "scalar, size, same, samples, assume, define, definition, skip")


def relation(post: PostState, text: str) -> Hypothesis:
    for op, make in ((r"\neq", Distinct), (r"\ne", Distinct), ("!=", Distinct), ("≠", Distinct), ("=", Equal)):
        if op in text:
            left, right = text.split(op, 1)
            a, b = post.read(left), post.read(right)
            if not (isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol)):
                raise ReadError(f"an assumption relates two indices, found '{text}'")
            a, b = symbol(a.name), symbol(b.name)
            # Equal(a, b) replaces b by a: keep the one the post differentiates by (j) as b.
            return make(a, b)
    raise ReadError(f"an assumption is 'i = j' or 'j \\neq \\ell', found '{text}'")


def define(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """Record ``lhs = rhs`` as the definition of the name on the left."""
    name: sp.Basic
    if isinstance(lhs, sp.Indexed):
        name, params = lhs.base, list(lhs.indices)
        if not all(isinstance(p, sp.Symbol) for p in params):
            return "a definition's left side has indices that are not names"
    elif isinstance(lhs, sp.Symbol):
        name, params = lhs, []
    else:
        return "a definition's left side is a name, such as L_n or s_{nj}"
    try:
        body = scalar(post, rhs)
    except SemanticsError as exc:
        return f"the definition of {sp.sstr(lhs)} cannot be read: {exc}"
    except Exception as exc:  # SymPy on an unexpected expression: report it, never crash
        return f"the definition of {sp.sstr(lhs)} cannot be read ({type(exc).__name__}: {str(exc)[:100]})"

    if params:
        # s_{nj} = ...: a name with indices is an array; its shape is what the indices range over.
        ranges = post.meaning.index_ranges(body)
        shapes = post.meaning.shapes
        label = str(getattr(name, "label", name))
        per_sample = post.sample_index is not None and str(params[0]) == post.sample_index
        dims = params[1:] if per_sample else params
        shapes.arrays[label] = tuple(ranges.get(p, post.meaning.default_size) for p in dims)
        if per_sample:
            shapes.per_sample.add(label)
        if len(dims) == 1:
            post.vectors.add(label)

    def define(*ix: sp.Expr, body: sp.Expr = body, params: list[sp.Basic] = params) -> sp.Expr:
        return body.xreplace(dict(zip(params, ix, strict=False)))
    latex = sp.latex(lhs)
    post.meaning.notations[name] = Notation(name, define, latex, latex)
    return None


def define_function(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """Record ``f(x, ...) = body``: each later f(a, ...) means the body at a, ...."""
    if not isinstance(lhs, AppliedUndef) or not all(isinstance(a, sp.Symbol) for a in lhs.args) \
            or len(set(lhs.args)) != len(lhs.args):
        return "a function definition's left side is f(x) or f(x, y), with distinct names as parameters"
    try:
        body = scalar(post, rhs)
    except SemanticsError as exc:
        return f"the definition of {sp.sstr(lhs)} cannot be read: {exc}"
    post.meaning.functions[lhs.func.__name__] = (tuple(lhs.args), body)
    return None


def scalar(post: PostState, expr: sp.Basic) -> sp.Expr:
    tensor = post.meaning.tensor(expr)
    if tensor.shape:
        raise SemanticsError("it is a vector or a matrix; define one entry, such as s_{nj} = ...")
    return post.meaning.expand_functions(without_order(tensor.at()))


def read_declared_membership(post: PostState, text: str) -> bool:
    """``A \\in \\mathbb{R}^{d \\times p}`` declares a shape; True if ``text`` was one."""
    if "\\in" not in text:
        return False
    try:
        m = read_membership(text, context=post.context())
    except ReadError:
        return False
    shape = tuple(d.xreplace(post.aliases) for d in m.shape if d != 1)
    name = m.name
    shapes = post.meaning.shapes
    if isinstance(m.target, sp.Indexed):
        shapes.per_sample.add(name)
        if post.sample_index is None and isinstance(m.target.indices[0], sp.Symbol):
            post.sample_index = str(m.target.indices[0])
    if len(shape) == 1:
        post.vectors.add(name)
    elif len(shape) == 2:
        post.matrices.add(name)
        shapes.roles.setdefault(name, Role.WEIGHTS)
    if shape:
        shapes.arrays[name] = shape
        if name in LABEL_ROLE_NAMES:
            shapes.roles.setdefault(name, Role.LABELS)
        elif name == "x":
            shapes.roles.setdefault(name, Role.INPUTS)
    return True
