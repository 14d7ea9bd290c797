"""Rich display: the LaTeX and HTML that Jupyter shows for claims, verdicts and theorems."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest
import sympy as sp

from derive import (
    LIBRARY,
    Claim,
    InRange,
    Role,
    Space,
    Status,
    cross_entropy,
    decide,
    derivative,
    softmax,
    two_layer,
    verify_theorem,
)
from derive.engine.differentiate import Differentiator, LowRankMatrix
from derive.engine.verdict import Counterexample, Verdict
from derive.render import display as d

x = sp.Symbol("x", real=True)


def _balanced(latex: str) -> None:
    """Braces and environments pair up: what MathJax needs to typeset anything at all."""
    __tracebackhide__ = True
    depth = 0
    for n, ch in enumerate(latex):
        if ch in "{}" and (n == 0 or latex[n - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            assert depth >= 0, f"unbalanced '}}' at {n}: {latex[max(0, n - 40):n + 1]!r}"
    assert depth == 0, f"{depth} unclosed '{{' in {latex!r}"
    begins = re.findall(r"\\begin\{(\w+)\}", latex)
    ends = re.findall(r"\\end\{(\w+)\}", latex)
    assert sorted(begins) == sorted(ends), (begins, ends)


def _no_repr(text: str) -> None:
    """No Python or SymPy repr leaked into a display."""
    __tracebackhide__ = True
    for leak in ("Verdict(", "Claim(", "Counterexample(", "IndexedBase(", "Sum(", "exp(", "<derive."):
        assert leak not in text, f"{leak!r} leaked into {text!r}"


def _ce_without_label_sum() -> Verdict:
    space = Space.symbolic()
    k = space.size("k")
    z = space.vector("z", k, role=Role.LOGITS)
    y = space.vector("y", k, role=Role.LABELS)
    j = sp.Symbol("j", integer=True, positive=True)
    claim = Claim.in_space(space, "ce_without_label_sum", derivative(cross_entropy(space, y, z), z[j]),
                           softmax(space, z)[j] - y[j], InRange(j, 1, k))
    return decide(claim)


# -- building blocks ----------------------------------------------------------------------------

def test_latex_text_puts_special_characters_in_math_mode() -> None:
    assert d.latex_text("a_b") == r"\text{a}\_\text{b}"
    assert d.latex_text("50% & {x}") == r"\text{50}\%\text{ }\&\text{ }\{\text{x}\}"
    assert d.latex_text("ŷ ≠ y") == r"\hat{y}\text{ }\neq\text{ y}"
    assert d.latex_text("") == ""


def test_latex_block_aligns_rows_and_adds_notes() -> None:
    block = d.latex_block([r"f(x) &= (x + 1)^2", r"&= x^2 + 2x + 1"], title="expand_square",
                          notes=["definition", "binomial_rule"])
    assert block.startswith("$$\\begin{aligned}\n") and block.endswith("\n\\end{aligned}$$")
    rows = block.removeprefix("$$\\begin{aligned}\n").removesuffix("\n\\end{aligned}$$").split("\\\\\n")
    assert rows == [
        r"&\mathtt{expand\_square}",
        r"f(x) &= (x + 1)^2 &&\text{definition}",
        r"&= x^2 + 2x + 1 &&\text{binomial}\_\text{rule}",
    ]
    _balanced(block)


def test_latex_block_aligns_at_start_when_only_a_matrix_has_ampersands() -> None:
    block = d.latex_block([r"\begin{pmatrix}1 & 2\end{pmatrix}"])
    assert "&\\begin{pmatrix}1 & 2\\end{pmatrix}" in block


def test_latex_block_rejects_mismatched_notes_and_empty_blocks() -> None:
    with pytest.raises(ValueError, match="2 lines but 1 notes"):
        d.latex_block(["a", "b"], notes=["only one"])
    with pytest.raises(ValueError, match="nothing to show"):
        d.latex_block([])


def test_a_title_with_spaces_is_text_and_a_name_is_typewriter() -> None:
    assert r"\text{a proof of it}" in d.latex_block(["x"], title="a proof of it")
    assert r"\mathtt{softmax\_jacobian[k=3]}" in d.latex_block(["x"], title="softmax_jacobian[k=3]")


def test_math_html_escapes_for_html() -> None:
    assert d.math_html(r"a < b \text{ & } c") == r"\(a &lt; b \text{ &amp; } c\)"
    assert d.math_html("x", display=True) == r"\[x\]"


def test_html_table_has_one_row_per_pair() -> None:
    table = d.html_table([("a", "1"), ("b", "<b>2</b>")], header=("key", "value"), caption="cap")
    assert table.count("<tr>") == 3
    assert "<caption" in table and ">cap</caption>" in table
    assert "<td" in table and "<b>2</b>" in table


# -- expressions ----------------------------------------------------------------------------------

def test_softmax_probabilities_are_written_as_y_hat_for_symbolic_sizes() -> None:
    space = Space.symbolic()
    k = space.size("k")
    z = space.vector("z", k, role=Role.LOGITS)
    yhat = softmax(space, z)
    i, j = sp.symbols("i j", integer=True, positive=True)
    assert d.expr_latex(yhat[i] * (1 - yhat[i])) == r"\left(1 - {\hat{y}}_{i}\right) {\hat{y}}_{i}"
    assert d.expr_latex(-yhat[i] * yhat[j]) == r"- {\hat{y}}_{i} {\hat{y}}_{j}"
    # Notation only: without hats the same expression shows the exponentials and the sum.
    plain = d.expr_latex(yhat[i], hats=False)
    assert r"\hat{y}" not in plain and r"e^{{z}_{i}}" in plain and r"\sum_{n=1}^{k}" in plain


def test_a_squared_probability_over_the_squared_denominator_is_y_hat_squared() -> None:
    space = Space.fixed()
    z = space.vector("z", 3, role=Role.LOGITS)
    yhat = softmax(space, z)
    assert d.expr_latex(yhat[2] ** 2, space.definitions) == r"{\hat{y}}_{2}^{2}"


def test_a_batch_probability_carries_its_sample_index() -> None:
    claim = LIBRARY["batch_gradient_B"].symbolic()
    rhs = d.side_latex(claim.rhs, claim.definitions)
    assert r"{\hat{y}}_{t,a} - {y}_{t,a}" in rhs


def test_shared_atoms_get_short_names_and_a_where_line() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].concrete({"k": 3})
    latex = d.claim_latex(claim)
    assert "Σ" not in latex and "·" not in latex
    # One row per definition; a kind with a single atom has no number.
    assert r"&\text{where } S = e^{{z}_{1}} + e^{{z}_{2}} + e^{{z}_{3}}\\" in latex
    assert r"&\phantom{\text{where }} Y = {y}_{1} + {y}_{2} + {y}_{3}" in latex
    assert r"Y {\hat{y}}_{1} - {y}_{1}" in latex


def test_atoms_are_numbered_from_1_within_their_kind() -> None:
    space = Space.fixed()
    model = two_layer(space, c=3, d=2, p=3)
    names = d._atom_names({s for s in space.definitions if "·" in s.name})
    by_kind: dict[str, list[str]] = {}
    for atom, name in names.items():
        by_kind.setdefault(atom.name.partition("·")[0], []).append(name)
    # The engine's one counter (h·0, h·1, s·2, ...) becomes h_1, h_2 and s_1, s_2, s_3.
    assert sorted(by_kind["h"]) == ["h_{1}", "h_{2}"] and sorted(by_kind["s"]) == ["s_{1}", "s_{2}", "s_{3}"]
    latex = d.expr_latex(model.loss, space.definitions, hats=False)
    assert "_{0}" not in latex


def test_long_vectors_and_definitions_are_cut() -> None:
    claim = LIBRARY["cross_entropy_gradient_soft"].concrete({"k": 40})
    latex = d.claim_latex(claim)
    assert r"{\hat{y}}_{40} - {y}_{40}" in latex and r"{y}_{5}" not in latex
    assert r"\vdots" in latex
    assert r"S = e^{{z}_{1}} + e^{{z}_{2}} + \dots + e^{{z}_{40}}" in latex
    assert len(latex) < 2000


def test_a_small_jacobian_is_a_matrix_and_a_large_one_diag_plus_outer_product() -> None:
    space = Space.fixed()
    z = space.vector("z", 3, role=Role.LOGITS)
    yhat = softmax(space, z)
    jac = Differentiator(space.definitions).jacobian(tuple(yhat[i] for i in (1, 2, 3)), [z[j] for j in (1, 2, 3)])
    small = d.side_latex(jac, space.definitions)
    assert small.startswith(r"\begin{pmatrix}") and small.count(r"\\") == 2 and small.count("&") == 6
    assert r"- {\hat{y}}_{1} {\hat{y}}_{2}" in small
    big = LowRankMatrix(8, {(i, i): yhat[1] for i in range(8)}, ((tuple(x for _ in range(8)),) * 2,))
    wide = d.side_latex(big, space.definitions)
    assert wide.startswith(r"\operatorname{diag}\left(") and r"^{T}\left(x, x, x, x, \dots, x\right)" in wide


# -- claims and verdicts -------------------------------------------------------------------------

def test_claim_shows_both_sides_and_hypotheses() -> None:
    claim = LIBRARY["softmax_jacobian_offdiagonal"].symbolic()
    latex = claim._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$")
    assert r"\mathtt{softmax\_jacobian\_offdiagonal}" in latex
    assert r"\quad = - {\hat{y}}_{i} {\hat{y}}_{j}" in latex
    assert r"\text{if } 1 \le i \le k,\; 1 \le j \le k,\; i \neq j" in latex
    _balanced(latex)
    _no_repr(latex)


def test_a_claim_with_a_latex_statement_shows_it() -> None:
    claim = Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1, latex=r"(x+1)^2 = x^2 + 2x + 1")
    assert r"&\text{claim: }(x+1)^2 = x^2 + 2x + 1" in d.claim_latex(claim)


def test_proved_verdict_latex_and_html() -> None:
    verdict = decide(LIBRARY["softmax_jacobian"].symbolic())
    assert verdict.proved
    latex = verdict._repr_latex_()
    assert r"\Rightarrow\ \textbf{proved}\ \text{by index calculus}" in latex
    assert "residual" not in latex
    _balanced(latex)
    page = verdict._repr_html_()
    assert '<span style="color:#1a7f37;font-weight:bold">proved</span>' in page
    assert ">strategy</th>" in page and "index calculus" in page
    assert "residual" not in page and "counterexample" not in page
    assert r"\[\begin{aligned}" in page and r"{\hat{y}}_{i} {\hat{y}}_{j}" in page
    _no_repr(page)


def test_refuted_verdict_shows_point_values_and_the_missing_hypothesis() -> None:
    verdict = _ce_without_label_sum()
    assert verdict.refuted and verdict.counterexample is not None
    c = verdict.counterexample
    page = verdict._repr_html_()
    assert '<span style="color:#cf222e;font-weight:bold">refuted</span>' in page
    # The point, one row per variable, and both sides' values, as the engine found them.
    for name, value in c.point.items():
        shown = "(" + ", ".join(repr(v) for v in value) + ")" if isinstance(value, list) else str(value)
        assert f">{name}</th><td" in page and f">{html.escape(shown)}</td>" in page
    assert f">{sp.Float(c.lhs, 12)}</td>" in page and f">{sp.Float(c.rhs, 12)}</td>" in page
    assert ">lhs − rhs</th>" in page
    # The reason row keeps the engine's words but not its SymPy text of the residual (shown as math).
    assert "it holds under the missing hypothesis sum(y) = 1</td>" in page
    assert "Sum(" not in page and "exp(" not in page
    assert r">missing hypothesis</th>" in page and r"\(\sum_{n=1}^{k} y_n = 1\)" in page
    assert r"\text{lhs} - \text{rhs} = \left(\sum_{\iota_{0}=1}^{k} {y}_{\iota_{0}} - 1\right) {\hat{y}}_{j}" in page
    latex = verdict._repr_latex_()
    assert r"\textbf{refuted}" in latex
    assert r"\text{holds under the missing hypothesis } \sum_{n=1}^{k} y_n = 1" in latex
    assert rf"\text{{lhs}} = {sp.latex(sp.Float(c.lhs, 12))}" in latex
    _balanced(latex)
    _no_repr(latex)


def test_undecided_verdict_shows_its_reason_and_residual() -> None:
    claim = Claim("odd", sp.sin(x) ** 2, x)
    verdict = Verdict(claim, Status.UNDECIDED, reason="the budget ran out; try --budget 60",
                      residual=sp.sin(x) ** 2 - x)
    page = d.verdict_html(verdict)
    assert '<span style="color:#9a6700;font-weight:bold">undecided</span>' in page
    assert "the budget ran out; try --budget 60" in page
    assert r"\text{lhs} - \text{rhs} = - x + \sin^{2}{\left(x \right)}" in page


def test_a_fixed_size_residual_defines_its_atoms_as_math_not_as_sympy_text() -> None:
    space = Space.fixed()
    z = space.vector("z", 3, role=Role.LOGITS)
    y = space.vector("y", 3, role=Role.LABELS)
    loss = cross_entropy(space, y, z)  # built first: the Differentiator copies the atoms defined so far
    gradient = Differentiator(space.definitions).gradient(loss, [z[n] for n in (1, 2, 3)])
    yhat = softmax(space, z)
    # Without Σy = 1 the gradient is (Σy) ŷ_j - y_j: refuted, with the label-sum atom in the residual.
    verdict = decide(Claim.in_space(space, "ce3", tuple(gradient), tuple(yhat[n] - y[n] for n in (1, 2, 3))))
    assert verdict.refuted and verdict.notes  # the engine's notes: "Σexp·0 = exp(z[1]) + ..."
    page = verdict._repr_html_()
    assert ">where</th>" in page and r"Y = {y}_{1} + {y}_{2} + {y}_{3}" in page
    assert ">note</th>" not in page and "Σ" not in page
    # Sampled coordinates are short decimals; none is shown with float noise.
    assert re.search(r"\d{13}", page.split("counterexample")[-1].split("<th>lhs")[0]) is None


def test_counterexample_of_a_vector_claim_names_its_entry() -> None:
    c = Counterexample({"z": [1, 2]}, sp.Float("0.5", 30), sp.Float("0.25", 30), 30, entry=(1,))
    assert ">entry</th><td" in c._repr_html_() and "2 (1-based)" in c._repr_html_()
    latex = c._repr_latex_()
    assert r"\text{at } z = \left(1, 2\right)\text{, entry }2" in latex
    assert r"\text{lhs} - \text{rhs} = 0.25" in latex


def test_rendering_errors_are_raised_not_displayed() -> None:
    # A side that is not an expression is an error, not text to show (and never parsed): the claim refuses it.
    with pytest.raises(TypeError, match="not the string 'x \\+ 1'"):
        Claim("text side", "x + 1", x)._repr_latex_()  # type: ignore[arg-type]

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot print this value")

    with pytest.raises(RuntimeError, match="cannot print this value"):
        Counterexample({"z": Unprintable()}, sp.Float(1), sp.Float(2), 30)._repr_html_()


# -- theorems -----------------------------------------------------------------------------------

def test_theorem_latex_is_its_statement() -> None:
    theorem = LIBRARY["two_layer_gradient_A"]
    assert theorem._repr_latex_() == (
        "$$\\begin{aligned}\n&\\mathtt{two\\_layer\\_gradient\\_A}\\\\\n&" + theorem.latex + "\n\\end{aligned}$$"
    )


def test_theorem_result_has_one_row_per_check() -> None:
    result = verify_theorem(LIBRARY["cross_entropy_gradient_onehot"])
    page = result._repr_html_()
    assert page.count("<tr>") == 1 + 1 + len(result.instances) + len(result.numeric)
    assert "for every size (cross_entropy_gradient_onehot)" in page
    assert ">cross_entropy_gradient_onehot[k=3]</th>" in page
    assert "central differences (k=3, ell=2)" in page and ">agree</span> at 3 points" in page
    assert d.math_html(result.theorem.latex, display=True) in page
    latex = result._repr_latex_()
    assert r"\Rightarrow\ \textbf{proved}" in latex
    assert r"\text{central differences at k = 3, ell = 2: }\text{agree}" in latex
    _balanced(latex)


def test_import_derive_does_not_import_display() -> None:
    code = "import sys, derive; print('derive.render.display' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
