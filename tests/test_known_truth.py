r"""Steps whose truth is known: a true step is never "wrong", a false one never "valid".

Hypothesis draws an expression over declared scalars (x, w) and a declared vector z
(its entry z_j, sums over i), and then

- a **true** step: the expression and a SymPy rewriting of it (expand, factor, together,
  a sum split into two, a Kronecker delta resolved);
- a **false** step: a mutation of the rewriting (a sign, a swapped name, an index
  swapped, a constant, a dropped factor), kept only when it is false numerically at
  some point (checked here, independently of the engine).

Both are written with ``sympy.latex`` and audited as one step under the declarations.
The default run draws a few hundred steps; ``HYPOTHESIS_PROFILE=thorough`` draws ten
times as many.
"""

from __future__ import annotations

import os
import random

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive.audit.post import StepStatus, check_step
from derive.engine.sums import instantiate_sums

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
EXAMPLES = 1500 if THOROUGH else 150
GIVEN = ["vector z", "matrix W k k", "scalar x w"]

x, w = sp.symbols("x w", real=True)
k = sp.Symbol("k", integer=True, positive=True)
j = sp.Symbol("j", integer=True, positive=True)
i = sp.Symbol("i", integer=True)
z = sp.IndexedBase("z", real=True)
W = sp.IndexedBase("W", real=True)

ATOMS = [x, w, z[j], W[j, 1], sp.Integer(2), sp.Rational(1, 2), sp.Integer(3)]


def expressions(depth: int = 3) -> st.SearchStrategy[sp.Expr]:
    leaf = st.sampled_from(ATOMS)
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda a, b: a + b, sub, sub),
        st.builds(lambda a, b: a * b, sub, sub),
        st.builds(lambda a, b: a - b, sub, sub),
        st.builds(lambda a: a**2, sub),
        st.builds(lambda a: sp.exp(a), leaf),
        st.builds(lambda a: sp.tanh(a), leaf),
        st.builds(lambda a: sp.Sum(z[i] * a, (i, 1, k)), st.sampled_from([x, w, sp.Integer(2), W[i, j], W[j, i]])),
    )


def _rewrites(e: sp.Expr) -> list[sp.Expr]:
    return [sp.expand(e), sp.factor(e), sp.together(e)]


@st.composite
def true_steps(draw: st.DrawFn) -> tuple[sp.Expr, sp.Expr]:
    kind = draw(st.sampled_from(["rewrite", "split", "delta"]))
    e = draw(expressions())
    f = draw(expressions(1))
    if kind == "split":
        # Σ_i (z_i e + z_i^2 f) = Σ_i z_i e + Σ_i z_i^2 f, for e, f free of i.
        return sp.Sum(z[i] * e + z[i] ** 2 * f, (i, 1, k)), sp.Sum(z[i] * e, (i, 1, k)) + \
            sp.Sum(z[i] ** 2 * f, (i, 1, k))
    if kind == "delta":
        return sp.Sum(sp.KroneckerDelta(i, j) * z[i] * e, (i, 1, k)), z[j] * e
    return e, draw(st.sampled_from(_rewrites(e)))


def _mutations(e: sp.Expr) -> list[sp.Expr]:
    transposed = e.replace(lambda n: isinstance(n, sp.Indexed) and n.base == W, lambda n: W[n.indices[1], n.indices[0]])
    out = [-e, e + 1, 2 * e, e.xreplace({x: w, w: x}), e.xreplace({z[j]: z[1]}), transposed]
    if isinstance(e, sp.Mul) and len(e.args) > 1:
        out.append(sp.Mul(*e.args[1:]))
    if isinstance(e, sp.Add) and len(e.args) > 1:
        out.append(sp.Add(*e.args[1:]))
    return out


def _numerically_different(a: sp.Expr, b: sp.Expr) -> bool:
    rng = random.Random(0)
    for _ in range(6):
        size = rng.randint(2, 4)
        point: dict[sp.Basic, sp.Expr] = {k: sp.Integer(size), j: sp.Integer(rng.randint(1, size)),
                                          x: sp.Rational(rng.randint(-300, 300), 100),
                                          w: sp.Rational(rng.randint(-300, 300), 100)}
        entries = {z[n]: sp.Rational(rng.randint(-300, 300), 100) for n in range(1, size + 1)}
        entries |= {W[a, b]: sp.Rational(rng.randint(-300, 300), 100) for a in range(1, size + 1)
                    for b in range(1, size + 1)}
        diff = instantiate_sums((a - b).xreplace(point)).xreplace(entries)
        value = sp.N(diff, 30)
        if value.is_number and abs(value) > 1e-6:
            return True
    return False


@st.composite
def false_steps(draw: st.DrawFn) -> tuple[sp.Expr, sp.Expr]:
    lhs, rhs = draw(true_steps())
    wrong = draw(st.sampled_from(_mutations(rhs)))
    assume(_numerically_different(lhs, wrong))
    return lhs, wrong


def _audit(lhs: sp.Expr, rhs: sp.Expr) -> tuple[StepStatus, str, str]:
    # SymPy prints an entry of a real IndexedBase as {z}_{j}; the reader takes z_{j} (a braced
    # base is a reader matter, tested by the reader's own differential test).
    # Likewise \delta_{i j}: written here as \delta_{i,j}.
    step = f"{sp.latex(lhs)} = {sp.latex(rhs)}".replace("{z}_{", "z_{").replace("{W}_{", "W_{")
    step = step.replace(r"\delta_{i j}", r"\delta_{i,j}")
    (result,) = check_step(step, given=GIVEN).steps
    return result.status, result.reason, step


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not THOROUGH,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(true_steps())
def test_a_true_step_is_never_wrong(pair: tuple[sp.Expr, sp.Expr]) -> None:
    status, reason, step = _audit(*pair)
    assert status is not StepStatus.WRONG, f"{step}: {reason}"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not THOROUGH,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(false_steps())
def test_a_false_step_is_never_valid(pair: tuple[sp.Expr, sp.Expr]) -> None:
    status, reason, step = _audit(*pair)
    assert status is not StepStatus.VALID, f"{step}: {reason}"


# -- decide never raises: the same steps (and elementwise functions) handed to the engine directly --

from derive.engine.claims import Claim  # noqa: E402
from derive.engine.decide import Settings, decide  # noqa: E402
from derive.engine.hypotheses import InRange  # noqa: E402

DECIDE_EXAMPLES = 300 if THOROUGH else 40
_QUICK = Settings(budget=5.0, search_budget=5.0, samples=6)


def _with_functions(e: sp.Expr, draw: st.DrawFn) -> sp.Expr:
    wrap = draw(st.sampled_from([
        lambda a: a,
        lambda a: sp.log(1 + sp.exp(a)),  # softplus: mpmath's evalf once raised ZeroDivisionError here
        lambda a: 1 / (1 + sp.exp(-a)),
        lambda a: sp.sinh(a) / sp.cosh(a),
        lambda a: sp.Abs(a),
        lambda a: sp.log(a),  # no value where a <= 0
        lambda a: 1 / a,
    ]))
    return wrap(e)


@st.composite
def decide_steps(draw: st.DrawFn) -> tuple[sp.Expr, sp.Expr, bool]:
    true = draw(st.booleans())
    lhs, rhs = draw(true_steps() if true else false_steps())
    if draw(st.booleans()):
        wrap = draw(st.sampled_from([sp.exp, sp.tanh, lambda a: sp.log(1 + sp.exp(a))]))
        lhs, rhs = wrap(lhs), wrap(rhs)  # f(a) = f(b) follows from a = b; a false a = b stays false for these
    extra = _with_functions(draw(expressions(1)), draw)
    return lhs + extra, rhs + extra, true


@settings(max_examples=DECIDE_EXAMPLES, deadline=None, derandomize=not THOROUGH,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(decide_steps())
@pytest.mark.slow
def test_decide_returns_a_sound_verdict_and_never_raises(case: tuple[sp.Expr, sp.Expr, bool]) -> None:
    lhs, rhs, true = case
    verdict = decide(Claim("generated", lhs, rhs, (InRange(j, 1, k),)), _QUICK)
    if true:
        assert not verdict.refuted, verdict.explain()
    else:
        assert not verdict.proved, verdict.explain()


def test_an_exception_in_the_proof_or_search_is_an_undecided_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    import derive.engine.decide as engine

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("mpmath division by zero")

    monkeypatch.setattr(engine, "_prove", broken)
    monkeypatch.setattr(engine, "_search", broken)
    verdict = decide(Claim("broken", sp.exp(x), sp.exp(x) + 1))
    assert verdict.undecided
    assert "proof stopped with ZeroDivisionError" in verdict.reason
    assert "search stopped with ZeroDivisionError" in verdict.reason


# -- the model operations: broadcast bias, piecewise functions, axis reductions, softmax, layer norm --
#
# A true claim is a known identity between two ways of writing one tensor (relu(A) = maximum(A, 0),
# softmax is invariant under a per-row shift, a mean is a sum over N, ...); a false one is that
# identity with the right side moved by a constant (+ 1 or - 1), so its falseness is known by
# construction; each is decided for every size and at fixed sizes. Both may be wrapped by the same injective elementwise
# function. ``decide`` must return a Verdict for each and never call a false claim proved or a true
# one refuted.

from derive import model  # noqa: E402
from derive.engine.verdict import Verdict  # noqa: E402
from derive.model.blocks import normalize  # noqa: E402

MODEL_EXAMPLES = 200 if THOROUGH else 25
_MODEL_QUICK = Settings(budget=2.0, search_budget=2.0, samples=4)
_N, _D = model.Size("N"), model.Size("d")
_X, _B = model.Matrix("X", _N, _D), model.Vector("b", _D)
_V, _GAMMA, _BETA = model.Vector("v", _D), model.Vector("gamma", _D), model.Vector("beta", _D)
_C = model.Scalar("c")


def _model_identities(a: model.Tensor) -> list[tuple[model.Tensor, model.Tensor]]:
    """Pairs equal everywhere (where both sides are defined), built on the N × d tensor ``a``."""
    return [
        (model.relu(a), model.maximum(a, 0)),
        (model.relu(a), model.where(a > 0, a, 0)),
        (model.abs(a), model.relu(a) + model.relu(-a)),
        (model.maximum(a, -a), model.abs(a)),
        ((a + _B).sum(axis=1), a.sum(axis=1) + _B.sum()),
        ((a + _B).sum(axis=0), a.sum(axis=0) + _B * _N),
        (a.mean(axis=0), a.sum(axis=0) / _N),
        (model.softmax(a + a.mean(axis=1, keepdims=True), axis=1), model.softmax(a, axis=1)),
        (model.softmax(a + _B, axis=1).sum(axis=1), model.ones(_N)),
        (model.log_softmax(a, axis=1), a - model.logsumexp(a, axis=1, keepdims=True)),
    ]


def _vector_identities() -> list[tuple[model.Tensor, model.Tensor]]:
    return [
        (model.layer_norm(_V, _GAMMA, _BETA), _GAMMA * normalize(_V, -1) + _BETA),
        (model.layer_norm(_V + _C, _GAMMA, _BETA), model.layer_norm(_V, _GAMMA, _BETA)),
        (model.layer_norm(_V, _GAMMA, _BETA).mean(), (_GAMMA * normalize(_V, -1)).mean() + _BETA.mean()),
    ]


_DELTA = model.Scalar("delta", positive=True)


def _huber(a: model.Tensor) -> model.Tensor:
    return model.where(model.abs(a) <= _DELTA, a * a / 2, _DELTA * (model.abs(a) - _DELTA / 2))


def _piecewise_identities() -> list[tuple[model.Tensor, model.Tensor]]:
    """Huber, sign, minimum and einsum on the N × d matrix X: each pair equal everywhere."""
    m = model.minimum(model.abs(_X), _DELTA)
    return [
        (_huber(_X), m * (model.abs(_X) - m / 2)),  # Huber by its pieces = by the clipped |x|
        (model.grad(_huber(_X).sum(), _X), model.where(model.abs(_X) <= _DELTA, _X, _DELTA * model.sign(_X))),
        (model.sign(_X) * model.abs(_X), _X),
        (model.minimum(_X, _C), -model.maximum(-_X, -_C)),
        (model.einsum("nd,d->n", _X, _V), _X @ _V),
    ]


@st.composite
def model_claims(draw: st.DrawFn) -> tuple[model.Tensor, model.Tensor, bool, dict[str, int]]:
    base = draw(st.sampled_from([_X, _X + _B, _X * 2 - _B]))  # broadcast bias rows into the argument
    pairs = [(pair, {"N": 2, "d": 2}) for pair in _model_identities(base)] + \
        [(pair, {"d": 3}) for pair in _vector_identities()] + \
        [(pair, {"N": 2, "d": 2}) for pair in _piecewise_identities()]
    (lhs, rhs), fixed = draw(st.sampled_from(pairs))
    true = draw(st.booleans())
    if not true:
        rhs = draw(st.sampled_from([lambda t: t + 1, lambda t: t - 1]))(rhs)
    wrap = draw(st.sampled_from([lambda t: t, model.tanh, model.exp, lambda t: 3 * t]))
    return wrap(lhs), wrap(rhs), true, fixed


@settings(max_examples=MODEL_EXAMPLES, deadline=None, derandomize=not THOROUGH,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(model_claims(), st.booleans())
@pytest.mark.slow
def test_decide_over_the_model_operations_is_sound_and_never_raises(
        case: tuple[model.Tensor, model.Tensor, bool, dict[str, int]], at_fixed_sizes: bool) -> None:
    lhs, rhs, true, fixed = case
    verdict = decide(model.claim(lhs, rhs, sizes=fixed if at_fixed_sizes else None), _MODEL_QUICK)
    assert isinstance(verdict, Verdict)
    if true:
        assert not verdict.refuted, verdict.explain()
    else:
        assert not verdict.proved, verdict.explain()


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(_piecewise_identities())))
def test_each_piecewise_identity_is_decided_soundly_true_and_moved(number: int) -> None:
    """Every Huber, sign, minimum and einsum pair once (the draws above may miss one): never raises, never wrong."""
    lhs, rhs = _piecewise_identities()[number]
    for claimed, true in ((rhs, True), (rhs + 1, False)):
        verdict = decide(model.claim(lhs, claimed), _MODEL_QUICK)
        assert isinstance(verdict, Verdict)
        assert not (verdict.refuted if true else verdict.proved), verdict.explain()
    assert decide(model.claim(lhs, rhs + 1), _MODEL_QUICK).refuted  # moved by 1: a point shows it
