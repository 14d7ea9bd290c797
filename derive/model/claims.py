"""From two tensors to one engine :class:`Claim`: component-wise at free indices, or every entry at fixed sizes.

The hypotheses come from the declarations: an index range for each free index, Σy = 1 for
soft labels, one-hot labels at their class index, the interval of a bounded scalar. Any
further SymPy relation or engine hypothesis can be added; one that names something the
claim does not mention is an error (:class:`derive.engine.claims.Claim` checks it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import sympy as sp

from derive.engine.budget import check_seconds, run_with_budget
from derive.engine.claims import Claim
from derive.engine.hypotheses import Between, Domain, Hypothesis, InRange, OneHot, SumToOne
from derive.engine.space import ArraySpec
from derive.engine.sums import instantiate_sums
from derive.model.errors import ModelTypeError
from derive.model.fixed import FixedWriter
from derive.model.tensor import Declaration, Size, Tensor, as_tensor

__all__ = ["BUILD_BUDGET", "claim", "context", "instantiate"]

_INDEX_NAMES = ("i", "j")


def _fixed(sizes: frozenset[Size], given: Mapping[Any, int] | None, *,
           strict: bool = True) -> dict[sp.Symbol, sp.Integer]:
    out = {s.symbol: sp.Integer(s.value) for s in sizes if s.value is not None}
    by_name = {s.name: s for s in sizes}
    for key, value in (given or {}).items():
        name = key.name if isinstance(key, Size) else key
        if name not in by_name:
            if not strict:
                continue
            raise ModelTypeError(f"sizes={{{name!r}: {value}}}: the claim has no size {name!r}; its sizes are "
                            f"{', '.join(sorted(by_name)) or 'none'}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelTypeError(f"size {name!r} is fixed to a positive int, not {value!r}")
        out[by_name[name].symbol] = sp.Integer(value)
    return out


def _index_symbols(count: int, taken: set[str]) -> list[sp.Symbol]:
    names = (n for n in itertools.chain(_INDEX_NAMES, (f"i{n}" for n in itertools.count(1))) if n not in taken)
    return [sp.Symbol(n, integer=True, positive=True) for n in itertools.islice(names, count)]


def _declared(decls: frozenset[Declaration], fixed: Mapping[sp.Symbol, sp.Integer]) -> tuple[
        dict[str, ArraySpec], list[Hypothesis]]:
    arrays: dict[str, ArraySpec] = {}
    hyps: list[Hypothesis] = []
    names: dict[str, Declaration] = {}
    for d in sorted(decls, key=lambda d: d.name):
        if d.name in names and names[d.name] != d:
            raise ModelTypeError(f"two different declarations are called {d.name!r}; give each its own name")
        names[d.name] = d
        if d.kind == "scalar":
            if d.between is not None:
                assert d.symbol is not None
                hyps.append(Between(d.symbol, *d.between))
            continue
        spec = d.spec()
        shape = tuple(sp.sympify(s).xreplace(fixed) for s in spec.shape)
        arrays[d.name] = ArraySpec(spec.base, shape, spec.role)
        if d.between is not None:
            lo, hi = d.between
            hyps.append(Domain(d.name, lo, None if hi == sp.oo else hi, lo_open=True, hi_open=hi != sp.oo))
        if d.kind == "labels":
            classes = shape[-1]
            if d.soft:
                hyps.append(SumToOne(spec.base, classes))
            else:
                assert d.at is not None
                hyps += [InRange(d.at, 1, classes), OneHot(spec.base, d.at, classes, rank=len(shape))]
    return arrays, hyps


def _check_user_hypotheses(extra: list[Any], decls: frozenset[Declaration]) -> None:
    bases = {d.base for d in decls if d.base is not None}
    for h in extra:
        labels = getattr(h, "labels", None)
        if isinstance(h, (SumToOne, OneHot)) and labels not in bases:
            raise ModelTypeError(f"hypothesis '{h.text}' is about {labels}, which this claim does not use (it uses "
                            f"{', '.join(sorted(d.name for d in decls)) or 'no arrays'}); declare labels with "
                            "derive.model.Labels(name, classes, soft=True) instead, or drop the hypothesis")


def context(tensors: list[Tensor], sizes: Mapping[Any, int]) -> tuple[dict[str, ArraySpec],
                                                                           list[Hypothesis]]:
    """The arrays (shapes at these sizes) and the declared hypotheses of some tensors."""
    decls = frozenset().union(*(t.declarations for t in tensors))
    fixed = _fixed(frozenset().union(*(t.sizes for t in tensors)), sizes, strict=False)
    return _declared(decls, fixed)


def instantiate(t: Tensor, sizes: Mapping[Any, int], writer: FixedWriter | None = None) -> Any:
    """Every entry of ``t`` at fixed sizes, sums written out: an Expr, or tuples nested one level per axis.

    With a :class:`FixedWriter`, each distinct sum is a shared atom (its definition in the
    writer's space), so the entries are built in time linear in their number.
    """
    fixed = _fixed(t.sizes, sizes, strict=False)
    dims = [n.xreplace(fixed) for n in t.shape]
    if any(not n.is_Integer for n in dims):
        raise ModelTypeError(f"instantiate needs every size fixed; the shape is {tuple(dims)}")
    if writer is not None:
        # The entry built once at symbolic indices, then written out cell by cell.
        cells = [sp.Symbol(f"cell·{n}", integer=True, positive=True) for n in range(len(dims))]
        symbolic = t.entry(*cells).xreplace(fixed) if fixed else t.entry(*cells)

        def value(*cell: int) -> sp.Expr:
            return writer.write(symbolic, dict(zip(cells, (sp.Integer(c) for c in cell), strict=True)))
    else:
        def value(*cell: int) -> sp.Expr:
            return instantiate_sums(t.entry(*[sp.Integer(c) for c in cell]).xreplace(fixed))

    def nested(prefix: tuple[int, ...]) -> Any:
        if len(prefix) == len(dims):
            return value(*prefix)
        return tuple(nested((*prefix, a)) for a in range(1, int(dims[len(prefix)]) + 1))
    return nested(())


#: Seconds a claim at fixed sizes may take to build (the default proof budget of derive.Settings).
BUILD_BUDGET = 20.0


def claim(lhs: Any, rhs: Any, *hypotheses: Hypothesis | sp.Basic, sizes: Mapping[Any, int] | None = None,
          name: str = "", statement: str = "", budget: float | None = BUILD_BUDGET) -> Claim:
    """The claim ``lhs == rhs`` for tensors of one shape, ready for :func:`derive.decide`.

    With symbolic sizes the claim is about the entry at free indices (i, j) with their
    ranges as hypotheses: proved once, it holds for every size. With every size fixed
    (``Size("c", 3)`` or ``sizes={c: 3}``) it is about every entry, sums written out, each
    distinct sum once as a shared atom (time linear in the entries); that build runs under
    ``budget`` seconds (None: no limit) and raises :class:`derive.engine.budget.BudgetExceeded`
    past it.

    Examples:
        >>> from derive import decide
        >>> from derive.model import Size, Vector, Labels, softmax, cross_entropy, grad
        >>> k = Size("k")
        >>> z, y = Vector("z", k, role="logits"), Labels("y", k, soft=True)
        >>> decide(claim(grad(cross_entropy(y, softmax(z)), z), softmax(z) - y)).status.value
        'proved'
    """
    left, right = as_tensor(lhs), as_tensor(rhs)
    if left.shape != right.shape:
        raise ModelTypeError(f"the two sides have shapes {left.shape} and {right.shape}; they must be equal "
                        "(a vector is a column: transpose with .T where a row is meant)")
    all_sizes = left.sizes | right.sizes
    decls = left.declarations | right.declarations
    fixed = _fixed(all_sizes, sizes)
    symbolic_dims = [s for s in left.shape if s.free_symbols - fixed.keys()]
    arrays, hyps = _declared(decls, fixed)
    title = name or statement or "model claim"
    extra = list(hypotheses)
    _check_user_hypotheses(extra, decls)
    if not symbolic_dims and all(d.kind != "labels" or d.soft for d in decls):
        def build() -> Claim:
            return _fixed_claim(left, right, fixed, arrays, hyps + extra, title, statement)
        if budget is None:
            return build()
        return run_with_budget(build, check_seconds(budget, "a claim's build budget"),
                               what=f"building {title!r} at fixed sizes")
    taken = {d.name for d in decls} | {s.name for s in all_sizes}
    idx = _index_symbols(left.ndim, taken)
    ranges = [InRange(i, 1, n.xreplace(fixed)) for i, n in zip(idx, left.shape, strict=True)]

    def side(t: Tensor) -> sp.Expr:
        return t.entry(*idx).xreplace(fixed) if fixed else t.entry(*idx)
    return Claim(title, side(left), side(right), (*ranges, *hyps, *extra), statement or title, "", {}, arrays)


def _fixed_claim(left: Tensor, right: Tensor, fixed: Mapping[sp.Symbol, sp.Integer], arrays: dict[str, ArraySpec],
                 hyps: list[Any], title: str, statement: str) -> Claim:
    by_name = {str(s): int(v) for s, v in fixed.items()}
    label = ",".join(f"{s}={v}" for s, v in sorted(by_name.items()))
    cells = math.prod(int(n.xreplace(fixed)) for n in left.shape)
    if cells * max(by_name.values(), default=1) <= _WRITTEN_IN_FULL:
        # Small: every sum written out in place, so each of the engine's strategies sees it whole.
        return Claim(f"{title}[{label}]" if label else title, instantiate(left, by_name),
                     instantiate(right, by_name), tuple(hyps), statement or title, "", {}, arrays)
    writer = FixedWriter()  # one for both sides: a sum they share is one atom
    lhs, rhs = instantiate(left, by_name, writer), instantiate(right, by_name, writer)
    return Claim(f"{title}[{label}]" if label else title, lhs, rhs, tuple(hyps), statement or title, "",
                 dict(writer.space.definitions), arrays)


#: Entries × the largest size up to which a fixed-size claim is written out in full (no atoms).
_WRITTEN_IN_FULL = 256
