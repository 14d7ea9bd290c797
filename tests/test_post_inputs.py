"""The backward pass as course notes write it: gradients written ``dy`` ("the upstream gradient is $dy$"),
and the inputs of the definitions (γ, β, ε of layer norm) that the post never declares. Each reading
has an entry in the post's table; an input's is a convention's, so it decides valid steps, never wrong
ones, and declaring the input says no less."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

FORWARD = ("One row $x$ of length $D$; the upstream gradient is $dy$.\n\n"
           "$$\\mu = \\frac{1}{D}\\sum_{i=1}^{D} x_i$$\n\n"
           "$$\\hat{x}_i = \\frac{x_i - \\mu}{\\sqrt{\\mu^2 + \\varepsilon}}$$\n\n"
           "$$y_i = \\gamma_i \\hat{x}_i + \\beta_i$$\n\n"
           "$$\\frac{\\partial L}{\\partial \\beta_i} = "
           "\\frac{\\partial L}{\\partial y_i} \\frac{\\partial y_i}{\\partial \\beta_i}$$\n\n")
DECLARED = ("<!-- derive: vector \\gamma D -->\n<!-- derive: vector \\beta D -->\n"
            "<!-- derive: assume \\varepsilon > 0 -->\n\n")
RIGHT = "$$d\\hat{x}_i = dy_i \\cdot \\gamma_i$$\n"
#: The root dropped: false wherever the sides are numbers (a gradient's slip is never wrong: the loss is
#: the post's to define, and an undefined one may depend on the inputs in any way).
SLIP = "$$\\hat{x}_i = \\frac{x_i - \\mu}{\\mu^2 + \\varepsilon}$$\n"


def last(text: str) -> StepStatus:
    return audit_text(text).steps[-1].status


def test_a_gradient_written_dy_is_the_gradient_of_the_loss_where_the_post_says_so() -> None:
    steps = audit_text(DECLARED + FORWARD + "$$\\frac{\\partial L}{\\partial \\beta_i} = dy_i$$\n\n" + RIGHT).steps
    assert [s.status for s in steps[-3:]] == [StepStatus.VALID] * 3
    assert last(DECLARED + FORWARD + SLIP) is StepStatus.WRONG
    # Without the sentence, dy is d times y, and d means nothing: never a verdict.
    silent = (DECLARED + FORWARD).replace("; the upstream gradient is $dy$", "")
    assert last(silent + RIGHT) is StepStatus.UNDECIDED
    # A gradient's slip: undecided either way, since the post never defines L (it may depend on γ).
    gradient_slip = "$$d\\hat{x}_i = dy_i \\cdot \\hat{x}_i$$\n"
    assert last(silent + gradient_slip) is StepStatus.UNDECIDED
    assert last(DECLARED + FORWARD + gradient_slip) is StepStatus.UNDECIDED


def test_the_notation_names_its_loss_and_its_line() -> None:
    rows = {e.name: e for e in audit_text(DECLARED + FORWARD + RIGHT).names}
    entry = rows["d<name>"]
    assert entry.kind == "operator" and "∂L/∂<name>" in entry.meaning
    assert entry.source == "read from the post on line 5"


def test_a_loss_the_sentence_names_is_the_one_of_the_notation() -> None:
    text = FORWARD.replace("the upstream gradient is $dy$",
                           "the upstream gradient $\\frac{\\partial \\mathcal{L}}{\\partial y_i}$ is written $dy_i$")
    steps = audit_text(DECLARED + text + "$$\\frac{\\partial \\mathcal{L}}{\\partial \\beta_i} = dy_i$$\n").steps
    assert steps[-1].status is StepStatus.VALID


def test_the_inputs_of_a_definition_decide_valid_steps_never_wrong_ones() -> None:
    right = audit_text(FORWARD + RIGHT)
    assert right.steps[-1].status is StepStatus.VALID
    rows = {e.name: e for e in right.names}
    assert rows["varepsilon"].source.startswith("convention: a name a definition uses")
    assert rows["gamma"].kind == "vector" and rows["gamma"].shape == ("D",)
    # The slip holds at no point, but a point at an arbitrary ε is no point of the post: undecided.
    slip = audit_text(FORWARD + SLIP).steps[-1]
    assert slip.status is StepStatus.UNDECIDED and "varepsilon" in slip.reason
    # Declared, the same steps: valid stays valid, and the slip is wrong.
    assert last(DECLARED + FORWARD + RIGHT) is StepStatus.VALID
    assert last(DECLARED + FORWARD + SLIP) is StepStatus.WRONG


def test_a_name_the_post_defines_or_multiplies_as_an_array_is_no_input() -> None:
    # γ defined after its use is the post's γ, not an input; W in W x is in a product of arrays.
    later = FORWARD + "$$\\gamma_i = 2 x_i$$\n\n"
    rows = {e.name: e for e in audit_text(later).names}
    assert not rows["gamma"].source.startswith("convention")
    rows = {e.name: e for e in audit_text("$x \\in \\mathbb{R}^n$\n\n$$z = W x + b$$\n").names}
    assert "W" not in rows or not rows["W"].source.startswith("convention: a name a definition")
    assert "b" not in rows or not rows["b"].source.startswith("convention: a name a definition")


def test_the_sentence_that_states_the_notation_is_the_one_around_dy() -> None:
    # "gradient" in the paragraph before says nothing of the dy in this one.
    before = (DECLARED + FORWARD).replace("; the upstream gradient is $dy$", ". We take the gradient.\n\nLet $dy$ be")
    assert last(before + RIGHT) is StepStatus.UNDECIDED
