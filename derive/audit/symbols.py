r"""One symbol table per post: what every name of the post is, and where that came from.

A name's entry gives its kind (scalar, vector, matrix, function, operator, index, size),
its shape, its meaning (a definition, the labels, the logits), its domain, and its source:
declared on line N, read from the post on line N (``x \in \mathbb{R}^n``, a definition
``p = \operatorname{softmax}(a)``, a derivative's variable), or a convention listed in
docs/symbol-table.md.

The table is the audit's rule for verdicts (see :func:`unresolved`): a step is called valid or
wrong only when every name in it has an entry; otherwise it is undecided, and the reason names
each name with no entry and the one declaration that gives it one (:func:`declaration_for`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.journal import TrackedDict, take_written
from derive.audit.reader import DIAG, ENTRY, HADAMARD, MATMUL, NORM, ONES, TRACE, TRANSPOSE

if TYPE_CHECKING:  # the state is built from the table's module's caller; never imported at run time here
    from derive.audit.declarations import PostState

#: The kinds a name can have.
KINDS = ("scalar", "vector", "matrix", "array", "function", "operator", "index", "size")

#: The reader's markers: structure, never a name of the post.
MARKERS = frozenset(f.__name__ for f in (DIAG, ENTRY, HADAMARD, MATMUL, NORM, ONES, TRACE, TRANSPOSE))

#: Functions whose meaning the audit knows (docs/audit.md lists them): softmax of a vector, cross-entropy.
BUILT_IN_FUNCTIONS = frozenset({"softmax", "logsoftmax", "CE", "ce", "H", "NLL"})

#: The convention for a letter the post never declares and only uses in scalar arithmetic.
SCALAR_CONVENTION = "convention: a letter used only in scalar arithmetic is a scalar"
#: The reading of σ in a post that never names softmax: a built-in function, so it resolves like one.
SIGMOID_CONVENTION = "built in: σ of a scalar is the sigmoid where the post never names softmax"
#: The convention for a name a definition uses that the post never defines (derive.audit.inputs).
INPUT_CONVENTION = "convention: a name a definition uses and the post never defines is an input"


@dataclass(frozen=True)
class Entry:
    """What one name of the post is."""

    name: str
    kind: str
    shape: tuple[str, ...] = ()
    meaning: str = ""
    domain: str = ""
    source: str = ""
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "shape": list(self.shape), "meaning": self.meaning,
                "domain": self.domain, "source": self.source, "line": self.line}

    def row(self) -> tuple[str, str, str, str, str]:
        shape = " × ".join(self.shape) if self.shape else "-"
        meaning = self.meaning + (f" ({self.domain})" if self.domain else "")
        return (self.name, self.kind, shape, meaning or "-", self.source)


@dataclass
class SymbolTable:
    """The entries of a post's names, built as the post is read, in the order they were first known."""

    entries: dict[str, Entry] = field(default_factory=dict)
    #: The line being read, for the sources of the entries made now.
    line: int | None = None
    #: Names whose declaration and definition conflict: no step that uses them is called wrong.
    conflicts: set[str] = field(default_factory=set)
    #: Names the prose calls data ("$y$ the target"), with the line: a convention gives such a name its kind,
    #: and the post that it may be any value.
    data: dict[str, int] = field(default_factory=dict)
    #: What the last :meth:`observe` saw, so that the next one rebuilds only the names written since.
    _state: _Observed = field(default_factory=lambda: _Observed(None), repr=False)

    def __post_init__(self) -> None:
        self.entries = TrackedDict(self.entries)

    def convention(self, name: str, source: str) -> str:
        """The source of a convention's entry for ``name``: the post's own word where it calls the name data."""
        line = self.data.get(name)
        return source if line is None else f"read from the post on line {line} (the target); kind: {source}"

    def resolves(self, name: str) -> bool:
        """Whether ``name`` has an entry the post gave it (a convention's entry gives a shape, never a value)."""
        entry = self.entries.get(name)
        return name in BUILT_IN_FUNCTIONS or (entry is not None and not entry.source.startswith("convention")
                                              and name not in self.conflicts)

    def source(self, name: str) -> str:
        """Where ``name``'s entry came from; "" if it has none."""
        entry = self.entries.get(name)
        return entry.source if entry is not None else ""

    def conflict(self, name: str, what: str) -> None:
        """``name``'s declaration and a definition disagree (``what``): the entry says so, and no longer resolves."""
        self.conflicts.add(name)
        old = self.entries.get(name, Entry(name, "scalar"))
        where = f" on line {self.line}" if self.line else ""
        self.entries[name] = replace(old, meaning=f"in conflict: {what}{where}")

    def add(self, entry: Entry) -> None:
        """Add or update an entry; a name keeps the source that first gave it its kind."""
        old = self.entries.get(entry.name)
        if old is None:
            self.entries[entry.name] = entry
            return
        if entry.name in self.conflicts:
            return  # the entry says what conflicts, until the post is read again
        if (old.kind, old.shape, old.meaning, old.domain) != (entry.kind, entry.shape, entry.meaning, entry.domain):
            source = old.source if old.kind == entry.kind and old.shape == entry.shape else entry.source
            line = old.line if source == old.source else entry.line
            if source == old.source and entry.meaning.startswith("defined") and \
                    not old.meaning.startswith("defined") and entry.source.startswith("defined"):
                source = f"{old.source}; {entry.source}"  # merged: the shape declared, the meaning defined
            self.entries[entry.name] = replace(entry, source=source, line=line)

    def note(self, name: str, kind: str, meaning: str, *, convention: bool = False) -> None:
        """An entry read from a step (a derivative's variable; a convention's scalar), unless the name has one.

        A reading from the post replaces a convention's entry: a letter first seen in scalar arithmetic
        (tanh(x) = ...) and then differentiated by (dy/dx) is the post's independent variable from there on.
        """
        old = self.entries.get(name)
        if old is not None and old.source.startswith("convention") and not convention and name not in self.conflicts:
            del self.entries[name]
        if name not in self.entries:
            where = f" on line {self.line}" if self.line else ""
            source = self.convention(name, SCALAR_CONVENTION + f" (used{where})") if convention \
                else f"read from the post{where}"
            self.entries[name] = Entry(name, kind, meaning=meaning, source=source, line=self.line)

    def observe(self, post: PostState, how: str) -> None:
        """Take every name ``post`` now gives a meaning; new ones get ``how`` (declared, read from the post).

        Only the names written since the last time are rebuilt (the post's containers and this table record
        their writes, :mod:`derive.audit.journal`): an unchanged name's entry would be added again unchanged,
        which :meth:`add` does nothing with. A post of n declarations is read in n steps, not n².
        """
        where = f" on line {self.line}" if self.line else ""
        only = self._written(post)
        for entry in _entries(post, only, self._state):
            source = ("defined" if entry.meaning.startswith("defined:") and how != "declared" else how) + where
            old = self.entries.get(entry.name)
            if old is not None and (old.kind, old.shape, old.meaning, old.domain) == \
                    (entry.kind, entry.shape, entry.meaning, entry.domain):
                continue  # add would keep it as it is
            self.add(replace(entry, source=source, line=self.line))
        take_written(self.entries)  # this table's own writes: not news for the next time

    def _written(self, post: PostState) -> list[str] | None:
        """The names whose entries may have changed since the last :meth:`observe`; None for all of them."""
        meaning, shapes = post.meaning, post.meaning.shapes
        containers = (shapes.arrays, shapes.per_sample, post.scalars, post.definitions, meaning.functions,
                      post.functions, post.domains, self.entries)
        # What every entry depends on: when any of it changes, every entry is rebuilt.
        fingerprint = (tuple(id(c) for c in containers), meaning.logits, post.labels, post.label_kind,
                       post.label_at, shapes.samples, post.sample_index, meaning.default_size)
        keys = [take_written(c) for c in containers]
        if fingerprint != self._state.fingerprint or any(k is None for k in keys) or not INCREMENTAL:
            self._state = _Observed(fingerprint)
            return None
        names: dict[str, None] = {}
        for number, found in enumerate(keys):
            for key in found or ():
                label = _label(key)
                names[label] = None
                if number == 3:  # a definition: its name's bases, kept in the definitions' order
                    bases = self._state.bases.setdefault(label, {})
                    if key in post.definitions:
                        bases[key] = None
                    else:
                        bases.pop(key, None)
        return list(names)

    def rows(self) -> list[Entry]:
        return list(self.entries.values())


def _shape_text(shape: Iterable[sp.Basic]) -> tuple[str, ...]:
    return tuple(str(d) for d in shape)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


#: Whether :meth:`SymbolTable.observe` rebuilds only the names written since (a test compares it to rebuilding all).
INCREMENTAL = True


@dataclass
class _Observed:
    """What :func:`_entries` saw last: enough to rebuild one name's entry without the others."""

    fingerprint: Any
    #: The definitions' bases (``h``, ``h[i]``) by their names, in the definitions' order.
    bases: dict[str, dict[sp.Basic, None]] = field(default_factory=dict)
    #: The names given an entry by the post (a length's entry only goes to a name with none).
    names: set[str] = field(default_factory=set)
    #: Each entry's lengths, and how many entries use each length.
    dims: dict[str, frozenset[str]] = field(default_factory=dict)
    uses: Counter[str] = field(default_factory=Counter)


def _label(base: sp.Basic) -> str:
    return str(getattr(base, "label", base))


def _entries(post: PostState, only: list[str] | None = None, seen: _Observed | None = None) -> list[Entry]:
    """The entries ``post``'s declarations and definitions give now (without sources).

    With ``only``, just those names' entries, the global ones (the sample index, the labels' class, the
    operators) and the lengths that became names; ``seen`` is what the last call saw, updated here.
    """
    seen = seen if seen is not None else _Observed(None)
    full = only is None
    out: dict[str, Entry] = {}
    meaning = post.meaning
    shapes = meaning.shapes
    if full:
        seen.bases = {}
        for base in post.definitions:
            seen.bases.setdefault(_label(base), {})[base] = None
        arrays: Iterable[tuple[str, tuple[sp.Expr, ...]]] = shapes.arrays.items()
        scalars: Iterable[str] = sorted(post.scalars)
        definitions: Iterable[sp.Basic] = post.definitions
        functions: Iterable[str] = meaning.functions
    else:
        assert only is not None
        arrays = [(name, shapes.arrays[name]) for name in only if name in shapes.arrays]
        scalars = sorted(name for name in only if name in post.scalars)
        definitions = [base for name in only for base in seen.bases.get(name, ())]
        functions = [name for name in only if name in meaning.functions]
    for name, shape in arrays:
        rank = len(shape)
        kind = {1: "vector", 2: "matrix"}.get(rank, "array")
        dims = _shape_text(shape)
        if name in shapes.per_sample:
            dims = (str(shapes.samples), *dims)
        what = ""
        if name == meaning.logits:
            what = "the logits"
        elif name == "yhat" and meaning.logits:
            what = f"softmax({meaning.logits})"
        elif name == post.labels:
            what = "the labels, " + ("one-hot at " + str(post.label_at) if post.label_kind == "one-hot"
                                     else post.label_kind or "no constraint")
        out[name] = Entry(name, kind, dims, what)
    for name in scalars:
        out[name] = Entry(name, "scalar", (), "an independent variable")
    for base in definitions:
        lhs, rhs = post.definitions[base]
        label = _label(base)
        old = out.get(label)
        kind, dims = (old.kind, old.shape) if old else ("scalar" if isinstance(base, sp.Symbol) else "array", ())
        out[label] = Entry(label, kind, dims, _short(f"defined: {sp.sstr(lhs)} = {sp.sstr(rhs)}"))
    for name in functions:
        params, body = meaning.functions[name]
        args = ", ".join(sp.sstr(p) for p in params)
        out[name] = Entry(name, "function", (), _short(f"defined: {name}({args}) = {sp.sstr(body)}"))
    declared_functions = post.functions if full else post.functions.intersection(only or ())
    for name in sorted(declared_functions - set(out)):
        out[name] = Entry(name, "function", (), "defined")
    for name, index, var in post.operators:
        out[name] = Entry(name, "operator", (), f"∂/∂{var}" + (f", index {index}" if index else ""))
    domains = post.domains if full else [name for name in dict.fromkeys([*(only or ()), *out]) if name in post.domains]
    for name in domains:
        old = out.get(name, Entry(name, "scalar"))
        out[name] = replace(old, domain=describe_domain(post.domains[name]))
    if full:
        seen.names = set(out)
    else:
        seen.names.difference_update(only or ())
        seen.names.update(out)
    if post.sample_index and post.sample_index not in seen.names:
        out.setdefault(post.sample_index, Entry(post.sample_index, "index", (), f"the sample, 1..{shapes.samples}"))
    if isinstance(post.label_at, sp.Symbol) and str(post.label_at) not in seen.names:
        out.setdefault(str(post.label_at), Entry(str(post.label_at), "index", (), "the class of the one-hot labels"))
    elif isinstance(post.label_at, sp.IndexedBase) and str(post.label_at.label) not in seen.names:
        label = str(post.label_at.label)
        out.setdefault(label, Entry(label, "vector", (str(shapes.samples),), "the class of each sample"))
    if full:
        seen.dims, seen.uses = {}, Counter()
    for name in (only or ()):
        if name not in out:
            seen.uses.subtract(seen.dims.pop(name, frozenset()))
    sizes: set[str] = set()
    for entry in out.values():
        lengths = frozenset(d for d in entry.shape if re.fullmatch(r"[A-Za-z_]\w*", d))
        seen.uses.subtract(seen.dims.get(entry.name, frozenset()))
        seen.uses.update(lengths)
        seen.dims[entry.name] = lengths
        sizes |= lengths
    sizes |= {name for name in (only or ()) if seen.uses[name] > 0}
    # Lengths declared as such (size C, samples N, same c C), whatever array uses them.
    if meaning.default_size.name != "k":
        sizes.add(meaning.default_size.name)
    if post.sample_index is not None or shapes.per_sample:
        sizes.add(str(shapes.samples))
    sizes |= {str(old) for old in post.aliases} | {str(new) for new in post.aliases.values()}
    for size in sorted(size for size in sizes if size not in seen.names and size not in out):
        out[size] = Entry(size, "size", (), "a length")
    return list(out.values())


def describe_domain(dom: Any) -> str:
    """``T > 0``, ``0 <= eps <= 1``, ``t in {0, 1}``, as a short text."""
    if dom.values is not None:
        return f"in {{{', '.join(str(v) for v in dom.values)}}}"
    parts = []
    if dom.lo is not None:
        parts.append(f"{dom.lo} {'<' if dom.lo_open else '<='} ")
    parts.append(dom.name)
    if dom.hi is not None:
        parts.append(f" {'<' if dom.hi_open else '<='} {dom.hi}")
    return "".join(parts)


# -- the names of a step ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """How a step uses a name: as a plain symbol, an array with ``rank`` indices, a function, and whether it
    stands in a product of vectors or matrices (its shape then matters)."""

    name: str
    rank: int = 0
    function: bool = False
    in_product: bool = False
    #: A sum's limit: a length.
    size: bool = False


def uses(*exprs: sp.Basic) -> dict[str, Use]:
    """Every name the step's sides use, as read (before any meaning is given), in a stable order."""
    found: dict[str, Use] = {}

    def add(use: Use) -> None:
        old = found.get(use.name)
        if old is None:
            found[use.name] = use
        else:
            found[use.name] = Use(use.name, max(old.rank, use.rank), old.function or use.function,
                                  old.in_product or use.in_product, old.size and use.size)

    def walk(node: sp.Basic, in_product: bool) -> None:
        if isinstance(node, sp.Indexed):
            add(Use(str(node.base.label), len(node.indices), in_product=in_product))
            for i in node.indices:
                walk(i, False)
            return
        if isinstance(node, sp.IndexedBase):
            add(Use(str(node.label), 1, in_product=in_product))
            return
        if isinstance(node, sp.Symbol):
            if not node.is_integer:
                add(Use(node.name, in_product=in_product))
            return
        if isinstance(node, AppliedUndef):
            name = node.func.__name__
            inner = in_product or name in (MATMUL.__name__, TRANSPOSE.__name__, HADAMARD.__name__)
            if name not in MARKERS:
                add(Use(name, function=True))
            for arg in node.args:
                walk(arg, inner)
            return
        if isinstance(node, (sp.Sum, sp.Product)):
            walk(node.function, in_product)
            for _, lo, hi in node.limits:
                for limit in (lo, hi):
                    if isinstance(limit, sp.Symbol) and limit.is_integer:
                        add(Use(limit.name, size=True))  # \sum_k^C: C is a length the post must give
                    else:
                        walk(limit, False)
            return
        if isinstance(node, sp.Derivative):
            walk(node.expr, in_product)
            for v, _ in node.variable_count:
                walk(v, False)
            return
        for arg in node.args:
            walk(arg, in_product)

    for expr in exprs:
        walk(expr, False)
    # A summation index or a sum's bound variable is no name: they are integers (skipped above).
    return found


def unresolved(table: SymbolTable, found: dict[str, Use]) -> list[Use]:
    """The uses whose names have no entry in ``table``."""
    return [u for u in found.values() if not table.resolves(u.name)]


# -- the declaration that resolves a name --------------------------------------------------------------

GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega ell""".split())


def written(name: str) -> str | None:
    r"""How the declaration parser is given ``name``: ``\lambda`` for lambda, ``x`` for x; None if it has no
    plain spelling (a name the reader made from a script or a style, such as ``L_data``).

    A layer's name is written with its label: ``h^{(1)}`` for h^(1).

    Examples:
        >>> written("lambda"), written("x"), written("L_data"), written("W^(2)")
        ('\\lambda', 'x', None, 'W^{(2)}')
    """
    layer = re.fullmatch(r"(.+)\^\((\d+|[A-Za-z](?:[-+]\d+)?)\)", name)
    if layer is not None:
        base = written(layer.group(1))
        return None if base is None else f"{base}^{{({layer.group(2)})}}"
    if name in GREEK:
        return "\\" + name
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return None


def declaration_for(use: Use, default_size: str = "k") -> str:
    """The one declaration that gives ``use``'s name an entry of the kind its use shows, ready to paste."""
    gradient = re.fullmatch(r"∂(.+)/∂(.+)", use.name)
    if gradient is not None:
        loss, by = gradient.groups()
        return (f"a definition of {loss} (without one, {loss} is read as a function of the defined {by}, and "
                f"{use.name} is any gradient: the step holds for some and not for others)")
    spelled = written(use.name)
    if use.size and spelled:
        return f"<!-- derive: size {spelled} --> (the length of the arrays declared without one)"
    if use.function:
        if spelled:
            return f"<!-- derive: define {spelled}(x) = ... -->"
        return f"a definition of the function {use.name} (<!-- derive: define f(x) = ... --> with its own letter)"
    if spelled is None:
        return f"a definition of {use.name} in the post (a display '{use.name} = ...')"
    if use.rank == 1:
        return f"<!-- derive: vector {spelled} {default_size} -->"
    if use.rank == 2 or (use.in_product and use.rank == 0):
        return f"<!-- derive: matrix {spelled} {default_size} {default_size} --> (or vector, or scalar)"
    return f"<!-- derive: scalar {spelled} -->"


def _or_define(use: Use) -> str:
    spelled = written(use.name) if not use.name.startswith("∂") else None
    if use.function or use.size or spelled is None:
        return ""
    entry = f"{spelled}_i" if use.rank == 1 else f"{spelled}_{{ij}}" if use.rank == 2 else spelled
    return f", or define it: <!-- derive: define {entry} = ... -->"


def unresolved_reason(missing: list[Use], default_size: str, what: str, conflicts: Iterable[str] = ()) -> str:
    """Why a step is undecided: ``what`` (the verdict it would have had), then each name with its declaration
    (for a name in ``conflicts``, the fix of its conflict)."""
    conflicted = set(conflicts)
    parts = [f"{u.name}: its declaration and its definition conflict; make them agree" if u.name in conflicted
             else f"{u.name}: {declaration_for(u, default_size)}" + _or_define(u) for u in missing]
    names = ", ".join(u.name for u in missing)
    verb = "has" if len(missing) == 1 else "have"
    return f"{what}, but {names} {verb} no meaning in the post; to decide it, give each one: " + "; ".join(parts)
