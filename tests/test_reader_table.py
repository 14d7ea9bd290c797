"""The reader on the notation of real posts, class by class: each row is what a side means, or why it is not read.

Every class of misreading found in issue #12 has at least three rows here, so the next
one of its kind fails a row rather than reaching a user as a false "valid".
"""

from __future__ import annotations

import pytest
import sympy as sp

from derive.audit.reader import (
    DIAG,
    ENTRY,
    EXPECT,
    HADAMARD,
    MATMUL,
    NORM,
    ONES,
    TRACE,
    TRANSPOSE,
    ReaderContext,
    ReadError,
    read_latex,
    split_chain,
)
from derive.render.latex import to_latex

z, y, W, x_, v, h, delta = (sp.IndexedBase(n, real=True) for n in ("z", "y", "W", "x", "v", "h", "delta"))
i, j, k, a, b, ell, l_ = (sp.Symbol(n, integer=True, positive=True) for n in ("i", "j", "k", "a", "b", "ell", "l"))
n = sp.Symbol("n", integer=True)
xs, ws, bs, cs, As = (sp.Symbol(s, real=True) for s in ("x", "w", "b", "c", "A"))
ARRAYS = ReaderContext(vectors=frozenset({"v", "h", "z", "x"}), matrices=frozenset({"A", "B", "W"}))
SCALAR_A = ReaderContext(scalars=frozenset({"a"}))

# (text, context, along, expected)
MEANINGS: list[tuple[str, ReaderContext | None, tuple[str, ...], sp.Basic]] = [
    # A space or a command inside a subscript separates indices; it is never a product.
    (r"W_{i j}", None, (), W[i, j]),
    (r"W_{ij}", None, (), W[i, j]),
    (r"W_{i,j}", None, (), W[i, j]),
    (r"W_{a\ell}", None, (), W[a, ell]),
    (r"{W}_{i,j}", None, (), W[i, j]),
    (r"W_{i\,j}", None, (), W[i, j]),
    # \delta with two indices is Kronecker's, however they are separated.
    (r"\delta_{n\ell}", None, (), sp.KroneckerDelta(sp.Symbol("n", integer=True, positive=True), ell)),
    (r"\delta_{n,\ell}", None, (), sp.KroneckerDelta(sp.Symbol("n", integer=True, positive=True), ell)),
    (r"\delta_{i j}", None, (), sp.KroneckerDelta(i, j)),
    # A number in parentheses in a superscript labels a layer: part of the name (issue 20), unless a
    # samples declaration makes it the sample; a letter is an index (sample, layer) and is kept.
    (r"z^{(1)}_j", None, (), sp.IndexedBase("z^(1)", real=True)[j]),
    (r"z^{(2)}_j", None, (), sp.IndexedBase("z^(2)", real=True)[j]),
    (r"z^{(2)}_j", ReaderContext(numbered_samples=True), (), z[2, j]),
    (r"W^{(l)}_{ij}", None, (), W[l_, i, j]),
    (r"x^{(i)}", None, (), x_[i]),
    # ... and dropped only when the context allows it and the step speaks of one free sample.
    (r"z^{(i)}_j", ReaderContext(drop_sample_index=True), (r"y^{(i)}_j",), z[j]),
    (r"z^{(1)}_j", ReaderContext(drop_sample_index=True, numbered_samples=True), (r"z^{(2)}_j",), z[1, j]),
    (r"z^{(i)}_j", ReaderContext(drop_sample_index=True), (r"\sum_{i=1}^{N} z^{(i)}_j",), z[i, j]),
    # An unknown name followed by ( applies a function; a value used as such multiplies.
    (r"\operatorname{gelu}(a+b)", None, (), sp.Function("gelu")(sp.Symbol("a", real=True) + bs)),
    (r"\text{gelu}(x)", None, (), sp.Function("gelu")(xs)),
    (r"\Phi(2x)", None, (), sp.Function("Phi")(2 * xs)),
    (r"g(x)", None, (), sp.Function("g")(xs)),
    (r"a(b+c)", SCALAR_A, (), sp.Symbol("a", real=True) * (bs + cs)),
    (r"a(b+c)", None, ("ab + ac",), sp.Symbol("a", real=True) * (bs + cs)),
    (r"x \left(w + x\right)", None, (), xs * (ws + xs)),
    # A letter that is a sum's limit anywhere in the step is one size everywhere in it.
    (r"n", None, (r"\sum_{i=1}^{n} 1",), sp.Symbol("n", integer=True, positive=True)),
    (r"m", None, (r"\prod_{t=1}^{m} 2",), sp.Symbol("m", integer=True, positive=True)),
    (r"T + 1", None, (r"\sum_{t=1}^{T} x_t",), sp.Symbol("T", integer=True, positive=True) + 1),
    (r"\sum_{i=1}^{n} 1", None, (), sp.Sum(1, (sp.Symbol("i", integer=True), 1,
                                              sp.Symbol("n", integer=True, positive=True)))),
    # Elementwise products keep their order and never become SymPy's Mul.
    (r"h \odot h", ARRAYS, (), HADAMARD(h, h)),
    (r"a \circ b", None, (), HADAMARD(sp.Symbol("a", real=True), bs)),
    (r"(1 - h \odot h)", ARRAYS, (), 1 - HADAMARD(h, h)),
    (r"(a \odot b) c", None, (), HADAMARD(sp.Symbol("a", real=True), bs) * cs),
    # diag, trace, norms, absolute values.
    (r"\operatorname{diag}(v)", ARRAYS, (), DIAG(v.label)),
    (r"\operatorname{tr}(A)", None, (), TRACE(As)),
    (r"\mathrm{tr}(A)", None, (), TRACE(As)),
    (r"\|v\|^2", ARRAYS, (), NORM(v) ** 2),
    (r"\|v\|_2^2", ARRAYS, (), NORM(v) ** 2),
    (r"\left\| v \right\|", ARRAYS, (), NORM(v)),
    (r"\lVert v \rVert_2", ARRAYS, (), NORM(v)),
    (r"|x|", None, (), sp.Abs(xs)),
    (r"\lvert x \rvert", None, (), sp.Abs(xs)),
    (r"\left| x - w \right|^2", None, (), sp.Abs(xs - ws) ** 2),
    # An entry of a bracketed vector or matrix expression.
    (r"\left[(v - h) x^T\right]_{a b}", ARRAYS, (), ENTRY(MATMUL(v - h, TRANSPOSE(x_)), a, b)),
    (r"(v - h)_j", ARRAYS, (), ENTRY(v - h, j)),
    (r"[A]_{ij}^2", None, (), ENTRY(As, i, j) ** 2),
    # Elementwise functions of a whole vector; ReLU is max(0, x).
    (r"\tanh(z)", ARRAYS, (), sp.tanh(z)),
    (r"\exp(z)", ARRAYS, (), sp.exp(z)),
    (r"\sqrt{z}", ARRAYS, (), sp.sqrt(z)),
    (r"\operatorname{ReLU}(x)", None, (), sp.Max(0, xs)),
    (r"\text{relu}(w)", None, (), sp.Max(0, ws)),
    # Expectations, when the context declares them.
    (r"\mathbb{E}[x]", ReaderContext(expectations=True), (), EXPECT(xs)),
    (r"\mathbb{E}_{w}[x w]", ReaderContext(expectations=True), (), EXPECT(xs * ws, ws)),
    (r"\mathbb{E}\left[x^2\right] - 1", ReaderContext(expectations=True), (), EXPECT(xs ** 2) - 1),
    # The vector of ones.
    (r"\mathbf{1}", None, (), ONES()),
    (r"\mathbb{1}", None, (), ONES()),
    (r"\boldsymbol{1}", None, (), ONES()),
    (r"\mathbf{1}^T v", ARRAYS, (), MATMUL(TRANSPOSE(ONES()), v)),
    # Transposes, however they are written.
    (r"v^T", ARRAYS, (), TRANSPOSE(v)),
    (r"v^\top", ARRAYS, (), TRANSPOSE(v)),
    (r"v^{\intercal}", ARRAYS, (), TRANSPOSE(v)),
    (r"v^{\mathsf{T}}", ARRAYS, (), TRANSPOSE(v)),
    # An operator ∂/∂x takes the product that follows; a bracketed one only its bracket.
    (r"\left(\frac{\partial}{\partial z_i} e^{z_i}\right) \sum_{n=1}^{k} e^{z_n}", None, (),
     sp.Derivative(sp.exp(z[i]), z[i]) * sp.Sum(sp.exp(z[n]), (n, 1, k))),
    (r"\frac{\partial}{\partial z_i} e^{z_i} \sum_{n=1}^{k} e^{z_n}", None, (),
     sp.Derivative(sp.exp(z[i]) * sp.Sum(sp.exp(z[n]), (n, 1, k)), z[i])),
    (r"\sum_{n=1}^{k} - z_n", None, (), sp.Sum(-z[n], (n, 1, k))),
]


@pytest.mark.parametrize(("text", "context", "along", "expected"), MEANINGS,
                         ids=[f"{row[0]}{' | ' + row[2][0] if row[2] else ''}" for row in MEANINGS])
def test_each_notation_means_what_it_says(text: str, context: ReaderContext | None, along: tuple[str, ...],
                                          expected: sp.Basic) -> None:
    assert read_latex(text, context=context, along=along) == expected


# (text, context, along, words the reason must contain)
REFUSALS: list[tuple[str, ReaderContext | None, tuple[str, ...], tuple[str, ...]]] = [
    # Undefined values are never read, so they can never be proved equal.
    (r"\frac{1}{0}", None, (), ("division by zero", "column 9")),
    (r"\frac{2}{0}", None, (), ("division by zero",)),
    (r"x / 0", None, (), ("division by zero",)),
    (r"0^{-1}", None, (), ("power of zero",)),
    (r"\log 0", None, (), ("defined value",)),
    (r"\infty", None, (), ("finite value", "column 1")),
    (r"\infty + 1", None, (), ("finite value",)),
    # A single letter before ( is a product or a function; only a declaration can say.
    (r"a(b+c)", None, (), ("scalar a", "product", "function")),
    (r"\lambda(w + v)", None, (), ("scalar \\lambda", "product")),
    (r"t(1 - s)", ReaderContext(), ("s",), ("scalar t",)),
    # Juxtaposition next to ⊙ is ambiguous.
    (r"a \odot b c", None, (), ("parentheses", "\\odot")),
    (r"c\, a \circ b", None, (), ("parentheses",)),
    (r"h \odot W h", ARRAYS, (), ("parentheses",)),
    (r"(f \circ g)(x)", None, (), ("composition",)),
    # Indices that could be one product or two indices.
    (r"x_{2i}", None, (), ("_{2,i}", "column 3")),
    (r"W_{1 j}", None, (), ("commas",)),
    (r"W_{i 2}", None, (), ("commas",)),
    # Expectations and norms other than the 2-norm are not read.
    (r"\mathbb{E}[x]", None, (), ("expectation",)),
    (r"\mathbb{E}_{x} x^2", None, (), ("expectation",)),
    (r"\|v\|_1", ARRAYS, (), ("2-norm",)),
    (r"\|v\|_\infty", ARRAYS, (), ("2-norm",)),
]


@pytest.mark.parametrize(("text", "context", "along", "words"), REFUSALS, ids=[row[0] for row in REFUSALS])
def test_what_cannot_be_read_is_refused_with_the_reason(text: str, context: ReaderContext | None,
                                                        along: tuple[str, ...], words: tuple[str, ...]) -> None:
    with pytest.raises(ReadError) as caught:
        read_latex(text, context=context, along=along)
    for word in words:
        assert word in str(caught.value), f"{word!r} not in {caught.value}"


# (display, sides or None when the display is not read)
ANNOTATIONS: list[tuple[str, list[str] | None]] = [
    (r"\frac{d}{dx} x^2 = 2x \quad (x + 5)", None),
    (r"x = 2x \text{ for all } x + 5", None),
    (r"a = b \quad \text{where } b = 2", None),
    (r"a = b \quad (\text{chain rule}) c", None),
    (r"a = b \quad \text{chain rule}", ["a", "b"]),
    (r"a = b \quad (\text{chain rule})", ["a", "b"]),
    (r"a = b \quad (\text{where } b = c + 1)", ["a", "b"]),
    (r"a &= b && \text{by (3)}", ["a", "b"]),
    (r"a = b \tag{3}", ["a", "b"]),
    (r"a = b \label{eq:ab}", ["a", "b"]),
    (r"a = b \nonumber \\", ["a", "b"]),
    (r"a = b.", ["a", "b"]),
    (r"a = b,", ["a", "b"]),
    (r"a_i = b_i \quad \text{for all } i", ["a_i", "b_i"]),
    (r"a_{ij} = b_{ij} \quad \text{for all } i, j.", ["a_{ij}", "b_{ij}"]),
    (r"a = b \quad \text{for all } ij", None),
]


@pytest.mark.parametrize(("display", "sides"), ANNOTATIONS, ids=[row[0] for row in ANNOTATIONS])
def test_annotations_are_only_the_listed_forms(display: str, sides: list[str] | None) -> None:
    if sides is None:
        with pytest.raises(ReadError, match="annotation"):
            split_chain(display)
        with pytest.raises(ReadError, match="annotation"):
            read_latex(display.split("=", 1)[1])
    else:
        assert split_chain(display) == sides


@pytest.mark.parametrize("expr", [
    sp.Derivative(sp.exp(z[i]), z[i]) * sp.Sum(sp.exp(z[n]), (n, 1, k)),
    sp.Derivative(sp.exp(z[i]), z[j]) * sp.Sum(sp.exp(z[n]), (n, 1, k)) - sp.exp(z[i]) * sp.Derivative(
        sp.Sum(sp.exp(z[n]), (n, 1, k)), z[j]),
    sp.Derivative(xs * ws, xs) * ws,
    sp.KroneckerDelta(i, j) * sp.exp(z[i]),
])
def test_what_derive_writes_reads_back_the_same(expr: sp.Expr) -> None:
    """The proof printer's operator forms and index lists read back to the printed expression."""
    assert read_latex(to_latex(expr)) == expr


# (display, the chains' sides, the condition's text or None)
CONDITIONS: list[tuple[str, list[list[str]], str | None]] = [
    (r"a = b \quad (i = j)", [["a", "b"]], "i = j"),
    (r"a = b \quad \left(j \neq \ell\right).", [["a", "b"]], r"j \neq \ell"),
    (r"a = b \quad \text{for } j \neq \ell", [["a", "b"]], r"j \neq \ell"),
    (r"a &= b \quad (i = t) \\ &= c", [["a", "b", "c"]], "i = t"),
    (r"\hat{y}_j - y_j \quad (\textstyle\sum_m y_m = 1)", [[r"\hat{y}_j - y_j"]], r"\textstyle\sum_m y_m = 1"),
    (r"a = b \quad (\text{where } b = 1)", [["a", "b"]], None),
]


@pytest.mark.parametrize(("display", "chains", "condition"), CONDITIONS, ids=[row[0] for row in CONDITIONS])
def test_a_condition_is_handed_over_never_dropped(display: str, chains: list[list[str]],
                                                  condition: str | None) -> None:
    from derive.audit.reader import split_chains_conditions

    found = split_chains_conditions(display)
    assert [[side for side, _ in chain] for chain, _ in found] == chains
    assert [c[0] if c else None for _, c in found] == [condition]
    if condition is not None:
        with pytest.raises(ReadError, match="condition"):
            split_chain(display)  # a caller that cannot apply the condition does not read the chain


def test_two_conditions_in_one_chain_are_not_read() -> None:
    from derive.audit.reader import split_chains_conditions

    with pytest.raises(ReadError, match="one condition"):
        split_chains_conditions(r"a &= b \quad (i = j) \\ &= c \quad (i \neq j)")


@pytest.mark.parametrize(("side", "name"), [
    ("x", "x"), ("L_n", "L"), (r"s_{nj}", "s"), (r"\hat{y}_j", "yhat"), (r"z^{(i)}_j", "z"), (r"\lambda", "lambda"),
    ("x + 0", None), ("x^2", None), ("2x", None), ("xy", None), (r"\sigma(z)", None), (r"\hat{y}^2", None),
])
def test_a_side_is_a_name_as_written_not_after_simplifying(side: str, name: str | None) -> None:
    from derive.audit.reader import written_name

    assert written_name(side) == name


@pytest.mark.parametrize(("step", "given", "status"), [
    # The false steps: never valid.
    # Declared, the arrays are anything of their shape: refuted. (Undeclared, the prose might
    # make W symmetric: undecided, never valid.)
    (r"W_{i j} = W_{j i}", ("matrix W k k", r"assume i \neq j"), "wrong"),  # i = j is a case it holds in
    (r"W_{i j} = W_{j i}", (), "undecided"),
    (r"z^{(1)}_j = z^{(2)}_j", ("samples N n; vector z k per sample",), "wrong"),
    (r"z^{(1)}_j = z^{(2)}_j", (), "undecided"),
    (r"\Phi(2x) = 2\Phi(x)", (), "undecided"),
    (r"\frac{1}{0} = \frac{2}{0}", (), "not read"),
    # True steps: never wrong; a declaration picks the product reading.
    (r"\sum_{i=1}^{n} 1 = n", (), "valid"),
    (r"\lambda(w + v) = \lambda w + \lambda v", (), "valid"),
    (r"a(b + c) = 2", ("scalar a b c",), "wrong"),
    (r"\lambda(w + v) = 2 w", (r"scalar \lambda w v",), "wrong"),
])
def test_steps_through_the_audit(step: str, given: tuple[str, ...], status: str) -> None:
    from derive.audit.post import check_step

    (checked,) = check_step(step, given=given).steps
    assert checked.status.value == status, checked.reason


def test_a_number_in_the_subscript_of_a_declared_matrix_is_its_own_index() -> None:
    # V_{a1} of a declared matrix is V[a, 1]; undeclared, x_{2i} could be x[2, i] or x[2i]: not read,
    # and the reason spells both ways with the items the post wrote.
    from derive.audit.post import check_step

    (declared,) = check_step(r"\sum_{a=1}^{k} V_{a1} = \sum_{a=1}^{c} V_{a,1}", given=("same c k; matrix V c d",)).steps
    assert declared.status.value == "valid", declared.reason
    (undeclared,) = check_step(r"x_{2i} = x_{i2}").steps
    assert undeclared.status.value == "not read"
    assert "`_{2,i}`" in undeclared.reason and r"`_{2 \cdot i}`" in undeclared.reason


def test_a_display_scaled_to_the_text_width_is_read_like_the_display_itself() -> None:
    # derive's own PDFs wrap a chain wider than the page in \resizebox: layout, never a reason to skip it.
    from derive.audit.post import audit_text

    text = ("% derive: scalar x\n\\[ \\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}"
            "{$\\displaystyle \\begin{aligned}\n(x + 1)^2 &= x^2 + 2 x + 1 \\\\\n  &= x^2 + 1\n"
            "\\end{aligned}$} \\]\n")
    statuses = [s.status.value for s in audit_text(text, path="post.tex").steps]
    assert statuses == ["valid", "wrong"]
