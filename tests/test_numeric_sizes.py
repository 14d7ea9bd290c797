r"""A number in a declaration is a number of entries: ``vector x 3`` has x_1, x_2, x_3 (issue 25, item 3).

Before, "3" became a size variable named 3: true steps were called wrong "at 3 = 4".
"""

from __future__ import annotations

import pytest

from derive.audit.post import AuditInputError, StepStatus, audit_text, check_step


def test_the_issue_reproductions_are_valid() -> None:
    post = "<!-- derive: vector x 3 -->\n\n$$ \\|x\\|^2 = x_1^2 + x_2^2 + x_3^2 $$\n"
    assert [s.status for s in audit_text(post, path="size.md").steps] == [StepStatus.VALID]
    step = check_step(r"\mathbf{1}^T x = x_1 + x_2 + x_3", given=["vector x 3"]).steps[0]
    assert step.status is StepStatus.VALID


@pytest.mark.parametrize(("step", "given", "status"), [
    (r"\|x\|^2 = x_1^2 + x_2^2", "vector x 3", StepStatus.WRONG),
    (r"\mathbf{1}^T x = x_1 + x_2", "vector x 3", StepStatus.WRONG),
    (r"\sum_{i=1}^{3} x_i = \mathbf{1}^T x", "vector x 3", StepStatus.VALID),
    (r"(W x)_1 = W_{1,1} x_1 + W_{1,2} x_2 + W_{1,3} x_3", "vector x 3; matrix W 2 3", StepStatus.VALID),
    (r"(W x)_1 = W_{1,1} x_1 + W_{1,2} x_2", "vector x 3; matrix W 2 3", StepStatus.WRONG),
    (r"\|x\|^2 = \sum_{i=1}^n x_i^2", "vector x n", StepStatus.VALID),
])
def test_numeric_lengths_decide_both_ways(step: str, given: str, status: StepStatus) -> None:
    found = check_step(step, given=given.split("; ")).steps[0]
    assert found.status is status, found.reason
    if status is StepStatus.WRONG:
        assert found.verdict is not None and found.verdict.counterexample is not None
        assert "3 =" not in found.reason  # no size variable named 3


def test_a_number_where_a_size_name_is_meant_is_a_clear_error() -> None:
    with pytest.raises(AuditInputError, match="'size' takes names of sizes"):
        check_step("x = x", given=["size 3"])
    with pytest.raises(AuditInputError, match="a size is a positive number of entries; found 0"):
        check_step("x = x", given=["vector x 0"])
