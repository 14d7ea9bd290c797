r"""A definition that writes bare a name the post writes with an index elsewhere, as layer-norm posts do:
``y = \hat{x} * \gamma + \beta`` beside ``y_j = \hat{x}_j \gamma_j + \beta_j``. γ and β are vectors there, so
the bare formula's products may be of two vectors; read with γ and β scalars it would fix a meaning the
post does not give. The bare definition defines nothing, and the entries' definition is used."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

FORWARD = ("The forward pass for one input row $x$ of dimension $N$:\n\n"
           "$$y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} * \\gamma + \\beta$$\n\n"
           "with the mean $\\mu = \\frac{1}{N} \\sum_j x_j$, the variance "
           "$\\sigma^2 = \\frac{1}{N} \\sum_j (x_j - \\mu)^2$, the normalized input "
           "$\\hat{x}_j = \\frac{x_j - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$ and the output "
           "$y_j = \\hat{x}_j \\gamma_j + \\beta_j$.\n\n")


def test_the_bare_definition_defines_nothing_and_the_entries_definition_decides_the_steps() -> None:
    report = audit_text(FORWARD + "$$\\frac{\\partial y_k}{\\partial \\gamma_j} = \\hat{x}_j \\delta_{kj}$$\n\n"
                                  "$$\\frac{\\partial y_k}{\\partial \\beta_j} = \\delta_{kj}$$\n")
    first = report.steps[0]
    assert first.status is StepStatus.UNDECIDED and "\\gamma" in first.reason and "index" in first.reason
    assert [s.status for s in report.steps[-2:]] == [StepStatus.VALID, StepStatus.VALID]
    rows = {e.name: e for e in report.names}
    assert rows["gamma"].kind == rows["beta"].kind == "vector"
    assert rows["y"].source.startswith("defined on line 5")


def test_a_slip_through_the_entries_definition_is_not_valid() -> None:
    # γ and β are inputs by convention (no declared meaning), so the slip is never called wrong, only not valid.
    report = audit_text(FORWARD + "$$\\frac{\\partial y_k}{\\partial \\beta_j} = \\hat{x}_j \\delta_{kj}$$\n")
    assert report.steps[-1].status is StepStatus.UNDECIDED
    declared = audit_text("<!-- derive: vector \\gamma N -->\n<!-- derive: vector \\beta N -->\n" + FORWARD
                          + "$$\\frac{\\partial y_k}{\\partial \\beta_j} = \\hat{x}_j \\delta_{kj}$$\n")
    assert declared.steps[-1].status is not StepStatus.VALID


def test_a_whole_vector_as_a_function_argument_is_no_bare_product() -> None:
    # softmax(θ) takes the whole vector: θ_i elsewhere does not make this definition wait.
    report = audit_text("$\\hat{y} = \\mathrm{softmax}(\\theta)$, where\n\n"
                        "$$\\hat{y}_i = \\frac{e^{\\theta_i}}{\\sum_j e^{\\theta_j}}$$\n")
    assert report.steps[0].status is StepStatus.DEFINITION


def test_a_name_the_post_declares_anywhere_has_its_shape_from_the_declaration() -> None:
    # V is declared a matrix after the prose defines s = V h, and written V_{ir} in the entries: the declaration,
    # not the index, says what V is, so s = V h is a definition (a matrix times a vector).
    text = ("The scores are $s = V h$.\n\n<!-- derive: vector h d; matrix V c d -->\n"
            "$$ s_i = \\sum_{r=1}^{d} V_{ir} h_r $$\n")
    assert audit_text(text).steps[0].status is StepStatus.DEFINITION
    undeclared = audit_text(text.replace("<!-- derive: vector h d; matrix V c d -->\n", ""))
    assert undeclared.steps[0].status is StepStatus.UNDECIDED
