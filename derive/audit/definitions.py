"""A post's definitions: the names and functions its displays (and ``define``) give a formula.

``s_i = \\sum_r B_{ir} h_r`` defines the array s entry by entry; ``z = W h`` a vector of W h's shape;
``\\sigma(x) = ...``, ``g_k(u) = ...``, ``h_\\theta(x) = ...`` functions. Each body is read once into the
post's :class:`~derive.audit.semantics.Meaning`, with its summation indices renamed apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.names_written import bare_name
from derive.audit.reader import ENTRY
from derive.audit.semantics import SemanticsError
from derive.audit.tensors import without_order
from derive.library.notation import Notation

if TYPE_CHECKING:  # the state is the caller's; never imported at run time here
    from derive.audit.declarations import PostState


def define(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """Record ``lhs = rhs`` as the definition of the name on the left.

    Definitions mean the same in any order: each one is read again once a later one is known
    (ŷ_i = softmax(s)_i written before s_i = Σ_r B_{ir} h_r takes s's length, not the default).
    """
    lhs = _as_array(post, lhs, rhs)
    if isinstance(lhs, sp.IndexedBase) and str(lhs.label) in post.meaning.shapes.arrays:
        # h = \tanh(W x), h a declared vector: the definition of each entry, h_ι = [\tanh(W x)]_ι.
        rank = len(post.meaning.shapes.arrays[str(lhs.label)])
        entry = tuple(sp.Symbol(f"ι{n}", integer=True, positive=True) for n in range(1, rank + 1))
        lhs, rhs = lhs[entry], ENTRY(rhs, *entry)
    problem = _define_once(post, lhs, rhs)
    if problem is not None:
        return problem
    name = lhs.base if isinstance(lhs, sp.Indexed) else lhs
    post.definitions[name] = (lhs, rhs)
    for _ in range(len(post.definitions)):
        before = dict(post.meaning.shapes.arrays)
        for earlier, (left, right) in list(post.definitions.items()):
            if earlier != name:
                _define_once(post, left, right)  # it was read before, so it reads now as well
        if post.meaning.shapes.arrays == before:
            break
    return None


def _as_array(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> sp.Basic:
    """``z = W h`` of a new name and a vector (or matrix) expression: z gets that shape, and is the array."""
    per_sample = {ix.base for ix in rhs.atoms(sp.Indexed) if str(ix.base.label) in post.meaning.shapes.per_sample}
    if not isinstance(lhs, sp.Symbol) or lhs.name in post.meaning.shapes.arrays or lhs.name in post.scalars \
            or mentions(rhs, lhs.name) or rhs.has(sp.Sum) or per_sample:
        # A sum or a sample's vector on the right (L = -1/N Σ_n y_n log f(B A x_n)) may be a scalar written
        # with a vector for a dot product: only a plain vector expression (W h, Z^T β) gives a shape.
        return lhs
    try:
        shape = post.meaning.tensor(rhs).shape
    except Exception:  # what cannot be read as a tensor here is reported by the definition itself
        return lhs
    if not shape or len(shape) > 2 or ("ones",) == shape:
        return lhs
    post.meaning.shapes.arrays[lhs.name] = tuple(shape)
    (post.vectors if len(shape) == 1 else post.matrices).add(lhs.name)
    return sp.IndexedBase(lhs.name, real=True)


def _define_once(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    name: sp.Basic
    if isinstance(lhs, sp.Indexed):
        name, params = lhs.base, list(lhs.indices)
        if not all(isinstance(p, sp.Symbol) for p in params):
            return "a definition's left side has indices that are not names"
    elif isinstance(lhs, sp.Symbol):
        name, params = lhs, []
    else:
        return "a definition's left side is a name, such as L_n or s_{nj}"
    label = str(getattr(name, "label", name))
    indexed = isinstance(lhs, sp.Indexed)
    if mentions(rhs, label, indexed=indexed):
        return self_reference(lhs)
    try:
        body = rename_apart(post, scalar(post, rhs))
    except SemanticsError as exc:
        return f"the definition of {sp.sstr(lhs)} cannot be read: {exc}"
    except Exception as exc:  # SymPy on an unexpected expression: report it, never crash
        return f"the definition of {sp.sstr(lhs)} cannot be read ({type(exc).__name__}: {str(exc)[:100]})"
    if mentions(body, label, indexed=indexed):
        return self_reference(lhs)

    if params:
        # s_{nj} = ...: a name with indices is an array; its shape is what the indices range over.
        ranges = post.meaning.index_ranges(body)
        shapes = post.meaning.shapes
        per_sample = post.sample_index is not None and str(params[0]) == post.sample_index
        dims = params[1:] if per_sample else params
        declared = label not in post.shaped_by_definition and len(shapes.arrays.get(label, ())) == len(dims)
        if not declared:  # a declared shape is kept (merged); one a definition gave is read again
            shapes.arrays[label] = tuple(ranges.get(p, post.meaning.default_size) for p in dims)
            post.shaped_by_definition.add(label)
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
    lhs, rhs, numbers = parameters_as_numbers(post, lhs, rhs)
    # h_θ(x) = g(θ^T x) beside the data x_i: the parameter is one vector, x without the sample index.
    one_sample = {label for a in lhs.args if (label := str(getattr(a, "label", a))) in post.meaning.shapes.per_sample
                  and label not in numbers} if isinstance(lhs, AppliedUndef) else set()
    if numbers or one_sample:
        with shadowed(post, numbers, one_sample):
            return define_function(post, lhs, rhs)
    if isinstance(lhs, AppliedUndef) and any(isinstance(a, sp.IndexedBase) for a in lhs.args):
        # logsumexp(x) = log Σ_i exp(x_i) of a declared vector x: the parameter is the name, its entries the body's.
        lhs = lhs.func(*(sp.Symbol(str(a.label), real=True) if isinstance(a, sp.IndexedBase) else a for a in lhs.args))
    if not isinstance(lhs, AppliedUndef) or not all(isinstance(a, sp.Symbol) for a in lhs.args) \
            or len(set(lhs.args)) != len(lhs.args):
        return "a function definition's left side is f(x) or f(x, y), with distinct names as parameters"
    if mentions(rhs, lhs.func.__name__):
        return self_reference(lhs)
    try:
        body = rename_apart(post, scalar(post, rhs))
    except SemanticsError as exc:
        return f"the definition of {sp.sstr(lhs)} cannot be read: {exc}"
    params = list(lhs.args)
    for at, param in enumerate(params):
        if param == post.meaning.default_size:
            # g_k(u) = e^{u_k} / \sum_m e^{u_m}: the index k, not the sum's default length k (its limit).
            params[at] = fresh = sp.Symbol(f"{param}·{next(post.fresh)}", integer=True, positive=True)
            body = _as_index(body, param, fresh)
    post.meaning.functions[lhs.func.__name__] = (tuple(params), body)
    return None


def parameters_as_numbers(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> tuple[sp.Basic, sp.Basic, set[str]]:
    """``f(x) = body`` with each parameter that names one of the post's arrays, but that the body uses only in
    scalar arithmetic, made a number (``s(x) = 1/(1 + e^{-x})`` beside the data x_i), and those names: they are
    bound by the definition, so read them under :func:`shadowed`. Unchanged, and no names, otherwise."""
    if not isinstance(lhs, AppliedUndef):
        return lhs, rhs, set()
    dummies: dict[sp.Basic, sp.Basic] = {}
    for arg in lhs.args:
        label = arg.label if isinstance(arg, sp.IndexedBase) else arg if isinstance(arg, sp.Symbol) else None
        if label is None or str(label) not in post.meaning.shapes.arrays:
            continue
        bases = [b for b in rhs.atoms(sp.IndexedBase) if str(b.label) == str(label)]
        if len(bases) == 1 and _only_scalar_arithmetic(rhs, bases[0]):
            number = sp.Symbol(str(label), real=True)
            dummies |= {arg: number, bases[0]: number}
    if not dummies:
        return lhs, rhs, set()
    return lhs.xreplace(dummies), rhs.xreplace(dummies), {str(v) for v in dummies.values()}


def _only_scalar_arithmetic(body: sp.Basic, base: sp.IndexedBase) -> bool:
    """Whether ``body`` uses the array ``base`` only whole, in arithmetic and elementary functions: never an
    entry (x_i), never in a product of arrays, a norm, a transpose or a softmax (then x is the vector)."""
    if any(ix.base == base for ix in body.atoms(sp.Indexed)):
        return False
    if base not in body.atoms(sp.IndexedBase):
        return False

    def clean(node: sp.Basic) -> bool:
        if node == base:
            return True
        if isinstance(node, AppliedUndef) or isinstance(node, (sp.Sum, sp.Product, sp.Derivative)):
            return base not in node.atoms(sp.IndexedBase)
        return all(clean(arg) for arg in node.args)
    return clean(body)


@contextmanager
def shadowed(post: PostState, names: set[str], one_sample: Iterable[str] = ()) -> Iterator[None]:
    """The post's arrays named ``names`` hidden, and those named ``one_sample`` without their sample index,
    while a definition's parameters of those names are read."""
    shapes = post.meaning.shapes
    arrays = {n: shapes.arrays.pop(n) for n in names if n in shapes.arrays}
    samples = {n for n in (*names, *one_sample) if n in shapes.per_sample}
    shapes.per_sample.difference_update(samples)
    try:
        yield
    finally:
        shapes.arrays.update(arrays)
        shapes.per_sample.update(samples)


def _as_index(body: sp.Basic, old: sp.Symbol, new: sp.Symbol) -> sp.Basic:
    """``body`` with ``old`` written ``new`` where it is an index (of an entry, of δ), not a sum's limit."""
    def entry(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Indexed):
            return node.base[tuple(i.xreplace({old: new}) for i in node.indices)]
        return sp.KroneckerDelta(*(i.xreplace({old: new}) for i in node.args))
    return body.replace(lambda node: isinstance(node, (sp.Indexed, sp.KroneckerDelta)), entry)


def mentions(expr: sp.Basic, name: str, *, indexed: bool | None = None) -> bool:
    """Whether ``expr`` uses ``name``: as a symbol, an array or a function.

    With ``indexed`` False only the plain name counts (L), with True only its entries (L_n):
    ``L = \\frac{1}{N} \\sum_n L_n`` defines the mean L from the samples' L_n, two names.
    """
    entries = {str(ix.base.label) for ix in expr.atoms(sp.Indexed)}
    plain = {str(s) for s in expr.xreplace({ix: sp.Dummy() for ix in expr.atoms(sp.Indexed)}).free_symbols}
    names = {True: entries, False: plain, None: entries | plain}[indexed]
    names |= {f.func.__name__ for f in expr.atoms(AppliedUndef)}
    return name in names


def self_reference(lhs: sp.Basic) -> str:
    return (f"{sp.sstr(lhs)} is on both sides: an update (a new value from the old one), not a definition, and "
            "not an identity; it gives the name no meaning")


def rename_apart(post: PostState, body: sp.Basic) -> sp.Basic:
    """Every summation index of a definition's body gets a name of its own, never a step's index.

    ``L = -Σ_i y_i log ŷ_i`` used in ``Σ_i ∂L/∂s_i ...`` must not become a sum over the
    step's i: the body's i is renamed (deterministically, by a counter) before it is stored.
    """
    def rename(node: sp.Sum) -> sp.Basic:
        inner, limits = node.function, []
        for v, lo, hi in node.limits:
            fresh = sp.Symbol(f"{v.name}·{next(post.fresh)}", integer=True)
            inner = inner.xreplace({v: fresh})
            limits.append((fresh, lo, hi))
        return sp.Sum(inner, *limits)
    return body.replace(lambda node: isinstance(node, sp.Sum), rename)


def scalar(post: PostState, expr: sp.Basic) -> sp.Expr:
    tensor = post.meaning.tensor(expr)
    if tensor.shape:
        raise SemanticsError("it is a vector or a matrix; define one entry, such as s_{nj} = ...")
    return post.meaning.expand_functions(without_order(tensor.at()))


def fits(post: PostState, label: str, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """"define" when ``rhs`` has the shape ``label`` is declared with, "conflict" when it has another, None
    when its shape cannot be read (the display is then checked as a claim)."""
    declared = tuple(post.meaning.shapes.arrays[label])
    try:
        shape = tuple(post.meaning.tensor(rhs).shape)
    except Exception:  # a right side the semantics cannot read: a claim, reported as such
        return None
    if isinstance(lhs, sp.Indexed):
        return "define" if len(lhs.indices) == len(declared) and not shape else "conflict"
    return "define" if shape == declared else "conflict"


def conflict_reason(post: PostState, lhs: sp.Basic, rhs: sp.Basic) -> str:
    """Why a display that sets a declared name to a formula of another shape is neither a definition nor a claim."""
    name = str(getattr(lhs, "label", getattr(lhs, "base", lhs)))
    name = str(getattr(name, "label", name))
    entry = post.table.entries.get(name)
    declared = f"{entry.kind} {' × '.join(entry.shape)}".strip() + f" ({entry.source})" if entry else "declared"
    try:
        found = post.meaning.tensor(rhs).shape
        what = " × ".join(str(d) for d in found) if found else "a scalar"
    except Exception:
        what = "a value of another shape"
    post.table.conflict(name, f"{declared}, set to {what}")
    return (f"{name} is a {declared}, and this display sets it to {what}: a conflict between the declaration and "
            f"the definition, so no step that uses {name} is called wrong; fix one of them")


def restates(post: PostState, text: str, lhs: sp.Basic, rhs: sp.Basic) -> bool:
    """Whether ``text = rhs`` writes a defined name's definition again at other indices: the formula as it
    was read, up to the names of its indices (``O_{ab} = Σ_c A_{ac} V_{cb}`` after ``O_{ip} = Σ_j A_{ij}
    V_{jp}``). The same entry again, or a formula of another form (``y = (1 + e^{-x})^{-1}`` after
    ``y = \\sigma(x)``), is a claim."""
    name = lhs.base if isinstance(lhs, sp.Indexed) else lhs
    if not bare_name(text) or name not in post.definitions:
        return False
    left, right = post.definitions[name]
    if isinstance(lhs, sp.Indexed) != isinstance(left, sp.Indexed):
        return False
    if not (isinstance(lhs, sp.Indexed) and isinstance(left, sp.Indexed)) or len(lhs.indices) != len(left.indices) \
            or lhs.indices == left.indices:
        return False  # the same entry written again (x̂_{ij} = ... quoted as the step's fact) is a claim
    right = right.xreplace(dict(zip(left.indices, lhs.indices, strict=True)))
    return bound_apart(right) == bound_apart(rhs)


def bound_apart(expr: sp.Basic, depth: int = 0) -> sp.Basic:
    """``expr`` with each sum's index named by its depth: two formulas that differ only in those names agree."""
    if isinstance(expr, sp.Sum) and len(expr.limits) == 1:
        (index, lo, hi), = expr.limits
        fresh = sp.Symbol(f"bound·{depth}", integer=True)
        return sp.Sum(bound_apart(expr.function.xreplace({index: fresh}), depth + 1), (fresh, lo, hi))
    if not expr.args or isinstance(expr, (sp.Indexed, sp.IndexedBase, sp.Symbol)):
        return expr
    return expr.func(*(bound_apart(a, depth) for a in expr.args))
