r"""The meaning side of the audit (issue 12): definitions, declarations, labels, domains, the re-check of "wrong".

Each test states a step whose truth is known and asserts that the audit never calls a
false step valid nor a true one wrong.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from derive.audit.post import AuditInputError, StepStatus, audit_text, check_step
from derive.audit.recheck import recheck
from derive.audit.results import AuditSettings, AuditStep
from derive.engine.claims import Claim
from derive.engine.hypotheses import Domain, InRange, OneHot
from derive.engine.space import ArraySpec, Role
from derive.engine.verdict import Counterexample

ROOT = Path(__file__).resolve().parent.parent



def statuses(text: str) -> list[tuple[str, StepStatus]]:
    return [(s.text, s.status) for s in audit_text(text).steps]


def one(step: str, *given: str) -> tuple[StepStatus, str]:
    (result,) = check_step(step, given=list(given)).steps
    return result.status, result.reason


# -- definitions ---------------------------------------------------------------------------------

def test_a_definition_is_a_bare_name_as_written() -> None:
    # Neither is a definition: with x declared, both are false claims; without, x has no entry and an
    # equation in it may be one the post means x to solve (undecided, naming the declaration).
    steps = statuses("<!-- derive: scalar x -->\n$$ x + 0 = 1 $$\n\n$$ x^2 = x^3 $$\n")
    assert [s for _, s in steps] == [StepStatus.WRONG, StepStatus.WRONG]
    undeclared = audit_text("$$ x + 0 = 1 $$\n").steps[0]
    assert undeclared.status is StepStatus.UNDECIDED and "<!-- derive: scalar x -->" in undeclared.reason


def test_a_self_referential_update_is_reported_and_poisons_nothing() -> None:
    report = audit_text("<!-- derive: scalar \\eta g -->\n$$ w = w - \\eta g $$\n\n$$ w^2 = w \\cdot w $$\n\n"
                        "$$ (w + 1)^2 = w^2 + 1 $$\n")
    update, square, false = report.steps
    assert update.status is StepStatus.UNDECIDED and "update" in update.reason
    assert square.status is StepStatus.VALID  # for every scalar w
    # The update gave w no meaning: the false step is refuted only once w is declared.
    assert false.status is StepStatus.UNDECIDED and "<!-- derive: scalar w -->" in false.reason


def test_an_update_of_a_declared_scalar_is_an_update_and_a_false_step_about_it_is_wrong() -> None:
    report = audit_text("<!-- derive: scalar \\eta g w -->\n$$ w = w - \\eta g $$\n\n$$ (w + 1)^2 = w^2 + 1 $$\n")
    update, false = report.steps
    assert update.status is StepStatus.UNDECIDED and "update" in update.reason
    assert false.status is StepStatus.WRONG


def test_the_first_link_of_a_chain_defines_a_new_name() -> None:
    text = ("<!-- derive: vector z; vector y; labels y one-hot at \\ell -->\n"
            "$$ L = -\\sum_i y_i \\log z_i = -\\log z_\\ell $$\n")
    (definition, step) = audit_text(text).steps
    assert definition.status is StepStatus.DEFINITION
    assert step.status is StepStatus.VALID


def test_bound_indices_of_a_definition_are_renamed_apart() -> None:
    status, reason = one(r"\sum_{i=1}^k \frac{\partial L}{\partial s_i} x_i = \sum_{i=1}^k (\hat y_i - y_i) x_i",
                         r"define L = -\sum_{i=1}^k y_i \log \hat{y}_i", "logits s", "labels y soft", "vector x")
    assert status is StepStatus.VALID, reason
    status, _ = one(r"\sum_{i=1}^k \frac{\partial L}{\partial s_i} x_i = \sum_{i=1}^k (\hat y_i + y_i) x_i",
                    r"define L = -\sum_{i=1}^k y_i \log \hat{y}_i", "logits s", "labels y soft", "vector x")
    assert status is StepStatus.WRONG


# -- declarations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["same c k; matrix V c d", "matrix V c d; same c k"])
def test_declarations_mean_the_same_in_any_order(order: str) -> None:
    text = f"<!-- derive: {order} -->\n$$ \\sum_{{a=1}}^{{k}} V_{{a,1}} = \\sum_{{a=1}}^{{c}} V_{{a,1}} $$\n"
    assert [s for _, s in statuses(text)] == [StepStatus.VALID]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["declared/001_garbled.md", "declared/002_two_layer.md",
                                  "corpus/05_label_smoothing.md", "corpus/14_batch_ce.md", "corpus/23_matrix_form.md"])
def test_a_post_means_the_same_with_its_declarations_reversed(name: str) -> None:
    text = (ROOT / "tests" / "data" / name).read_text()
    match = re.search(r"<!--\s*derive:([^>]*?)-->", text)
    assert match is not None
    parts = [p.strip() for p in match.group(1).split(";") if p.strip()]
    reversed_text = text[:match.start()] + "<!-- derive: " + "; ".join(reversed(parts)) + " -->" + text[match.end():]
    # A generous budget: a step that runs out of time under load in one order only is no difference of meaning.
    generous = AuditSettings(budget=30.0)
    assert [(s.line, s.status) for s in audit_text(reversed_text, settings=generous).steps] == \
        [(s.line, s.status) for s in audit_text(text, settings=generous).steps]


def test_an_unknown_declaration_names_its_column_and_the_fix() -> None:
    report = audit_text("<!-- derive: vector z; frobnicate x -->\n$$ z_1 = z_1 $$\n")
    bad = report.steps[0]
    assert bad.status is StepStatus.NOT_READ and (bad.line, bad.column) == (1, 24)
    assert "docs/audit.md" in bad.reason and "known:" in bad.reason
    with pytest.raises(AuditInputError, match="--given 'frobnicate x'"):
        check_step("x = x", given=["frobnicate x"])


def test_backslashed_scalars_and_their_domain() -> None:
    status, reason = one(r"\lambda^2 = \lambda", r"scalar \lambda", r"assume \lambda \ge 0")
    assert status is StepStatus.WRONG
    assert "lambda = -" not in reason


def test_an_operator_declaration_is_written_out_at_each_use() -> None:
    given = ["vector a", r"define D_j = \frac{\partial}{\partial a_j}"]
    assert one(r"D_j \log \sum_m e^{a_m} = \frac{e^{a_j}}{\sum_m e^{a_m}}", *given)[0] is StepStatus.VALID
    assert one(r"D_j \log \sum_m e^{a_m} = e^{a_j}", *given)[0] is StepStatus.WRONG


# -- labels ---------------------------------------------------------------------------------------

REGRESSION = r"""<!-- derive: matrix X N p; vector w p; vector y N -->
$$ L = \frac{1}{2N}\sum_{n=1}^N \left(\sum_{i=1}^p X_{ni} w_i - y_n\right)^2 $$

$$ \frac{\partial L}{\partial w_j} = \frac{1}{N}\sum_{n=1}^N \left(\sum_{i=1}^p X_{ni} w_i - y_n\right) X_{nj} $$

$$ \frac{\partial L}{\partial w_j} = \sum_{n=1}^N \left(\sum_{i=1}^p X_{ni} w_i - y_n\right) X_{nj} $$
"""


def test_a_vector_named_y_is_not_labels_so_a_missing_mean_is_wrong() -> None:
    report = audit_text(REGRESSION)
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG]
    assert report.steps[2].verdict is not None and report.steps[2].verdict.counterexample is not None
    assert report.exit_status == 1


def test_sum_to_one_is_along_a_row_only() -> None:
    status, _ = one(r"\sum_j y_{n,j} = 1", "labels y soft", "vector y k per", "samples N n")
    assert status is StepStatus.VALID
    status, _ = one(r"\sum_j y_{j,j} = 1", "labels y soft", "vector y k per", "samples N n")
    assert status is not StepStatus.VALID


def test_one_hot_labels_of_a_batch_have_a_class_per_sample() -> None:
    per_sample = ["labels y one-hot at \\ell_n", "vector y k per", "samples N n"]
    status, _ = one(r"y_{1,j} = y_{2,j}", *per_sample)
    assert status is StepStatus.WRONG
    status, reason = one(r"\sum_j y_{n,j} z_j = z_{\ell_n}", *per_sample)
    assert status is StepStatus.VALID, reason
    # One class for the whole batch is never meant: the audit says what to declare.
    status, reason = one(r"y_{1,j} = y_{2,j}", "labels y one-hot at \\ell", "vector y k per", "samples N n")
    assert status is StepStatus.NOT_READ and "one-hot at \\ell_n" in reason


def test_labels_undeclared_make_a_step_that_needs_them_undecided() -> None:
    step = r"\frac{\partial}{\partial z_j} \left(-\sum_m y_m \log \frac{e^{z_m}}{\sum_i e^{z_i}}\right) = " \
           r"\frac{e^{z_j}}{\sum_i e^{z_i}} - y_j"
    status, reason = one(step, "vector z")
    assert status is StepStatus.UNDECIDED and "labels y soft" in reason
    status, reason = one(step)
    assert status is StepStatus.UNDECIDED and "labels" in reason
    # Declared a plain vector, y is no labels: the step needs Σy = 1, so it is wrong.
    status, reason = one(step, "vector z", "vector y")
    assert status is StepStatus.WRONG, reason
    status, _ = one(step, "vector z", "labels y soft")
    assert status is StepStatus.VALID


# -- domains ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("step", "given", "name", "inside"), [
    (r"\frac{x}{T} = x T", ["scalar x T", "assume T > 0"], "T", lambda v: v > 0),
    (r"(1 - \epsilon) x = x", ["scalar x", r"assume 0 \le \epsilon \le 1"], "epsilon", lambda v: 0 <= v <= 1),
    (r"t x = x", ["scalar x", r"assume t \in \{0, 1\}"], "t", lambda v: v in (0, 1)),
])
def test_counterexamples_honor_scalar_domains(step: str, given: list[str], name: str, inside: object) -> None:
    (result,) = check_step(step, given=given).steps
    assert result.status is StepStatus.WRONG, result.reason
    assert result.verdict is not None and result.verdict.counterexample is not None
    values = {str(k): v for k, v in result.verdict.counterexample.values.items()}
    assert isinstance(values[name], sp.Rational) and inside(values[name])  # type: ignore[operator]
    exact = result.as_dict()["counterexample"]["exact"]
    assert sp.Rational(exact[name]) == values[name]


def test_the_temperature_scaled_cross_entropy_is_proved_from_its_definition() -> None:
    step = r"\frac{\partial C}{\partial z_j} = \frac{1}{T}\left(\frac{e^{z_j/T}}{\sum_m e^{z_m/T}} - y_j\right)"
    status, _ = one(step, r"define C = -\sum_i y_i z_i/T + \ln \sum_i e^{z_i/T}", "labels y soft", "vector z",
                    "scalar T", "assume T > 0")
    assert status is StepStatus.VALID


def test_the_log_sum_exp_shift_is_proved_for_every_size() -> None:
    assert one(r"\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}", "vector z", "scalar m")[0] is StepStatus.VALID
    assert one(r"\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j + m}", "vector z", "scalar m")[0] is StepStatus.WRONG


# -- names without meaning ----------------------------------------------------------------------

PROSE = r"""<!-- derive: vector a; vector y; labels y one-hot at \ell -->
Here $S_i$ is the softmax of $a$, and $p_i$ is a probability.

$$ \frac{\partial L}{\partial a_j} = S_j - y_j $$

$$ \sum_{i=1}^k p_i = 1 $$
"""


def test_names_the_prose_defines_are_undecided_never_wrong() -> None:
    report = audit_text(PROSE)
    assert [s.status for s in report.steps] == [StepStatus.UNDECIDED, StepStatus.UNDECIDED]
    assert "define" in report.steps[1].reason


def test_inline_definitions_are_read_like_display_ones() -> None:
    text = PROSE.replace("Here $S_i$ is the softmax of $a$", "Here $S_i = \\frac{e^{a_i}}{\\sum_k e^{a_k}}$ and "
                         "$L = -\\sum_i y_i \\log S_i$")
    # Each inline definition is a step of its own (a definition, not checked); the claim after them is
    # decided through them, as after display definitions.
    def claims(post: str) -> list[AuditStep]:
        steps = audit_text(post).steps
        assert [s.lhs for s in steps if s.status is StepStatus.DEFINITION] == ["S_i", "L"]
        return [s for s in steps if s.status is not StepStatus.DEFINITION]

    right = claims(text)[0]
    assert right.status is StepStatus.VALID, right.reason
    wrong = claims(text.replace("= S_j - y_j", "= S_j + y_j"))[0]
    assert wrong.status is StepStatus.WRONG


# -- the re-check of a wrong --------------------------------------------------------------------

def _claim(*hyps: object) -> tuple[Claim, sp.Symbol, sp.IndexedBase, sp.Symbol]:
    k = sp.Symbol("k", integer=True, positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    z = sp.IndexedBase("z", real=True)
    i = sp.Symbol("i", integer=True)
    lhs = sp.Sum(z[i], (i, 1, n))
    claim = Claim("c", lhs, sp.S.Zero, tuple(hyps), arrays={"z": ArraySpec(z, (k,), Role.INPUTS)})  # type: ignore[arg-type]
    return claim, k, z, n


def test_recheck_rejects_an_index_beyond_a_sums_limit() -> None:
    claim, k, z, n = _claim()
    values = {k: sp.Integer(2), n: sp.Integer(3), z[1]: sp.Integer(1), z[2]: sp.Integer(2)}
    found = Counterexample({}, sp.Float(3), sp.Float(0), 30, None, values)
    reason = recheck(claim, claim.lhs, claim.rhs, found)  # type: ignore[arg-type]
    assert reason is not None and "z[3]" in reason
    values[n] = sp.Integer(2)
    assert recheck(claim, claim.lhs, claim.rhs, Counterexample({}, sp.Float(3), sp.Float(0), 30, None, values)) \
        is None  # type: ignore[arg-type]


def test_recheck_rejects_a_point_outside_a_domain_a_range_or_one_hot_labels() -> None:
    claim, k, z, n = _claim(Domain("T", lo=sp.Integer(0), lo_open=True))
    T = sp.Symbol("T", real=True)
    values = {k: sp.Integer(2), n: sp.Integer(1), z[1]: sp.Integer(1), z[2]: sp.Integer(2), T: sp.Integer(-1)}
    found = Counterexample({}, sp.Float(1), sp.Float(0), 30, None, values)
    assert "T" in (recheck(claim, claim.lhs, claim.rhs, found) or "")  # type: ignore[arg-type]
    j = sp.Symbol("j", integer=True, positive=True)
    ranged = claim.with_hypotheses(InRange(j, 1, k))
    found = Counterexample({}, sp.Float(1), sp.Float(0), 30, None, {**values, T: sp.Integer(1), j: sp.Integer(3)})
    assert "outside" in (recheck(ranged, claim.lhs, claim.rhs, found) or "")  # type: ignore[arg-type]
    y = sp.IndexedBase("y", real=True)
    labelled = claim.with_hypotheses(OneHot(y, sp.Integer(1), k))
    found = Counterexample({}, sp.Float(1), sp.Float(0), 30, None,
                           {**values, T: sp.Integer(1), y[1]: sp.Integer(0), y[2]: sp.Integer(1)})
    assert "one-hot" in (recheck(labelled, claim.lhs, claim.rhs, found) or "")  # type: ignore[arg-type]


@pytest.mark.slow
def test_counterexamples_are_the_same_under_any_hash_seed() -> None:
    script = ("from derive.audit.post import audit_file\n"
              "from derive.audit.results import AuditSettings\n"
              "r = audit_file('tests/data/declared/002_two_layer.md', settings=AuditSettings(budget=30.0))\n"
              "print([(s.line, sorted((str(k), str(v)) for k, v in s.verdict.counterexample.values.items()))"
              " for s in r.steps if s.status.value == 'wrong'])\n")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and "/" in outputs[0]  # exact rationals, the same points


def test_strict_exit_status_counts_undecided_and_unread_steps() -> None:
    report = audit_text(PROSE)
    assert report.exit_status == 0 and report.strict_exit_status == 1


@pytest.mark.parametrize("step", [r"\frac{1}{0} = \frac{2}{0}", r"\infty = \infty + 1"])
def test_a_side_with_no_value_is_never_valid(step: str) -> None:
    status, reason = one(step)
    # The reader refuses it first (division by zero, infinity), or the meaning finds no value: never valid.
    assert status is StepStatus.NOT_READ and any(w in reason for w in ("no value", "zero", "infinity"))


def test_audit_strict_exits_1_on_an_undecided_step() -> None:
    post = str(ROOT / "tests" / "data" / "corpus" / "21_prose_names.md")

    def run(*args: str) -> int:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, "-m", "derive", "audit", *args, post], env=env, capture_output=True,
                              timeout=300).returncode

    assert run() == 0
    assert run("--strict") == 1


def test_a_sum_without_limits_over_the_default_size_letter_runs_over_its_length() -> None:
    assert one(r"\frac{\partial}{\partial z_j} \log \sum_k e^{z_k} = \frac{e^{z_j}}{\sum_k e^{z_k}}",
               "vector z")[0] is StepStatus.VALID
    assert one(r"\frac{\partial}{\partial z_j} \log \sum_k e^{z_k} = e^{z_j}", "vector z")[0] is StepStatus.WRONG
    # Written with its index as its own limit, it stays not read (seed 000's \Sigma^k_{k=1}).
    assert one(r"\sum_{k=1}^k z_k = 1", "vector z")[0] is StepStatus.NOT_READ


@pytest.mark.parametrize(("step", "given", "want"), [
    # Declared as a value, a conventional function letter before ( is a product.
    (r"h(1-h) = h - h^2", ("scalar h",), StepStatus.VALID),
    (r"\frac{d}{dh} h(1-h) = 1 - 2h", ("scalar h",), StepStatus.VALID),
    (r"\frac{d}{dh} h(1-h) = 1 - h", ("scalar h",), StepStatus.WRONG),
    (r"f(a + b) = f a + f b", ("scalar f a b",), StepStatus.VALID),
    # Not declared, h is still an unknown function: its derivative is not decided.
    (r"\frac{d}{dx} h(x) = h(x)", (), StepStatus.UNDECIDED),
    # Defined by the post, it is the post's function.
    (r"h(2) = 4", ("define h(x) = x^2",), StepStatus.VALID),
])
def test_a_declared_value_is_never_a_function(step: str, given: tuple[str, ...], want: StepStatus) -> None:
    assert check_step(step, given=given).steps[0].status is want


@pytest.mark.parametrize(("step", "want"), [
    (r"\frac{\partial^2 \mathrm{CE}}{\partial z_i \partial z_j} = \hat{y}_i \delta_{ij} - \hat{y}_i \hat{y}_j",
     StepStatus.VALID),
    (r"\frac{\partial^2 \mathrm{CE}}{\partial z_i \partial z_j} = \hat{y}_i \delta_{ij} + \hat{y}_i \hat{y}_j",
     StepStatus.WRONG),
    (r"\frac{\partial^2 \mathrm{CE}}{\partial z_i \partial z_j} = "
     r"\frac{\partial^2 \mathrm{CE}}{\partial z_j \partial z_i}", StepStatus.VALID),
    (r"\frac{\partial^2}{\partial z_i \partial z_j} \log \sum_{n=1}^{k} e^{z_n} = "
     r"\hat{y}_i \delta_{ij} - \hat{y}_i \hat{y}_j", StepStatus.VALID),
])
def test_a_mixed_second_derivative_is_decided(step: str, want: StepStatus) -> None:
    # ∂²/∂z_i∂z_j: the Hessian by entries, differentiated one variable at a time.
    assert check_step(step, given=("logits z", "labels y soft")).steps[0].status is want


@pytest.mark.parametrize(("step", "given", "want"), [
    # A scalar's domain gives SymPy its sign: ReLU where it is differentiable, |x|, √(x²).
    (r"\frac{\partial}{\partial w} \max(0, w x) = x", ("scalar x w", "assume x > 0", "assume w > 0"),
     StepStatus.VALID),
    (r"\frac{\partial}{\partial w} \max(0, w x) = 0", ("scalar x w", "assume x > 0", "assume w < 0"),
     StepStatus.VALID),
    (r"\frac{\partial}{\partial w} \max(0, w x) = x", ("scalar x w", "assume x > 0"), StepStatus.WRONG),
    (r"\frac{\partial}{\partial w} \max(0, w x) = x", ("scalar x w", "assume x > 0", "assume w < 0"),
     StepStatus.WRONG),
    (r"\sqrt{x^2} = x", ("scalar x", "assume x > 0"), StepStatus.VALID),
    (r"\sqrt{x^2} = x", ("scalar x", "assume x \\ge 0"), StepStatus.VALID),
    (r"\sqrt{x^2} = x", ("scalar x",), StepStatus.WRONG),
    (r"|t| = t", ("scalar t", "assume 0 < t < 1"), StepStatus.VALID),
    (r"|t| = -t", ("scalar t", "assume 0 < t < 1"), StepStatus.WRONG),
])
def test_a_domain_gives_its_sign(step: str, given: tuple[str, ...], want: StepStatus) -> None:
    assert check_step(step, given=given).steps[0].status is want


def test_a_maximum_over_an_index_is_not_read_and_the_fix_is_named() -> None:
    step = check_step(r"\max_i z_i = z_1", given=("vector z",)).steps[0]
    assert step.status is StepStatus.NOT_READ and "name the maximum and declare it" in step.reason


def test_a_known_operator_applied_on_the_left_is_a_claim_not_a_function_definition() -> None:
    report = audit_text("<!-- derive: matrix A k k -->\n$$ \\operatorname{tr}(A) = \\sum_{i=1}^{k} A_{ii} $$\n\n"
                        "$$ \\operatorname{tr}(A) = \\sum_{i=1}^{k} A_{ii}^2 $$\n")
    true, false = report.steps
    assert true.status is StepStatus.VALID, true.reason
    assert false.status is StepStatus.WRONG, false.reason
