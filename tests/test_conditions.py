r"""A condition after a chain's last side (``\quad (i \neq j)``) is applied to that chain, or the chain is not read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from derive.audit.post import AuditInputError, StepStatus, audit_text, check_step

VALID, WRONG, UNDECIDED, NOT_READ = StepStatus.VALID, StepStatus.WRONG, StepStatus.UNDECIDED, StepStatus.NOT_READ

OFF_DIAGONAL = r"\frac{\partial \hat{y}_i}{\partial z_j} = -\hat{y}_i \hat{y}_j"
CE = r"\frac{\partial \mathrm{CE}}{\partial z_j}"


def status(step: str, *given: str) -> StepStatus:
    report = check_step(step, given=given)
    assert len(report.steps) == 1, report.steps
    return report.steps[0].status


@pytest.mark.parametrize(("step", "given", "want"), [
    # The off-diagonal Jacobian holds exactly when i ≠ j: the condition decides.
    (OFF_DIAGONAL + r" \quad (i \neq j)", ("logits z",), VALID),
    (OFF_DIAGONAL + r" \quad (i = j)", ("logits z",), WRONG),
    # Without its case the off-diagonal entry is neither: false at i = j, true elsewhere (the case is named below).
    (OFF_DIAGONAL, ("logits z",), UNDECIDED),
    (r"\frac{\partial \hat{y}_i}{\partial z_j} = \hat{y}_i (1 - \hat{y}_i) \quad (i = j)", ("logits z",), VALID),
    (r"\frac{\partial \hat{y}_i}{\partial z_j} = \hat{y}_i (1 - \hat{y}_i) \quad \text{for } i = j", ("logits z",),
     VALID),
    # Σy = 1 written after the step: the soft-label gradient; without it the step is false.
    (CE + r" = \hat{y}_j - y_j \quad (\textstyle\sum_m y_m = 1)", ("logits z", "vector y"), VALID),
    (CE + r" = \hat{y}_j - y_j \quad (\sum_{m=1}^{k} y_m = 1)", ("logits z", "vector y"), VALID),
    (CE + r" = \hat{y}_j - 2 y_j \quad (\sum_{m=1}^{k} y_m = 1)", ("logits z", "vector y"), WRONG),
    # One-hot at ℓ, and the cases of j.
    (CE + r" = \hat{y}_j \quad (y = e_\ell,\ j \neq \ell)", ("logits z", "vector y"), VALID),
    (CE + r" = \hat{y}_j - 1 \quad (y = e_\ell,\ j = \ell)", ("logits z", "vector y"), VALID),
    (CE + r" = \hat{y}_j - 1 \quad (y = e_\ell,\ j \neq \ell)", ("logits z", "vector y"), WRONG),
    (CE + r" = \hat{y}_j \quad (y = e_\ell)", ("logits z", "vector y"), WRONG),
    # A scalar's domain: √(x²) = x for x > 0 only.
    (r"\sqrt{x^2} = x \quad (x < 0)", ("scalar x",), WRONG),
    (r"\frac{d}{dt} t \log t = \log t + 1 \quad (t > 0)", ("scalar t",), VALID),
    # An index range that the shapes already imply.
    (r"\frac{\partial}{\partial w_i} \sum_{n=1}^{p} w_n^2 = 2 w_i \quad (1 \le i \le p)", ("vector w p",), VALID),
])
def test_a_condition_is_part_of_the_claim(step: str, given: tuple[str, ...], want: StepStatus) -> None:
    assert status(step, *given) is want


def test_a_counterexample_honors_the_condition() -> None:
    report = check_step(CE + r" = \hat{y}_j - 1 \quad (y = e_\ell,\ j \neq \ell)", given=("logits z", "vector y"))
    step = report.steps[0]
    assert step.status is WRONG and step.verdict is not None
    point = {str(k): v for k, v in step.verdict.counterexample.point.items()}
    assert point["j"] != point["ell"]
    assert r"j \neq \ell" in step.assumptions and r"y = e_\ell" in step.assumptions


@pytest.mark.parametrize(("condition", "why"), [
    (r"x + y = 5", "two indices"),                       # not a relation of indices, not a domain
    (r"\sum_{m=1}^{3} y_m = 1", "all of y"),             # a partial sum equal to one is another condition
    (r"\sum_{m} y_m = 2", "equal to 1"),
    (r"w = e_\ell", "not declared"),                      # one-hot of a name that is no vector
])
def test_a_condition_that_cannot_be_applied_leaves_the_chain_not_read(condition: str, why: str) -> None:
    report = check_step(CE + rf" = \hat{{y}}_j - y_j \quad ({condition})", given=("logits z", "vector y"))
    step = report.steps[0]
    assert step.status is NOT_READ
    assert why in step.reason and "cannot be applied" in step.reason


@pytest.mark.parametrize(("step", "inside"), [
    (r"\sqrt{x^2} = -x \quad (x > 0)", lambda x: x > 0),
    (r"x^2 = x \quad (0 < x < 1)", lambda x: 0 < x < 1),
    (r"x^2 = x \quad (x \in \{0, 2\})", lambda x: x == 2),
])
def test_a_domain_condition_holds_at_the_counterexample(step: str, inside: Callable[[object], bool]) -> None:
    report = check_step(step, given=("scalar x",))
    verdict = report.steps[0].verdict
    assert report.steps[0].status is WRONG and verdict is not None
    x = next(v for k, v in verdict.counterexample.point.items() if str(k) == "x")
    assert inside(x)


def test_a_condition_holds_for_its_own_chain_only() -> None:
    post = "\n".join([
        "<!-- derive: logits z -->",
        "$$", OFF_DIAGONAL + r" \quad (i \neq j)", "$$",
        "$$", OFF_DIAGONAL, "$$",
    ])
    first, second = audit_text(post).steps
    # The second chain does not inherit the first one's case: true only if i ≠ j, it is undecided and names it.
    assert (first.status, second.status) == (VALID, UNDECIDED)
    assert "assume i \\neq j" in second.reason, second.reason


def test_a_step_true_only_off_the_diagonal_names_its_case() -> None:
    step = check_step(OFF_DIAGONAL, given=("logits z",)).steps[0]
    assert step.status is UNDECIDED and "equal if i \\neq j" in step.reason, step.reason


def test_reset_forgets_what_was_declared_and_defined() -> None:
    post = "\n".join([
        "<!-- derive: logits z; labels y soft -->",
        "$$", CE + r" = \hat{y}_j - y_j", "$$",
        "<!-- derive: reset -->",
        "$$", CE + r" = \hat{y}_j - y_j", "$$",
    ])
    first, second = audit_text(post).steps
    assert first.status is VALID
    assert second.status is UNDECIDED  # CE, ŷ and y mean nothing any more


BATCH = ("samples N n", "vector x p per sample", "vector y c per sample", "labels y soft", "matrix A d p",
         "matrix B c d", r"define s_{ni} = \sum_{r=1}^{d} B_{ir} \sum_{q=1}^{p} A_{rq} x_{nq}",
         r"define \hat{y}_{ni} = \operatorname{softmax}(s_n)_i",
         r"define L_n = -\sum_{m=1}^{c} y_{nm} \log \hat{y}_{nm}", r"define L = \frac{1}{N} \sum_{n=1}^{N} L_n")


@pytest.mark.parametrize(("rhs", "want"), [
    (r"\frac{1}{N}\sum_{n=1}^{N} \frac{\partial L_n}{\partial B_{ab}}", VALID),
    (r"\frac{2}{N}\sum_{n=1}^{N} \frac{\partial L_n}{\partial B_{ab}}", WRONG),
    (r"\frac{1}{N}\sum_{n=1}^{N} (\hat{y}_{na} - y_{na}) \sum_{q=1}^{p} A_{bq} x_{nq}", VALID),
    (r"\frac{1}{N}\sum_{n=1}^{N} (y_{na} - \hat{y}_{na}) \sum_{q=1}^{p} A_{bq} x_{nq}", WRONG),
])
def test_the_batch_mean_l_is_defined_from_the_samples_l_n(rhs: str, want: StepStatus) -> None:
    # L and L_n are two names: L = (1/N) Σ L_n is a definition, not an update of L; and
    # softmax(s_n)_i is the softmax of sample n's vector.
    assert status(rf"\frac{{\partial L}}{{\partial B_{{ab}}}} = {rhs}", *BATCH) is want


def test_a_name_on_both_sides_of_its_definition_is_still_refused() -> None:
    with pytest.raises(AuditInputError, match="both sides"):
        check_step(r"\frac{\partial L}{\partial x} = 0", given=("scalar x", r"define L = L + x"))
    with pytest.raises(AuditInputError, match="both sides"):
        check_step(r"L_n = 0", given=("samples N n", r"define L_n = 2 L_n"))

