"""Proofs: each library theorem as a chain of equalities, every step with its rule, every step decided.

A proof starts from the theorem's left-hand side written in the notation of the
seeds (``∂ŷ_i/∂z_j``, ``∂L/∂B_ab``) and applies named rewrite rules (definition of
softmax, quotient rule, linearity, derivative of exp, Kronecker delta sum, Σy = 1,
chain rule, ...) one after the other. The rules are SymPy transformations of the
expression: the steps come out of them, nothing is typed in as LaTeX, and the last
step must reach the theorem's right-hand side.

A rule only *proposes* the next line. Whether the line equals the previous one is
decided by the engine (:func:`derive.decide.decide`) on what both lines *mean*:
every name of the notation replaced by its definition and every ``Derivative``
computed by SymPy, under the theorem's hypotheses. ``∂L/∂s_i`` means the derivative
of L as a function of s (s is kept as a variable while L is differentiated, then
replaced by its definition), which is what makes a chain-rule step checkable. A
rule with a bug therefore gives a refuted step, never a wrong proof.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from derive.claims import Claim
from derive.decide import Settings, decide
from derive.functions import ArraySpec, Role, Space
from derive.hypotheses import Distinct, Hypothesis, InRange, OneHot, SumToOne
from derive.verdict import Status, Verdict

__all__ = [
    "Notation",
    "Proof",
    "ProofStep",
    "Rule",
    "UnprovedStepError",
    "build_proof",
    "meaning",
    "proof_names",
    "prove",
]


# -- notation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Notation:
    r"""A name of the proof's notation (ŷ, s, L, ...) and what it stands for.

    Args:
        name: the IndexedBase or Symbol used in the expressions.
        define: the definition, given the indices (none for a scalar name).
        latex: how the name prints (``\hat{y}``).
        where: the defining equation as LaTeX, for the notation section.
        hidden_indices: leading indices the LaTeX name already shows (the sample t
            of ``[(\hat{y}_t - y_t)(A x_t)^T]_{ab}``).
    """

    name: sp.Basic
    define: Callable[..., sp.Expr]
    latex: str
    where: str
    hidden_indices: int = 0


Notations = Mapping[sp.Basic, Notation]


def _base(var: sp.Basic) -> sp.Basic:
    return var.base if isinstance(var, sp.Indexed) else var


def unfold(expr: sp.Basic, notations: Notations, keep: frozenset[sp.Basic] = frozenset()) -> sp.Basic:
    """Replace each notation name (except those in ``keep``) by its definition, once."""
    def is_name(node: sp.Basic) -> bool:
        if isinstance(node, sp.Indexed):
            return node.base in notations and node.base not in keep
        return isinstance(node, sp.Symbol) and node in notations and node not in keep

    def definition(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Indexed):
            return notations[node.base].define(*node.indices)
        return notations[node].define()

    def walk(node: sp.Basic) -> sp.Basic:
        if is_name(node):
            return definition(node)
        # Never into an IndexedBase: in L_n the L is not the scalar a post defined as L.
        if isinstance(node, sp.IndexedBase) or not node.args:
            return node
        args = [walk(a) for a in node.args]
        return node.func(*args) if any(a is not b for a, b in zip(args, node.args, strict=True)) else node

    return walk(expr)


def meaning(expr: sp.Basic, notations: Notations, keep: frozenset[sp.Basic] = frozenset()) -> sp.Basic:
    """What a line of a proof says: notation unfolded, derivatives computed by SymPy.

    In ``Derivative(f, v)`` the variable's own name is kept while f is unfolded and
    differentiated (∂L/∂s_i is the partial derivative of L as a function of s), and
    unfolded afterwards.
    """
    if isinstance(expr, sp.Derivative):
        (var, order), = expr.variable_count
        inner_keep = keep | {_base(var)}
        inner = meaning(expr.expr, notations, inner_keep)
        out = sp.diff(inner, var, order)
        # Unfold what was kept; not meaning() again: a Derivative SymPy left unevaluated
        # (of an unknown function) would be differentiated forever.
        for _ in range(50):
            unfolded = unfold(out, notations, keep)
            if unfolded == out:
                return out
            out = unfolded
        return out
    if isinstance(expr, (sp.Indexed, sp.Symbol)):
        out = unfold(expr, notations, keep)
        return expr if out == expr else meaning(out, notations, keep)
    if not expr.args:
        return expr
    return expr.func(*[meaning(a, notations, keep) for a in expr.args])


# -- rules -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A named rewrite: proposes the next line of a proof from the current one."""

    name: str
    apply: Callable[[sp.Expr], sp.Expr]

    def __str__(self) -> str:
        return self.name


def _derivatives(expr: sp.Basic, fn: Callable[[sp.Derivative], sp.Basic | None]) -> sp.Basic:
    """Rewrite each Derivative node (innermost first) with ``fn``; None leaves it as it is."""
    def rewrite(node: sp.Basic) -> sp.Basic:
        out = fn(node)
        return node if out is None else out
    return expr.replace(lambda node: isinstance(node, sp.Derivative), rewrite)


def _variable(d: sp.Derivative) -> sp.Basic:
    return d.variables[0]


def unfold_rule(name: str, notations: Notations, bases: Sequence[sp.Basic]) -> Rule:
    """``definition of ...``: write the given names out by their definitions."""
    chosen = {b: notations[b] for b in bases}

    def apply(expr: sp.Expr) -> sp.Expr:
        # Inside ∂/∂v the variable itself stays a name (∂(...)/∂s_i, not ∂(...)/∂(Σ B h)).
        keep = frozenset(_base(v) for d in expr.atoms(sp.Derivative) for v in d.variables)
        out = unfold(expr, chosen, keep)
        while out != expr:  # a definition may use another chosen name (s = B h, h = A x)
            expr, out = out, unfold(out, chosen, keep)
        return out
    return Rule(name, apply)


def _quotient(d: sp.Derivative) -> sp.Basic | None:
    f, v = d.expr, _variable(d)
    num, den = sp.fraction(f)
    if den == 1:
        return None
    D = sp.Derivative
    return (D(num, v) * den - num * D(den, v)) / den**2


def _linear(notations: Notations) -> Callable[[sp.Derivative], sp.Basic | None]:
    """∂(a f + b g)/∂v = a ∂f/∂v + b ∂g/∂v, through sums too; factors free of v come out."""
    def depends(expr: sp.Basic, v: sp.Basic) -> bool:
        return _base(v) in _arrays_in(expr, notations)

    def fn(d: sp.Derivative) -> sp.Basic | None:
        v = _variable(d)

        def push(g: sp.Basic) -> sp.Basic:
            if not depends(g, v):
                return sp.S.Zero
            if isinstance(g, sp.Add):
                return sp.Add(*[push(t) for t in g.args])
            if isinstance(g, sp.Mul):
                const = [t for t in g.args if not depends(t, v)]
                rest = [t for t in g.args if depends(t, v)]
                if const and rest:
                    return sp.Mul(*const) * push(sp.Mul(*rest))
            if isinstance(g, sp.Sum):
                return sp.Sum(push(g.function), *g.limits)
            return sp.Derivative(g, v)
        out = push(d.expr)
        return None if out == d else out
    return fn


def _arrays_in(expr: sp.Basic, notations: Notations) -> set[sp.Basic]:
    """The arrays and scalars ``expr`` depends on, through the definitions of its notation names."""
    out: set[sp.Basic] = set()
    for atom in expr.atoms(sp.Indexed, sp.Symbol):
        name = _base(atom)
        if isinstance(atom, sp.Symbol) and any(atom == ix.base.label for ix in expr.atoms(sp.Indexed)):
            continue  # the label of an IndexedBase, not a name of its own
        if name in notations:
            out |= _dependencies(notations)[name]
        else:
            out.add(name)
    return out


def _dependencies(notations: Notations) -> dict[sp.Basic, set[sp.Basic]]:
    key = id(notations)
    known = _DEPENDENCY_CACHE.get(key)
    if known is not None and known[0] is notations:
        return known[1]
    deps: dict[sp.Basic, set[sp.Basic]] = {}
    for name, note in notations.items():
        if isinstance(name, sp.IndexedBase):
            arity = 3 if name.label.name.startswith("grad") else 2
            for count in range(1, arity + 1):
                try:
                    body = note.define(*[sp.Dummy(integer=True) for _ in range(count)])
                    break
                except (TypeError, IndexError):
                    continue
        else:
            body = note.define()
        deps[name] = {_base(a) for a in meaning(body, notations).atoms(sp.Indexed)} | \
            {a for a in meaning(body, notations).atoms(sp.Symbol) if not a.is_integer}
    _DEPENDENCY_CACHE[key] = (notations, deps)
    return deps


_DEPENDENCY_CACHE: dict[int, tuple[Notations, dict[sp.Basic, set[sp.Basic]]]] = {}


def _compute(notations: Notations) -> Callable[[sp.Derivative], sp.Basic | None]:
    """Derivatives of expressions free of notation names, computed by SymPy (then Δ sums)."""
    def fn(d: sp.Derivative) -> sp.Basic | None:
        if any(_base(a) in notations for a in d.expr.atoms(sp.Indexed)) or \
                d.expr.free_symbols & set(notations):
            if _base(_variable(d)) in _arrays_in(d.expr, notations):
                return None  # a name that depends on the variable: unfold it first
            return sp.S.Zero
        return _sum_rule(sp.diff(d.expr, *d.variables))
    return fn


def _sum_rule(expr: sp.Basic) -> sp.Basic:
    """Σ_n f(n) δ_nq = f(q); sums split over +, factors free of n pulled out (innermost first)."""
    def one(node: sp.Sum) -> sp.Basic:
        if len(node.limits) != 1:
            return node
        v, lo, hi = node.limits[0]
        body = node.function
        # Expand only when a delta sits inside a sum of terms: (ŷ_i - y_i) δ_ia stays a product.
        direct = isinstance(body, sp.Mul) and any(isinstance(f, sp.KroneckerDelta) and v in f.args
                                                  for f in body.args)
        terms = []
        expand = body.has(sp.KroneckerDelta, sp.Add) and not direct and \
            any(isinstance(t, sp.Mul) and t.has(sp.KroneckerDelta) for t in sp.Add.make_args(sp.expand(body)))
        for term in sp.Add.make_args(_expand_keeping_sums(body) if expand else body):
            factors = sp.Mul.make_args(term)
            outside = [f for f in factors if v not in f.free_symbols]
            inside = [f for f in factors if v in f.free_symbols]
            delta = next((f for f in inside if isinstance(f, sp.KroneckerDelta) and v in f.args
                          and all(v not in a.free_symbols for a in f.args if a != v)), None)
            if delta is not None:
                other = delta.args[0] if delta.args[1] == v else delta.args[1]
                rest = [f for f in inside if f is not delta]
                terms.append(sp.Mul(*outside) * sp.Mul(*rest).xreplace({v: other}))
            elif not inside:
                terms.append(sp.Mul(*outside) * (hi - lo + 1))
            else:
                terms.append(sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (v, lo, hi)))
        return sp.Add(*terms)

    return expr.replace(lambda node: isinstance(node, sp.Sum), one)


def _expand_keeping_sums(expr: sp.Basic) -> sp.Basic:
    """Expand products over sums of terms, but leave each Sum whole (its body expanded alone)."""
    sums = {node: sp.Dummy("sum") for node in expr.atoms(sp.Sum)}
    if not sums:
        return sp.expand(expr, power_base=False, log=False)
    held = sp.expand(expr.xreplace(sums), power_base=False, log=False)
    return held.xreplace({d: sp.Sum(_expand_keeping_sums(node.function), *node.limits)
                          for node, d in sums.items()})


def _fold_softmax(yhat: sp.IndexedBase, logits: sp.IndexedBase, denominator: Callable[..., sp.Expr],
                  prefix: tuple[sp.Expr, ...] = ()) -> Callable[[sp.Expr], sp.Expr]:
    """e^{z_i} / Σ_n e^{z_n} back to ŷ_i."""
    def apply(expr: sp.Expr) -> sp.Expr:
        denom = denominator(*prefix)
        hold = sp.Dummy("S", positive=True)
        held = expr.xreplace({denom: hold})
        def entry(node: sp.Basic) -> tuple[sp.Integer, sp.Indexed] | None:
            # e^{z_i}, or e^{2 z_i}: SymPy writes e^{z_i} e^{z_i} that way.
            if not isinstance(node, sp.exp):
                return None
            coeff, rest = node.args[0].as_coeff_Mul()
            if isinstance(rest, sp.Indexed) and rest.base == logits and coeff.is_Integer and coeff > 0:
                return coeff, rest
            return None

        def folded(node: sp.Basic) -> sp.Basic:
            power, z = entry(node)  # type: ignore[misc]
            return (yhat[z.indices] * hold) ** power
        held = held.replace(lambda node: entry(node) is not None, folded)
        return _expand_keeping_sums(held).xreplace({hold: denom})
    return apply


def _substitute(pattern: Callable[[sp.Basic], bool], value: Callable[[sp.Basic], sp.Basic]) -> Callable[[sp.Expr],
                                                                                                       sp.Expr]:
    return lambda expr: expr.replace(pattern, value)


def _theorem_use(name: str, wrt: sp.IndexedBase, result: Callable[..., sp.Expr], of: sp.Basic) -> Rule:
    """Replace ∂(of)/∂(wrt)_… by a result proved earlier in the library."""
    def pattern(node: sp.Basic) -> bool:
        return isinstance(node, sp.Derivative) and node.expr == of and _base(_variable(node)) == wrt

    def apply(expr: sp.Expr) -> sp.Expr:
        return expr.replace(pattern, lambda node: result(*_variable(node).indices))
    return Rule(name, apply)


# -- proofs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProofStep:
    """One line ``= expr`` of a proof, the rule that proposed it and the engine's verdict on it."""

    number: int
    expr: sp.Expr
    rule: str
    verdict: Verdict

    @property
    def proved(self) -> bool:
        return self.verdict.status is Status.PROVED


@dataclass(frozen=True)
class Proof:
    """A theorem's proof: a start, the steps, the notation it is written in."""

    theorem: str
    title: str
    statement: str
    latex: str
    start: sp.Expr
    steps: tuple[ProofStep, ...]
    notations: tuple[Notation, ...]
    hypotheses: tuple[Hypothesis, ...]
    conditions: str = ""
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        """Proved only if every step is; refuted if any is; else undecided."""
        statuses = [s.verdict.status for s in self.steps]
        if statuses and all(s is Status.PROVED for s in statuses):
            return Status.PROVED
        return Status.REFUTED if Status.REFUTED in statuses else Status.UNDECIDED

    def __bool__(self) -> bool:
        raise TypeError("a Proof has three outcomes; test proof.status is Status.PROVED, not its truth value")

    @property
    def failures(self) -> tuple[ProofStep, ...]:
        return tuple(s for s in self.steps if not s.proved)

    def _repr_latex_(self) -> str:
        """In Jupyter: the chain as an aligned display, each step with its rule (unproved ones marked)."""
        from derive.latex import aligned  # rendering lives in latex.py

        return aligned(self)


class UnprovedStepError(Exception):
    """A proof with a step the engine did not prove cannot be rendered as a proof."""

    def __init__(self, proof: Proof, step: ProofStep) -> None:
        self.proof, self.step = proof, step
        super().__init__(f"{proof.theorem}: step {step.number} ({step.rule}) is {step.verdict.status.value}: "
                         f"{step.verdict.reason or 'not reduced to zero'}")


@dataclass(frozen=True)
class _Plan:
    """What a proof is made of before it is decided: notation, start, rules, target, hypotheses."""

    theorem: str
    title: str
    conditions: str
    notations: dict[sp.Basic, Notation]
    arrays: dict[str, ArraySpec]
    start: sp.Expr
    rules: list[Rule]
    target: tuple[str, sp.Expr]
    hypotheses: list[Hypothesis] = field(default_factory=list)


def _index(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


def _bound(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)


def _softmax_notation(space: Space, logits: str, size: sp.Expr, *, batched: bool = False,
                      where: str = "") -> tuple[sp.IndexedBase, sp.IndexedBase, Notation, Callable[..., sp.Expr]]:
    z = space.arrays[logits].base if logits in space.arrays else sp.IndexedBase(logits, real=True)
    yhat = sp.IndexedBase("yhat", real=True)
    n = _bound("n")

    def denominator(*prefix: sp.Expr) -> sp.Expr:
        return sp.Sum(sp.exp(z[(*prefix, n)]), (n, 1, size))

    def define(*ix: sp.Expr) -> sp.Expr:
        return sp.exp(z[ix]) / denominator(*ix[:-1])
    zl = sp.latex(z)
    sub = "t" if batched else ""
    text = where or (rf"\hat{{y}}_{{{sub}i}} = \operatorname{{softmax}}({zl}{'_t' if batched else ''})_i = "
                     rf"\frac{{e^{{{zl}_{{{sub}i}}}}}}{{\sum_{{n=1}}^{{{sp.latex(size)}}} e^{{{zl}_{{{sub}n}}}}}}")
    return z, yhat, Notation(yhat, define, r"\hat{y}", text), denominator


def _softmax_plan(kind: str) -> _Plan:
    """The softmax Jacobian (kind: diagonal, offdiagonal, matrix) and log-softmax."""
    space = Space.symbolic()
    k = space.size("k")
    space.vector("z", k, role=Role.LOGITS)
    z, yhat, note, denominator = _softmax_notation(space, "z", k)
    notations: dict[sp.Basic, Notation] = {yhat: note}
    i, j = _index("i"), _index("j")
    hyps: list[Hypothesis] = [InRange(i, 1, k), InRange(j, 1, k)]
    fold = Rule("definition of softmax", _fold_softmax(yhat, z, denominator))
    define = unfold_rule("definition of softmax", notations, [yhat])
    if kind == "log":
        return _Plan("log_softmax", "Log-softmax", "", notations, dict(space.arrays), sp.log(yhat[i]),
                     [define, Rule("log of a quotient", lambda e: sp.expand_log(e, force=True))],
                     ("log-sum-exp form", z[i] - sp.log(denominator())), hyps[:1])
    wrt = z[i] if kind == "diagonal" else z[j]
    rules = [define, Rule("quotient rule", lambda e: _derivatives(e, _quotient)),
             Rule("derivative of exp; Kronecker delta sum", lambda e: _derivatives(e, _compute(notations))),
             fold]
    if kind == "diagonal":
        target = ("factor", yhat[i] * (1 - yhat[i]))
        return _Plan("softmax_jacobian_diagonal", "The softmax Jacobian, diagonal entries", "i = j", notations,
                     dict(space.arrays), sp.Derivative(yhat[i], wrt), rules, target, hyps)
    if kind == "offdiagonal":
        rules.append(Rule("case i ≠ j: δ_ij = 0", lambda e: e.replace(
            lambda node: isinstance(node, sp.KroneckerDelta) and set(node.args) == {i, j}, lambda node: sp.S.Zero)))
        return _Plan("softmax_jacobian_offdiagonal", "The softmax Jacobian, off-diagonal entries", r"i \neq j",
                     notations, dict(space.arrays), sp.Derivative(yhat[i], wrt), rules,
                     ("factor", -yhat[i] * yhat[j]), [*hyps, Distinct(i, j)])
    jac = sp.IndexedBase("Jsoftmax", real=True)
    notations[jac] = Notation(jac, lambda a, b: yhat[a] * sp.KroneckerDelta(a, b) - yhat[a] * yhat[b],
                              r"\left[\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T\right]",
                              r"\left[\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T\right]_{ij} = "
                              r"\hat{y}_i \delta_{ij} - \hat{y}_i \hat{y}_j")
    return _Plan("softmax_jacobian", "The softmax Jacobian in matrix form", "", notations, dict(space.arrays),
                 sp.Derivative(yhat[i], wrt), rules, ("entry (i, j) of the matrix", jac[i, j]), hyps)


def _cross_entropy_plan(labels: str) -> _Plan:
    """∂CE/∂z_j for soft labels, one-hot labels, and the one-hot cases j = ℓ and j ≠ ℓ."""
    space = Space.symbolic()
    k = space.size("k")
    space.vector("z", k, role=Role.LOGITS)
    y = space.array("y", k, role=Role.LABELS)
    z, yhat, note, denominator = _softmax_notation(space, "z", k)
    ce = sp.Symbol("CE", real=True)
    m = _bound("m")
    notations: dict[sp.Basic, Notation] = {
        yhat: note,
        ce: Notation(ce, lambda: -sp.Sum(y[m] * sp.log(yhat[m]), (m, 1, k)), r"\mathrm{CE}",
                     r"\mathrm{CE} = -\sum_{m=1}^{k} y_m \log \hat{y}_m"),
    }
    j, ell = _index("j"), _index("ell")
    wrt = z[ell] if labels == "target" else z[j]
    hyps: list[Hypothesis] = [InRange(j, 1, k)]
    if labels == "soft":
        hyps.append(SumToOne(y, k))
    else:
        hyps += [InRange(ell, 1, k), OneHot(y, ell, k)]
    if labels == "other":
        hyps.append(Distinct(j, ell))
    log_of_softmax = Rule("log of softmax (log-sum-exp)", _substitute(
        lambda node: isinstance(node, sp.log) and isinstance(node.args[0], sp.Indexed)
        and node.args[0].base == yhat,
        lambda node: z[node.args[0].indices] - sp.log(denominator())))
    rules = [unfold_rule("definition of cross-entropy", notations, [ce])]
    if labels in ("target", "other"):
        rules.append(Rule(r"one-hot at ℓ: y_m = δ_mℓ", lambda e: _sum_rule(e.replace(
            lambda node: isinstance(node, sp.Indexed) and node.base == y,
            lambda node: sp.KroneckerDelta(node.indices[0], ell)))))
    rules += [Rule("linearity of the derivative", lambda e: _derivatives(e, _linear(notations))), log_of_softmax,
              Rule("derivative of log-sum-exp; Kronecker delta sum", lambda e: _derivatives(e, _compute(notations))),
              Rule("definition of softmax", _fold_softmax(yhat, z, denominator))]
    if labels == "other":
        rules.append(Rule("case j ≠ ℓ: δ_jℓ = 0", lambda e: e.replace(
            lambda node: isinstance(node, sp.KroneckerDelta) and set(node.args) == {j, ell},
            lambda node: sp.S.Zero)))
    if labels in ("soft", "onehot"):
        rules.append(Rule("Kronecker delta sum; constants out of the sum", _sum_rule))
        label_sum = "Σ_m y_m = 1" if labels == "soft" else "one-hot, so Σ_m y_m = 1"
        rules.append(Rule(label_sum, lambda e: SumToOne(y, k).rewrite(e, {})))
    target = {"soft": yhat[j] - y[j], "onehot": yhat[j] - y[j], "target": yhat[ell] - 1, "other": yhat[j]}[labels]
    titles = {"soft": ("The cross-entropy gradient, soft labels", r"\textstyle\sum_m y_m = 1"),
              "onehot": ("The cross-entropy gradient, one-hot labels", r"y = e_\ell"),
              "target": ("The cross-entropy gradient at the true class", r"y = e_\ell,\ j = \ell"),
              "other": ("The cross-entropy gradient at another class", r"y = e_\ell,\ j \neq \ell")}
    names = {"soft": "cross_entropy_gradient_soft", "onehot": "cross_entropy_gradient_onehot",
             "target": "cross_entropy_gradient_onehot_target", "other": "cross_entropy_gradient_onehot_other"}
    title, conditions = titles[labels]
    return _Plan(names[labels], title, conditions, notations, dict(space.arrays), sp.Derivative(ce, wrt), rules,
                 ("", target), hyps)


def _two_layer_plan(weight: str, batched: bool) -> _Plan:
    """∂L/∂B and ∂L/∂A for s = B A x, one sample or the batch mean."""
    space = Space.symbolic()
    c, d, p = space.size("c"), space.size("d"), space.size("p")
    N = space.size("N")
    A = space.array("A", d, p, role=Role.WEIGHTS)
    B = space.array("B", c, d, role=Role.WEIGHTS)
    x = space.array("x", *((N, p) if batched else (p,)), role=Role.INPUTS)
    y = space.array("y", *((N, c) if batched else (c,)), role=Role.LABELS)
    s = sp.IndexedBase("s", real=True)
    h = sp.IndexedBase("h", real=True)
    _, yhat, note, _ = _softmax_notation(
        space, "s", c, batched=batched,
        where=(r"\hat{y}_{ti} = \operatorname{softmax}(s_t)_i" if batched else
               r"\hat{y}_i = \operatorname{softmax}(s)_i = \frac{e^{s_i}}{\sum_{n=1}^{c} e^{s_n}}"))
    q, r, m, i, t = _bound("q"), _bound("r"), _bound("m"), _bound("i"), _bound("t")
    a, b = _index("a"), _index("b")
    loss = sp.Symbol("L", real=True)
    notations: dict[sp.Basic, Notation] = {
        yhat: note,
        h: Notation(h, lambda *ix: sp.Sum(A[ix[-1], q] * x[(*ix[:-1], q)], (q, 1, p)), "h",
                    r"h_{tr} = (A x_t)_r = \sum_{q=1}^{p} A_{rq} x_{tq}" if batched else
                    r"h_r = (A x)_r = \sum_{q=1}^{p} A_{rq} x_q"),
        s: Notation(s, lambda *ix: sp.Sum(B[ix[-1], r] * h[(*ix[:-1], r)], (r, 1, d)), "s",
                    r"s_{ti} = (B A x_t)_i = \sum_{r=1}^{d} B_{ir} h_{tr}" if batched else
                    r"s_i = (B A x)_i = \sum_{r=1}^{d} B_{ir} h_r"),
    }
    per_sample = sp.IndexedBase("Lsample", real=True) if batched else loss

    def sample_loss(*ix: sp.Expr) -> sp.Expr:
        return -sp.Sum(y[(*ix, m)] * sp.log(yhat[(*ix, m)]), (m, 1, c))
    if batched:
        notations[per_sample] = Notation(per_sample, sample_loss, "L",
                                         r"L_t = -\sum_{m=1}^{c} y_{tm} \log \hat{y}_{tm}")
        notations[loss] = Notation(loss, lambda: sp.Sum(per_sample[t], (t, 1, N)) / N, "L",
                                   r"L = \frac{1}{N} \sum_{t=1}^{N} L_t")
    else:
        notations[loss] = Notation(loss, sample_loss, "L", r"L = -\sum_{m=1}^{c} y_m \log \hat{y}_m")
    grad = sp.IndexedBase(f"grad{weight}", real=True)
    W = B if weight == "B" else A
    if weight == "B":
        notations[grad] = Notation(grad, lambda *ix: (yhat[(*ix[:-2], ix[-2])] - y[(*ix[:-2], ix[-2])])
                                   * h[(*ix[:-2], ix[-1])],
                                   r"\left[(\hat{y}_t - y_t)(A x_t)^T\right]" if batched else
                                   r"\left[(\hat{y} - y)(A x)^T\right]",
                                   r"\left[(\hat{y} - y)(A x)^T\right]_{ab} = (\hat{y}_a - y_a) h_b",
                                   1 if batched else 0)
    else:
        notations[grad] = Notation(grad, lambda *ix: sp.Sum(B[i, ix[-2]] * (yhat[(*ix[:-2], i)] - y[(*ix[:-2], i)]),
                                                            (i, 1, c)) * x[(*ix[:-2], ix[-1])],
                                   r"\left[B^T(\hat{y}_t - y_t)x_t^T\right]" if batched else
                                   r"\left[B^T(\hat{y} - y)x^T\right]",
                                   r"\left[B^T(\hat{y} - y)x^T\right]_{ab} = \sum_{i=1}^{c} B_{ia}"
                                   r"(\hat{y}_i - y_i) x_b", 1 if batched else 0)
    hyps: list[Hypothesis] = [SumToOne(y, c), InRange(a, 1, c if weight == "B" else d),
                              InRange(b, 1, d if weight == "B" else p)]
    name = f"{'batch' if batched else 'two_layer'}_gradient_{weight}"
    title = f"The gradient for {weight} of the two-layer classifier" + (", batch mean" if batched else "")
    if batched:
        rules = [unfold_rule("definition of the batch mean", notations, [loss]),
                 Rule("linearity of the derivative", lambda e: _derivatives(e, _linear(notations))),
                 _theorem_use(f"the gradient for {weight} of each sample", W,
                              lambda aa, bb: grad[t, aa, bb], per_sample[t])]
        target = sp.Sum(grad[t, a, b], (t, 1, N)) / N
        return _Plan(name, title, r"\textstyle\sum_m y_{tm} = 1", notations, dict(space.arrays),
                     sp.Derivative(loss, W[a, b]), rules, ("", target), hyps)
    chain = Rule("chain rule through s", lambda e: _derivatives(
        e, lambda dd: sp.Sum(sp.Derivative(dd.expr, s[i]) * sp.Derivative(s[i], _variable(dd)), (i, 1, c))
        if dd.expr == loss else None))
    ce_gradient = _theorem_use("the cross-entropy gradient, ∂L/∂s_i = ŷ_i - y_i", s, lambda ii: yhat[ii] - y[ii], loss)
    define = unfold_rule("definition of s = B A x" if weight == "A" else "definition of s = B h",
                         notations, [s, h] if weight == "A" else [s])
    rules = [chain, ce_gradient, define,
             Rule("linearity of the derivative", lambda e: _derivatives(e, _linear(notations))),
             Rule("derivative of a linear form", lambda e: _derivatives(e, _compute(notations))),
             Rule("Kronecker delta sum", lambda e: _sum_rule(e))]
    return _Plan(name, title, r"\textstyle\sum_m y_m = 1", notations, dict(space.arrays),
                 sp.Derivative(loss, W[a, b]), rules, ("entry (a, b) of the matrix", grad[a, b]), hyps)


_PLANS: dict[str, Callable[[], _Plan]] = {
    "softmax_jacobian_diagonal": lambda: _softmax_plan("diagonal"),
    "softmax_jacobian_offdiagonal": lambda: _softmax_plan("offdiagonal"),
    "softmax_jacobian": lambda: _softmax_plan("matrix"),
    "log_softmax": lambda: _softmax_plan("log"),
    "cross_entropy_gradient_soft": lambda: _cross_entropy_plan("soft"),
    "cross_entropy_gradient_onehot": lambda: _cross_entropy_plan("onehot"),
    "cross_entropy_gradient_onehot_target": lambda: _cross_entropy_plan("target"),
    "cross_entropy_gradient_onehot_other": lambda: _cross_entropy_plan("other"),
    "two_layer_gradient_B": lambda: _two_layer_plan("B", False),
    "two_layer_gradient_A": lambda: _two_layer_plan("A", False),
    "batch_gradient_B": lambda: _two_layer_plan("B", True),
    "batch_gradient_A": lambda: _two_layer_plan("A", True),
}


def proof_names() -> list[str]:
    """The theorems that have a step-by-step proof (every theorem of the library)."""
    return list(_PLANS)


@cache
def _plan(name: str) -> _Plan:
    try:
        return _PLANS[name]()
    except KeyError:
        raise KeyError(f"no proof for {name!r}; known: {', '.join(_PLANS)}") from None


def _lines(plan: _Plan) -> list[tuple[sp.Expr, str]]:
    """Apply the plan's rules in order; a rule that changes nothing makes no line."""
    lines: list[tuple[sp.Expr, str]] = []
    current = plan.start
    for rule in plan.rules:
        proposed = rule.apply(current)
        if proposed != current:
            lines.append((proposed, rule.name))
            current = proposed
    last, target = plan.target
    if target != current:
        lines.append((target, last or "algebra"))
    return lines


def build_proof(name: str, *, settings: Settings | None = None,
                edit: Callable[[list[tuple[sp.Expr, str]]], list[tuple[sp.Expr, str]]] | None = None) -> Proof:
    """The proof of the library theorem ``name``, every step decided by the engine.

    Args:
        name: a theorem of :data:`derive.theorems.LIBRARY`.
        settings: time budget and counterexample search of each step's decision.
        edit: a function that changes the lines before they are decided (tests use it
            to inject a wrong step and show that it is caught).
    """
    from derive.theorems import get  # the theorem gives the statement; theorems does not need proofs

    theorem = get(name)
    plan = _plan(name)
    settings = settings or Settings(budget=10.0, search_budget=10.0, samples=8)
    lines = _lines(plan)
    if edit is not None:
        lines = edit(lines)
    started = time.perf_counter()
    previous = meaning(plan.start, plan.notations)
    steps = []
    for number, (expr, rule) in enumerate(lines, start=1):
        current = meaning(expr, plan.notations)
        claim = Claim(f"{name}, step {number} ({rule})", previous, current, tuple(plan.hypotheses),
                      f"step {number} of {name}: {rule}", "", {}, plan.arrays)
        steps.append(ProofStep(number, expr, rule, decide(claim, settings)))
        previous = current
    return Proof(name, plan.title, theorem.statement, theorem.latex, plan.start, tuple(steps),
                 tuple(plan.notations.values()), tuple(plan.hypotheses), plan.conditions,
                 time.perf_counter() - started)


def prove(name: str, *, settings: Settings | None = None) -> Proof:
    """The proof of ``name``; raises :class:`UnprovedStepError` naming the first step not proved."""
    proof = build_proof(name, settings=settings)
    for step in proof.steps:
        if not step.proved:
            raise UnprovedStepError(proof, step)
    return proof


def with_step_replaced(proof_name: str, number: int, change: Callable[[sp.Expr], sp.Expr], *,
                       settings: Settings | None = None) -> Proof:
    """The proof with line ``number`` changed by ``change`` (and the later lines left as they were)."""
    def edit(lines: list[tuple[sp.Expr, str]]) -> list[tuple[sp.Expr, str]]:
        out = list(lines)
        expr, rule = out[number - 1]
        out[number - 1] = (change(expr), rule)
        return out
    return build_proof(proof_name, settings=settings, edit=edit)

