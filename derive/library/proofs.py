"""Proofs: each library theorem as a chain of equalities, every step with its rule, every step decided.

A proof starts from the theorem's left-hand side written in the notation of the
seeds (``∂ŷ_i/∂z_j``, ``∂L/∂B_ab``) and applies named rewrite rules (definition of
softmax, quotient rule, linearity, derivative of exp, Kronecker delta sum, Σy = 1,
chain rule, ...) one after the other. The rules are SymPy transformations of the
expression: the steps come out of them, nothing is typed in as LaTeX, and the last
step must reach the theorem's right-hand side.

A rule only *proposes* the next line. Whether the line equals the previous one is
decided by the engine (:func:`derive.engine.decide.decide`) on what both lines *mean*:
every name of the notation replaced by its definition and every ``Derivative``
computed by SymPy, under the theorem's hypotheses. ``∂L/∂s_i`` means the derivative
of L as a function of s (s is kept as a variable while L is differentiated, then
replaced by its definition), which is what makes a chain-rule step checkable. A
rule with a bug therefore gives a refuted step, never a wrong proof.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import sympy as sp

from derive.engine.claims import Claim
from derive.engine.decide import Settings, decide
from derive.engine.hypotheses import Distinct, Hypothesis, InRange, OneHot, SumToOne
from derive.engine.space import ArraySpec, Role, Space
from derive.engine.verdict import Status, Verdict
from derive.library.notation import Notation, meaning
from derive.library.rules import (
    Rule,
    compute,
    fold_softmax,
    linear,
    on_derivatives,
    quotient,
    substitute,
    sum_rule,
    theorem_use,
    unfold_rule,
    variable_of,
)

if TYPE_CHECKING:
    from derive.library.model_theorems import ModelTheorem

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
    #: The arrays the proof speaks of, with their shapes and roles (logits, labels, inputs).
    arrays: tuple[ArraySpec, ...] = ()
    #: What the statement's names mean, as ``derive audit`` declarations (``define \sigma(x) = ...``),
    #: beyond what the arrays, hypotheses and notation say.
    declarations: tuple[str, ...] = ()

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
        from derive.render.latex import aligned  # rendering lives in latex.py

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
    declarations: tuple[str, ...] = ()


def _index(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


def _bound(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)


def _softmax_notation(space: Space, logits: str, size: sp.Expr, *, batched: bool = False,
                      where: str = "") -> tuple[sp.IndexedBase, sp.IndexedBase, Notation, Callable[..., sp.Expr]]:
    z = space.arrays[logits].base if logits in space.arrays else sp.IndexedBase(logits, real=True)
    yhat = sp.IndexedBase("yhat", real=True)
    # The softmax sum's index; a batch names its samples n (as the statements do), so it takes u there.
    n = _bound("u" if batched else "n")

    def denominator(*prefix: sp.Expr) -> sp.Expr:
        return sp.Sum(sp.exp(z[(*prefix, n)]), (n, 1, size))

    def define(*ix: sp.Expr) -> sp.Expr:
        return sp.exp(z[ix]) / denominator(*ix[:-1])
    zl = sp.latex(z)
    sub = "n" if batched else ""
    text = where or (rf"\hat{{y}}_{{{sub}i}} = \operatorname{{softmax}}({zl}{'_n' if batched else ''})_i = "
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
    fold = Rule("definition of softmax", fold_softmax(yhat, z, denominator))
    define = unfold_rule("definition of softmax", notations, [yhat])
    if kind == "log":
        return _Plan("log_softmax", "Log-softmax", "", notations, dict(space.arrays), sp.log(yhat[i]),
                     [define, Rule("log of a quotient", lambda e: sp.expand_log(e, force=True))],
                     ("log-sum-exp form", z[i] - sp.log(denominator())), hyps[:1])
    wrt = z[i] if kind == "diagonal" else z[j]
    rules = [define, Rule("quotient rule", lambda e: on_derivatives(e, quotient)),
             Rule("derivative of exp; Kronecker delta sum", lambda e: on_derivatives(e, compute(notations))),
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
    log_of_softmax = Rule("log of softmax (log-sum-exp)", substitute(
        lambda node: isinstance(node, sp.log) and isinstance(node.args[0], sp.Indexed)
        and node.args[0].base == yhat,
        lambda node: z[node.args[0].indices] - sp.log(denominator())))
    rules = [unfold_rule("definition of cross-entropy", notations, [ce])]
    if labels in ("target", "other"):
        rules.append(Rule(r"one-hot at ℓ: y_m = δ_mℓ", lambda e: sum_rule(e.replace(
            lambda node: isinstance(node, sp.Indexed) and node.base == y,
            lambda node: sp.KroneckerDelta(node.indices[0], ell)))))
    rules += [Rule("linearity of the derivative", lambda e: on_derivatives(e, linear(notations))), log_of_softmax,
              Rule("derivative of log-sum-exp; Kronecker delta sum", lambda e: on_derivatives(e, compute(notations))),
              Rule("definition of softmax", fold_softmax(yhat, z, denominator))]
    if labels == "other":
        rules.append(Rule("case j ≠ ℓ: δ_jℓ = 0", lambda e: e.replace(
            lambda node: isinstance(node, sp.KroneckerDelta) and set(node.args) == {j, ell},
            lambda node: sp.S.Zero)))
    if labels in ("soft", "onehot"):
        rules.append(Rule("Kronecker delta sum; constants out of the sum", sum_rule))
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
        where=(r"\hat{y}_{ni} = \operatorname{softmax}(s_n)_i" if batched else
               r"\hat{y}_i = \operatorname{softmax}(s)_i = \frac{e^{s_i}}{\sum_{n=1}^{c} e^{s_n}}"))
    # A batch's samples are n, as in the statements (1/N Σ_n ...); classes are m, i.
    q, r, m, i, t = _bound("q"), _bound("r"), _bound("m"), _bound("i"), _bound("n")
    a, b = _index("a"), _index("b")
    loss = sp.Symbol("L", real=True)
    notations: dict[sp.Basic, Notation] = {
        yhat: note,
        h: Notation(h, lambda *ix: sp.Sum(A[ix[-1], q] * x[(*ix[:-1], q)], (q, 1, p)), "h",
                    r"h_{nr} = (A x_n)_r = \sum_{q=1}^{p} A_{rq} x_{nq}" if batched else
                    r"h_r = (A x)_r = \sum_{q=1}^{p} A_{rq} x_q"),
        s: Notation(s, lambda *ix: sp.Sum(B[ix[-1], r] * h[(*ix[:-1], r)], (r, 1, d)), "s",
                    r"s_{ni} = (B A x_n)_i = \sum_{r=1}^{d} B_{ir} h_{nr}" if batched else
                    r"s_i = (B A x)_i = \sum_{r=1}^{d} B_{ir} h_r"),
    }
    per_sample = sp.IndexedBase("Lsample", real=True) if batched else loss

    def sample_loss(*ix: sp.Expr) -> sp.Expr:
        return -sp.Sum(y[(*ix, m)] * sp.log(yhat[(*ix, m)]), (m, 1, c))
    if batched:
        notations[per_sample] = Notation(per_sample, sample_loss, "L",
                                         r"L_n = -\sum_{m=1}^{c} y_{nm} \log \hat{y}_{nm}")
        notations[loss] = Notation(loss, lambda: sp.Sum(per_sample[t], (t, 1, N)) / N, "L",
                                   r"L = \frac{1}{N} \sum_{n=1}^{N} L_n")
    else:
        notations[loss] = Notation(loss, sample_loss, "L", r"L = -\sum_{m=1}^{c} y_m \log \hat{y}_m")
    grad = sp.IndexedBase(f"grad{weight}", real=True)
    W = B if weight == "B" else A
    if weight == "B":
        notations[grad] = Notation(grad, lambda *ix: (yhat[(*ix[:-2], ix[-2])] - y[(*ix[:-2], ix[-2])])
                                   * h[(*ix[:-2], ix[-1])],
                                   r"\left[(\hat{y}_n - y_n)(A x_n)^T\right]" if batched else
                                   r"\left[(\hat{y} - y)(A x)^T\right]",
                                   r"\left[(\hat{y} - y)(A x)^T\right]_{ab} = (\hat{y}_a - y_a) h_b",
                                   1 if batched else 0)
    else:
        notations[grad] = Notation(grad, lambda *ix: sp.Sum(B[i, ix[-2]] * (yhat[(*ix[:-2], i)] - y[(*ix[:-2], i)]),
                                                            (i, 1, c)) * x[(*ix[:-2], ix[-1])],
                                   r"\left[B^T(\hat{y}_n - y_n)x_n^T\right]" if batched else
                                   r"\left[B^T(\hat{y} - y)x^T\right]",
                                   r"\left[B^T(\hat{y} - y)x^T\right]_{ab} = \sum_{i=1}^{c} B_{ia}"
                                   r"(\hat{y}_i - y_i) x_b", 1 if batched else 0)
    hyps: list[Hypothesis] = [SumToOne(y, c), InRange(a, 1, c if weight == "B" else d),
                              InRange(b, 1, d if weight == "B" else p)]
    name = f"{'batch' if batched else 'two_layer'}_gradient_{weight}"
    title = f"The gradient for {weight} of the two-layer classifier" + (", batch mean" if batched else "")
    if batched:
        rules = [unfold_rule("definition of the batch mean", notations, [loss]),
                 Rule("linearity of the derivative", lambda e: on_derivatives(e, linear(notations))),
                 theorem_use(f"the gradient for {weight} of each sample", W,
                              lambda aa, bb: grad[t, aa, bb], per_sample[t])]
        target = sp.Sum(grad[t, a, b], (t, 1, N)) / N
        return _Plan(name, title, r"\textstyle\sum_m y_{nm} = 1 \text{ for each } n", notations, dict(space.arrays),
                     sp.Derivative(loss, W[a, b]), rules, ("", target), hyps)
    chain = Rule("chain rule through s", lambda e: on_derivatives(
        e, lambda dd: sp.Sum(sp.Derivative(dd.expr, s[i]) * sp.Derivative(s[i], variable_of(dd)), (i, 1, c))
        if dd.expr == loss else None))
    ce_gradient = theorem_use("the cross-entropy gradient, ∂L/∂s_i = ŷ_i - y_i", s, lambda ii: yhat[ii] - y[ii], loss)
    define = unfold_rule("definition of s = B A x" if weight == "A" else "definition of s = B h",
                         notations, [s, h] if weight == "A" else [s])
    rules = [chain, ce_gradient, define,
             Rule("linearity of the derivative", lambda e: on_derivatives(e, linear(notations))),
             Rule("derivative of a linear form", lambda e: on_derivatives(e, compute(notations))),
             Rule("Kronecker delta sum", lambda e: sum_rule(e))]
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


def _constant(expr: sp.Expr) -> Callable[[sp.Expr], sp.Expr]:
    return lambda _current: expr


def _model_plan(name: str) -> _Plan:
    """A theorem built through the model layer: ∂f/∂x, SymPy's derivative, the index calculus, the result."""
    from derive.library.model_theorems import proof_lines

    theorem = next(t for t in _model_theorems() if t.name == name)
    claim, start, lines = proof_lines(theorem)
    rules = [Rule(rule, _constant(expr)) for rule, expr in lines[:-1]]
    conditions = ", ".join(h.latex for h in claim.hypotheses)
    return _Plan(name, theorem.title or name, conditions, {}, dict(claim.arrays), start, rules,
                 (lines[-1][0], lines[-1][1]), list(claim.hypotheses), theorem.declarations)


def proof_names() -> list[str]:
    """The theorems that have a step-by-step proof (every theorem of the library)."""
    return list(_PLANS) + _model_names()


def _model_theorems() -> list[ModelTheorem]:
    """The theorems built through the model layer, then those about real layers and losses (the library's order)."""
    from derive.library.layer_theorems import LAYER_THEOREMS
    from derive.library.loss_theorems import LOSS_THEOREMS
    from derive.library.model_theorems import MODEL_THEOREMS

    return MODEL_THEOREMS + LAYER_THEOREMS + LOSS_THEOREMS


def _model_names() -> list[str]:
    return [t.name for t in _model_theorems()]


@cache
def _plan(name: str) -> _Plan:
    try:
        return _PLANS[name]()
    except KeyError:
        if name in _model_names():
            return _model_plan(name)
        raise KeyError(f"no proof for {name!r}; known: {', '.join(proof_names())}") from None


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
        name: a theorem of :data:`derive.library.theorems.LIBRARY`.
        settings: time budget and counterexample search of each step's decision.
        edit: a function that changes the lines before they are decided (tests use it
            to inject a wrong step and show that it is caught).
    """
    from derive.library.theorems import get  # the theorem gives the statement; theorems does not need proofs

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
                 time.perf_counter() - started, tuple(plan.arrays.values()), plan.declarations)


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

