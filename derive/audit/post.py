r"""Auditing a written derivation: every step of every chain of display math, decided.

The pipeline: :mod:`derive.audit.scan` finds the display math and the declarations;
:mod:`derive.audit.reader` splits each display into chains ``a = b = c`` and reads each
side; :mod:`derive.audit.semantics` says what the sides mean (definitions, shapes, the
component-wise reading of vector equations); :func:`derive.engine.decide.decide` decides
each step ``a = b`` under the hypotheses in force. A step is

- **valid**: the engine proved it (an exact zero);
- **wrong**: refuted at a concrete point that honors the hypotheses, both sides shown;
- **undecided**: neither, with the reason and, where one would help, the declaration to add;
- **not read**: the reader or the semantics could not take it, with line and column;
- **definition**: ``name = expression`` introducing a name the post had not defined (not checked).

Declarations are HTML comments, so the post renders as before::

    <!-- derive: logits z; labels y one-hot at \ell -->
    <!-- derive: assume j \neq \ell -->

See the README for the full list.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.progress import decide_step, note_steps
from derive.audit.reader import (
    TRANSPOSE,
    ReaderContext,
    ReadError,
    read_latex,
    read_membership,
    split_chains_spans,
)
from derive.audit.scan import Declaration, Display, Heading, Unclosed, extract, position
from derive.audit.semantics import Meaning, SemanticsError, without_order
from derive.audit.source import SourceError, read_source
from derive.engine.budget import BudgetExceeded
from derive.engine.claims import Claim
from derive.engine.decide import Settings, decide
from derive.engine.hypotheses import Distinct, Equal, Hypothesis, InRange, OneHot, SumToOne
from derive.engine.space import Role
from derive.engine.verdict import Status, Verdict
from derive.library.notation import Notation, meaning, unfold

__all__ = [
    "MAX_BYTES",
    "AuditInputError",
    "AuditReport",
    "AuditSettings",
    "AuditStep",
    "StepStatus",
    "audit_file",
    "audit_text",
    "check_step",
]

#: Posts larger than this are refused (a post is a few hundred KB at most).
MAX_BYTES = 2_000_000


class StepStatus(enum.Enum):
    VALID = "valid"
    WRONG = "wrong"
    UNDECIDED = "undecided"
    NOT_READ = "not read"
    DEFINITION = "definition"


class AuditInputError(ValueError):
    """A file that cannot be audited at all (empty, binary, too large); the message says why."""


@dataclass(frozen=True)
class AuditSettings:
    """How hard to try on each step: the engine's budgets, plus one for reading and meaning."""

    budget: float = 5.0
    samples: int = 8
    seed: int = 0

    def engine(self) -> Settings:
        return Settings(budget=self.budget, search_budget=self.budget, samples=self.samples, seed=self.seed)


@dataclass(frozen=True)
class AuditStep:
    """One step ``lhs = rhs`` of the post, where it is, and what the engine says of it."""

    line: int
    column: int
    lhs: str
    rhs: str
    status: StepStatus
    reason: str = ""
    verdict: Verdict | None = None
    assumptions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.lhs} = {self.rhs}" if self.rhs else self.lhs

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "column": self.column, "step": self.text,
                               "status": self.status.value, "reason": self.reason,
                               "assumptions": list(self.assumptions)}
        if self.verdict is not None:
            out["strategy"] = self.verdict.strategy
            if self.verdict.counterexample is not None:
                out["counterexample"] = self.verdict.counterexample.as_dict()
        return out


@dataclass(frozen=True)
class AuditReport:
    """The audit of one post: its steps in order, what would help, and the time it took."""

    path: str
    steps: tuple[AuditStep, ...]
    hints: tuple[str, ...] = ()
    seconds: float = 0.0
    source: str = field(default="", repr=False)

    def count(self, status: StepStatus) -> int:
        return sum(s.status is status for s in self.steps)

    @property
    def exit_status(self) -> int:
        """1 if any step is wrong, else 0 (unusable input never makes a report: it raises)."""
        return 1 if self.count(StepStatus.WRONG) else 0

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s.value}" for s in StepStatus if self.count(s) or s is StepStatus.WRONG]
        return f"{self.path}: {len(self.steps)} steps: " + ", ".join(parts) + f" ({self.seconds:.1f} s)"

    def _repr_html_(self) -> str:
        from derive.audit.report import steps_table_html  # rendering lives in report.py

        return steps_table_html(self)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "steps": [s.as_dict() for s in self.steps],
                "summary": {s.value: self.count(s) for s in StepStatus}, "hints": list(self.hints),
                "seconds": round(self.seconds, 3)}


# -- reading the file ------------------------------------------------------------------------------

def read_post(path: str | Path) -> str:
    """The text of a post, or AuditInputError saying why it cannot be audited."""
    try:
        return read_source(path, limit=MAX_BYTES)  # at most MAX_BYTES + 1 bytes, from files, devices, pipes, -
    except SourceError as exc:
        raise AuditInputError(str(exc)) from None


# -- the state of a post as it is read ------------------------------------------------------------

_LABEL_ROLE_NAMES = {"y", "t"}

#: What to declare so that ŷ and the labels mean what the prose says (one wording everywhere).
LOGITS_HINT = "declare the logits, so that ŷ is their softmax: <!-- derive: logits z -->"
NO_DECLARATIONS_HINT = ("no declarations: add <!-- derive: logits z; labels y one-hot at \\ell --> (see the README) "
                        "so that ŷ, softmax and the labels mean what the prose says")
LABELS_HINT = "declare the labels: <!-- derive: labels y one-hot at \\ell --> or <!-- derive: labels y soft -->"


@dataclass
class _Post:
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
                             functions=base.functions | frozenset(self.functions), sigma=self.sigma)

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

    def read(self, text: str) -> sp.Basic:
        expr = read_latex(text, context=self.context())
        return expr.xreplace(self.aliases) if self.aliases else expr


def _symbol(text: str) -> sp.Symbol:
    return sp.Symbol(text, integer=True, positive=True)


def _declare(post: _Post, decl: Declaration) -> str | None:
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
                post.label_hypothesis = OneHot(base, _symbol(at.name), size)
            elif tail in ("soft", "sum to one", "sum to 1"):
                post.label_hypothesis = SumToOne(base, size)
            else:
                return f"line {decl.line}: 'labels {name}' needs 'one-hot at <index>' or 'soft'"
            return None
        if key == "vector" and rest:
            name = rest[0]
            size = _symbol(rest[1]) if len(rest) > 1 and rest[1] != "per" else post.meaning.default_size
            shapes.arrays[name] = (size,)
            if "per" in rest:
                shapes.per_sample.add(name)
            post.vectors.add(name)
            return None
        if key == "matrix" and len(rest) == 3:
            shapes.arrays[rest[0]] = (_symbol(rest[1]), _symbol(rest[2]))
            post.matrices.add(rest[0])
            shapes.roles.setdefault(rest[0], Role.WEIGHTS)
            return None
        if key == "size" and len(rest) == 1:
            post.meaning.default_size = _symbol(rest[0])
            return None
        if key == "same" and len(rest) == 2:
            post.aliases[_symbol(rest[0])] = _symbol(rest[1])
            for name, shape in list(shapes.arrays.items()):
                shapes.arrays[name] = tuple(d.xreplace(post.aliases) for d in shape)
            return None
        if key == "samples" and len(rest) in (1, 2):
            shapes.samples = _symbol(rest[0])
            if len(rest) == 2:
                post.sample_index = rest[1]
            return None
        if key == "assume":
            text = " ".join(rest)
            if text in ("nothing", "none", ""):
                post.assumptions.clear()
                return None
            post.assumptions.append((_relation(post, text), text))
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
                problem = _define_function(post, post.read(lhs), post.read(rhs))
            else:
                problem = _define(post, post.read(lhs), post.read(rhs))
            return f"line {decl.line}: {problem}" if problem else None
    except ReadError as exc:
        return f"line {decl.line}: cannot read the declaration '{decl.text}': {exc}"
    return (f"line {decl.line}: unknown declaration '{decl.text}'; known: logits, labels, vector, matrix, "
            "scalar, size, same, samples, assume, define, definition, skip")


def _relation(post: _Post, text: str) -> Hypothesis:
    for op, make in ((r"\neq", Distinct), (r"\ne", Distinct), ("!=", Distinct), ("≠", Distinct), ("=", Equal)):
        if op in text:
            left, right = text.split(op, 1)
            a, b = post.read(left), post.read(right)
            if not (isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol)):
                raise ReadError(f"an assumption relates two indices, found '{text}'")
            a, b = _symbol(a.name), _symbol(b.name)
            # Equal(a, b) replaces b by a: keep the one the post differentiates by (j) as b.
            return make(a, b)
    raise ReadError(f"an assumption is 'i = j' or 'j \\neq \\ell', found '{text}'")


def _define(post: _Post, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
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
        body = _scalar(post, rhs)
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


def _define_function(post: _Post, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """Record ``f(x, ...) = body``: each later f(a, ...) means the body at a, ...."""
    if not isinstance(lhs, AppliedUndef) or not all(isinstance(a, sp.Symbol) for a in lhs.args) \
            or len(set(lhs.args)) != len(lhs.args):
        return "a function definition's left side is f(x) or f(x, y), with distinct names as parameters"
    try:
        body = _scalar(post, rhs)
    except SemanticsError as exc:
        return f"the definition of {sp.sstr(lhs)} cannot be read: {exc}"
    post.meaning.functions[lhs.func.__name__] = (tuple(lhs.args), body)
    return None


def _scalar(post: _Post, expr: sp.Basic) -> sp.Expr:
    tensor = post.meaning.tensor(expr)
    if tensor.shape:
        raise SemanticsError("it is a vector or a matrix; define one entry, such as s_{nj} = ...")
    return post.meaning.expand_functions(without_order(tensor.at()))


# -- deciding one step ----------------------------------------------------------------------------

def _rename_bound(expr: sp.Basic, taken: set[sp.Basic]) -> sp.Basic:
    """Give every summation index that is also free elsewhere in the step a fresh name."""
    def rename(node: sp.Sum) -> sp.Basic:
        body, limits = node.function, []
        for v, lo, hi in node.limits:
            if v.name in {str(x) for x in lo.free_symbols | hi.free_symbols}:
                raise SemanticsError(f"the sum's index {v} is also its limit; write the size with another "
                                     "letter or declare it (<!-- derive: size n -->)")
            if v in taken:
                fresh = sp.Symbol(f"{v.name}'", integer=True)
                body = body.xreplace({v: fresh})
                v = fresh
            limits.append((v, lo, hi))
        return sp.Sum(body, *limits)
    return expr.replace(lambda node: isinstance(node, sp.Sum), rename)


def _bound_clashes(lhs: sp.Basic, rhs: sp.Basic) -> set[sp.Basic]:
    return {s for s in lhs.free_symbols | rhs.free_symbols if isinstance(s, sp.Symbol) and s.is_integer}


def _undefined(expr: sp.Basic) -> list[str]:
    return sorted({node.func.__name__ for node in expr.atoms(AppliedUndef) if node.func != TRANSPOSE})


def _known(post: _Post, name: str) -> bool:
    return name in post.meaning.shapes.arrays or name == post.meaning.logits or name in post.scalars


def _mark_unknown(expr: sp.Basic, post: _Post) -> sp.Basic:
    """In ∂f/∂v, a name with no declared meaning may depend on v: make it an unknown function of v.

    Without this, SymPy would take ∂CE/∂z_j of an undefined CE as 0: a verifier must
    never decide a step from what it does not know.
    """
    notations = post.meaning.notations
    def mark(d: sp.Basic) -> sp.Basic:
        if not isinstance(d, sp.Derivative):
            return d
        (v, order), = d.variable_count
        vbase = v.base if isinstance(v, sp.Indexed) else v
        body = d.expr
        for _ in range(20):
            unfolded = post.meaning.expand_functions(unfold(body, notations, frozenset({vbase})),
                                                     post.meaning.component)
            if unfolded == body:
                break
            body = unfolded

        labels = {ix.base.label for ix in body.atoms(sp.Indexed)}
        reps: dict[sp.Basic, sp.Basic] = {}
        for ix in body.atoms(sp.Indexed):
            if ix.base != vbase and not _known(post, str(ix.base.label)):
                reps[ix] = sp.Function(str(ix.base.label))(*ix.indices, v)
        for f in body.atoms(AppliedUndef):
            # f(x) by x depends on x through its argument (SymPy's chain rule); f(a) may hide it.
            if f.func != TRANSPOSE and v not in f.free_symbols:
                reps[f] = sp.Function(f.func.__name__)(*f.args, v)
        for sym in body.free_symbols:
            if isinstance(sym, sp.Symbol) and not sym.is_integer and sym not in labels and sym != vbase \
                    and not _known(post, sym.name):
                reps[sym] = sp.Function(sym.name)(v)
                post.unknown_scalars.add(sym.name)
        marked = body.xreplace(reps)
        return sp.Derivative(marked, (v, order))
    return expr.replace(lambda node: isinstance(node, sp.Derivative), mark)


def _implied_names(post: _Post, expr: sp.Basic) -> dict[str, str]:
    """Names the post means something by that the audit was not told, each with the declaration to add."""
    out = {}
    names = _names(expr)
    if "yhat" in names and post.meaning.logits is None and not any(
            str(getattr(n, "label", n)) == "yhat" for n in post.meaning.notations):
        out["ŷ"] = LOGITS_HINT
    if post.label_hypothesis is None and names & _label_names(post):
        out["the labels"] = LABELS_HINT
    functions = sorted(set(_undefined(expr)) - _label_names(post) - {"yhat"})
    if functions:
        out[", ".join(functions)] = f"define {functions[0]}: <!-- derive: define {functions[0]}(x) = ... -->"
    return out


def _label_names(post: _Post) -> set[str]:
    return (_LABEL_ROLE_NAMES | {post.labels or "y"}) - post.scalars


def _names(expr: sp.Basic) -> set[str]:
    """The names of the arrays and symbols ``expr`` mentions."""
    return {str(ix.base.label) for ix in expr.atoms(sp.Indexed)} | {str(s) for s in expr.free_symbols}


def _uses(expr: sp.Basic, names: set[str]) -> bool:
    """Whether ``expr`` mentions one of ``names``: as an array, a symbol or an unknown function."""
    return bool((_names(expr) | set(_undefined(expr))) & names)


def _decide_step(post: _Post, lhs: sp.Basic, rhs: sp.Basic, settings: AuditSettings) -> tuple[StepStatus, str,
                                                                                              Verdict | None]:
    free = _bound_clashes(lhs, rhs)
    lhs, rhs = _rename_bound(lhs, free), _rename_bound(rhs, free)
    pairs = post.meaning.component_reading(lhs, rhs)
    left, right = pairs[0]
    left = post.meaning.expand_functions(left, post.meaning.component)
    right = post.meaning.expand_functions(right, post.meaning.component)
    implied = _implied_names(post, left - right)
    left = meaning(_mark_unknown(left, post), post.meaning.notations)
    right = meaning(_mark_unknown(right, post), post.meaning.notations)
    left, right = post.meaning.expand_functions(left), post.meaning.expand_functions(right)
    # A name written out just now (CE of the declared logits) may sit inside a derivative
    # that SymPy left unevaluated while the name was unknown: take it now.
    left, right = _take_derivatives(left), _take_derivatives(right)
    unknown = _undefined(left) + _undefined(right)
    if left.has(TRANSPOSE) or right.has(TRANSPOSE):
        raise SemanticsError("a transpose of something that is not a vector or matrix")
    hyps = post.hypotheses()
    both = left - right
    for index, size in sorted(post.meaning.index_ranges(both).items(), key=lambda kv: str(kv[0])):
        hyps.append(InRange(index, 1, size))
    for h in post.hypotheses():
        for s in getattr(h, "a", None), getattr(h, "b", None), getattr(h, "at", None):
            if isinstance(s, sp.Symbol) and not any(isinstance(x, InRange) and x.index == s for x in hyps):
                hyps.append(InRange(s, 1, post.meaning.default_size))
    claim = Claim("step", left, right, tuple(hyps), "", "", {}, post.meaning.array_specs(both))
    verdict = decide(claim, settings.engine())
    if verdict.status is Status.PROVED:
        return StepStatus.VALID, verdict.strategy or "", verdict
    if verdict.status is Status.REFUTED and implied:
        # The sides differ if these names are arbitrary, but the prose gives them a meaning.
        for how in implied.values():
            post.hints[how] = None
        return (StepStatus.UNDECIDED, "the sides differ if " + " and ".join(implied) + " may be anything, but "
                "the post gives them a meaning the audit was not told: " + "; ".join(implied.values()), verdict)
    if verdict.status is Status.REFUTED:
        reason = verdict.reason
        if verdict.counterexample is not None:
            reason += "; " + verdict.counterexample.describe()
        return StepStatus.WRONG, reason, verdict
    reason = verdict.reason
    labels = _label_names(post)
    unknown = [name for name in dict.fromkeys(unknown) if name not in labels]
    if "yhat" in unknown and post.meaning.logits is None:
        unknown.remove("yhat")
        reason += "; ŷ has no meaning yet: " + LOGITS_HINT
        post.hints[LOGITS_HINT] = None
    if unknown:
        first = unknown[0]
        how = f"define it: <!-- derive: define {first}(x) = ... -->"
        if first in ("CE", "ce") and post.meaning.logits is None:
            how = ("declare the logits and labels, and CE is their cross-entropy: "
                   "<!-- derive: logits z; labels y soft -->")
        elif first.endswith("'"):
            how = (f"write {first} as a derivative, \\frac{{\\partial ...}}{{\\partial ...}}: "
                   "a primed function of a vector has no one meaning")
        elif first in post.unknown_scalars:
            how = (f"if {first} is an independent variable, declare it: <!-- derive: scalar {first} -->; "
                   f"else define it: <!-- derive: define {first} = ... -->")
        reason = f"uses {', '.join(unknown)}, which the post does not define; {how}"
        post.hints[f"{first}: {how}"] = None
    elif post.label_hypothesis is None and _uses(both, labels | {name for name, role in
                                                              post.meaning.shapes.roles.items()
                                                              if role == Role.LABELS}):
        reason += "; the labels may need a hypothesis: " + LABELS_HINT
        post.hints[LABELS_HINT] = None
    return StepStatus.UNDECIDED, reason, verdict


def _take_derivatives(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda node: isinstance(node, sp.Derivative), lambda d: d.doit(deep=False))


def _is_definition(post: _Post, lhs: sp.Basic, sides: int) -> bool:
    if sides != 2 or not post.infer_definitions:
        return False
    if isinstance(lhs, sp.Indexed):
        name: sp.Basic = lhs.base
        simple = all(isinstance(i, sp.Symbol) for i in lhs.indices)
    elif isinstance(lhs, sp.Symbol):
        name, simple = lhs, True
    else:
        return False
    if name in post.meaning.notations or not simple:
        return False
    label = str(getattr(name, "label", name))
    if label == "yhat" and post.meaning.logits is not None:
        return False  # ŷ already means softmax of the declared logits: check it
    return label not in post.meaning.shapes.arrays or label in ("yhat", "s", "h", "L")


def _steps_of_display(post: _Post, display: Display, text: str, previous: tuple[str, sp.Basic | None, int] | None,
                      settings: AuditSettings) -> tuple[list[AuditStep], tuple[str, sp.Basic | None, int] | None]:
    steps: list[AuditStep] = []
    assumed = tuple(t for _, t in post.assumptions)

    def where(offset: int) -> tuple[int, int]:
        return position(text, display.offset + offset)

    try:
        chains = split_chains_spans(display.body)
    except ReadError as exc:
        line, column = where(exc.offset or 0)
        steps.append(AuditStep(line, column, display.body.strip()[:60], "", StepStatus.NOT_READ, str(exc)))
        return steps, None
    last = previous
    for chain in chains:
        sides = list(chain)
        if len(sides) == 1:
            membership = _membership(post, sides[0][0])
            last = (sides[0][0], None, display.offset + sides[0][1]) if not membership else None
            continue
        if sides[0][0] == "" and previous is not None:
            sides[0] = (previous[0], previous[2] - display.offset)
            read_first = previous[1]
        else:
            read_first = None
        exprs: list[sp.Basic | ReadError] = []
        for idx, (side, _) in enumerate(sides):
            if idx == 0 and read_first is not None:
                exprs.append(read_first)
                continue
            try:
                exprs.append(post.read(side))
            except ReadError as exc:
                exprs.append(exc)
        first = exprs[0]
        if post.definition_next or (not isinstance(first, ReadError) and _is_definition(post, first, len(sides))
                                    and not isinstance(exprs[1], ReadError)):
            post.definition_next = False
            if not isinstance(first, ReadError) and not isinstance(exprs[1], ReadError):
                problem = _define(post, first, exprs[1])
                line, column = where(sides[0][1])
                steps.append(AuditStep(line, column, sides[0][0], sides[1][0],
                                       StepStatus.NOT_READ if problem else StepStatus.DEFINITION,
                                       problem or "defines a name; not checked", None, assumed))
                last = (sides[-1][0], exprs[-1] if not isinstance(exprs[-1], ReadError) else None,
                        display.offset + sides[-1][1])
                continue
        for idx in range(1, len(sides)):
            (ltext, _), (rtext, _roff) = sides[idx - 1], sides[idx]
            line, column = where(sides[idx - 1][1] if sides[idx - 1][1] >= 0 else 0)
            a, b = exprs[idx - 1], exprs[idx]
            bad = a if isinstance(a, ReadError) else b if isinstance(b, ReadError) else None
            if bad is not None:
                _bad_side, bad_off = (sides[idx - 1] if bad is a else sides[idx])
                col_line, col = where(bad_off + (bad.offset or 0)) if bad_off >= 0 else (line, column)
                steps.append(AuditStep(col_line, col, ltext, rtext, StepStatus.NOT_READ, str(bad), None, assumed))
                continue
            assert not isinstance(a, ReadError) and not isinstance(b, ReadError)
            steps.append(_checked_step(post, a, b, ltext, rtext, (line, column), settings, assumed))
        tail = exprs[-1]
        last = (sides[-1][0], None if isinstance(tail, ReadError) else tail, display.offset + sides[-1][1])
    return steps, last


def _checked_step(post: _Post, a: sp.Basic, b: sp.Basic, ltext: str, rtext: str, at: tuple[int, int],
                  settings: AuditSettings, assumed: tuple[str, ...]) -> AuditStep:
    line, column = at
    try:
        status, reason, verdict = decide_step(lambda: _decide_step(post, a, b, settings),
                                              settings.budget * 3 + 5, sides=(a, b), hints=post.hints)
    except SemanticsError as exc:
        return AuditStep(line, column, ltext, rtext, StepStatus.NOT_READ, str(exc), None, assumed)
    except BudgetExceeded:
        return AuditStep(line, column, ltext, rtext, StepStatus.UNDECIDED,
                         "the step ran out of its time budget; try --budget with more seconds", None, assumed)
    except Exception as exc:  # SymPy raises many kinds on what it cannot differentiate
        # or compare (IndexException, TypeError, ValueError, RecursionError...): a step, never a crash.
        return AuditStep(line, column, ltext, rtext, StepStatus.UNDECIDED,
                         f"SymPy could not take this step ({type(exc).__name__}: {str(exc)[:120]})", None,
                         assumed)
    return AuditStep(line, column, ltext, rtext, status, reason, verdict, assumed)


def _membership(post: _Post, text: str) -> bool:
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
        if name in _LABEL_ROLE_NAMES:
            shapes.roles.setdefault(name, Role.LABELS)
        elif name == "x":
            shapes.roles.setdefault(name, Role.INPUTS)
    return True


def audit_text(text: str, *, path: str = "<text>", settings: AuditSettings | None = None,
               infer_definitions: bool = True) -> AuditReport:
    """Audit the display math of ``text`` (Markdown or LaTeX), step by step.

    With ``infer_definitions`` a display ``name = expression`` that introduces a new name
    is taken as its definition (not checked); without it, only a ``definition``
    declaration makes one.
    """
    settings = settings or AuditSettings()
    started = time.perf_counter()
    post = _Post(infer_definitions=infer_definitions)
    steps: list[AuditStep] = []
    problems: list[str] = []
    previous: tuple[str, sp.Basic | None, int] | None = None
    for item in extract(text):
        note_steps(steps)
        if isinstance(item, Declaration):
            problem = _declare(post, item)
            if problem:
                problems.append(problem)
        elif isinstance(item, Heading):
            post.assumptions.clear()
            previous = None
        elif isinstance(item, Unclosed):
            steps.append(AuditStep(item.line, item.column, item.opener, "", StepStatus.NOT_READ,
                                   f"{item.opener} is never closed; close the display math"))
        elif isinstance(item, Display):
            if post.skip_next:
                post.skip_next = False
                continue
            new, previous = _steps_of_display(post, item, text, previous, settings)
            steps.extend(new)
    hints = list(problems)
    if not post.declared:
        hints.append(NO_DECLARATIONS_HINT)
    hints += [f"to decide more: {h}" for h in post.hints]
    return AuditReport(path, tuple(steps), tuple(dict.fromkeys(hints)), time.perf_counter() - started, text)


def audit_file(path: str | Path, *, settings: AuditSettings | None = None) -> AuditReport:
    """Audit a Markdown or LaTeX file; AuditInputError (a one-line message) when it cannot be read."""
    return audit_text(read_post(path), path=str(path), settings=settings)


#: Where the steps of :func:`check_step` are said to be (line and column count within the step).
STEP_PATH = "<step>"


def check_step(step: str, *, given: Sequence[str] = (), settings: AuditSettings | None = None) -> AuditReport:
    r"""Decide one equality or chain ``a = b = c`` written in LaTeX, under declarations.

    ``given`` holds declarations as in a post (``"logits z; labels y soft"``,
    ``"assume j \neq \ell"``). The step is audited as a one-display post, so it means
    exactly what it would mean in a post; lines and columns count within ``step``.

    Examples:
        >>> check_step(r"\frac{d}{dx} \tanh(x) = 1 - \tanh(x)^2").steps[0].status
        <StepStatus.VALID: 'valid'>
    """
    math = step.strip()
    for opener, closer in (("$$", "$$"), ("\\[", "\\]")):
        if math.startswith(opener) and math.endswith(closer) and len(math) > len(opener) + len(closer):
            math = math[len(opener):-len(closer)].strip()
    if not math:
        raise AuditInputError("the step is empty; give an equality such as 'a = b' in LaTeX")
    if "$$" in math or re.search(r"(?<!\\)\\\[", math):
        raise AuditInputError("give one step of math without $$ or \\[ delimiters inside it")
    for declaration in given:
        if "-->" in declaration or "\n" in declaration:
            raise AuditInputError(f"the declaration {declaration!r} must be one line without '-->'")
    header = "".join(f"<!-- derive: {d.strip()} -->\n" for d in given)
    # A step given to be checked is a claim, never a definition of its left side.
    report = audit_text(f"{header}$$\n{math}\n$$\n", path=STEP_PATH, settings=settings, infer_definitions=False)
    if not report.steps:
        raise AuditInputError("there is no equality in the step; write it as 'lhs = rhs' (or a chain a = b = c)")

    # Reasons and hints name declarations as a post writes them; here they are given with --given.
    # The post-wide "no declarations" hint is left out: a step's own reason says what it needs.
    def as_option(text: str) -> str:
        return re.sub(r"<!-- derive: (.*?) -->", r"--given '\1'", text)

    shift = len(given) + 1
    steps = tuple(replace(s, line=s.line - shift, reason=as_option(s.reason)) for s in report.steps)
    hints = tuple(as_option(h) for h in report.hints if h != NO_DECLARATIONS_HINT)
    return replace(report, steps=steps, hints=hints)


