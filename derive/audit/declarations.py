"""A post's declarations and definitions: what its names mean, in the state the audit carries from step to step."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from derive.audit.definitions import define, define_function
from derive.audit.einstein import as_index_notation, free_indices, implied_sums, lower_softmax
from derive.audit.gradient_notation import written_out
from derive.audit.journal import TrackedDict, TrackedSet
from derive.audit.prose import OPERATOR, OPERATOR_NAME, apply_operators
from derive.audit.reader import (
    ReaderContext,
    ReadError,
    read_latex,
)
from derive.audit.scan import Declaration
from derive.audit.semantics import Meaning
from derive.audit.symbols import SymbolTable
from derive.engine.hypotheses import Distinct, Domain, Equal, Hypothesis, OneHot, SumToOne
from derive.engine.space import Role

# -- the state of a post as it is read ------------------------------------------------------------


#: What to declare so that ŷ and the labels mean what the prose says (one wording everywhere).
LOGITS_HINT = "declare the logits, so that ŷ is their softmax: <!-- derive: logits z -->"
LABELS_HINT = "declare the labels: <!-- derive: labels y one-hot at \\ell --> or <!-- derive: labels y soft -->"


@dataclass
class PostState:
    meaning: Meaning = field(default_factory=Meaning)
    vectors: set[str] = field(default_factory=set)
    matrices: set[str] = field(default_factory=set)
    labels: str | None = None
    #: How the labels are constrained: "soft" (each row sums to one) or "one-hot" (at ``label_at``).
    label_kind: str | None = None
    #: The class of a one-hot label: an index (ℓ), or an array with one class per sample (ℓ_n).
    label_at: sp.Basic | None = None
    #: Scalar domains (``assume T > 0``): name -> the domain its values are drawn from.
    domains: dict[str, Domain] = field(default_factory=TrackedDict)
    #: Operators the post defines (``define D_j = \\frac{\\partial}{\\partial a_j}``): name, index, variable.
    operators: list[tuple[str, str | None, str]] = field(default_factory=list)
    #: Vectors declared without a length: they follow ``size``, declared before or after.
    defaulted: set[str] = field(default_factory=set)
    #: Fresh names for bound indices of definitions, so that no step's index captures them.
    fresh: itertools.count = field(default_factory=itertools.count, repr=False)
    assumptions: list[tuple[Hypothesis, str]] = field(default_factory=list)
    skip_next: bool = False
    definition_next: bool = False
    aliases: dict[sp.Symbol, sp.Symbol] = field(default_factory=dict)
    hints: dict[str, None] = field(default_factory=dict)
    #: The line of an expression the post set to zero (an equation it solves), until the next heading.
    solving: int | None = None
    #: The names the post's equations have on their left sides, as written (``\\gamma``): it may define them.
    left_sides: frozenset[str] = frozenset()
    #: The names the post defines as functions somewhere (``J(\\theta) = ...``): read as applied before that.
    functions_ahead: frozenset[str] = frozenset()
    #: The names the post's math writes with an index letter as subscript (``\\gamma`` of ``\\gamma_j``).
    written_indexed: frozenset[str] = frozenset()
    #: The loss whose gradients the post writes ``dy`` (``d\\hat{x}_i`` is ∂L/∂x̂_i), as LaTeX; None if it does not.
    gradient_loss: str | None = None
    #: Names written as a power, ``\\sigma^2``, that the post uses as names (defines, or differentiates by).
    power_names: set[str] = field(default_factory=set)
    #: Entries at a number the post defines as names: ``C_0(...) = (a - y)^2`` makes C_0 the name ``C_0``.
    entry_names: set[str] = field(default_factory=set)
    #: Built-in functions the post has written its own definition of (the same): later ones are claims.
    restated: set[str] = field(default_factory=set)
    #: Every name the post gives a meaning, with where it came from: what a step may be decided from.
    table: SymbolTable = field(default_factory=SymbolTable)
    sample_index: str | None = None
    #: Whether a ``samples`` declaration was made: then ``x^{(1)}`` is sample 1, not a layer's name.
    numbered_samples: bool = False
    #: The line where the prose states the summation convention (repeated indices are summed), if it does.
    einstein: int | None = None
    #: In index notation, the names the post writes with upper indices (the others keep their subscripts).
    upper_indexed: frozenset[str] = frozenset()
    #: Letters the prose says count layers ("in layer $l$"): ``z^l_j`` is the array z^(l) at j.
    layer_letters: set[str] = field(default_factory=set)
    #: Names declared as independent scalars (``scalar x t``): held fixed in ∂/∂v.
    scalars: set[str] = field(default_factory=TrackedSet)
    #: The post's definitions as read (``s_i = ...``), read again when a later one is known.
    definitions: dict[sp.Basic, tuple[sp.Basic, sp.Basic]] = field(default_factory=TrackedDict)
    #: The arrays whose shape a definition gave (read again with it), not a declaration (kept).
    shaped_by_definition: set[str] = field(default_factory=set)
    #: Function names the post defines (``define g(x) = ...``), read as applications.
    functions: set[str] = field(default_factory=TrackedSet)
    #: Those it defines with a subscript (``g_k(u) = ...``, ``h_\theta(x) = ...``).
    indexed_functions: set[str] = field(default_factory=set)
    #: What ``\sigma(...)`` reads as: softmax, or the post's own σ once it defines one.
    sigma: str = "softmax"
    #: Whether a display 'new name = expression' is taken as a definition (a post, not one step).
    infer_definitions: bool = True
    #: An undefined loss the post differentiates by a defined array: the loss -> that array (the chain rule's
    #: reading, see :func:`derive.audit.steps.through_defined`).
    through: dict[str, sp.IndexedBase] = field(default_factory=dict)
    #: Plain names the audit took as unknown functions of a derivative's variable.
    unknown_scalars: set[str] = field(default_factory=set)
    #: Arrays with no declared meaning that the audit took as unknown functions of a derivative's variable.
    unknown_arrays: set[str] = field(default_factory=set)

    def reset(self) -> None:
        """Forget every declaration and definition: a new problem starts (``reset``).

        What the post has said so far about the audit (hints) is kept.
        """
        fresh = PostState(infer_definitions=self.infer_definitions, hints=self.hints,
                          table=SymbolTable(line=self.table.line))
        self.__dict__.update(fresh.__dict__)

    def context(self) -> ReaderContext:
        base = ReaderContext()
        scalars = frozenset(s.lstrip("\\") for s in self.scalars)
        # A declared value is a value: with 'scalar h' or 'vector h', h(1 - h) is a product, not the
        # conventional function letter h applied (a function the post defines stays a function).
        values = scalars | self.vectors | self.matrices
        return ReaderContext(vectors=frozenset(self.vectors), matrices=frozenset(self.matrices),
                             sizes=base.sizes | frozenset(str(s) for s in self._sizes()),
                             default_size=self.meaning.default_size,
                             functions=(base.functions - values) | frozenset(self.functions)
                             | (self.functions_ahead - values), sigma=self.sigma,
                             indexed_functions=frozenset(self.indexed_functions),
                             scalars=scalars, drop_sample_index=True, numbered_samples=self.numbered_samples,
                             per_sample=frozenset(self.meaning.shapes.per_sample),
                             layer_letters=frozenset(self.layer_letters),
                             upper_indices=self.einstein is not None)

    def _sizes(self) -> set[sp.Basic]:
        out: set[sp.Basic] = {self.meaning.default_size}
        for shape in self.meaning.shapes.arrays.values():
            out |= {d for d in shape if isinstance(d, sp.Symbol)}
        return out

    @property
    def label_hypothesis(self) -> Hypothesis | None:
        """The labels' constraint, built from the shapes in force now (declarations in any order)."""
        if self.labels is None or self.label_kind is None:
            return None
        shapes = self.meaning.shapes
        shape = shapes.arrays.get(self.labels, (self.meaning.default_size,))
        rank = len(shape) + (1 if self.labels in shapes.per_sample else 0)
        base = sp.IndexedBase(self.labels, real=True)
        if self.label_kind == "soft":
            return SumToOne(base, shape[-1])
        return OneHot(base, self.label_at, shape[-1], rank)

    def hypotheses(self) -> list[Hypothesis]:
        out = [h for h, _ in self.assumptions]
        if self.label_hypothesis is not None:
            out.append(self.label_hypothesis)
        out += self.domains.values()
        return out

    def size(self, text: str) -> sp.Basic:
        """The size named ``text``, under the post's ``same`` declarations; a number is that many (``vector x 3``)."""
        if text.isdigit() and text.isascii():
            if int(text) < 1:
                raise ReadError(f"a size is a positive number of entries; found {text}")
            return sp.Integer(int(text))
        out = symbol(text)
        return self.aliases.get(out, out)

    def read(self, text: str, along: Sequence[str] = ()) -> sp.Basic:
        if self.operators:
            text = apply_operators(self.operators, text)
        if self.gradient_loss is not None:
            text = written_out(self.gradient_loss, text)
        if self.einstein is not None:
            text = as_index_notation(text, self.upper_indexed)
        expr = read_latex(text, context=self.context(), along=along)
        if self.einstein is not None:
            # The summation convention: the free indices are those of the chain's first side.
            first = expr if not along or along[0].strip() in ("", text.strip()) else _quietly(self.read, along[0])
            expr = lower_softmax(self, implied_sums(self, expr, free_indices(first if first is not None else expr)))
        expr = expr.xreplace(self.aliases) if self.aliases else expr
        expr = self._power_names(expr)
        if self.entry_names:
            expr = expr.replace(lambda node: isinstance(node, sp.Indexed) and entry_name(node) in self.entry_names,
                                lambda node: sp.Symbol(entry_name(node), real=True))
        return self._over_the_array(text, self._sums_without_limits(text, expr))

    def _power_names(self, expr: sp.Basic) -> sp.Basic:
        """σ² as the name ``sigma^2`` wherever the post uses it as a name (σ⁴ is (σ²)², σ⁻³ is (σ²)^(-3/2))."""
        for name in [str(getattr(a, "label", a)) for a in _names_of(expr)]:
            if name.endswith("^2"):
                self.power_names.add(name[:-2])
        if not self.power_names:
            return expr

        def as_name(node: sp.Pow) -> sp.Basic:
            base, exp = node.args
            if isinstance(base, sp.Symbol) and base.name in self.power_names:
                return sp.Pow(sp.Symbol(f"{base.name}^2", real=True), exp / 2)
            if isinstance(base, sp.Indexed) and str(base.base.label) in self.power_names:
                return sp.Pow(sp.IndexedBase(f"{base.base.label}^2", real=True)[base.indices], exp / 2)
            return node
        return expr.replace(lambda node: isinstance(node, sp.Pow), as_name)

    def _over_the_array(self, text: str, expr: sp.Basic) -> sp.Basic:
        r"""A sum written without limits, ``\sum_i \exp(x_i)``, runs over the length of the array it sums.

        The reader gives such a sum the default length k; where the text never names k (an index
        ``x_k`` is no length) and the sum's index indexes an array whose length is known, that length is
        the sum's limit.
        """
        size = self.meaning.default_size
        if not expr.has(sp.Sum) or not _LIMITLESS_SUM.search(text) or \
                re.search(r"(?<![\\A-Za-z])" + re.escape(size.name) + r"(?![A-Za-z])",
                          _SUBSCRIPT.sub("", _without_sum_indices(text))):
            return expr
        shapes = self.meaning.shapes

        def limit(node: sp.Sum) -> sp.Basic:
            (v, lo, hi), *rest = node.limits
            if hi != size or rest:
                return node
            for ix in sorted(node.function.atoms(sp.Indexed), key=str):
                shape = shapes.arrays.get(str(ix.base.label))
                if shape is None or v not in ix.indices:
                    continue
                at = ix.indices.index(v) - (1 if str(ix.base.label) in shapes.per_sample else 0)
                if 0 <= at < len(shape) and len(ix.indices) - len(shape) in (0, 1):
                    return sp.Sum(node.function, (v, lo, shape[at]))
            return node
        return expr.replace(lambda node: isinstance(node, sp.Sum), limit)

    def _sums_without_limits(self, text: str, expr: sp.Basic) -> sp.Basic:
        r"""``\sum_k e^{z_k}`` (no limits) runs over 1..k, the default length: its index gets a name of its own.

        A sum written with its index as its own limit, ``\sum_{k=1}^k``, stays as it is (not read).
        """
        size = self.meaning.default_size.name
        bare = re.compile(r"\\sum\s*_\s*(?:\{\s*" + size + r"\s*\}|" + size + r")(?![A-Za-z])(?!\s*\^)")
        if not bare.search(text) or re.search(r"\\sum\s*_\s*\{\s*" + size + r"\s*=", text):
            return expr

        def rename(node: sp.Sum) -> sp.Basic:
            (v, lo, hi), *rest = node.limits
            if v.name != size or hi != self.meaning.default_size or rest:
                return node
            fresh = sp.Symbol(f"{size}·{next(self.fresh)}", integer=True)
            return sp.Sum(node.function.xreplace({v: fresh}), (fresh, lo, hi))
        return expr.replace(lambda node: isinstance(node, sp.Sum), rename) if expr.has(sp.Sum) else expr


#: A sum with a subscript and no superscript: ``\sum_i``, ``\sum_{i}``.
#: A subscript, ``_k`` or ``_{jk}``: an index there is no length.
_SUBSCRIPT = re.compile(r"_\s*(?:\{[^{}]*\}|[A-Za-z])")
_LIMITLESS_SUM = re.compile(r"\\sum\s*_\s*(?:\{[^{}=]*\}|\\?[A-Za-z]+)(?!\s*\^)")


def _without_sum_indices(text: str) -> str:
    """``text`` without the subscripts of its sums (their index may be the letter of the default length)."""
    return re.sub(r"\\sum\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z]+)", r"\\sum", text)


def _names_of(expr: sp.Basic) -> set[sp.Basic]:
    return {s for s in expr.free_symbols if isinstance(s, sp.Symbol)} | {ix.base for ix in expr.atoms(sp.Indexed)}


def symbol(text: str) -> sp.Symbol:
    return sp.Symbol(text, integer=True, positive=True)


KNOWN_DECLARATIONS = ("reset", "logits", "labels", "vector", "matrix", "scalar", "size", "same", "samples", "assume",
                      "define", "definition", "skip")


def declare(post: PostState, decl: Declaration, column: int = 1) -> str | None:
    """Apply one declaration; returns a one-line problem (where, and the fix) if it cannot be understood."""
    words = decl.text.split()
    if not words:
        return None
    where = f"line {decl.line}, column {column}"
    try:
        problem = _declare(post, words[0].lower(), words[1:], decl.text)
    except ReadError as exc:
        return f"{where}: cannot read the declaration '{decl.text}': {exc}"
    return f"{where}: {problem}" if problem else None


def _declare(post: PostState, key: str, rest: list[str], text: str) -> str | None:
    shapes = post.meaning.shapes
    if key in ("size", "same", "samples") and any(word.isdigit() for word in rest):
        # A number is the length of one array (vector x 3, matrix W 2 3); these name a size.
        return f"'{key}' takes names of sizes, such as n; give an array a number of entries with 'vector x 3'"
    if key in ("logits", "labels", "vector", "matrix") and rest:
        rest = [_declared_name(post, rest[0]), *rest[1:]]
    if key == "logits" and len(rest) == 1:
        post.meaning.logits = rest[0]
        post.vectors |= {rest[0], "yhat"}
        shapes.roles[rest[0]] = Role.LOGITS
        _default_length(post, rest[0])
        # ŷ = softmax(z): a vector of the same length (and per sample if z is).
        shapes.arrays.setdefault("yhat", shapes.arrays[rest[0]])
        return None
    if key == "labels" and rest:
        return _labels(post, rest[0], " ".join(rest[1:]))
    if key == "vector" and rest:
        name = rest[0]
        size = post.size(rest[1]) if len(rest) > 1 and rest[1] != "per" else post.meaning.default_size
        shapes.arrays[name] = (size,)
        post.shaped_by_definition.discard(name)  # declared now: a definition read again keeps it
        if len(rest) > 1 and rest[1] != "per":
            post.defaulted.discard(name)
        else:
            post.defaulted.add(name)
        if "per" in rest:
            shapes.per_sample.add(name)
        post.vectors.add(name)
        if name == post.meaning.logits:
            shapes.arrays["yhat"] = shapes.arrays[name]  # ŷ = softmax(z), whichever came first
        return None
    if key == "matrix" and len(rest) == 3:
        shapes.arrays[rest[0]] = (post.size(rest[1]), post.size(rest[2]))
        post.shaped_by_definition.discard(rest[0])
        post.defaulted.discard(rest[0])
        post.matrices.add(rest[0])
        shapes.roles.setdefault(rest[0], Role.WEIGHTS)
        return None
    if key == "size" and len(rest) == 1:
        post.meaning.default_size = post.size(rest[0])
        # A vector given no length has the default one, whether 'size' comes before or after it.
        for name in post.defaulted:
            shapes.arrays[name] = (*shapes.arrays[name][:-1], post.meaning.default_size)
        if post.meaning.logits in post.defaulted:
            shapes.arrays["yhat"] = shapes.arrays[post.meaning.logits]
        return None
    if key == "same" and len(rest) == 2:
        old, new = symbol(rest[0]), post.size(rest[1])
        post.aliases[old] = new
        # Every size named before keeps one meaning: the declarations may come in any order.
        post.aliases = {k: v.xreplace({old: new}) for k, v in post.aliases.items()}
        for name, shape in list(shapes.arrays.items()):
            shapes.arrays[name] = tuple(d.xreplace(post.aliases) for d in shape)
        post.meaning.default_size = post.meaning.default_size.xreplace(post.aliases)
        shapes.samples = shapes.samples.xreplace(post.aliases)
        return None
    if key == "samples" and len(rest) in (1, 2):
        shapes.samples = post.size(rest[0])
        post.numbered_samples = True
        if len(rest) == 2:
            post.sample_index = rest[1]
        return None
    if key == "assume":
        return assume(post, " ".join(rest))
    if key == "reset" and not rest:
        post.reset()
        return None
    if key == "skip":
        post.skip_next = True
        return None
    if key == "definition":
        post.definition_next = True
        return None
    if key == "scalar" and rest:
        for word in rest:
            name = post.read(word)
            if not isinstance(name, sp.Symbol):
                return f"'scalar' takes names, such as x or \\lambda; found '{word}'"
            post.scalars.add(name.name)
        return None
    if key == "define":
        return define_text(post, " ".join(rest))
    if key in KNOWN_DECLARATIONS:
        return f"'{text}' lacks what '{key}' needs; see the table of declarations in docs/audit.md"
    return (f"unknown declaration '{text}'; known: {', '.join(KNOWN_DECLARATIONS)} "
            "(see the table of declarations in docs/audit.md)")


def _declared_name(post: PostState, word: str) -> str:
    r"""The name the reader gives ``word``: ``\gamma`` is gamma, ``\boldsymbol{\beta}`` is beta (else ``word``)."""
    if not word.startswith("\\") and "^" not in word:
        return word
    try:
        read = post.read(word)
    except ReadError:
        return word
    if isinstance(read, sp.Symbol):
        return read.name
    return str(read.label) if isinstance(read, sp.IndexedBase) else word


def _default_length(post: PostState, name: str) -> None:
    if name not in post.meaning.shapes.arrays:
        post.meaning.shapes.arrays[name] = (post.meaning.default_size,)
        post.defaulted.add(name)


def _labels(post: PostState, name: str, tail: str) -> str | None:
    shapes = post.meaning.shapes
    post.labels = name
    post.vectors.add(name)
    shapes.roles[name] = Role.LABELS
    _default_length(post, name)
    if tail.startswith("one-hot at"):
        at = post.read(tail[len("one-hot at"):].strip())
        if isinstance(at, sp.Symbol):
            post.label_kind, post.label_at = "one-hot", symbol(at.name)
        elif isinstance(at, sp.Indexed) and len(at.indices) == 1:
            # ℓ_n: one class per sample n.
            post.label_kind, post.label_at = "one-hot", at.base
        else:
            return "'one-hot at' takes an index name, such as \\ell, or one per sample, such as \\ell_n"
        return None
    if tail in ("soft", "sum to one", "sum to 1"):
        post.label_kind, post.label_at = "soft", None
        return None
    return f"'labels {name}' needs 'one-hot at <index>', 'one-hot at <index>_n' (a class per sample) or 'soft'"


def define_text(post: PostState, text: str) -> str | None:
    """``name = expression``, ``f(x) = expression`` or an operator: a definition, as ``define`` declares it."""
    lhs, _, rhs = text.partition("=")
    if not rhs:
        return "'define' needs 'name = expression' or 'f(x) = expression'"
    applied = re.match(r"\s*(?:\\(?:mathrm|operatorname|text)\s*\{\s*([A-Za-z]+)\s*\}|\\?([A-Za-z]+))\s*"
                       r"(_\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?\s*\(", lhs)
    if applied:
        # define g(x) = ...: from here on g(...) is an application (σ too: \sigma
        # stops meaning softmax); g_k(u) = ...: g_k(z) is too, with k its last argument.
        name = applied.group(1) or applied.group(2)
        if name == "sigma":
            post.sigma = "sigma"
        post.functions.add(name)
        if applied.group(3):
            post.indexed_functions.add(name)
        return define_function(post, post.read(lhs), post.read(rhs))
    operator = OPERATOR.fullmatch(rhs)
    if operator:
        name = OPERATOR_NAME.fullmatch(lhs)
        if name is None:
            return ("an operator is defined by a name with at most one index: "
                    "define D_j = \\frac{\\partial}{\\partial a_j}")
        post.operators.append((name.group("name"), name.group("a") or name.group("b"), operator.group("var").strip()))
        return None
    return define(post, post.read(lhs), post.read(rhs))


_RELATIONS = re.compile(r"\\leq?|\\geq?|\\lt|\\gt|<=|>=|<|>|≤|≥")
_SET = re.compile(r"^(?P<name>.+?)\\in\s*\\\{(?P<values>[^{}]*)\\\}\s*$")


def assume(post: PostState, text: str) -> str | None:
    """Apply ``assume text`` (a case, or a scalar's domain); a one-line problem if it is neither."""
    if text in ("nothing", "none", ""):
        post.assumptions.clear()
        post.domains.clear()
        return None
    member = _SET.match(text)
    if member:
        name = _domain_name(post, member.group("name"))
        values = tuple(_number(post, v) for v in member.group("values").split(","))
        post.domains[name] = Domain(name, values=values)
        return None
    if _RELATIONS.search(text):
        parts = _RELATIONS.split(text)
        ops = [_op(o) for o in _RELATIONS.findall(text)]
        names = [i for i, p in enumerate(parts) if not _is_number_text(p)]
        if len(names) != 1 or len(parts) > 3:
            return (f"'assume {text}' is not a scalar domain; write 'T > 0', '0 \\le \\epsilon \\le 1' or "
                    "'t \\in \\{0, 1\\}'")
        at = names[0]
        name = _domain_name(post, parts[at])
        lo = hi = None
        lo_open = hi_open = False
        for i, op in enumerate(ops):
            left, right = i, i + 1
            bound = _number(post, parts[right] if left == at else parts[left])
            # name < b, name <= b, b < name, ...: turn each into a bound below or above.
            name_first = left == at
            upper = (op in ("<", "<=")) == name_first
            strict = op in ("<", ">")
            if upper:
                hi, hi_open = bound, strict
            else:
                lo, lo_open = bound, strict
        post.domains[name] = Domain(name, lo, hi, lo_open, hi_open)
        return None
    case = relation(post, text)
    pair = {case.a, case.b}  # type: ignore[attr-defined]
    # A later case about the same indices replaces the earlier one ('assume i = j', then 'assume i \neq j').
    kept = [(h, t) for h, t in post.assumptions if not (isinstance(h, (Equal, Distinct)) and {h.a, h.b} == pair)]
    contradiction = contradicts([h for h, _ in kept] + [case])
    if contradiction:
        return f"'assume {text}' contradicts the cases in force ({contradiction}); under contradictory " \
               "hypotheses every claim holds: write 'assume nothing' first, or the case under its own heading"
    post.assumptions[:] = [*kept, (case, text)]
    return None


def contradicts(cases: Sequence[Hypothesis]) -> str | None:
    """The cases ``i = j``, ``j = k`` and ``i ≠ k`` cannot all hold: the ≠ that breaks them, else None."""
    group: dict[sp.Basic, sp.Basic] = {}

    def root(x: sp.Basic) -> sp.Basic:
        while group.get(x, x) != x:
            x = group[x]
        return x
    for h in cases:
        if isinstance(h, Equal):
            group[root(h.a)] = root(h.b)
    for h in cases:
        if isinstance(h, Distinct) and root(h.a) == root(h.b):
            return f"{h.a} = {h.b} by the other cases, and {h.a} \\neq {h.b}"
    return None


def _op(text: str) -> str:
    return {"\\le": "<=", "\\leq": "<=", "≤": "<=", "\\ge": ">=", "\\geq": ">=", "≥": ">=", "\\lt": "<",
            "\\gt": ">"}.get(text, text)


def _is_number_text(text: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\s*\d+(\.\d+)?\s*|\s*-?\s*\\frac\s*\{\d+\}\s*\{\d+\}\s*", text))


def _number(post: PostState, text: str) -> sp.Rational:
    value = post.read(text.strip())
    if not value.is_Rational:
        raise ReadError(f"expected a number, found '{text.strip()}'")
    return sp.Rational(value)


def _domain_name(post: PostState, text: str) -> str:
    value = post.read(text.strip())
    if isinstance(value, sp.Indexed):
        return str(value.base.label)  # t_n \in \{0, 1\}: every entry of t
    if isinstance(value, (sp.Symbol, sp.IndexedBase)):
        return str(getattr(value, "label", value))
    raise ReadError(f"a domain is assumed of a name, found '{text.strip()}'")


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
    raise ReadError(f"an assumption is 'i = j', 'j \\neq \\ell', 'T > 0', '0 \\le \\epsilon \\le 1' or "
                    f"'t \\in \\{{0, 1\\}}', found '{text}'")


def entry_name(entry: sp.Indexed) -> str:
    """The name an entry at numbers is written as (``C_0`` for C[0]), or "" for an entry at an index."""
    if not all(i.is_Integer for i in entry.indices):
        return ""
    return f"{entry.base.label}_" + ",".join(str(i) for i in entry.indices)


def _quietly(read: Callable[[str], sp.Basic], text: str) -> sp.Basic | None:
    """``read(text)``, or None if it cannot be read."""
    try:
        return read(text)
    except ReadError:
        return None
