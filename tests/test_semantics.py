r"""The meaning of the notation of real posts: ⊙, diag, tr, norms, the vector of ones, [M]_{ab},
Jacobians, softmax and CE of vector expressions, definitions in any order.

Each true step must be valid and each false one wrong (with a point) or not read, never valid.
A property test draws vector expressions in matrix notation and their entries written out with
index sums, and checks that the audit proves the two equal, and never proves a mutation.
"""

from __future__ import annotations

import itertools
import os
import random

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.audit.post import StepStatus, check_step
from derive.audit.results import AuditSettings
from derive.render.latex import to_latex

VALID, WRONG, NOT_READ = StepStatus.VALID, StepStatus.WRONG, StepStatus.NOT_READ
VECTORS = "vector u k; vector v k; vector h d; vector w d; matrix M k k; matrix V c d"


def status(step: str, *given: str, budget: float = 5.0) -> StepStatus:
    audit = AuditSettings(budget=budget)
    return check_step(step, given=given or (VECTORS,), settings=audit).steps[0].status


@pytest.mark.parametrize(("step", "want"), [
    # ⊙: entry by entry, of one shape.
    (r"u \odot v = v \odot u", VALID),
    (r"(u \odot v)_j = u_j v_j", VALID),
    (r"u \circ (1 - v) = u - u \odot v", VALID),
    (r"u \odot (1 - v) = u - v", WRONG),
    (r"(u \odot v)_j = u_j + v_j", WRONG),
    (r"u \odot h = h \odot u", NOT_READ),                     # lengths k and d
    # diag and tr.
    (r"\left[\operatorname{diag}(u)\right]_{ij} = u_i \delta_{ij}", VALID),
    (r"\operatorname{diag}(u) v = u \odot v", VALID),
    (r"\operatorname{diag}(u) v = u + v", WRONG),
    (r"\operatorname{tr}(\operatorname{diag}(u)) = \sum_{i=1}^{k} u_i", VALID),
    (r"\operatorname{tr}(M) = \sum_{i=1}^{k} M_{ii}", VALID),
    (r"\operatorname{tr}(M^T) = \operatorname{tr}(M)", VALID),
    (r"\operatorname{tr}(M) = \sum_{i=1}^{k} M_{i1}", WRONG),
    (r"\operatorname{tr}(V) = 0", NOT_READ),                   # c×d is not square
    # Norms.
    (r"\|u\|^2 = \sum_{i=1}^{k} u_i^2", VALID),
    (r"\|u\|_2^2 = u^T u", VALID),
    (r"\|u\|^2 = \sum_{i=1}^{k} u_i", WRONG),
    (r"\|M\|_F^2 = \operatorname{tr}(M^T M)", VALID),
    (r"\|M\|_F^2 = \operatorname{tr}(M M)", WRONG),
    # The vector of ones, and 1 where a vector is meant.
    (r"\mathbf{1}^T u = \sum_{i=1}^{k} u_i", VALID),
    (r"\mathbf{1}^T u = \sum_{i=1}^{k} u_i^2", WRONG),
    (r"u - \mathbf{1} = u - 1", VALID),
    (r"(1 - h \odot h)_r = 1 - h_r^2", VALID),
    (r"(1 - h \odot h)_r = 1 - h_r", WRONG),
    # Entries of matrix expressions.
    (r"\left[V^T (w - 1)\right]_r = \sum_{i=1}^{c} V_{ir} (w_i - 1)", NOT_READ),   # V^T is d×c, w has d
    (r"\left[V h\right]_i = \sum_{r=1}^{d} V_{ir} h_r", VALID),
    (r"\left[V h\right]_i = \sum_{r=1}^{d} V_{ri} h_r", WRONG),                    # the indices swapped (c = d)
    (r"\left[u v^T\right]_{ab} = u_a v_b", VALID),
])
def test_the_notation_of_real_posts(step: str, want: StepStatus) -> None:
    assert status(step) is want


def test_an_outer_product_with_its_indices_swapped_is_wrong_off_the_diagonal() -> None:
    # u_b v_a is [u vᵀ]_{ab} when a = b: a post may be speaking of that case, so the case meant is declared.
    swapped = r"\left[u v^T\right]_{ab} = u_b v_a"
    assert status(swapped, VECTORS, r"assume a \neq b") is WRONG
    assert status(swapped) is StepStatus.UNDECIDED


@pytest.mark.parametrize(("step", "want"), [
    # ∂ŷ/∂z, the Jacobian (numerator layout: entry (a, b) is ∂ŷ_a/∂z_b).
    (r"\frac{\partial \hat{y}}{\partial z} = \operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T", VALID),
    (r"\frac{\partial \hat{y}}{\partial z} = \operatorname{diag}(\hat{y}) + \hat{y}\hat{y}^T", WRONG),
    (r"\frac{\partial \hat{y}}{\partial z} = \operatorname{diag}(\hat{y}) - \hat{y}^T\hat{y}", NOT_READ),
    # softmax of a vector expression.
    (r"\mathrm{softmax}(z + a) = \mathrm{softmax}(z)", VALID),
    (r"\mathrm{softmax}(z + a) = \mathrm{softmax}(z) + a", WRONG),
    (r"\mathrm{softmax}(z/T)_j = \frac{e^{z_j/T}}{\sum_{n=1}^{k} e^{z_n/T}}", VALID),
    (r"\mathrm{softmax}(z/T)_j = \frac{e^{z_j}}{\sum_{n=1}^{k} e^{z_n/T}}", WRONG),
    # CE of vector expressions: temperature and label smoothing.
    (r"\frac{\partial\, \mathrm{CE}(y, \mathrm{softmax}(z/T))}{\partial z} = \tfrac{1}{T}(\mathrm{softmax}(z/T) - y)",
     VALID),
    (r"\frac{\partial\, \mathrm{CE}(y, \mathrm{softmax}(z/T))}{\partial z} = \mathrm{softmax}(z/T) - y", WRONG),
    (r"\frac{\partial\, \mathrm{CE}((1-\epsilon)y + \epsilon/k, \hat{y})}{\partial z} = "
     r"\hat{y} - \big((1-\epsilon)y + \tfrac{\epsilon}{k}\big)", VALID),
    (r"\frac{\partial\, \mathrm{CE}((1-\epsilon)y + \epsilon/k, \hat{y})}{\partial z} = \hat{y} - y", WRONG),
])
def test_jacobians_and_functions_of_vector_expressions(step: str, want: StepStatus) -> None:
    assert status(step, "logits z", "labels y soft", r"scalar a T \epsilon", "assume T > 0",
                  r"assume 0 < \epsilon < 1") is want


MLP = ("vector x p", "matrix W d p", "matrix V c d", "vector y c", "labels y soft",
       r"define h_r = \tanh\Big(\sum_{q=1}^{p} W_{rq} x_q\Big)", r"define s_i = \sum_{r=1}^{d} V_{ir} h_r",
       r"define \hat{y}_i = \frac{e^{s_i}}{\sum_{n=1}^{c} e^{s_n}}", r"define L = -\sum_{m=1}^{c} y_m \log \hat{y}_m")


@pytest.mark.parametrize(("rhs", "want"), [
    (r"((V^T(\hat{y} - y)) \odot (1 - h \odot h)) x^T", VALID),
    (r"((V^T(\hat{y} - y)) \odot (1 - h)) x^T", WRONG),              # tanh' is 1 - h², not 1 - h
    (r"((V^T(y - \hat{y})) \odot (1 - h \odot h)) x^T", WRONG),      # the sign
    (r"((V(\hat{y} - y)) \odot (1 - h \odot h)) x^T", NOT_READ),      # the transpose missing: c×d times c
    (r"(V^T(\hat{y} - y)) \odot (1 - h \odot h) x^T", NOT_READ),      # ⊙ next to a product: write parentheses
])
def test_the_tanh_network_gradient_in_matrix_form(rhs: str, want: StepStatus) -> None:
    # A generous budget: the proof takes seconds, more when the machine is busy.
    assert status(rf"\frac{{\partial L}}{{\partial W}} = {rhs}", *MLP, budget=30.0) is want


def test_definitions_mean_the_same_in_any_order() -> None:
    # ŷ defined from s before s is: ŷ still has s's length c, never the default k.
    later = (*MLP[:5], MLP[7], MLP[5], MLP[6], MLP[8])
    step = r"\frac{\partial L}{\partial V} = (\hat{y} - y) h^T"
    assert status(step, *MLP) is VALID
    assert status(step, *later) is VALID
    assert status(r"\frac{\partial L}{\partial V} = (y - \hat{y}) h^T", *later) is WRONG


# -- property: matrix notation against its entries written out --------------------------------------

K = sp.Symbol("k", integer=True, positive=True)
_fresh = itertools.count()


def _bound() -> sp.Symbol:
    return sp.Symbol(f"{'mnqrst'[next(_fresh) % 6]}", integer=True)


U, V, M = (sp.IndexedBase(n, real=True) for n in "uvM")


@st.composite
def vector_expressions(draw: st.DrawFn, depth: int = 0) -> tuple[str, object]:
    """(LaTeX in matrix notation, entry: index -> SymPy expression)."""
    leaves = [("u", lambda i: U[i]), ("v", lambda i: V[i])]
    if depth >= 2:
        return draw(st.sampled_from(leaves))
    kind = draw(st.sampled_from(["leaf", "hadamard", "matvec", "diag", "ones", "sum"]))
    if kind == "leaf":
        return draw(st.sampled_from(leaves))
    a_tex, a = draw(vector_expressions(depth + 1))
    if kind == "matvec":
        def matvec(i: sp.Expr, a: object = a) -> sp.Expr:
            x = _bound()
            return sp.Sum(M[i, x] * a(x), (x, 1, K))  # type: ignore[operator]
        return rf"M ({a_tex})", matvec
    if kind == "ones":
        return rf"(1 - {a_tex})", lambda i, a=a: 1 - a(i)  # type: ignore[operator]
    b_tex, b = draw(vector_expressions(depth + 1))
    if kind == "hadamard":
        return rf"(({a_tex}) \odot ({b_tex}))", lambda i, a=a, b=b: a(i) * b(i)  # type: ignore[operator]
    if kind == "diag":
        return rf"\operatorname{{diag}}({a_tex}) ({b_tex})", lambda i, a=a, b=b: a(i) * b(i)  # type: ignore[operator]
    # a + 2b: never a scalar (u + (1 - u) would cancel to 1 as it is read)
    return rf"({a_tex} + 2 {b_tex})", lambda i, a=a, b=b: a(i) + 2 * b(i)  # type: ignore[operator]


J = sp.Symbol("j", integer=True, positive=True)


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two entries agree at k = 3, j = 2 and random values (bound indices named apart)."""
    rng = random.Random(7)
    values = {base[i]: sp.Rational(rng.randint(-9, 9), 7) for base in (U, V) for i in range(1, 4)}
    values.update({M[i, j]: sp.Rational(rng.randint(-9, 9), 5) for i in range(1, 4) for j in range(1, 4)})
    at = {K: 3, J: 2}
    def value(e: sp.Expr) -> sp.Expr:
        return sp.simplify(e.xreplace(at).doit().xreplace(values))
    return bool(value(a) == value(b))


# A quarter of the profile's examples (25 in the default run, 500 with HYPOTHESIS_PROFILE=thorough);
# the default run draws the same ones every time.
@settings(max_examples=settings.default.max_examples // 4, deadline=None,
          derandomize=os.environ.get("HYPOTHESIS_PROFILE") != "thorough",
          suppress_health_check=[HealthCheck.too_slow])
@given(vector_expressions(), st.sampled_from(["sign", "constant", "swap"]))
def test_matrix_notation_equals_its_entries_written_out(drawn: tuple[str, object], mutation: str) -> None:
    tex, entry = drawn
    explicit = sp.expand(entry(J))  # type: ignore[operator]
    step = rf"\left[{tex}\right]_j = {to_latex(explicit)}"
    report = check_step(step, given=("vector u k; vector v k; matrix M k k",))
    assert report.steps[0].status is VALID, (step, report.steps[0].reason)
    wrong = {"sign": -explicit, "constant": explicit + 1, "swap": explicit.xreplace({U: V, V: U})}[mutation]
    if _same(wrong, explicit):
        return  # the mutation left it unchanged (u and v in symmetric roles): nothing to refute
    mutated = check_step(rf"\left[{tex}\right]_j = {to_latex(sp.expand(wrong))}",
                         given=("vector u k; vector v k; matrix M k k",))
    assert mutated.steps[0].status is not VALID, mutated.steps[0].text
