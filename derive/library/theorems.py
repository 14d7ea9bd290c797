"""The theorem library: the seeds' results as named claims, for every size and at concrete sizes.

Each theorem builds its functions, differentiates them mechanically (the left-hand
sides below are always a derivative SymPy computed) and states the familiar form as
the right-hand side, a claim the engine must establish:

- ``symbolic()``: one claim for symbolic sizes (k, or c, d, p, N), proved once for every size;
- ``concrete(sizes)``: the same result at explicit sizes, all components at once;
- ``numeric(sizes)``: the concrete claim against central differences of the function
  itself (:mod:`derive.engine.crosscheck`), an independent path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from derive.engine.claims import Claim
from derive.engine.crosscheck import FiniteDifferenceCheck
from derive.engine.differentiate import Differentiator, LowRankMatrix, derivative
from derive.engine.hypotheses import Distinct, Equal, Hypothesis, InRange, OneHot, SumToOne
from derive.engine.memo import memoized_sum_symbols
from derive.engine.space import Role, Space, Vector
from derive.library.functions import cross_entropy, log_softmax, softmax, two_layer

__all__ = ["LIBRARY", "Theorem", "get", "names"]

Sizes = Mapping[str, int]


@dataclass(frozen=True)
class Theorem:
    """A named result with its statement and the three ways to check it."""

    name: str
    statement: str
    latex: str
    family: str
    symbolic: Callable[[], Claim]
    concrete: Callable[[Sizes], Claim]
    numeric: Callable[[Sizes], FiniteDifferenceCheck]
    default_sizes: Mapping[str, int]

    def sizes(self, overrides: Sizes | None = None) -> dict[str, int]:
        """Default concrete sizes, with the overrides that apply to this theorem."""
        out = dict(self.default_sizes)
        for key, value in (overrides or {}).items():
            if key in out:
                out[key] = value
        return out

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.theorem_latex(self)


# -- softmax and cross-entropy ---------------------------------------------------------------

def _logits(space: Space, k: int | None) -> tuple[sp.Expr, Vector, Vector]:
    size = space.size("k", k)
    z = space.vector("z", size, role=Role.LOGITS)
    return size, z, softmax(space, z)


def _symbols(*names: str) -> list[sp.Symbol]:
    return [sp.Symbol(n, integer=True, positive=True) for n in names]


@memoized_sum_symbols()
def _jacobian_symbolic(case: str) -> Claim:
    space = Space.symbolic()
    k, z, yhat = _logits(space, None)
    i, j = _symbols("i", "j")
    lhs = derivative(yhat[i], z[j])
    hyps: list[Hypothesis] = [InRange(i, 1, k), InRange(j, 1, k)]
    if case == "diagonal":
        rhs = yhat[i] * (1 - yhat[i])
        hyps.append(Equal(i, j))
    elif case == "offdiagonal":
        rhs = -yhat[i] * yhat[j]
        hyps.append(Distinct(i, j))
    else:
        rhs = yhat[i] * sp.KroneckerDelta(i, j) - yhat[i] * yhat[j]
    return Claim.in_space(space, f"softmax_jacobian_{case}" if case != "matrix" else "softmax_jacobian",
                          lhs, rhs, *hyps)


def _jacobian_fixed(case: str, sizes: Sizes) -> tuple[Claim, Space, tuple[sp.Expr, ...], list[sp.Indexed]]:
    space = Space.fixed()
    k = sizes["k"]
    _, z, yhat = _logits(space, k)
    outputs = tuple(yhat[i] for i in range(1, k + 1))
    wrt = [z[j] for j in range(1, k + 1)]
    jac = Differentiator(space.definitions).jacobian(outputs, wrt)
    name = f"softmax_jacobian_{case}[k={k}]"
    lhs: object
    rhs: object
    if case == "diagonal":
        lhs = tuple(jac.entry(i, i) for i in range(k))
        rhs = tuple(outputs[i] * (1 - outputs[i]) for i in range(k))
    elif case == "offdiagonal" and all(i == j for i, j in jac.diagonal):
        # The direct part is diagonal, so the entries i != j are those of the outer
        # products alone: compare them as outer products (O(k), not k² entries).
        lhs = LowRankMatrix(k, {}, jac.outer)
        rhs = LowRankMatrix(k, {}, ((tuple(-o for o in outputs), outputs),))
    elif case == "offdiagonal":
        pairs = [(i, j) for i in range(k) for j in range(k) if i != j]
        lhs = tuple(jac.entry(i, j) for i, j in pairs)
        rhs = tuple(-outputs[i] * outputs[j] for i, j in pairs)
    else:
        name = f"softmax_jacobian[k={k}]"
        lhs = jac
        rhs = LowRankMatrix(k, {(i, i): outputs[i] for i in range(k)},
                            ((tuple(-o for o in outputs), outputs),))
    return Claim.in_space(space, name, lhs, rhs), space, outputs, wrt


def _jacobian_numeric(sizes: Sizes) -> FiniteDifferenceCheck:
    space = Space.fixed()
    k = sizes["k"]
    _, z, yhat = _logits(space, k)
    outputs = tuple(yhat[i] for i in range(1, k + 1))
    rhs = tuple(tuple(outputs[i] * (int(i == j) - outputs[j]) for j in range(k)) for i in range(k))
    claim = Claim.in_space(space, f"softmax_jacobian[k={k}] numeric", rhs, rhs)
    return FiniteDifferenceCheck(claim, outputs, [z[j] for j in range(1, k + 1)])


@memoized_sum_symbols()
def _log_softmax_symbolic() -> Claim:
    space = Space.symbolic()
    k, z, yhat = _logits(space, None)
    (i,) = _symbols("i")
    return Claim.in_space(space, "log_softmax", sp.log(yhat[i]), log_softmax(space, z)[i], InRange(i, 1, k))


def _log_softmax_fixed(sizes: Sizes) -> Claim:
    space = Space.fixed()
    k = sizes["k"]
    _, z, yhat = _logits(space, k)
    logp = log_softmax(space, z)
    return Claim.in_space(space, f"log_softmax[k={k}]", tuple(sp.log(yhat[i]) for i in range(1, k + 1)),
                          tuple(logp[i] for i in range(1, k + 1)))


def _log_softmax_numeric(sizes: Sizes) -> FiniteDifferenceCheck:
    # d/dz_j of log ŷ_i is δ_ij - ŷ_j: checks the log-sum-exp form against the definition's slope.
    space = Space.fixed()
    k = sizes["k"]
    _, z, yhat = _logits(space, k)
    outputs = tuple(sp.log(yhat[i]) for i in range(1, k + 1))
    rhs = tuple(tuple(int(i == j) - yhat[j + 1] for j in range(k)) for i in range(k))
    claim = Claim.in_space(space, f"log_softmax[k={k}] numeric", rhs, rhs)
    return FiniteDifferenceCheck(claim, outputs, [z[j] for j in range(1, k + 1)])


_LABELS = {"soft": "soft labels (Σy = 1)", "onehot": "one-hot labels at ℓ",
           "target": "one-hot at ℓ, j = ℓ", "other": "one-hot at ℓ, j ≠ ℓ"}


@memoized_sum_symbols()
def _ce_symbolic(labels: str) -> Claim:
    space = Space.symbolic()
    k, z, yhat = _logits(space, None)
    y = space.vector("y", k, role=Role.LABELS)
    j, ell = _symbols("j", "ell")
    lhs = derivative(cross_entropy(space, y, z), z[j])
    hyps: list[Hypothesis] = [InRange(j, 1, k)]
    rhs = yhat[j] - y[j]
    base = space.arrays["y"].base
    if labels == "soft":
        hyps.append(SumToOne(base, k))
    else:
        hyps += [InRange(ell, 1, k), OneHot(base, ell, k)]
        if labels == "target":
            hyps.append(Equal(j, ell))
            rhs = yhat[j] - 1
        elif labels == "other":
            hyps.append(Distinct(j, ell))
            rhs = yhat[j]
    return Claim.in_space(space, _ce_name(labels), lhs, rhs, *hyps)


def _ce_name(labels: str) -> str:
    return {"soft": "cross_entropy_gradient_soft", "onehot": "cross_entropy_gradient_onehot",
            "target": "cross_entropy_gradient_onehot_target",
            "other": "cross_entropy_gradient_onehot_other"}[labels]


def _ce_parts(labels: str, sizes: Sizes) -> tuple[Space, sp.Expr, list[sp.Indexed], Callable[[int], sp.Expr],
                                                  list[Hypothesis], list[int]]:
    space = Space.fixed()
    k = sizes["k"]
    _, z, yhat = _logits(space, k)
    y = space.vector("y", k, role=Role.LABELS)
    loss = cross_entropy(space, y, z)
    base = space.arrays["y"].base
    ell = sizes.get("ell", 1)
    hyps: list[Hypothesis] = [SumToOne(base, sp.Integer(k))] if labels == "soft" else \
        [OneHot(base, sp.Integer(ell), sp.Integer(k))]
    components = list(range(1, k + 1))
    if labels == "target":
        components = [ell]
    elif labels == "other":
        components = [j for j in components if j != ell]

    def rhs(j: int) -> sp.Expr:
        return yhat[j] - (1 if labels == "target" else 0 if labels == "other" else y[j])

    return space, loss, [z[j] for j in components], rhs, hyps, components


def _ce_fixed(labels: str, sizes: Sizes) -> Claim:
    space, loss, wrt, rhs, hyps, components = _ce_parts(labels, sizes)
    partial = Differentiator(space.definitions).partials(loss)
    # Each entry's right side, then its derivative: they share exp(z_j) and y_j, which
    # SymPy's products take apart and build again; built together, the second build is
    # a hit in SymPy's cache of constructors, while k entries apart it missed past k ≈ 1000.
    pairs = [(rhs(j), partial(x)) for j, x in zip(components, wrt, strict=True)]
    return Claim.in_space(space, f"{_ce_name(labels)}[k={sizes['k']}]", tuple(lhs for _, lhs in pairs),
                          tuple(r for r, _ in pairs), *hyps)


def _ce_numeric(labels: str, sizes: Sizes) -> FiniteDifferenceCheck:
    space, loss, wrt, rhs_of, hyps, components = _ce_parts(labels, sizes)
    rhs = tuple(rhs_of(j) for j in components)
    claim = Claim.in_space(space, f"{_ce_name(labels)}[k={sizes['k']}] numeric", rhs, rhs, *hyps)
    return FiniteDifferenceCheck(claim, loss, wrt)


# -- the two-layer linear classifier -------------------------------------------------------------

@memoized_sum_symbols()
def _two_layer_symbolic(weight: str, batched: bool) -> Claim:
    space = Space.symbolic()
    model = two_layer(space, batched=batched)
    a, b = _symbols("a", "b")
    hyps: list[Hypothesis] = [SumToOne(model.y, model.c)]
    t = sp.Symbol("t", integer=True)
    i = sp.Symbol("i", integer=True)
    if weight == "B":
        lhs = derivative(model.loss, model.B[a, b])
        hyps += [InRange(a, 1, model.c), InRange(b, 1, model.d)]
        if batched:
            rhs = sp.Sum((model.probabilities(a, t) - model.y[t, a]) * model.hidden(b, t), (t, 1, model.N))
            rhs = rhs / model.N
        else:
            rhs = (model.probabilities(a) - model.y[a]) * model.hidden(b)
    else:
        lhs = derivative(model.loss, model.A[a, b])
        hyps += [InRange(a, 1, model.d), InRange(b, 1, model.p)]
        if batched:
            rhs = sp.Sum(sp.Sum(model.B[i, a] * (model.probabilities(i, t) - model.y[t, i]), (i, 1, model.c))
                         * model.x[t, b], (t, 1, model.N)) / model.N
        else:
            rhs = sp.Sum(model.B[i, a] * (model.probabilities(i) - model.y[i]), (i, 1, model.c)) * model.x[b]
    return Claim.in_space(space, _two_layer_name(weight, batched), lhs, rhs, *hyps)


def _two_layer_name(weight: str, batched: bool) -> str:
    return f"{'batch' if batched else 'two_layer'}_gradient_{weight}"


def _two_layer_parts(weight: str, batched: bool, sizes: Sizes):
    space = Space.fixed()
    c, d, p = sizes["c"], sizes["d"], sizes["p"]
    N = sizes.get("N", 1)
    model = two_layer(space, c=c, d=d, p=p, batch=N if batched else None, batched=batched)
    samples = range(1, N + 1) if batched else [None]

    # Each output error ŷ_i - y_i and each backpropagated signal Σ_i B_ia (ŷ_i - y_i) is
    # built once and shared by the entries that use it: rebuilt per entry, the A gradient's
    # right-hand side cost O(c) per entry, O(c·d·p) in all, more than the entries.
    @functools.cache
    def delta(i: int, t: int | None) -> sp.Expr:
        return model.probabilities(i, t) - (model.y[t, i] if t is not None else model.y[i])

    @functools.cache
    def signal(a: int, t: int | None) -> sp.Expr:
        return sp.Add(*[model.B[i, a] * delta(i, t) for i in range(1, c + 1)])

    @functools.cache
    def x(q: int, t: int | None) -> sp.Expr:
        return model.x[t, q] if t is not None else model.x[q]

    scale = sp.Rational(1, N) if batched else sp.S.One
    if weight == "B":
        cells = [(a, b) for a in range(1, c + 1) for b in range(1, d + 1)]
        wrt = [model.B[a, b] for a, b in cells]
        rhs = tuple(scale * sp.Add(*[delta(a, t) * model.hidden(b, t) for t in samples]) for a, b in cells)
    else:
        cells = [(a, b) for a in range(1, d + 1) for b in range(1, p + 1)]
        wrt = [model.A[a, b] for a, b in cells]
        # Bᵀ(ŷ - y) xᵀ: entry (a, b) is (Σ_i B_ia (ŷ_i - y_i)) x_b, the backpropagated
        # signal of hidden unit a times input b.
        rhs = tuple(scale * sp.Add(*[signal(a, t) * x(b, t) for t in samples]) for a, b in cells)
    hyps = [SumToOne(model.y, sp.Integer(c))]
    label = f"c={c},d={d},p={p}" + (f",N={N}" if batched else "")
    return space, model.loss, wrt, rhs, hyps, label


def _two_layer_fixed(weight: str, batched: bool, sizes: Sizes) -> Claim:
    space, loss, wrt, rhs, hyps, label = _two_layer_parts(weight, batched, sizes)
    lhs = tuple(Differentiator(space.definitions).gradient(loss, wrt))
    return Claim.in_space(space, f"{_two_layer_name(weight, batched)}[{label}]", lhs, rhs, *hyps)


def _two_layer_numeric(weight: str, batched: bool, sizes: Sizes) -> FiniteDifferenceCheck:
    space, loss, wrt, rhs, hyps, label = _two_layer_parts(weight, batched, sizes)
    claim = Claim.in_space(space, f"{_two_layer_name(weight, batched)}[{label}] numeric", rhs, rhs, *hyps)
    return FiniteDifferenceCheck(claim, loss, wrt)


# -- the library ---------------------------------------------------------------------------------

_K = {"k": 3}
_CDP = {"c": 3, "d": 2, "p": 3}
_CDPN = {"c": 2, "d": 2, "p": 2, "N": 2}


def _theorems() -> list[Theorem]:
    out = [
        Theorem("softmax_jacobian_diagonal", "∂ŷ_i/∂z_j = ŷ_i (1 - ŷ_i) for i = j",
                r"\frac{\partial \hat{y}_i}{\partial z_j} = \hat{y}_i (1 - \hat{y}_i) \quad (i = j)", "softmax",
                lambda: _jacobian_symbolic("diagonal"), lambda s: _jacobian_fixed("diagonal", s)[0],
                _jacobian_numeric, _K),
        Theorem("softmax_jacobian_offdiagonal", "∂ŷ_i/∂z_j = -ŷ_i ŷ_j for i ≠ j",
                r"\frac{\partial \hat{y}_i}{\partial z_j} = -\hat{y}_i \hat{y}_j \quad (i \neq j)", "softmax",
                lambda: _jacobian_symbolic("offdiagonal"), lambda s: _jacobian_fixed("offdiagonal", s)[0],
                _jacobian_numeric, _K),
        Theorem("softmax_jacobian", "∂ŷ/∂z = diag(ŷ) - ŷ ŷᵀ",
                r"\frac{\partial \hat{y}}{\partial z} = \operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T",
                "softmax", lambda: _jacobian_symbolic("matrix"), lambda s: _jacobian_fixed("matrix", s)[0],
                _jacobian_numeric, _K),
        Theorem("log_softmax", "log ŷ_i = z_i - log Σ_n exp(z_n)",
                r"\log \hat{y}_i = z_i - \log \sum_{n=1}^{k} e^{z_n}", "softmax",
                _log_softmax_symbolic, _log_softmax_fixed, _log_softmax_numeric, _K),
    ]
    statements = {
        "soft": ("∂CE/∂z_j = ŷ_j - y_j (soft labels, Σy = 1)",
                 r"\frac{\partial \mathrm{CE}}{\partial z_j} = \hat{y}_j - y_j \quad (\textstyle\sum_n y_n = 1)"),
        "onehot": ("∂CE/∂z_j = ŷ_j - y_j (one-hot labels at ℓ)",
                   r"\frac{\partial \mathrm{CE}}{\partial z_j} = \hat{y}_j - y_j \quad (y = e_\ell)"),
        "target": ("∂CE/∂z_j = ŷ_j - 1 for j = ℓ (one-hot at ℓ)",
                   r"\frac{\partial \mathrm{CE}}{\partial z_j} = \hat{y}_j - 1 \quad (j = \ell)"),
        "other": ("∂CE/∂z_j = ŷ_j for j ≠ ℓ (one-hot at ℓ)",
                  r"\frac{\partial \mathrm{CE}}{\partial z_j} = \hat{y}_j \quad (j \neq \ell)"),
    }
    for labels, (text, latex) in statements.items():
        out.append(Theorem(_ce_name(labels), text, latex, "cross-entropy",
                           lambda lab=labels: _ce_symbolic(lab),  # type: ignore[misc]
                           lambda s, lab=labels: _ce_fixed(lab, s),  # type: ignore[misc]
                           lambda s, lab=labels: _ce_numeric(lab, s),  # type: ignore[misc]
                           {"k": 3, "ell": 2} if labels != "soft" else _K))
    layer = {
        ("B", False): ("∂L/∂B = (ŷ - y)(Ax)ᵀ for s = BAx, L = CE(y, softmax(s))",
                       r"\frac{\partial L}{\partial B} = (\hat{y} - y)(Ax)^T"),
        ("A", False): ("∂L/∂A = Bᵀ(ŷ - y)xᵀ for s = BAx, L = CE(y, softmax(s))",
                       r"\frac{\partial L}{\partial A} = B^T(\hat{y} - y)x^T"),
        ("B", True): ("∂L/∂B = (1/N) Σ_n (ŷ_n - y_n)(Ax_n)ᵀ for the batch mean L",
                      r"\frac{\partial L}{\partial B} = \frac{1}{N}\sum_{n=1}^{N} (\hat{y}_n - y_n)(Ax_n)^T"),
        ("A", True): ("∂L/∂A = (1/N) Σ_n Bᵀ(ŷ_n - y_n)x_nᵀ for the batch mean L",
                      r"\frac{\partial L}{\partial A} = \frac{1}{N}\sum_{n=1}^{N} B^T(\hat{y}_n - y_n)x_n^T"),
    }
    for (weight, batched), (text, latex) in layer.items():
        out.append(Theorem(_two_layer_name(weight, batched), text, latex, "two-layer",
                           lambda w=weight, b=batched: _two_layer_symbolic(w, b),  # type: ignore[misc]
                           lambda s, w=weight, b=batched: _two_layer_fixed(w, b, s),  # type: ignore[misc]
                           lambda s, w=weight, b=batched: _two_layer_numeric(w, b, s),  # type: ignore[misc]
                           _CDPN if batched else _CDP))
    return out


def _model_theorems() -> list[Theorem]:
    """The theorems built through the model layer (a user's network, written like numpy), real layers, losses."""
    from derive.library.layer_theorems import LAYER_THEOREMS
    from derive.library.loss_theorems import LOSS_THEOREMS
    from derive.library.model_theorems import MODEL_THEOREMS

    return [Theorem(m.name, m.statement, m.latex, m.family, m.symbolic, m.concrete, m.numeric, m.defaults)
            for m in MODEL_THEOREMS + LAYER_THEOREMS + LOSS_THEOREMS]


LIBRARY: dict[str, Theorem] = {t.name: t for t in _theorems() + _model_theorems()}


def names() -> list[str]:
    return list(LIBRARY)


def get(name: str) -> Theorem:
    """The theorem called ``name``; KeyError names the known ones."""
    try:
        return LIBRARY[name]
    except KeyError:
        raise KeyError(f"no theorem named {name!r}; known: {', '.join(LIBRARY)}") from None
