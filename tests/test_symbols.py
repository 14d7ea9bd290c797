r"""The symbol table (derive/audit/symbols.py) and the verdict rule per name: the samples of issue 20."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derive.audit.declarations import PostState, declare
from derive.audit.post import audit_text, check_step
from derive.audit.report import names_table_html, render_names
from derive.audit.results import StepStatus
from derive.audit.scan import Declaration
from derive.audit.symbols import Use, declaration_for, written

ROOT = Path(__file__).resolve().parents[1]
#: A hint's declarations: every ``<!-- derive: ... -->`` in it.
HINTED = re.compile(r"<!--\s*derive:\s*(.*?)\s*-->")


def statuses(text: str) -> list[tuple[StepStatus, str]]:
    return [(s.status, s.reason) for s in audit_text(text).steps]


def test_a_name_whose_shape_the_post_does_not_give_is_no_scalar_in_a_product() -> None:
    post = "Let $x \\in \\mathbb{R}^n$.\n\n$$\\frac{\\partial}{\\partial Q} x^T Q x = x^T x$$\n"
    ((status, reason),) = statuses(post)
    assert status is StepStatus.UNDECIDED
    assert "<!-- derive: matrix Q n n -->" in reason  # the one declaration, with the length of x


def test_a_letter_only_in_scalar_arithmetic_is_a_scalar_for_valid_never_for_wrong() -> None:
    ((valid, _),) = statuses("$$ (a + b)^2 = a^2 + 2 a b + b^2 $$\n")
    assert valid is StepStatus.VALID
    ((status, reason),) = statuses("$$ (a + b)^2 = a^2 + b^2 $$\n")
    assert status is StepStatus.UNDECIDED and "<!-- derive: scalar a -->" in reason
    ((wrong, _),) = statuses("<!-- derive: scalar a b -->\n$$ (a + b)^2 = a^2 + b^2 $$\n")
    assert wrong is StepStatus.WRONG


def test_an_unrelated_declaration_gives_no_other_name_a_meaning() -> None:
    # Before, any declaration turned off the post-wide switch and y became a free vector: wrong.
    post = "<!-- derive: scalar c -->\n$$ \\sum_{i=1}^n y_i = 1 $$\n"
    ((status, reason),) = statuses(post)
    assert status is StepStatus.UNDECIDED and "vector y" in reason


def test_a_styled_name_applied_is_a_function_never_a_product() -> None:
    for name in ("\\mathcal{J}", "\\mathbf{f}", "\\boldsymbol{g}"):
        (step,) = check_step(f"{name}(a + b) = {name}(a) + {name}(b)").steps
        assert step.status is StepStatus.UNDECIDED, (name, step.reason)
        assert "define" in step.reason


def test_function_definitions_and_their_applications() -> None:
    post = ("$$\\sigma(x) = \\frac{1}{1+e^{-x}}$$\n\n$$\\frac{d}{dx}\\sigma(x) = \\sigma(x)(1-\\sigma(x))$$\n\n"
            "$$J(\\theta) = \\theta^2 + 1$$\n\n$$\\frac{d}{d\\theta} J(\\theta) = 2\\theta$$\n\n"
            "$$c(d) = d^2$$\n\n$$\\frac{d}{dd}(c(d)\\,d) = c'(d)\\,d + c(d)$$\n")
    got = [s for s, _ in statuses(post)]
    assert got == [StepStatus.DEFINITION, StepStatus.VALID] * 3


def test_a_restated_definition_is_not_a_claim() -> None:
    post = ("<!-- derive: define \\sigma(x) = \\frac{1}{1 + e^{-x}} -->\n"
            "$$\\sigma(x) = \\frac{1}{1 + e^{-x}}$$\n\n$$\\sigma(x) = \\frac{1}{1 - e^{-x}}$$\n")
    (same, _), (other, reason) = statuses(post)
    assert same is StepStatus.DEFINITION
    assert other is StepStatus.UNDECIDED and "conflict" in reason


def test_colon_equals_defines() -> None:
    ((status, _),) = statuses("<!-- derive: scalar x -->\n$$ L := x^2 + 1 $$\n")
    assert status is StepStatus.DEFINITION


def test_a_sum_without_limits_runs_over_the_array_it_sums() -> None:
    post = ("<!-- derive: vector x n -->\n"
            "$$ \\frac{\\partial}{\\partial x_j} \\log \\sum_i \\exp(x_i) = "
            "\\frac{\\exp(x_j)}{\\sum_{i=1}^n \\exp(x_i)} $$\n")
    ((status, reason),) = statuses(post)
    assert status is StepStatus.VALID, reason


def test_a_step_true_in_a_case_of_its_indices_is_undecided_with_the_case() -> None:
    post = "<!-- derive: vector o n -->\n$$ \\frac{\\partial o_i}{\\partial o_k} = 1 $$\n"
    ((status, reason),) = statuses(post)
    assert status is StepStatus.UNDECIDED and "<!-- derive: assume i = k -->" in reason


def test_the_table_records_kind_shape_meaning_and_source() -> None:
    post = ("<!-- derive: vector w d; scalar \\lambda -->\nLet $X \\in \\mathbb{R}^{n \\times d}$.\n\n"
            "$$ g(u) = u^2 $$\n")
    report = audit_text(post)
    rows = {e.name: e for e in report.names}
    assert (rows["w"].kind, rows["w"].shape, rows["w"].source) == ("vector", ("d",), "declared on line 1")
    assert rows["lambda"].kind == "scalar"
    assert (rows["X"].kind, rows["X"].shape, rows["X"].line) == ("matrix", ("n", "d"), 2)
    assert rows["g"].kind == "function" and rows["g"].source == "defined on line 4"
    text = render_names(report)
    assert text.splitlines()[0] == "names of <text>:" and "declared on line 1" in text


def test_the_html_table_escapes_every_cell() -> None:
    report = audit_text("$$ g(u) = u < 2 $$\n<!-- derive: scalar x -->\n")
    html = names_table_html(report)
    assert "<td>x</td>" in html and "<script" not in html


def test_hints_are_declarations_the_parser_takes() -> None:
    assert written("lambda") == "\\lambda" and written("x") == "x" and written("L_data") is None
    assert declaration_for(Use("lambda")) == "<!-- derive: scalar \\lambda -->"
    assert declaration_for(Use("x", rank=1), "n") == "<!-- derive: vector x n -->"


def test_names_in_text_and_json_from_the_command_line(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("<!-- derive: vector x n -->\n$$ \\sum_{i=1}^n x_i = \\sum_{j=1}^n x_j $$\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    text = subprocess.run([sys.executable, "-m", "derive", "audit", str(post), "--names"], capture_output=True,
                          text=True, env=env, check=True).stdout
    assert f"names of {post}:" in text and "declared on line 1" in text
    out = subprocess.run([sys.executable, "-m", "derive", "audit", str(post), "--json"], capture_output=True,
                         text=True, env=env, check=True).stdout
    names = json.loads(out)["files"][0]["names"]
    assert {"name": "x", "kind": "vector", "shape": ["n"], "meaning": "", "domain": "",
            "source": "declared on line 1", "line": 1} in names


def test_a_later_case_about_the_same_indices_replaces_the_earlier() -> None:
    post = ("<!-- derive: vector o n -->\n<!-- derive: assume i = j -->\n"
            "$$ \\frac{\\partial o_i}{\\partial o_j} = 1 $$\n<!-- derive: assume i \\neq j -->\n"
            "$$ \\frac{\\partial o_i}{\\partial o_j} = 1 $$\n")
    first, second = audit_text(post).steps
    assert (first.status, first.assumptions) == (StepStatus.VALID, ("i = j",))
    assert (second.status, second.assumptions) == (StepStatus.WRONG, ("i \\neq j",))


def test_contradictory_cases_are_an_error_at_the_line_that_makes_them() -> None:
    post = ("<!-- derive: vector o n -->\n<!-- derive: assume i = j -->\n<!-- derive: assume j = k -->\n"
            "<!-- derive: assume i \\neq k -->\n$$ \\frac{\\partial o_i}{\\partial o_k} = 1 $$\n")
    error, step = audit_text(post).steps
    assert (error.line, error.status) == (4, StepStatus.NOT_READ) and "contradicts" in error.reason
    assert step.status is StepStatus.VALID and "i \\neq k" not in step.assumptions


def test_a_display_opening_with_equals_after_prose_has_two_readings() -> None:
    post = ("<!-- derive: scalar x -->\n$$ (x+1)^2 = x^2 + 2x + 1 $$\nAnd if this holds,\n$$ = x^2 + 1 $$\n\n"
            "$$ (x+1)^2 = x^2 + 2x + 1 $$\n\n$$ = 1 + 2x + x^2 $$\n")
    got = [(s.line, s.status) for s in audit_text(post).steps]
    assert got == [(2, StepStatus.VALID), (4, StepStatus.UNDECIDED), (6, StepStatus.VALID), (8, StepStatus.VALID)]


def test_sigma_squared_is_a_name_and_a_variable() -> None:
    post = ("<!-- derive: vector x D; assume \\varepsilon > 0 -->\n"
            "$$ \\mu = \\frac{1}{D}\\sum_{i=1}^{D} x_i $$\n\n"
            "$$ \\sigma^2 = \\frac{1}{D}\\sum_{i=1}^{D}(x_i - \\mu)^2 $$\n\n"
            "$$ \\hat{x}_i = \\frac{x_i - \\mu}{\\sqrt{\\sigma^2 + \\varepsilon}} $$\n\n"
            "$$ \\frac{\\partial \\hat{x}_j}{\\partial \\sigma^2} = (x_j - \\mu)\\left(-\\tfrac{1}{2}\\right)"
            "(\\sigma^2 + \\varepsilon)^{-3/2} $$\n")
    steps = audit_text(post).steps
    assert [s.status for s in steps[:3]] == [StepStatus.DEFINITION] * 3
    assert steps[3].status is StepStatus.VALID, steps[3].reason


def test_a_counterexample_is_a_real_point_of_the_post() -> None:
    # (v + ε)^(-1/2) at a negative v + ε is complex: never a point shown.
    (step,) = check_step("(v + \\epsilon)^{-1/2} = (v + \\epsilon)^{-1/2} + v - v + \\epsilon - \\epsilon",
                         given=["scalar v \\epsilon"]).steps
    assert step.status is StepStatus.VALID
    (wrong,) = check_step("\\log(x) + \\log(y) = \\log(x + y)", given=["scalar x y"]).steps
    if wrong.status is StepStatus.WRONG:
        assert wrong.verdict is not None and wrong.verdict.counterexample is not None
        values = {str(k): v for k, v in dict(wrong.verdict.counterexample.values).items()}
        assert values["x"] > 0 and values["y"] > 0


HINTED_POSTS = sorted((ROOT / "tests" / "data" / "corpus").glob("*.md")) + \
    sorted((ROOT / "tests" / "data" / "declared").glob("*.md"))


@pytest.mark.slow
@pytest.mark.parametrize("post", HINTED_POSTS, ids=lambda p: p.stem)
def test_every_hint_over_the_corpus_parses(post: Path) -> None:
    # tests/test_real_corpus.py checks the real corpus the same way (hints_parse).
    report = audit_text(post.read_text(), path=post.name)
    bad = []
    for hint in report.hints:
        for body in HINTED.findall(hint):
            for declaration in (d.strip().replace("...", "0") for d in body.split(";") if d.strip()):
                problem = declare(PostState(), Declaration(declaration, 1))
                if problem:
                    bad.append((declaration, problem))
    assert bad == []


# -- layer superscripts: h^{(1)}, z^{(2)}_i, W^{(2)}, a_i^{(2)} ---------------------------------------

def test_a_parenthesized_number_in_a_superscript_is_part_of_the_name() -> None:
    post = PostState()
    read = {text: post.read(text) for text in ("h^{(1)}", "z^{(2)}_i", "W^{(2)}", "a_i^{(2)}")}
    assert str(read["h^{(1)}"]) == "h^(1)" and str(read["W^{(2)}"]) == "W^(2)"
    assert str(read["z^{(2)}_i"]) == "z^(2)[i]" and str(read["a_i^{(2)}"]) == "a^(2)[i]"
    assert post.read("h^{(1)}") != post.read("h^{(2)}")  # two arrays, not two entries of h


def test_a_samples_declaration_makes_the_number_the_sample_index() -> None:
    post = PostState()
    assert declare(post, Declaration("samples N i", 1)) is None
    assert str(post.read("x^{(1)}_j")) == "x[1, j]"


def test_layer_names_take_shapes_definitions_and_verdicts() -> None:
    post = ("Let $h^{(1)} \\in \\mathbb{R}^n$ and $W^{(2)} \\in \\mathbb{R}^{m \\times n}$.\n\n"
            "$$ z^{(2)} = W^{(2)} h^{(1)} $$\n\n"
            "$$ \\frac{\\partial z^{(2)}_i}{\\partial h^{(1)}_j} = W^{(2)}_{ij} $$\n\n"
            "$$ \\frac{\\partial z^{(2)}_i}{\\partial h^{(1)}_j} = 2 W^{(2)}_{ij} $$\n")
    report = audit_text(post)
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG]
    table = {e.name: e for e in report.names}
    assert (table["h^(1)"].kind, table["h^(1)"].shape) == ("vector", ("n",))
    assert (table["W^(2)"].kind, table["W^(2)"].shape) == ("matrix", ("m", "n"))
    assert table["z^(2)"].kind == "vector" and table["z^(2)"].source == "defined on line 3"


def test_a_layer_name_is_hinted_the_way_the_declaration_parser_reads_it() -> None:
    assert written("W^(2)") == "W^{(2)}"
    post = PostState()
    assert declare(post, Declaration("vector h^{(1)} n", 1)) is None
    assert "h^(1)" in post.meaning.shapes.arrays


# -- functions with a subscript: g_k(u) = ..., h_\theta(x) = ... ----------------------------------------

def test_a_function_defined_with_an_index_is_applied_with_it() -> None:
    post = ("Let $z \\in \\mathbb{R}^K$.\n\n"
            "$$ g_k(u) = \\frac{e^{u_k}}{\\sum_m e^{u_m}} $$\n\n"
            "$$ \\frac{\\partial g_k(z)}{\\partial z_j} = g_k(z)(\\delta_{kj} - g_j(z)) $$\n\n"
            "$$ \\frac{\\partial g_k(z)}{\\partial z_j} = g_k(z)(\\delta_{kj} + g_j(z)) $$\n")
    report = audit_text(post)
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG]
    assert {e.name: e.kind for e in report.names}["g"] == "function"


def test_a_function_defined_with_a_parameter_in_its_subscript() -> None:
    post = ("<!-- derive: samples n i -->\n"
            "Let $\\theta \\in \\mathbb{R}^d$ and $x^{(i)} \\in \\mathbb{R}^d$.\n\n"
            "$$ h_\\theta(x) = \\frac{1}{1 + e^{-\\theta^T x}} $$\n\n"
            "$$ \\frac{\\partial h_\\theta(x^{(i)})}{\\partial \\theta_j} = "
            "h_\\theta(x^{(i)})(1 - h_\\theta(x^{(i)})) x_j^{(i)} $$\n\n"
            "$$ \\frac{\\partial h_\\theta(x^{(i)})}{\\partial \\theta_j} = h_\\theta(x^{(i)}) x_j^{(i)} $$\n\n"
            "$$ h_\\phi(x) = h_\\theta(x) $$\n")
    statuses_ = [s.status for s in audit_text(post).steps]
    # h_\phi is another function: the definition of h_\theta says nothing of it.
    assert statuses_ == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG, StepStatus.UNDECIDED]


def test_without_its_definition_a_subscripted_name_before_parentheses_multiplies() -> None:
    # h_1(1 - h_1), the sigmoid's derivative at a unit: a product, as before.
    (step,) = check_step("h_1(1 - h_1) = h_1 - h_1^2").steps
    assert step.status is StepStatus.VALID


# -- prose is not a definition ----------------------------------------------------------------------------

def test_a_display_the_prose_states_for_some_matrix_is_no_definition() -> None:
    post = ("Centering the data: for the analysis, write $$R = A X$$ for some matrix A. In this post, though,\n\n"
            "$$ R = X - \\mu $$\n")
    supposed, own = audit_text(post).steps
    assert supposed.status is StepStatus.UNDECIDED and "for some matrix A" in supposed.reason
    assert own.status is StepStatus.DEFINITION  # never refuted by the supposition


def test_a_supposed_display_is_never_wrong() -> None:
    post = "<!-- derive: scalar a b -->\nSuppose $$ a + b = a b $$ and look at what follows.\n"
    (step,) = audit_text(post).steps
    assert step.status is StepStatus.UNDECIDED and "(suppose)" in step.reason


# -- a declaration and a definition of one name --------------------------------------------------------

def test_a_declaration_and_a_definition_of_one_name_are_merged() -> None:
    post = ("<!-- derive: matrix W m n; vector x n; vector z m; scalar c -->\n"
            "$$ z = W x $$\n\n$$ c = \\sum_i x_i^2 $$\n\n"
            "$$ \\frac{\\partial z_i}{\\partial x_j} = W_{ij} $$\n\n"
            "$$ \\frac{\\partial c}{\\partial x_j} = x_j $$\n")
    report = audit_text(post)
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION, StepStatus.DEFINITION, StepStatus.VALID,
                                                StepStatus.WRONG]
    table = {e.name: e for e in report.names}
    assert table["z"].shape == ("m",) and table["z"].meaning.startswith("defined")  # shape declared, meaning defined
    assert table["z"].source == "declared on line 1; defined on line 2"


def test_a_definition_of_another_shape_than_declared_is_a_conflict_at_its_line() -> None:
    post = ("<!-- derive: matrix W m n; vector x n; vector z n -->\n"
            "$$ z = W x $$\n\n$$ \\frac{\\partial z_i}{\\partial x_j} = W_{ij} $$\n")
    conflict, step = audit_text(post).steps
    assert (conflict.status, conflict.line) == (StepStatus.UNDECIDED, 2) and "conflict" in conflict.reason
    # Neither reading is the post's: a step that uses z is never called wrong.
    assert step.status is StepStatus.UNDECIDED and "conflict" in step.reason


# -- derivatives by defined names --------------------------------------------------------------------

LAYER_NORM = ("<!-- derive: vector x D; vector \\gamma D; vector \\beta D; scalar \\varepsilon -->\n"
              "<!-- derive: assume \\varepsilon > 0 -->\n"
              "\\[\\mu = \\frac{1}{D}\\sum_{i=1}^{D} x_i\\]\n\n"
              "\\[\\sigma^2 = \\frac{1}{D}\\sum_{i=1}^{D}(x_i - \\mu)^2\\]\n\n"
              "\\[\\hat{x}_i = \\frac{x_i - \\mu}{\\sqrt{\\sigma^2 + \\varepsilon}}\\]\n\n"
              "\\[y_i = \\gamma_i \\hat{x}_i + \\beta_i\\]\n\n")


def test_a_derivative_by_a_defined_name_takes_that_name_as_the_variable() -> None:
    step = r"\[ \frac{\partial \hat{x}_j}{\partial \mu} = \frac{%s}{\sqrt{\sigma^2+\varepsilon}} \]" + "\n\n"
    *_, true, false = audit_text(LAYER_NORM + step % "-1" + step % "1").steps
    assert true.status is StepStatus.VALID, true.reason
    assert false.status is StepStatus.WRONG, false.reason


def test_an_undefined_loss_differentiated_by_a_defined_name_is_read_through_it() -> None:
    post = LAYER_NORM + (r"\[ \frac{\partial L}{\partial \beta_i} = \frac{\partial L}{\partial y_i} \cdot "
                         r"\underbrace{\frac{\partial y_i}{\partial \beta_i}}_{=\,1} \]" "\n\n"
                         r"\[ \frac{\partial L}{\partial \gamma_i} = \frac{\partial L}{\partial y_i} \cdot \hat{x}_i \]"
                         "\n\n"
                         r"\[ \frac{\partial L}{\partial \gamma_i} = \frac{\partial L}{\partial y_i} \]" "\n")
    *_, beta, gamma, slip = audit_text(post).steps
    assert (beta.status, gamma.status) == (StepStatus.VALID, StepStatus.VALID), (beta.reason, gamma.reason)
    # Whether L depends on γ only through y is the post's to say: never wrong on that reading alone.
    assert slip.status is StepStatus.UNDECIDED and "∂L/∂y" in slip.reason
