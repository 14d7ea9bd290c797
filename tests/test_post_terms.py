r"""A name introduced as the terms of a sum, as posts write per-class losses:
``L = -\sum_j y_j \log p_j = -\sum_j \ell_j``, then ``\partial \ell_j / \partial p_j``. The link defines
``\ell_j`` term by term only where the name means nothing else; anywhere else it is a claim."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

LOSS = ("The loss over $C$ classes; the label $y$ is one-hot, at the true class $c$.\n\n"
        "$$L = -\\sum_j^C y_j \\log p_j = -\\sum_j^C \\ell_j$$\n\n"
        "Here $p_j$ is entry $j$ of the softmax of the logits $a$:\n\n"
        "$$p_j = \\frac{\\exp(a_j)}{\\sum_k^C \\exp(a_k)}$$\n\n")


def statuses(text: str) -> list[StepStatus]:
    return [s.status for s in audit_text(text).steps]


def test_the_terms_of_a_sum_define_the_new_name_and_the_steps_after_it_are_decided() -> None:
    report = audit_text(LOSS + "$$\\frac{\\partial \\ell_j}{\\partial p_j} = \\frac{y_j}{p_j}$$\n\n"
                               "$$\\frac{\\partial L}{\\partial a_i} = -\\sum_j^C \\frac{\\partial \\ell_j}"
                               "{\\partial p_j} \\frac{\\partial p_j}{\\partial a_i}$$\n")
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION] * 3 + [StepStatus.VALID] * 2
    assert "ell[j] = log(p[j])*y[j]" in report.steps[1].reason
    assert {e.name: e.source for e in report.names}["ell"] == "defined on line 3"
    # The sign of the term flipped between lines (a genuine slip of a real post): refuted at a point.
    chain = "$$\\frac{\\partial L}{\\partial a_i} = \\sum_j^C y_j (p_i - \\delta_{ij})$$\n\n"
    slip = audit_text(LOSS + chain + "$$\\frac{\\partial \\ell_j}{\\partial p_j} = -\\frac{y_j}{p_j}$$\n").steps[-1]
    assert slip.status is StepStatus.WRONG and "y = [" in slip.reason


def test_a_name_the_post_defines_elsewhere_is_a_claim_about_its_sum() -> None:
    defined = LOSS + "$$\\ell_j = y_j \\log p_j$$\n"
    assert statuses(defined)[1] is not StepStatus.DEFINITION
    # Other coefficients, other limits, or a term that is not the bare entry: a claim, never a definition.
    for other in ("2\\sum_j^C \\ell_j", "-\\sum_k^C \\ell_k", "-\\sum_j^C \\ell_j^2", "-\\sum_j^{C-1} \\ell_j"):
        assert statuses(LOSS.replace("-\\sum_j^C \\ell_j", other))[1] is not StepStatus.DEFINITION, other
