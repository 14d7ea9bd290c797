"""The LaTeX reader: the notation of the seeds, damaged text, and never an escape or a hang."""

from __future__ import annotations

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.audit.reader import ReaderContext, ReadError, read_latex, read_membership, split_chain, split_chains_spans

z, y, yhat = (sp.IndexedBase(n, real=True) for n in ("z", "y", "yhat"))
j, k, ell = (sp.Symbol(n, integer=True, positive=True) for n in ("j", "k", "ell"))


def test_subscripts_are_indexed_objects_and_sums_mean_what_they_say() -> None:
    n = sp.Symbol("n", integer=True)
    assert read_latex(r"\frac{e^{z_j}}{\sum_{n=1}^k e^{z_n}}") == sp.exp(z[j]) / sp.Sum(sp.exp(z[n]), (n, 1, k))
    assert read_latex(r"\Sigma^k_{n=1} e^{z_n}") == sp.Sum(sp.exp(z[n]), (n, 1, k))
    assert read_latex(r"\hat{y}_j - y_j") == yhat[j] - y[j]
    assert read_latex(r"\ln \hat{y}_j") == sp.log(yhat[j])


def test_derivatives_and_exclusions() -> None:
    assert read_latex(r"\frac{\partial \hat{y}_j}{\partial z_j}") == sp.Derivative(yhat[j], z[j])
    assert read_latex(r"\nabla_{z_j} \hat{y}_j") == sp.Derivative(yhat[j], z[j])
    i = sp.Symbol("i", integer=True, positive=True)
    # A sample index is kept by default: z^{(1)} and z^{(2)} are different entries.
    assert read_latex(r"\nabla_{z^{(i)}_j} y^{(i)}_j") == sp.Derivative(y[i, j], z[i, j])
    excluded = read_latex(r"\sum_{\substack{j=1 \\ j \neq \ell}}^k y_j")
    jb = sp.Symbol("j", integer=True)
    assert excluded == sp.Sum((1 - sp.KroneckerDelta(ell, jb)) * y[jb], (jb, 1, k))


def test_functions_of_the_seeds() -> None:
    assert read_latex(r"\text{softmax}(z)_j") == sp.Function("softmax")(sp.Symbol("z", real=True), j)
    assert read_latex(r"\operatorname{softmax}(z_j)") == read_latex(r"\text{softmax}(z)_j")
    assert read_latex(r"\boxed{\hat{y}_j}") == yhat[j]
    assert read_latex(r"\left( a \cdot b \right)") == sp.Symbol("a", real=True) * sp.Symbol("b", real=True)


def test_chains_split_into_sides_with_their_offsets() -> None:
    assert split_chain(r"\begin{align*} f &= g \\ &= h \end{align*}") == ["f", "g", "h"]
    assert split_chains_spans("a = b") == [[("a", 0), ("b", 4)]]
    assert split_chain(r"x = y \quad (\text{chain rule})") == ["x", "y"]


def test_memberships_give_shapes() -> None:
    m = read_membership(r"A \in \mathbb{R}^{d \times p}")
    assert m.name == "A" and [str(d) for d in m.shape] == ["d", "p"]


def test_lost_backslashes_are_named_with_the_column() -> None:
    try:
        read_latex(r"rac{d\sigma}{d heta_j}")
    except ReadError as exc:
        assert exc.column == 1 and r"\frac" in str(exc)
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("damaged text must not be read")


def test_the_reader_never_runs_code() -> None:
    # SymPy's own parsers eval; ours reads __import__ as letters and fails cleanly.
    for text in ("__import__('os').system('echo hi')", "9**9**9**9", "lambda: 1"):
        try:
            read_latex(text)
        except ReadError:
            pass


_LATEX_PIECES = st.sampled_from([
    r"\frac{", "}", "{", r"\sum_{n=1}^k", r"\partial", r"\hat{y}_j", "z_j", "e^{", r"\log", "(", ")",
    r"\left(", r"\right)", "^", "_", "+", "-", r"\cdot", "=", r"\\", "&", r"\text{softmax}", r"\substack{",
    r"\neq", r"\ell", "x", "2", r"\nabla_{z}", r"\begin{align*}", r"\end{align*}", "rac{", "heta", "'",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LATEX_PIECES, max_size=30).map(" ".join))
def test_random_latex_never_escapes_the_reader(text: str) -> None:
    for fn in (read_latex, split_chain):
        try:
            fn(text)
        except ReadError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_the_reader(text: str) -> None:
    try:
        read_latex(text, context=ReaderContext())
    except ReadError:
        pass


_SEED_LINE = r"\frac{\partial \text{CE}}{\partial z_j} = -\sum_{n=1}^k y_n \frac{\partial}{\partial z_j} \log \hat{y}_n"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_seed_lines_never_escape_the_reader(data: st.DataObject) -> None:
    text = list(_SEED_LINE)
    for _ in range(data.draw(st.integers(1, 6))):
        where = data.draw(st.integers(0, len(text) - 1))
        action = data.draw(st.sampled_from(["delete", "insert", "swap"]))
        if action == "delete" and len(text) > 1:
            del text[where]
        elif action == "insert":
            text.insert(where, data.draw(st.sampled_from(list("{}()\\^_=&$ a1"))))
        else:
            other = data.draw(st.integers(0, len(text) - 1))
            text[where], text[other] = text[other], text[where]
    mutated = "".join(text)
    for fn in (split_chain, read_latex):
        try:
            fn(mutated)
        except ReadError:
            pass


def test_pathological_input_is_refused_not_hung() -> None:
    from derive.engine.budget import run_with_budget

    def attempt(text: str) -> str:
        try:
            read_latex(text)
        except ReadError as exc:
            return str(exc)
        return "read"

    # A hang would exceed the budget and fail the test (BudgetExceeded), not stall the suite.
    for text in ("{" * 5000 + "x" + "}" * 5000, "x^" * 3000 + "x", r"\frac{" * 400, "9" * 100 + "^" + "9" * 100,
                 "a" * 30_000, r"\left(" * 2000):
        outcome = run_with_budget(lambda t=text: attempt(t), 10.0, what="reading pathological LaTeX")
        assert outcome != "read" or len(text) < 30_000


def test_products_of_declared_arrays_keep_their_written_order() -> None:
    from derive.audit.reader import MATMUL

    ctx = ReaderContext(vectors=frozenset({"x", "y", "yhat"}), matrices=frozenset({"A", "B"}))
    product = read_latex("B A x", context=ctx)
    assert product.func == MATMUL and str(product) == "matmul(B, A, x)"
    assert str(read_latex("x^T A^T", context=ctx)) == "matmul(T(x), T(A))"
    assert read_latex("B A x", context=ctx) != read_latex("A B x", context=ctx)
    # One array among scalars, or nothing declared: SymPy's commutative product as before.
    assert isinstance(read_latex("2 c x", context=ctx), sp.Mul)
    assert read_latex("B A x") == read_latex("A B x")
