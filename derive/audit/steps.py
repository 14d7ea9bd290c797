"""Deciding one step ``a = b`` of a post: its meaning, its hypotheses, and the engine's verdict as a step status."""

from __future__ import annotations

import itertools
from dataclasses import replace

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.declarations import (
    LABELS_HINT,
    LOGITS_HINT,
    PostState,
    symbol,
)
from derive.audit.reader import (
    TRANSPOSE,
)
from derive.audit.recheck import recheck
from derive.audit.results import AuditSettings, StepStatus
from derive.audit.semantics import SemanticsError
from derive.audit.symbols import INPUT_CONVENTION, declaration_for, unresolved, unresolved_reason, uses, written
from derive.engine.claims import Claim
from derive.engine.decide import decide
from derive.engine.hypotheses import Distinct, Equal, Hypothesis, InRange, OneHot, SumToOne
from derive.engine.space import Role
from derive.engine.verdict import Status, Verdict
from derive.library.notation import meaning, unfold

# -- deciding one step ----------------------------------------------------------------------------

def rename_bound(expr: sp.Basic, taken: set[sp.Basic]) -> sp.Basic:
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


def bound_clashes(lhs: sp.Basic, rhs: sp.Basic) -> set[sp.Basic]:
    return {s for s in lhs.free_symbols | rhs.free_symbols if isinstance(s, sp.Symbol) and s.is_integer}


def undefined(expr: sp.Basic) -> list[str]:
    return sorted({node.func.__name__ for node in expr.atoms(AppliedUndef) if node.func != TRANSPOSE})


def known(post: PostState, name: str) -> bool:
    return name in post.meaning.shapes.arrays or name == post.meaning.logits or name in post.scalars \
        or name == post.labels or name in post.domains


def mark_unknown(expr: sp.Basic, post: PostState) -> sp.Basic:
    """In ∂f/∂v, a name with no declared meaning may depend on v: make it an unknown function of v.

    Without this, SymPy would take ∂CE/∂z_j of an undefined CE as 0: a verifier must
    never decide a step from what it does not know.
    """
    notations = post.meaning.notations
    def mark(d: sp.Basic) -> sp.Basic:
        if not isinstance(d, sp.Derivative):
            return d
        # Each variable of the derivative (two in ∂²f/∂z_i∂z_j): an unknown name may depend on each.
        variables = [v for v, _ in d.variable_count]
        vbases = {v.base if isinstance(v, sp.Indexed) else v for v in variables}
        body = d.expr
        for _ in range(20):
            unfolded = post.meaning.expand_functions(unfold(body, notations, frozenset(vbases)),
                                                     post.meaning.component)
            if unfolded == body:
                break
            body = unfolded

        if len(variables) > 1:
            # ∂²CE/∂z_i∂z_j: CE of the declared logits written out now, as a function of the whole
            # vector; SymPy's derivative of an unknown CE(z_i, z_j) by z_i then z_j never ends.
            body = body.xreplace({sym: post.meaning.expand_functions(sp.Function(sym.name)(variables[0]))
                                  for sym in body.free_symbols
                                  if isinstance(sym, sp.Symbol) and sym.name in ("CE", "ce")})
        labels = {ix.base.label for ix in body.atoms(sp.Indexed)}
        reps: dict[sp.Basic, sp.Basic] = {}
        for ix in body.atoms(sp.Indexed):
            if ix.base not in vbases and not known(post, str(ix.base.label)):
                reps[ix] = sp.Function(str(ix.base.label))(*ix.indices, *variables)
                post.unknown_arrays.add(str(ix.base.label))
        for f in body.atoms(AppliedUndef):
            # f(x) by x depends on x through its argument (SymPy's chain rule); f(a) may hide it.
            missing = [v for v in variables if v not in f.free_symbols]
            if f.func != TRANSPOSE and missing:
                reps[f] = sp.Function(f.func.__name__)(*f.args, *missing)
        for sym in body.free_symbols:
            if isinstance(sym, sp.Symbol) and not sym.is_integer and sym not in labels and sym not in vbases \
                    and not known(post, sym.name):
                reps[sym] = sp.Function(sym.name)(*variables)
                post.unknown_scalars.add(sym.name)
        marked = body.xreplace(reps)
        return sp.Derivative(marked, *d.variable_count)
    return expr.replace(lambda node: isinstance(node, sp.Derivative), mark)


def primed(post: PostState, expr: sp.Basic) -> sp.Basic:
    """Lagrange's prime on a name the post defines through one scalar variable: with u = e^x, u' is du/dx.

    The post's derivative is then by that variable: it has no other. A name whose definition has several
    variables (or an array among them), or none, keeps its prime, and its step has a name with no entry.
    """
    reps: dict[sp.Basic, sp.Basic] = {}
    for sym in expr.atoms(sp.Symbol):
        if not sym.name.endswith("'") or sym.name.endswith("''"):
            continue
        base = next((b for b in post.definitions if isinstance(b, sp.Symbol) and b.name == sym.name[:-1]), None)
        if base is None:
            continue
        body = post.definitions[base][1]
        variables = [v for v in body.free_symbols if isinstance(v, sp.Symbol) and not v.is_integer]
        if len(variables) != 1 or body.atoms(sp.Indexed) or body.atoms(AppliedUndef):
            continue
        reps[sym] = sp.Derivative(base, variables[0])
        post.table.note(sym.name, "scalar", f"d{base.name}/d{variables[0].name}, Lagrange's prime of {base.name}")
    return expr.xreplace(reps) if reps else expr


def gradient_name(loss: str, by: str) -> str:
    """The name of the gradient of an undefined ``loss`` by a defined array ``by``: an opaque array."""
    return f"∂{loss}/∂{by}"


def through_defined(post: PostState, left: sp.Basic, right: sp.Basic) -> tuple[sp.Basic, sp.Basic]:
    r"""The chain rule's reading of an undefined loss differentiated by a name the post defines.

    ``rac{\partial L}{\partial y_i}`` with L defined nowhere and y_i = γ_i x̂_i + β_i: L is a function of
    the defined y (the loss downstream of it), so ∂L/∂y_i is the entry i of an opaque gradient G = ∂L/∂y,
    and ∂L/∂β_i is Σ_k G_k ∂y_k/∂β_i. G has no entry in the table, so such a step may be valid (for every
    gradient G), and is never called wrong: whether L depends on β only through y is the post's to say.
    """
    notations = post.meaning.notations
    both = sp.Tuple(left, right)
    derivatives = [d for d in both.atoms(sp.Derivative) if len(d.variable_count) == 1
                   and d.variable_count[0][1] == 1 and isinstance(d.expr, sp.Symbol)
                   and not known(post, d.expr.name) and d.expr not in notations]
    for d in sorted(derivatives, key=str):
        var = d.variable_count[0][0]
        if isinstance(var, sp.Indexed) and var.base in notations and \
                str(var.base.label) in post.meaning.shapes.arrays:
            # The loss is downstream of every name it is differentiated by: of O = A V, not of A, when a
            # post writes both ∂L/∂O and ∂L/∂A (a gradient by A that holds for every ∂L/∂A holds for L of O).
            old = post.through.get(d.expr.name)
            if old is None or _uses(post, var.base, old):
                post.through[d.expr.name] = var.base
    reps: dict[sp.Basic, sp.Basic] = {}
    for d in derivatives:
        var, loss = d.variable_count[0][0], d.expr.name
        base = post.through.get(loss)
        if base is None:
            continue
        shape = post.meaning.shapes.arrays[str(base.label)]
        gradient = sp.IndexedBase(gradient_name(loss, str(base.label)), real=True)
        if isinstance(var, sp.Indexed) and var.base == base and len(var.indices) == len(shape):
            reps[d] = gradient[var.indices]
        elif not isinstance(var, sp.IndexedBase) and base_name(var) != str(base.label):
            ks = [sp.Symbol(f"κ{n}·{next(post.fresh)}", integer=True) for n in range(len(shape))]
            reps[d] = sp.Sum(gradient[tuple(ks)] * sp.Derivative(base[tuple(ks)], var),
                             *[(k, 1, size) for k, size in zip(ks, shape, strict=True)])
    return (left.xreplace(reps), right.xreplace(reps)) if reps else (left, right)


def _uses(post: PostState, name: sp.Basic, other: sp.Basic, depth: int = 0) -> bool:
    """Whether the definition of ``name`` uses ``other``, directly or through the post's other definitions."""
    definition = post.definitions.get(name)
    if definition is None or depth > len(post.definitions):
        return False
    used = {ix.base for ix in definition[1].atoms(sp.Indexed)} | definition[1].atoms(sp.Symbol)
    return other in used or any(_uses(post, u, other, depth + 1) for u in used if u in post.definitions)


def base_name(var: sp.Basic) -> str:
    return str(var.base.label) if isinstance(var, sp.Indexed) else str(var)


def implied_names(post: PostState, expr: sp.Basic) -> dict[str, str]:
    """Names the post means something by that the audit was not told, each with the declaration to add."""
    out = {}
    names = names_in(expr)
    if "yhat" in names and post.meaning.logits is None and not any(
            str(getattr(n, "label", n)) == "yhat" for n in post.meaning.notations):
        out["ŷ"] = LOGITS_HINT
    if post.label_hypothesis is None and names & label_names(post):
        out["the labels"] = LABELS_HINT
    functions = sorted(set(undefined(expr)) - label_names(post) - {"yhat"})
    if functions:
        spelled = written(functions[0]) or functions[0]
        out[", ".join(functions)] = f"define {functions[0]}: <!-- derive: define {spelled}(x) = ... -->"
    return out


def label_names(post: PostState) -> set[str]:
    """The labels: only a ``labels`` declaration makes a vector labels (y may be a regression target)."""
    return {post.labels} - post.scalars if post.labels else set()


def differentiated(expr: sp.Basic) -> set[str]:
    """Names the step differentiates by: independent variables, whatever else they are."""
    out = set()
    for d in expr.atoms(sp.Derivative):
        for v, _ in d.variable_count:
            out.add(str(v.base.label) if isinstance(v, sp.Indexed) else str(v))
    return out


def names_in(expr: sp.Basic) -> set[str]:
    """The names of the arrays and symbols ``expr`` mentions."""
    return {str(ix.base.label) for ix in expr.atoms(sp.Indexed)} | {str(s) for s in expr.free_symbols}


def mentions_any(expr: sp.Basic, names: set[str]) -> bool:
    """Whether ``expr`` mentions one of ``names``: as an array, a symbol or an unknown function."""
    return bool((names_in(expr) | set(undefined(expr))) & names)


#: A sum of more terms than this stays a sum (the engine's index calculus takes it).
FINITE_SUM_TERMS = 64


def _finite_sums(expr: sp.Basic) -> sp.Basic:
    """Each sum over numeric limits of at most :data:`FINITE_SUM_TERMS` terms, written out.

    Examples:
        >>> x, k = sp.IndexedBase("x"), sp.Symbol("k", integer=True)
        >>> _finite_sums(sp.Sum(x[k] ** 2, (k, 1, 3)))
        x[1]**2 + x[2]**2 + x[3]**2
    """
    def finite(node: sp.Basic) -> bool:
        return isinstance(node, sp.Sum) and all(
            lo.is_Integer and hi.is_Integer and 0 <= hi - lo < FINITE_SUM_TERMS for _, lo, hi in node.limits)

    return expr.replace(finite, lambda node: node.doit(deep=False)) if expr.has(sp.Sum) else expr


def decide_step(post: PostState, lhs: sp.Basic, rhs: sp.Basic, settings: AuditSettings) -> tuple[StepStatus, str,
                                                                                              Verdict | None]:
    if any(side.has(sp.zoo, sp.oo, -sp.oo, sp.nan) for side in (lhs, rhs)):
        # 1/0 = 2/0, ∞ = ∞ + 1: not numbers, so neither equal nor different.
        raise SemanticsError("a side has no value (a division by zero or an infinity): not a claim the audit can "
                             "decide; write the limit or the case it stands for")
    lhs, rhs = primed(post, lhs), primed(post, rhs)
    read_names = differentiated(lhs) | differentiated(rhs)
    written_uses = uses(lhs, rhs)
    for d in sp.Tuple(lhs, rhs).atoms(sp.Derivative):
        for v, _ in d.variable_count:
            name = str(v.base.label) if isinstance(v, sp.Indexed) else str(v)
            if name in written_uses and written_uses[name].in_product and not isinstance(v, sp.Indexed):
                continue  # ∂/∂Q of xᵀQx: Q's shape decides what the derivative is; a variable is no shape
            if _layer_labelled(post, name):
                # ∂C/∂a^L_j: a^(L) is an instance of the post's a^(l) = σ(z^(l)), never a free variable of its
                # own (taken as one, "a^L_j = σ(z^L_j)" was refuted); it has the meaning the post gives it.
                continue
            post.table.note(name, "vector" if isinstance(v, sp.Indexed) else "scalar", "the variable of a derivative")
    free = bound_clashes(lhs, rhs)
    lhs, rhs = rename_bound(lhs, free), rename_bound(rhs, free)
    pairs = post.meaning.component_reading(lhs, rhs)
    left, right = pairs[0]
    left = post.meaning.expand_functions(left, post.meaning.component)
    right = post.meaning.expand_functions(right, post.meaning.component)
    implied = implied_names(post, sp.Tuple(left, right))
    left, right = through_defined(post, left, right)
    left = meaning(mark_unknown(left, post), post.meaning.notations)
    right = meaning(mark_unknown(right, post), post.meaning.notations)
    left, right = post.meaning.expand_functions(left), post.meaning.expand_functions(right)
    # A name written out just now (CE of the declared logits) may sit inside a derivative
    # that SymPy left unevaluated while the name was unknown: take it now.
    left, right = take_derivatives(left), take_derivatives(right)
    # A declared number of entries (vector x 3) makes sums of so many terms: written out, term by term.
    left, right = _finite_sums(left), _finite_sums(right)
    unknown = undefined(left) + undefined(right)
    if left.has(TRANSPOSE) or right.has(TRANSPOSE):
        raise SemanticsError("a transpose of something that is not a vector or matrix")
    hyps = post.hypotheses()
    if post.labels and post.label_kind == "one-hot" and isinstance(post.label_at, sp.Symbol) and \
            post.labels in post.meaning.shapes.per_sample:
        raise SemanticsError(f"the labels {post.labels} have a sample index, and one class \\ell for every sample "
                             f"is not meant: declare a class per sample, <!-- derive: labels {post.labels} "
                             "one-hot at \\ell_n -->")
    if isinstance(post.label_at, sp.IndexedBase) and post.labels:
        hyps.append(InRange(post.label_at, 1, post.meaning.length(post.labels)))
    both = sp.Tuple(left, right)  # not left - right: a cancelled name still needs a value
    # The ranges of the indices as written first (β_i of a declared β): an array the reading made (the opaque
    # gradient of through_defined) has no shape of its own.
    written_ranges = {i: size for i, size in post.meaning.index_ranges(sp.Tuple(lhs, rhs)).items()
                      if i in both.free_symbols and str(getattr(size, "name", "")) != post.meaning.default_size.name}
    ranges = {**post.meaning.index_ranges(both), **written_ranges}
    for index, size in sorted(ranges.items(), key=lambda kv: str(kv[0])):
        hyps.append(InRange(index, 1, size))
    for h in post.hypotheses():
        for s in getattr(h, "a", None), getattr(h, "b", None), getattr(h, "at", None):
            if isinstance(s, sp.Symbol) and not any(isinstance(x, InRange) and x.index == s for x in hyps):
                hyps.append(InRange(s, 1, post.meaning.default_size))
    claim = Claim("step", left, right, tuple(hyps), "", "", {}, post.meaning.array_specs(both))
    verdict = decide(claim, settings.engine())
    # The names a definition brought in are the step's names too (a sum's length C inside ŷ's definition).
    meant = {n: u for n, u in uses(left, right).items() if (u.size or u.rank) and n not in written_uses}
    missing = unresolved(post.table, {**written_uses, **meant})
    # The length a hint gives a name: that of an array of the step whose shape is known (x ∈ ℝⁿ in xᵀQx).
    size = next((str(shape[-1]) for n in written_uses if (shape := post.meaning.shapes.arrays.get(n))),
                str(post.meaning.default_size))
    if verdict.status is Status.PROVED:
        # Valid for every value of an opaque name, unless its shape changes what the step says (Q in xᵀQx).
        # A loss read through a defined name (through_defined) is a scalar by that reading.
        # An input's entry (ε of x̂'s definition) gives its kind: its shape is settled.
        shaped = [u for u in missing if u.in_product and u.name not in post.through
                  and not post.table.source(u.name).startswith(INPUT_CONVENTION)]
        if shaped:
            for u in shaped:
                post.hints[f"{u.name}: {declaration_for(u, size)}"] = None
            return (StepStatus.UNDECIDED, unresolved_reason(shaped, size, "the sides are equal if "
                    + ", ".join(u.name for u in shaped) + " is a scalar"), verdict)
        for u in missing:
            if not u.function and not u.rank and not u.size:
                post.table.note(u.name, "scalar", "", convention=True)
        return StepStatus.VALID, verdict.strategy or "", verdict
    if verdict.status is Status.REFUTED:
        # A refutation needs a value for every name: a scalar that a definition brought in (rstd inside x̂'s
        # definition) and that nothing defines is free, and a point at an arbitrary value of it is no point of
        # the post.
        brought = {n: u for n, u in uses(left, right).items() if n not in written_uses}
        missing = unresolved(post.table, {**written_uses, **brought})
    if verdict.status is Status.REFUTED and missing:
        for u in missing:
            if u.name not in post.table.conflicts:
                post.hints[f"{u.name}: {declaration_for(u, size)}"] = None
        return (StepStatus.UNDECIDED, unresolved_reason(missing, size, "the sides differ if "
                + ", ".join(u.name for u in missing) + (" is" if len(missing) == 1 else " are") + " anything",
                post.table.conflicts), verdict)
    if verdict.status is Status.REFUTED:
        # Every name written, those of a derivative's variable too (∂o_i/∂o_k writes k, although SymPy's
        # free_symbols of the Derivative leave k out): not the entry (a, b) the audit adds to compare matrices.
        written_names = {str(s) for s in sp.Tuple(lhs, rhs).atoms(sp.Symbol)}
        case = _holds_in_a_case(post, claim, settings, written_names)
        if case is not None:
            return StepStatus.UNDECIDED, case, verdict
        doubt, verdict = _doubt(post, claim, verdict, left, right, read_names | differentiated(both), settings)
        if doubt is not None:
            return StepStatus.UNDECIDED, doubt, verdict
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
    labels = label_names(post)
    unknown = [name for name in dict.fromkeys(unknown) if name not in labels]
    if "yhat" in unknown and post.meaning.logits is None:
        unknown.remove("yhat")
        reason += "; ŷ has no meaning yet: " + LOGITS_HINT
        post.hints[LOGITS_HINT] = None
    if unknown:
        first = unknown[0]
        spelled = written(first) or first
        how = f"define it: <!-- derive: define {spelled}(x) = ... -->"
        if first in ("CE", "ce") and post.meaning.logits is None:
            how = ("declare the logits and labels, and CE is their cross-entropy: "
                   "<!-- derive: logits z; labels y soft -->")
        elif first.endswith("'"):
            how = (f"write {first} as a derivative, \\frac{{\\partial ...}}{{\\partial ...}}: "
                   "a primed function of a vector has no one meaning")
        elif first in post.unknown_scalars:
            scalars = [n for n in unknown if n in post.unknown_scalars]
            listed = " ".join(scalars)
            what = f"{listed} is an independent variable, declare it" if len(scalars) == 1 else \
                f"{listed} are independent variables, declare them"
            spellings = [w for n in scalars if (w := written(n))]
            declared = f"<!-- derive: scalar {' '.join(spellings)} -->" if spellings else "a declaration"
            defined = f"<!-- derive: define {spelled} = ... -->" if written(first) else "a definition in the post"
            how = f"if {what}: {declared}; else define {first}: {defined}"
        elif first in post.unknown_arrays:
            how = (f"declare {first}: <!-- derive: vector {spelled} --> (labels: <!-- derive: labels {spelled} soft "
                   f"-->), or define it: <!-- derive: define {spelled}_i = ... -->")
        reason = f"uses {', '.join(unknown)}, which the post does not define; {how}"
        post.hints[f"{first}: {how}"] = None
    elif post.label_hypothesis is None and mentions_any(both, labels | {name for name, role in
                                                              post.meaning.shapes.roles.items()
                                                              if role == Role.LABELS}):
        reason += "; the labels may need a hypothesis: " + LABELS_HINT
        post.hints[LABELS_HINT] = None
    return StepStatus.UNDECIDED, reason, verdict


def _holds_in_a_case(post: PostState, claim: Claim, settings: AuditSettings, written_names: set[str]) -> str | None:
    """Why a refuted step is not wrong when it holds in a case of its free indices (i = k, or i ≠ k) that no
    hypothesis rules out: the prose may state the case ("if i = k"); the reason gives its declaration.
    Only indices the step writes count: the entry (a, b) the audit compares two matrices at is no case the
    post can speak of (Bᵀ(ŷ-y)xᵀ and its transpose agree on the diagonal and differ elsewhere)."""
    related = {frozenset((h.a, h.b)) for h in claim.hypotheses if isinstance(h, (Equal, Distinct))}
    both = sp.Tuple(claim.lhs, claim.rhs)
    indices = sorted({i for ix in both.atoms(sp.Indexed) for i in ix.indices if isinstance(i, sp.Symbol)}
                     | {i for d in both.atoms(sp.KroneckerDelta) for i in d.args if isinstance(i, sp.Symbol)},
                     key=str)
    indices = [i for i in indices if i in both.free_symbols and str(i) in written_names]
    quick = replace(settings.engine(), search_budget=0.0, samples=0)
    for a, b in list(itertools.combinations(indices, 2))[:3]:
        if frozenset((a, b)) in related:
            continue
        # Equal(a, b) writes a for b: both ways, as one of them may also be a length (k, the default one).
        for case, sign in ((Equal(a, b), "="), (Equal(b, a), "="), (Distinct(a, b), "\\neq")):
            if decide(claim.with_hypotheses(case), quick).status is Status.PROVED:
                spelled = f"{written(str(a)) or a} {sign} {written(str(b)) or b}"
                how = f"<!-- derive: assume {spelled} -->"
                post.hints[how] = None
                return (f"the sides differ for some {a}, {b}, but they are equal if {spelled}: if the post "
                        f"speaks of that case, declare it before the display: {how}")
    return None


def _maybe_labels(post: PostState, claim: Claim, settings: AuditSettings) -> str | None:
    """Why a refuted step is not wrong when it holds if a vector the post did not declare (its shape read from
    the prose) is labels: one-hot at an index of the step, or summing to one. The prose may say it is."""
    if post.labels is not None:
        return None
    quick = replace(settings.engine(), search_budget=0.0, samples=0)
    free = sorted((s for s in sp.Tuple(claim.lhs, claim.rhs).free_symbols
                   if isinstance(s, sp.Symbol) and s.is_integer), key=str)
    for spec in sorted(claim.arrays.values(), key=lambda s: str(s.base.label)):
        name = str(spec.base.label)
        entry = post.table.entries.get(name)
        if name == post.meaning.logits or len(spec.shape) != 1 or \
                (entry is not None and entry.source.startswith("declared")):
            continue
        spelled = written(name) or name
        cases: list[tuple[Hypothesis, str]] = [(SumToOne(spec.base, spec.shape[-1]), f"labels {spelled} soft")]
        cases += [(OneHot(spec.base, symbol(i.name), spec.shape[-1], 1), f"labels {spelled} one-hot at "
                   f"{written(i.name) or i.name}") for i in free[:2]]
        for hypothesis, declaration in cases:
            if decide(claim.with_hypotheses(hypothesis), quick).status is Status.PROVED:
                how = f"<!-- derive: {declaration} -->"
                post.hints[how] = None
                return (f"the sides differ for some {name}, but they are equal if {name} are labels "
                        f"({declaration.split(' ', 2)[2]}): if the post says so, declare it: {how}")
    return None


def take_derivatives(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda node: isinstance(node, sp.Derivative), lambda d: d.doit(deep=False))


def _doubt(post: PostState, claim: Claim, verdict: Verdict, left: sp.Expr, right: sp.Expr, variables: set[str],
           settings: AuditSettings) -> tuple[str | None, Verdict]:
    """Why a refutation is not reported as "wrong" (None: it is, at the verdict's point, checked again)."""
    labels = _maybe_labels(post, claim, settings)
    if labels is not None:
        return labels, verdict
    found = verdict.counterexample
    if found is None:
        return "the engine found no point to show; not reported as wrong", verdict
    problem = recheck(claim, left, right, found)
    for retry in (1, 2):
        if problem is None:
            break
        # Another draw of points (the proof already failed: no budget for it again).
        again = decide(claim, replace(settings.engine(), budget=0.01, seed=settings.seed + retry))
        if again.status is Status.REFUTED and again.counterexample is not None and \
                recheck(claim, left, right, again.counterexample) is None:
            verdict = again  # the point shown is the one checked
            problem = None
    if problem is not None:
        return f"the sides seemed to differ, but the point found was rejected on a second check: {problem}", verdict
    return None, verdict


def _layer_labelled(post: PostState, name: str) -> bool:
    """Whether ``name`` is an array at a layer the post counts by a letter: ``a^(L)``, ``z^(l-1)``."""
    label = name.partition("^(")[2].rstrip(")")
    return bool(post.layer_letters) and bool(label) and any(c in post.layer_letters for c in label if c.isalpha())
