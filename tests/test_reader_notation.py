"""The notation of real posts: each form is read as its plain form, or refused with a reason that names the fix.

The groups follow docs/reading-notation.md: display environments, typography, sums over sets,
derivative notations, environments of entries, indicators and application, and the prose's inline
statements. A Hypothesis differential test draws each notation in several styles and checks that
every style reads to the same expression as the plain form.
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.audit.post import audit_text
from derive.audit.reader import ReadError, read_latex, split_chains
from derive.audit.scan import Display, extract


def statuses(text: str) -> list[tuple[str, str]]:
    return [(s.status.value, s.text) for s in audit_text(text).steps]


# -- 1. display math: GitHub fences and environments ----------------------------------------------------

def test_a_math_fence_is_a_display_and_other_fences_are_code() -> None:
    text = "Intro $a$\n\n```math\nx = y\n```\n\n```python\n$$no = math$$\n```\n$$b = c$$\n"
    displays = [i for i in extract(text) if isinstance(i, Display)]
    assert [d.body.strip() for d in displays] == ["x = y", "b = c"]
    assert displays[0].line == 3 and text[displays[0].offset:].startswith("x = y")


def test_a_math_fence_is_audited_at_its_lines() -> None:
    report = audit_text("Text.\n\n```math\n\\frac{d}{dx} x^2 = 3x\n```\n")
    (step,) = report.steps
    assert (step.line, step.status.value) == (4, "wrong")


@pytest.mark.parametrize("display", [
    "$$\\begin{equation} \\frac{d}{dx} x^2 = 2x \\end{equation}$$",
    "\\begin{gather} \\frac{d}{dx} x^2 = 2x \\\\ \\frac{d}{dx} x^3 = 3x^2 \\end{gather}",
    "\\begin{eqnarray} \\frac{d}{dx} x^2 &=& 2x \\end{eqnarray}",
    "$$\\large \\begin{array}{rcl} \\frac{d}{dx} x^2 &=& 2x \\\\ &=& x + x \\end{array}$$",
    "$$\\begin{array}{ll} \\frac{d}{dx} x^2 &= 2x \\\\ &= x + x, \\end{array}$$",
])
def test_display_environments_are_read_as_chains(display: str) -> None:
    found = statuses(display + "\n")
    assert found and all(status == "valid" for status, _ in found), found


def test_an_array_of_rows_with_equals_is_a_layout_and_a_matrix_is_not() -> None:
    assert split_chains("\\Large \\begin{array}{rcl} a &=& b \\\\ &=& c \\end{array}") == [["a", "b", "c"]]
    with pytest.raises(ReadError):
        read_latex("\\begin{array}{cc} a & b \\\\ c & d \\end{array}")


def test_sizes_before_a_display_are_layout() -> None:
    assert read_latex("\\Large \\displaystyle a + b") == read_latex("a + b")


def test_sech_and_friends_are_functions_and_a_power_before_an_argument_is_refused() -> None:
    z = sp.Symbol("z", real=True)
    assert read_latex("\\mathrm{sech}^2(z)") == sp.sech(z) ** 2
    assert statuses("$$\\frac{d}{dz} \\tanh(z) = \\mathrm{sech}^2(z)$$\n")[0][0] == "valid"
    with pytest.raises(ReadError, match="left\\(gelu"):
        read_latex("\\operatorname{gelu}^2(z)")


# -- 2. typography ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("styled", "plain"), [
    ("\\textbf{X}^\\text T \\textbf{y}", "X^T y"),
    ("\\boldsymbol{\\beta} + \\bm{x}", "\\beta + x"),
    ("\\Large \\displaystyle \\require{cancel} a + b", "a + b"),
    ("\\cancel{a} + \\color{red}{b}", "a + b"),
    ("\\underbrace{a + b}_{\\text{the sum}} c", "(a + b) c"),
    ("\\overbrace{a + b}^{s} c", "(a + b) c"),
    ("\\boxed{a + b}", "a + b"),
    ("{a \\over b} + c", "\\frac{a}{b} + c"),
    ("{a + 1 \\over b}^2", "\\left(\\frac{a + 1}{b}\\right)^2"),
    ("\\sum\\limits_{i=1}^{n} x_i", "\\sum_{i=1}^{n} x_i"),
    ("\\dfrac{1}{2} + \\tfrac{a}{3}", "\\frac{1}{2} + \\frac{a}{3}"),
    ("1 \u2013 x \u2212 y \u00b7 z", "1 - x - y z"),
    ("{\\partial L \\over \\partial z}", "\\frac{\\partial L}{\\partial z}"),
])
def test_typography_reads_as_its_plain_form(styled: str, plain: str) -> None:
    assert read_latex(styled) == read_latex(plain)


def test_a_styled_name_before_a_parenthesis_is_applied_or_refused_never_multiplied_silently() -> None:
    assert read_latex("\\mathcal{J}(a + b)") == sp.Function("J")(*[read_latex("a + b")])
    assert read_latex("{\\cal C}(w)") == sp.Function("C")(read_latex("w"))
    with pytest.raises(ReadError, match="product or a function"):
        read_latex("\\mathbf{W}(a + b)")


def test_over_without_a_side_is_refused_with_the_fix() -> None:
    with pytest.raises(ReadError, match="a \\\\over b"):
        read_latex("{\\over b}")
    with pytest.raises(ReadError, match="one \\\\over"):
        read_latex("{a \\over b \\over c}")


# -- the differential test: every notation in several styles reads as its plain form ----------------------

NAMES = ["x", "w", "y", "\\beta", "\\theta"]
BOLD = ["{0}", "\\mathbf{{{0}}}", "\\boldsymbol{{{0}}}", "\\bm{{{0}}}", "\\textbf{{{0}}}"]


def _styled_name(draw: st.DrawFn, name: str) -> str:
    style = draw(st.sampled_from(BOLD if not name.startswith("\\") else BOLD[:4]))
    return style.format(name)


@st.composite
def notations(draw: st.DrawFn) -> tuple[str, str]:
    """A small formula written plainly, and the same formula in a drawn style."""
    a, b, c = draw(st.lists(st.sampled_from(NAMES), min_size=3, max_size=3))
    form = draw(st.sampled_from(["frac", "sum", "deriv", "operator", "power", "product"]))
    sa, sb, sc = (_styled_name(draw, v) for v in (a, b, c))
    size = draw(st.sampled_from(["", "\\displaystyle ", "\\large ", "\\Large "]))
    if form == "frac":
        plain = f"\\frac{{{a} + {b}}}{{{c}}}"
        styled = draw(st.sampled_from([f"{{{sa} + {sb} \\over {sc}}}", f"\\dfrac{{{sa} + {sb}}}{{{sc}}}",
                                       f"\\tfrac{{{sa} + {sb}}}{{{sc}}}", f"({sa} + {sb}) / {sc}"]))
    elif form == "sum":
        plain = f"\\sum_{{i=1}}^{{n}} {a}_i {b}"
        limits = draw(st.sampled_from(["\\limits", "", "\\nolimits"]))
        styled = f"\\sum{limits}_{{i=1}}^{{n}} {sa}_i {sb}"
    elif form == "deriv":
        plain = f"\\frac{{\\partial {a}}}{{\\partial {b}}}"
        if a == b:
            plain = f"\\frac{{\\partial {a}}}{{\\partial {c}}}"
            b, sb = c, sc
        styled = draw(st.sampled_from([f"{{\\partial {sa} \\over \\partial {sb}}}",
                                       f"\\dfrac{{\\partial {sa}}}{{\\partial {sb}}}"]))
    elif form == "operator":
        plain = f"\\frac{{d}}{{d {a}}} {b}^2"
        styled = draw(st.sampled_from([f"{{d \\over d {sa}}} {sb}^2", f"\\tfrac{{d}}{{d {sa}}} {sb}^2",
                                       f"\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}} {sa}}} {sb}^2"]))
    elif form == "power":
        plain = f"({a} - {b})^2"
        dash = draw(st.sampled_from(["-", "\u2013", "\u2212"]))
        styled = draw(st.sampled_from([f"\\left({sa} {dash} {sb}\\right)^2", f"\\boxed{{({sa} {dash} {sb})^2}}",
                                       f"\\underbrace{{({sa} {dash} {sb})^2}}_{{\\text{{error}}}}"]))
    else:
        plain = f"{a} {b} + {c}"
        styled = draw(st.sampled_from([f"{sa} \\cdot {sb} + {sc}", f"\\cancel{{{sa} {sb}}} + {sc}",
                                       f"\\color{{blue}}{{{sa} {sb}}} + {sc}"]))
    return plain, size + styled


@settings(max_examples=60, deadline=None)
@given(notations())
def test_each_notation_in_every_style_reads_as_its_plain_form(pair: tuple[str, str]) -> None:
    plain, styled = pair
    assert read_latex(styled) == read_latex(plain), pair


def test_a_bold_zero_is_the_zero_vector_and_is_refused_with_the_fix() -> None:
    for text in ("\\mathbf{0}", "\\boldsymbol 0", "\\vec{0}"):
        with pytest.raises(ReadError, match="zero vector"):
            read_latex(text)


def test_a_name_with_a_text_label_is_a_definition() -> None:
    (step,) = audit_text("$$\\boldsymbol w_{\\text{lin}} = a + b$$\n").steps
    assert step.status.value == "definition"


# -- 3. sums over sets and conditions --------------------------------------------------------------------

@pytest.mark.parametrize(("written", "plain"), [
    ("\\sum_{j=1, j \\neq i}^{n} x_j", "\\sum_{\\substack{j=1 \\\\ j \\neq i}}^{n} x_j"),
    ("\\sum_{j=1, j \\neq i}^{n} x_j", "\\sum_{j=1}^{n} x_j - x_i"),
    ("\\sum_{i \\in [n]} x_i", "\\sum_{i=1}^{n} x_i"),
    ("\\sum_{k \\in \\{1, \\dots, K\\}} x_k", "\\sum_{k=1}^{K} x_k"),
    ("\\sum_{k \\in \\{0, \\ldots, K\\}} x_k", "\\sum_{k=0}^{K} x_k"),
    ("\\sum_{i \\in [n], i \\neq j} x_i", "\\sum_{i=1}^{n} x_i - x_j"),
])
def test_sums_over_ranges_and_conditions_read_as_their_plain_sums(written: str, plain: str) -> None:
    n, big_k = sp.Symbol("n", integer=True, positive=True), sp.Symbol("K", integer=True, positive=True)
    i, j = sp.Symbol("i", integer=True, positive=True), sp.Symbol("j", integer=True, positive=True)
    difference = read_latex(written) - read_latex(plain)
    for size in (3, 4):
        point = {n: size, big_k: size, i: 2, j: 2}
        values = {sp.IndexedBase("x", real=True)[q]: sp.Rational(q * q + 1, 7) for q in range(0, size + 1)}
        assert difference.subs(point).doit().subs(values) == 0, (written, plain)


def test_a_sum_over_a_set_by_name_is_refused_with_the_fix() -> None:
    with pytest.raises(ReadError, match="write its range"):
        read_latex("\\sum_{k \\in C} x_k")


# -- 4. derivative notations -----------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "plain"), [
    ("\\partial y / \\partial x", "\\frac{\\partial y}{\\partial x}"),
    ("dy/dx", "\\frac{dy}{dx}"),
    ("d\\sigma/dx", "\\frac{d\\sigma}{dx}"),
    ("\\mathrm{d}y/\\mathrm{d}x", "\\frac{dy}{dx}"),
    ("\\partial C_0 / \\partial w_{j}", "\\frac{\\partial C_0}{\\partial w_j}"),
    ("\\partial^2 L / \\partial x^2", "\\frac{\\partial^2 L}{\\partial x^2}"),
    ("2 \\cdot \\partial L / \\partial z_j + 1", "2 \\frac{\\partial L}{\\partial z_j} + 1"),
    ("d/dx (x^2)", "\\frac{d}{dx} (x^2)"),
    ("{\\partial L \\over \\partial z}", "\\frac{\\partial L}{\\partial z}"),
    ("{d \\over dx} x^3", "\\frac{d}{dx} x^3"),
])
def test_derivative_notations_read_as_the_fraction(written: str, plain: str) -> None:
    assert read_latex(written) == read_latex(plain)


def test_a_slash_between_two_products_with_d_is_still_a_ratio_when_it_is_no_derivative() -> None:
    assert read_latex("a/b") == read_latex("\\frac{a}{b}")
    assert read_latex("d y / (d x)") == read_latex("\\frac{y}{x}")


@pytest.mark.parametrize(("written", "fix"), [
    ("\\frac{\\partial^2 L}{\\partial w \\partial w^T}", "partial w_i \\\\partial w_j"),
    ("\\nabla^2_w L", "write one\\s+entry"),
    ("\\nabla_w^2 L", "write one\\s+entry"),
    ("\\partial_i f", "partial x_i"),
    ("\\nabla E(w)", "nabla_\\{w\\} E\\(w\\)"),
])
def test_the_hessian_and_underspecified_derivatives_are_refused_with_the_fix(written: str, fix: str) -> None:
    with pytest.raises(ReadError, match=fix):
        read_latex(written)


def test_a_slashed_derivative_is_decided_in_a_post() -> None:
    found = statuses("$$d/dx (x^3) = 3x^2$$\n\n$$\\partial y / \\partial y = 2$$\n")
    assert [status for status, _ in found] == ["valid", "wrong"]


# -- 5. environments: cases ------------------------------------------------------------------------------

SOFTMAX = "<!-- derive: logits z; labels y one-hot at \\ell -->\n$\\hat{y}_i = \\frac{e^{z_i}}{\\sum_{k} e^{z_k}}$.\n\n"


def test_each_case_is_a_step_under_its_condition_at_its_row() -> None:
    post = SOFTMAX + ("$$\n\\frac{\\partial \\hat{y}_i}{\\partial z_j} =\n\\begin{cases}\n"
                      "\\hat{y}_i(1-\\hat{y}_i), & \\text{if } i=j \\\\\n"
                      "\\hat{y}_i \\hat{y}_j, & \\text{otherwise}\n\\end{cases}\n$$\n")
    # (the inline softmax of line 2 is a step too: with the logits declared, it restates what ŷ means)
    steps = [s for s in audit_text(post).steps if s.line > 2]
    assert [(s.line, s.status.value, s.assumptions[-1:]) for s in steps] == [
        (7, "valid", ("i=j",)), (8, "wrong", ("i \\neq j",))]


def test_a_case_whose_condition_cannot_be_applied_is_not_read_and_a_case_never_defines() -> None:
    post = "$$\ny = \\begin{cases} 1, & x > 0 \\\\ 0, & \\text{otherwise} \\end{cases}\n$$\n\n$$y + 1 = 2$$\n"
    steps = audit_text(post).steps
    assert [s.status.value for s in steps][:2] == ["undecided", "not read"]
    assert "otherwise" in steps[1].reason
    assert all(s.status.value != "definition" for s in steps)


def test_a_cases_environment_inside_a_side_is_refused_with_the_fix() -> None:
    with pytest.raises(ReadError, match="whole last side"):
        split_chains("f = 1 + \\begin{cases} a, & i = j \\\\ b, & i \\neq j \\end{cases}")


# -- 6. indicators and application without parentheses ---------------------------------------------------

@pytest.mark.parametrize(("written", "plain"), [
    ("\\mathbf{1}\\{i = k\\}", "\\delta_{ik}"),
    ("[i = k]", "\\delta_{ik}"),
    ("\\mathbb{1}_{i = k} x_i", "\\delta_{ik} x_i"),
    ("\\mathbb{I}(i = k)", "\\delta_{ik}"),
    ("[i \\neq \\ell] x_i", "(1 - \\delta_{i\\ell}) x_i"),
    ("\\sum_{k=1}^{K} [i = k] z_k", "\\sum_{k=1}^{K} \\delta_{ik} z_k"),
    ("\\mathbf{1}_N^T x", "\\mathbf{1}^T x"),
    ("\\cosh x + \\log x \\exp x", "\\cosh(x) + \\log(x) \\exp(x)"),
])
def test_indicators_and_bare_arguments_read_as_their_plain_forms(written: str, plain: str) -> None:
    assert read_latex(written) == read_latex(plain)


def test_an_indicator_of_a_strict_inequality_is_one_exactly_there() -> None:
    a = sp.Symbol("a", real=True)
    value = read_latex("\\mathbb{1}[a > 0]")
    assert [value.subs(a, point) for point in (-1, 0, 2)] == [0, 0, 1]
    assert read_latex("\\mathbb{I}[a \\ge 0]").subs(a, 0) == 1


def test_an_indicator_of_an_equality_of_real_values_is_refused_with_the_fix() -> None:
    with pytest.raises(ReadError, match="between index letters"):
        read_latex("\\mathbb{1}\\{y_i = k\\}")


# -- 7. the prose's own statements ---------------------------------------------------------------------

def test_a_paragraph_that_is_one_inline_formula_is_a_display() -> None:
    text = "Intro $a$ here.\n\n$b = c$\n\n  $d = e$  \n\nText $f$\n"
    items = extract(text, inline=True)
    assert [(type(i).__name__, i.body) for i in items] == [
        ("Inline", "a"), ("Display", "b = c"), ("Display", "d = e"), ("Inline", "f")]


def test_a_binary_space_gives_the_shape_and_the_values() -> None:
    from derive.audit.reader import read_membership
    member = read_membership("y \\in \\{0,1\\}^K")
    assert (member.name, member.shape, member.values) == ("y", (sp.Symbol("K", integer=True, positive=True),),
                                                          (0, 1))
    assert read_membership("X \\in \\mathbb{R}^{N \\times p}").values is None


def test_a_domain_in_the_prose_is_applied_and_a_later_one_replaces_it() -> None:
    # As a later `assume` does: "for $x > 0$ ... for $x < 0$" are two cases, and a step after the
    # second is decided under it (keeping the first made a false ReLU step valid in the prose corpus).
    claim = "<!-- derive: scalar \\lambda -->\n$$\\sqrt{\\lambda^2} = \\lambda$$\n"
    assert statuses(claim)[0][0] == "wrong"
    assert statuses("Let $\\lambda > 0$ be the strength.\n\n" + claim)[0][0] != "wrong"
    later = "Let $\\lambda > 0$.\n\nFor $\\lambda < -1$ nothing.\n\n" + claim
    assert statuses(later)[0][0] == "wrong"


# -- the acceptance samples of the issue (they need the symbol table too) ----------------------------------

SIGMOID_SLIP = ("A student's post.\n\n$$\\sigma(x) = \\frac{1}{1 + e^{-x}}$$\n\n"
                "$$\\frac{d\\sigma}{dx} = \\sigma(x)(1 + \\sigma(x))$$\n")
ATTENTION_POOLING = (
    "Attention pooling. Let $Z \\in \\mathbb{R}^{n \\times d}$ and $w \\in \\mathbb{R}^d$, with $u = Z w$,\n"
    "$\\beta = \\operatorname{softmax}(u)$, $c = Z^\\top \\beta$ and $L = \\frac{1}{2} c^\\top c$.\n\n"
    "$$\\frac{\\partial L}{\\partial \\beta} = Z c$$\n\n"
    "$$\\frac{\\partial L}{\\partial u} = \\beta \\odot ( Z c - (\\beta^\\top Z c)\\, \\mathbf{1} )$$\n\n"
    "$$\\frac{\\partial L}{\\partial w} = Z^\\top \\frac{\\partial L}{\\partial u}$$\n")


def test_the_sigmoid_slip_is_wrong_with_a_point() -> None:
    steps = audit_text(SIGMOID_SLIP).steps
    assert steps[0].status.value == "definition"
    assert steps[1].status.value == "wrong" and "at x =" in steps[1].reason


def test_the_attention_pooling_steps_are_valid() -> None:
    steps = [s for s in audit_text(ATTENTION_POOLING).steps if s.line > 2]
    assert [s.status.value for s in steps] == ["valid", "valid", "valid"]


def test_a_slip_in_the_gradient_as_a_factor_is_never_valid() -> None:
    # ∂L/∂u in Z^T ∂L/∂u is the n-vector gradient: Z ∂L/∂u does not fit, and twice the gradient is wrong.
    true = "Z^\\top \\frac{\\partial L}{\\partial u}"
    untransposed = audit_text(ATTENTION_POOLING.replace(true, "Z \\frac{\\partial L}{\\partial u}")).steps[-1]
    assert untransposed.status.value == "not read" and "transpose" in untransposed.reason
    doubled = audit_text(ATTENTION_POOLING.replace(true, "2 " + true)).steps[-1]
    assert doubled.status.value == "wrong" and "at d =" in doubled.reason


def test_the_acceptance_samples_are_read_today_without_a_misjudgment() -> None:
    # What holds already: no step of either sample is misjudged (the slip is never valid, the true steps
    # never wrong), and the prose's shapes are read (Z is a matrix, w a vector).
    slip = audit_text(SIGMOID_SLIP).steps
    assert slip[1].status.value != "valid"
    pooling = audit_text(ATTENTION_POOLING).steps
    assert all(s.status.value != "wrong" for s in pooling)


def test_a_remark_in_math_italic_and_bold_around_an_equation_are_layout() -> None:
    assert split_chains("a &= b \\quad(chain\\ rule) \\\\ &= \\mathbf{c = d}") == [["a", "b", "c", "d"]]
    with pytest.raises(ReadError, match="math after an annotation"):
        split_chains("a = b \\quad (x y)")
    assert read_latex("f^{\\prime}(x)") == read_latex("f'(x)")


# -- the prose read as written: inline steps, MathJax's \(...\), cases in sentences (issue 21) -------------

def test_mathjax_inline_delimiters_are_inline_math() -> None:
    # 03_softmax_ce_postnetwork: the post's definitions are in \(...\), MathJax's default.
    text = "The logits are \\(z = [z_1, z_2]\\), and \\(L = -\\sum_{i=1}^{C} y_i \\log \\hat{y}_i\\).\n\n$$a = b$$\n"
    items = extract(text, inline=True)
    assert [(type(i).__name__, i.body) for i in items] == [
        ("Inline", "z = [z_1, z_2]"), ("Inline", "L = -\\sum_{i=1}^{C} y_i \\log \\hat{y}_i"), ("Display", "a = b")]
    assert [(i.line, i.column) for i in items[:1]] == [(1, 18)]


def test_an_environment_inside_inline_math_is_read_once_as_that_inline_math() -> None:
    # 20_layernorm_shreyansh: \(\begin{equation} y_j = ... \label{eq:2} \end{equation}\) in a sentence.
    text = ("the output \\(\\begin{equation} y_j = \\hat{x}_j \\cdot \\gamma_j + \\beta_j \\label{eq:2} "
            "\\end{equation}\\). Then\n\n$$a = a$$\n")
    items = extract(text, inline=True)
    assert [type(i).__name__ for i in items] == ["Inline", "Display"]
    assert [s.status.value for s in audit_text(text).steps] == ["definition", "valid"]


def test_an_inline_claim_is_a_step_and_an_inline_value_or_index_relation_is_not() -> None:
    # 10_tanh_deeplearningai: "Since $e^0 = 1$," is a step of the derivation; "exactly one $y_i = 1$" states a
    # value and "the diagonal $i = j$" names two indices: neither is a claim.
    steps = audit_text("Since $e^0 = 1$, and $2 + 2 = 5$, with exactly one $y_i = 1$ on the diagonal $i = j$.\n").steps
    assert [(s.text, s.status.value) for s in steps] == [("e^0 = 1", "valid"), ("2 + 2 = 5", "wrong")]
    assert steps[0].line == 1 and steps[1].column > steps[0].column


def test_an_inline_function_definition_defines_the_function() -> None:
    # 07_logreg_stats258709: "the logistic function $s(x) =\frac{1}{e^{-x}+1}$" before s(x) is used.
    text = ("The logistic function $s(x) =\\frac{1}{e^{-x}+1}$ has a simple derivative:\n\n"
            "$$\\frac{d s(x)}{d x} = s(x)(1 - s(x))$$\n\n$$\\frac{d s(x)}{d x} = s(x)(1 + s(x))$$\n")
    assert [s.status.value for s in audit_text(text).steps] == ["definition", "valid", "wrong"]


LAYER = "Let $W \\in \\mathbb{R}^{k \\times d}$ be a matrix and $x \\in \\mathbb{R}^d$ a vector.\n\n"
ENTRY = "$$ \\frac{\\partial}{\\partial W_{ab}} \\sum_{m=1}^d W_{im} x_m = x_b $$\n"


@pytest.mark.parametrize("sentence", ["If $i = a$,", "Case 1: \\(i=a\\)", "For a weight of this unit, $i = a$:",
                                      "and when $i=a$:"])
def test_a_case_sentence_before_a_display_holds_for_it_up_to_the_next_prose(sentence: str) -> None:
    # 02_softmax_ce_sunhaozhe ("If $i = k$,"), 03_softmax_ce_postnetwork ("Case 1: \(i=j\)"),
    # 01_softmax_ce_zakariapz ("and when $i=j$:"): the case holds for the display after the sentence,
    # and for one after it across blank lines only, never past the next prose.
    # Outside the case the entry is δ_ia x_b: x_b holds only when i = a, so the step is undecided and
    # names that case (the symbol table's rule: a step true in a case of its indices is never wrong).
    steps = audit_text(LAYER + sentence + "\n\n" + ENTRY + "\n" + ENTRY + "\nOther units.\n\n" + ENTRY).steps
    assert [(s.status.value, tuple(a.replace(" ", "") for a in s.assumptions)) for s in steps] == [
        ("valid", ("i=a",)), ("valid", ("i=a",)), ("undecided", ())]
    assert "a = i" in steps[2].reason


def test_a_case_sentence_after_a_display_holds_for_it() -> None:
    steps = audit_text(LAYER + ENTRY + "when $i = a$.\n\nNext.\n\n" + ENTRY).steps
    assert [(s.status.value, s.assumptions) for s in steps] == [("valid", ("i = a",)), ("undecided", ())]
    assert "a = i" in steps[1].reason


def test_a_case_sentence_replaces_an_assumption_of_the_same_indices() -> None:
    steps = audit_text("<!-- derive: assume i = a -->\n" + LAYER + "For another unit, $i \\neq a$:\n\n" + ENTRY).steps
    assert [(s.status.value, s.assumptions) for s in steps] == [("wrong", ("i \\neq a",))]


# -- rows with two equations, and the chain rule by an expression ---------------------------------------

def test_two_equations_in_one_row_are_two_chains_never_a_product() -> None:
    # 25_sigmoid_sntoshsah, 12_tanh_emathzone
    assert split_chains("\\sigma(x) = \\frac{1}{1 + e^{-x}}, \\quad 1 - \\sigma(x) = \\frac{e^{-x}}{1 + e^{-x}}") == [
        ["\\sigma(x)", "\\frac{1}{1 + e^{-x}}"], ["1 - \\sigma(x)", "\\frac{e^{-x}}{1 + e^{-x}}"]]
    assert split_chains("a = b \\qquad c = d") == [["a", "b"], ["c", "d"]]
    assert split_chains("a &= b \\\\\n\\Rightarrow c &= d \\\\ &= e") == [["a", "b"], ["c", "d", "e"]]
    assert split_chains("a = b \\quad (\\text{by the rule})") == [["a", "b"]]


def test_a_derivative_by_an_expression_is_the_chain_rule_factor_when_written_in_it_alone() -> None:
    # 24_sigmoid_jaekookang: the chain rule spelled out with \partial(1 + e^{-x}).
    x = sp.Symbol("x", real=True)
    read = read_latex("\\dfrac{\\partial(1 + e^{-x})^{-1}}{\\partial(1 + e^{-x})} \\cdot "
                      "\\dfrac{\\partial(1 + e^{-x})}{\\partial e^{-x}}")
    assert sp.simplify(read - (-(1 + sp.exp(-x)) ** -2)) == 0
    # Not written in the expression alone: a guess (L may depend on W x any way), refused with the fix.
    for text in ("\\frac{\\partial L}{\\partial (W x)}", "\\frac{\\partial}{\\partial (2x)} x"):
        with pytest.raises(ReadError, match="name it"):
            read_latex(text)


# -- what a few words say of the labels -------------------------------------------------------------------

ONE_HOT_POST = ("The raw outputs $o \\in \\mathbb{R}^K$.\n\n$$L = - \\sum_i y_i \\log p_i$$\n\n"
                "$$p_i = \\frac{ \\exp (o_i) }{\\sum_j \\exp(o_j) }$$\n\n"
                "$$- y_k + \\sum_i y_i p_k = {rhs}$$\n\n{sentence}\n")


@pytest.mark.parametrize("sentence", [
    "The last step uses $\\sum_i y_i = 1$.",  # 02_softmax_ce_sunhaozhe, verbatim
    "It holds since $y$ is a one-hot vector; $o$ is the vector of raw outputs.",
    "Here the label $y$ is one-hot, at the true class $c$:",  # 01_softmax_ce_zakariapz
    "with one-hot labels $y$.",
])
def test_the_words_one_hot_or_a_sum_to_one_make_the_labels_in_the_whole_post(sentence: str) -> None:
    for rhs, status in (("p_k - y_k", "valid"), ("y_k - p_k", "wrong")):
        post = ONE_HOT_POST.replace("{rhs}", rhs).replace("{sentence}", sentence)
        steps = audit_text(post).steps
        assert steps[-1].status.value == status, (sentence, rhs, steps[-1].reason)


def test_words_near_a_name_that_say_nothing_of_it_are_prose() -> None:
    post = ONE_HOT_POST.replace("{rhs}", "p_k - y_k").replace("{sentence}", "Compare $y$ with the one-hot case.")
    assert audit_text(post).steps[-1].status.value == "undecided"


def test_a_letter_superscript_on_the_variable_is_refused_with_the_label_fix() -> None:
    # 09_binary_ce_stats370723 (\partial o^x_j), 16_backprop_compphysics (\partial w_{jk}^L): never a guessed label.
    for written in ("\\frac{\\partial E_x}{\\partial o^x_j}", "\\frac{\\partial a_j^L}{\\partial w_{jk}^{L}}"):
        with pytest.raises(ReadError, match="in parentheses"):
            read_latex(written)
    # In parentheses, a capital letter labels a layer: part of the name (w^{(L)} and w^{(L-1)} are two arrays).
    assert str(read_latex("\\frac{\\partial E}{\\partial w^{(L)}_{jk}}")) == "Derivative(E, w^(L)[j, k])"
    assert str(read_latex("\\frac{\\partial E}{\\partial x^{(i)}_{j}}")) == "Derivative(E, x[i, j])"


def test_an_inline_equation_that_cannot_be_split_is_a_step_not_read() -> None:
    # 23_logreg_numerade: "$\frac{\partial \log(h_{\theta}(x^{(i)})}{\partial \theta_j} = ...$": a "(" left open.
    steps = audit_text("so $\\frac{\\partial \\log(h(x)}{\\partial x} = 1 - g(x)$ and\n").steps
    assert [s.status.value for s in steps] == ["not read"]


def test_braces_around_a_group_change_nothing_in_a_derivative() -> None:
    # 12_tanh_emathzone writes \frac{d}{{dx}}: read as the ratio d/(dx), d/dx tanh x was the value tanh(x)/x.
    assert read_latex("\\frac{d}{{dx}}\\left( {\\tanh x} \\right)") == read_latex("\\frac{d}{dx} \\tanh x")
    assert read_latex("\\frac{{a+b}}{{c}}") == read_latex("\\frac{a+b}{c}")


def test_a_function_name_written_as_letters_is_named_with_the_fix() -> None:
    # Softmax(z) without a backslash is the product S·o·f·t·m·a·x(z): the message names the word, at its start.
    with pytest.raises(ReadError, match=r"`Softmax` without a backslash.*\\mathrm\{softmax\}") as info:
        read_latex("1 - Softmax(z)")
    assert info.value.offset == 4
    with pytest.raises(ReadError, match="product or a function"):  # two letters: no word to name
        read_latex("ab(z)")
    with pytest.raises(ReadError) as long:  # a run of letters is echoed only up to a name's length
        read_latex("q" * 5000 + "Softmax(z)")
    assert len(str(long.value)) < 600 and "product or a function" in str(long.value)


@pytest.mark.parametrize("relation", ["\\underset{\\text{chain rule}}=", "\\underset{\\text{linearity}}{=}",
                                      "\\overset{\\text{def}}{=}", "\\stackrel{(1)}{=}",
                                      "\\underset{h_\\theta(x)=\\sigma\\left(\\theta^\\top x\\right)}="])
def test_a_note_over_an_equals_sign_is_a_remark(relation: str) -> None:
    # Real derivations justify a link by a note set over or under its = (a math.SE answer on logistic
    # regression writes \underset{\text{chain rule}}=); the note is dropped, the = parts the sides.
    assert split_chains(f"a = b \\\\[2ex] \\small{relation} c \\\\ \\Tiny {relation} d") == [["a", "b", "c", "d"]]
    found = statuses(f"<!-- derive: scalar x -->\n\n$$ \\frac{{d}}{{dx}} x^2 {relation} 2x {relation} 3x $$\n")
    assert [status for status, _ in found] == ["valid", "wrong"], found


def test_a_note_over_something_else_is_read_as_before() -> None:
    assert split_chains("\\underset{n}{\\max} a = b") == [["\\underset{n}{\\max} a", "b"]]


def test_a_one_column_array_of_equations_is_a_stack_of_chains() -> None:
    # aman.ai's logistic-regression primer stacks its definitions and identities in \begin{array}{l} and {c}.
    assert split_chains("\\begin{array}{l} h(x)=g(x) \\\\ g(z)=\\frac{1}{1+e^{-z}} \\end{array}") == [
        ["h(x)", "g(x)"], ["g(z)", "\\frac{1}{1+e^{-z}}"]]
    found = statuses("<!-- derive: scalar x -->\n\n$$\\begin{array}{c} \\frac{d}{dx} x^2 = 2x \\\\ "
                     "\\frac{d}{dx} x^3 = 2x^2 \\end{array}$$\n")
    assert [status for status, _ in found] == ["valid", "wrong"], found
    # A column of entries (no =) is still a vector, not a layout.
    with pytest.raises(ReadError):
        read_latex("\\begin{array}{c} a \\\\ b \\end{array}")


def test_an_empty_upper_limit_is_none_written() -> None:
    # A blog post on softmax writes \sum_{k}^{ } (its editor's empty superscript): the sum over k, as \sum_k.
    assert read_latex("\\sum_{k}^{ } y_{k}ln(s_{k} )") == read_latex("\\sum_{k} y_k \\ln(s_k)")


def test_a_sum_with_its_index_unwritten_is_over_the_summands_one_index() -> None:
    # A post on softmax writes y_i = e^{x_i} / \sum e^{x_k}: the sum is over k, the summand's one index.
    assert read_latex("\\frac{e^{x_i}}{\\sum e^{x_k}}") == read_latex("\\frac{e^{x_i}}{\\sum_{k} e^{x_k}}")
    # Not guessed where the letter is used outside the sum too, or the summand has no index or two.
    for text in ("\\sum x_i y_i + x_i", "\\sum 2", "\\sum x_{ij}"):
        with pytest.raises(ReadError, match="summation index"):
            read_latex(text)


def test_a_trailing_range_of_the_free_index_is_not_an_equation() -> None:
    display = "y_i = \\frac{e^{x_i}}{\\sum e^{x_k}}, for~i=1,…, C"
    assert split_chains(display) == [["y_i", "\\frac{e^{x_i}}{\\sum e^{x_k}}"]]
    assert split_chains("a_j = b_j, \\text{for } j = 1, \\dots, n") == [["a_j", "b_j"]]
    found = statuses("$$ y_i = \\frac{e^{x_i}}{\\sum e^{x_k}}, for~i=1,…, C $$\n\n"
                     "$$ \\frac{\\partial y_i}{\\partial x_i} = y_i (1 - y_i) $$\n")
    assert [status for status, _ in found] == ["definition", "valid"], found
