"""Names a post defines as it writes them: a word in a text style (``\\text{rstd}``), a square defined as a
name before or after its use (``\\sigma^2``), and what a refutation needs from the names a definition brings in.
Each case is layer norm as real posts write it."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

LAYER_NORM = "<!-- derive: vector x N -->\n<!-- derive: vector \\gamma N -->\n<!-- derive: vector \\beta N -->\n" \
             "<!-- derive: assume \\epsilon > 0 -->\n\n"
MEAN = "$$\\mu = \\frac{1}{N} \\sum_j x_j$$\n\n"
VARIANCE = "$$\\sigma^2 = \\frac{1}{N} \\sum_j (x_j - \\mu)^2$$\n\n"


def statuses(text: str) -> list[StepStatus]:
    return [s.status for s in audit_text(text).steps]


def test_a_word_in_a_text_style_is_a_name_a_post_defines() -> None:
    defined = LAYER_NORM + MEAN + VARIANCE + "$$\\text{rstd} = \\frac{1}{\\sqrt{\\sigma^2 + \\epsilon}}$$\n\n" \
        "$$\\hat{x}_j = (x_j - \\mu) \\cdot \\text{rstd}$$\n\n"
    right = "$$\\hat{x}_j = \\frac{x_j - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$$\n"
    assert statuses(defined + right) == [StepStatus.DEFINITION] * 4 + [StepStatus.VALID]
    no_root = "$$\\hat{x}_j = \\frac{x_j - \\mu}{\\sigma^2 + \\epsilon}$$\n"
    assert statuses(defined + no_root)[-1] is StepStatus.WRONG


def test_a_square_defined_as_a_name_means_it_in_the_displays_before_its_definition() -> None:
    # Layer norm's output written first, its variance defined after: one σ² in both.
    before = LAYER_NORM + "$$y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$$\n\n" + MEAN + VARIANCE
    right = audit_text(before + "$$y_j = \\frac{x_j - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$$\n").steps
    assert right[-1].status in (StepStatus.DEFINITION, StepStatus.VALID)
    assert all("sigma" not in s.reason for s in right)
    wrong = audit_text(before + "$$y_j = \\frac{x_j - \\mu}{\\sigma^2 + \\epsilon}$$\n").steps
    assert wrong[-1].status is StepStatus.WRONG


def test_a_declared_name_keeps_its_square() -> None:
    text = "<!-- derive: scalar \\sigma -->\n\n$$\\sigma^2 = \\sigma \\cdot \\sigma$$\n"
    assert statuses(text) == [StepStatus.VALID]


def test_a_refutation_needs_a_value_for_every_name_a_definition_brings_in() -> None:
    # x̂ is defined through rstd, which nothing defines: at an arbitrary rstd the sides differ, but that
    # is no point of the post, so the step is undecided and names rstd.
    text = LAYER_NORM + MEAN + "$$\\hat{x}_j = (x_j - \\mu) \\cdot r$$\n\n" \
        "$$\\hat{x}_j = \\frac{x_j - \\mu}{\\sqrt{\\epsilon}}$$\n"
    last = audit_text(text).steps[-1]
    assert last.status is StepStatus.UNDECIDED and "r" in last.reason.split("but")[0]


def test_two_vectors_side_by_side_added_to_a_vector_are_not_read() -> None:
    # y = x γ + β: the dot product xᵀγ broadcast, or layer norm's entrywise x ⊙ γ? Both type-check.
    restated = "$$y_j = x_j \\gamma_j + \\beta_j$$\n"
    steps = audit_text(LAYER_NORM + "$$y = x \\gamma + \\beta$$\n\n" + restated).steps
    assert steps[0].status is StepStatus.NOT_READ and "entrywise" in steps[0].reason
    assert StepStatus.WRONG not in [s.status for s in steps]
    hadamard = statuses(LAYER_NORM + "$$y = x \\odot \\gamma + \\beta$$\n\n" + restated)
    assert hadamard == [StepStatus.DEFINITION, StepStatus.VALID]
    dot = statuses(LAYER_NORM + "$$s = x \\gamma$$\n\n$$s = \\sum_{j=1}^{N} x_j \\gamma_j$$\n")
    assert dot == [StepStatus.DEFINITION, StepStatus.VALID]


SQUARES = "$$\\frac{\\partial}{\\partial x_k} \\sum_j x_j^2 = 2 x_k$$\n\n" \
          "$$\\frac{\\partial}{\\partial x_k} \\sum_j x_j^2 = x_k$$\n"


def test_a_length_the_prose_states_reads_like_its_declaration() -> None:
    # "one input row x of dimension N" (a layer-norm post): the sum without limits runs over x's N entries,
    # and the index k of x_k is no length, although the audit's default length is also called k.
    declared = statuses("<!-- derive: vector x N -->\n\n" + SQUARES)
    assert declared == [StepStatus.VALID, StepStatus.WRONG]
    for prose in ("For one input row $x$ of dimension $N$:", "Take $x$, a vector of length $N$."):
        assert statuses(prose + "\n\n" + SQUARES) == declared
        names = {row.name: row for row in audit_text(prose + "\n\n" + SQUARES).names}
        assert names["x"].shape == ("N",) and "read from the post" in names["x"].source
    matrix = audit_text("For a matrix $X$ of size $N$:\n\n$$X = X$$\n").names
    assert all(row.kind != "vector" for row in matrix if row.name == "X")  # an uppercase X may have N rows


def test_scalars_the_prose_names_read_like_their_declaration() -> None:
    steps = "$$\\frac{\\partial}{\\partial w} \\frac{1}{2} (w x - t)^2 = (w x - t) x$$\n\n" \
            "$$\\frac{\\partial}{\\partial w} \\frac{1}{2} (w x - t)^2 = (w x - t)$$\n"
    declared = statuses("<!-- derive: scalar x t -->\n\n" + steps)
    assert declared == [StepStatus.VALID, StepStatus.WRONG]
    for prose in ("Here $x$ and $t$ are scalars.", "The input $x$ and the target $t$ are both real numbers.",
                  "Here $x$, $t$ are scalars."):
        assert statuses(prose + "\n\n" + steps) == declared, prose
    # Only what the sentence says is a scalar: here t is, x is not said to be.
    said = audit_text("where $x$ is the input and $t$ is a scalar.\n\n" + steps)
    assert {row.name for row in said.names if row.kind == "scalar"} == {"t", "w"}  # w: a derivative's variable
    assert StepStatus.WRONG not in [s.status for s in said.steps]


def test_a_letter_differentiated_by_is_the_posts_variable_after_its_scalar_use() -> None:
    # tanh(x) = ... first makes x a scalar by convention (a shape, no value); dy/dx then makes it the
    # post's independent variable, so a slip after that is wrong at a point, as with `scalar x` declared.
    head = "$$\\tanh(x) = \\frac{e^x - e^{-x}}{e^x + e^{-x}}$$\n\n$$y = \\tanh(x)$$\n\n" \
        "$$\\frac{dy}{dx} = \\frac{4}{(e^x + e^{-x})^2}$$\n\n"
    slip = "$$\\frac{dy}{dx} = \\frac{2}{(e^x + e^{-x})^2}$$\n"
    steps = audit_text(head + slip).steps
    assert [s.status for s in steps] == [StepStatus.VALID, StepStatus.DEFINITION, StepStatus.VALID,
                                         StepStatus.WRONG]
    declared = statuses("<!-- derive: scalar x -->\n\n" + head + slip)
    assert declared == [s.status for s in steps]
    # Before any derivative, the letter is only a shape: a false identity of it is not called wrong.
    early = statuses("$$\\tanh(x) = x$$\n")
    assert early == [StepStatus.UNDECIDED]


def test_a_count_in_words_is_a_size() -> None:
    # "over $C$ classes" names the sum's limit C: without it, C has no entry, and a slip is no verdict.
    steps = "$$p_j = \\frac{\\exp(a_j)}{\\sum_k^C \\exp(a_k)}$$\n\n$$\\sum_j^C p_j = 1$$\n\n" \
        "$$\\sum_j^C p_j = 2$$\n"
    counted = audit_text("<!-- derive: vector a -->\nThe scores $a$ over $C$ classes.\n\n" + steps)
    assert [s.status for s in counted.steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG]
    assert {e.name: e for e in counted.names}["C"].source == "read from the post on line 2"
    assert statuses("<!-- derive: vector a -->\nThe scores $a$ and $C$.\n\n" + steps)[-1] is StepStatus.UNDECIDED
    layers = "<!-- derive: vector a -->\nThe scores $a$ over $L$ layers.\n\n" + steps.replace("C", "L")
    assert statuses(layers)[-1] is StepStatus.UNDECIDED


def test_a_prime_on_a_name_defined_through_one_variable_is_its_derivative() -> None:
    # The quotient rule with u = e^x and v = e^{-x}: u' and v' are du/dx and dv/dx.
    head = "$$y = \\frac{e^x - e^{-x}}{e^x + e^{-x}}$$\n\nWith $u = e^x$ and $v = e^{-x}$:\n\n" \
        "$$\\frac{dy}{dx} = \\frac{(u' - v')(u + v) - (u - v)(u' + v')}{(u + v)^2}$$\n\n"
    steps = audit_text(head + "$$u' = e^x$$\n\n$$v' = e^{-x}$$\n").steps
    assert [s.status for s in steps] == [StepStatus.DEFINITION] * 3 + [StepStatus.VALID, StepStatus.VALID,
                                                                       StepStatus.WRONG]
    # With two variables, a prime has no one meaning: no entry, no verdict.
    two = "$$w = e^x + t$$\n\n$$\\frac{dw}{dx} = 1$$\n\n$$w' = 2$$\n"
    assert statuses(two)[-1] is StepStatus.UNDECIDED


def test_a_vector_written_as_its_entries_has_their_length() -> None:
    # z = [z_1, z_2, \dots, z_C] says z has C entries: the sums to C are over z, and a slip is wrong.
    steps = "$$p_i = \\frac{e^{z_i}}{\\sum_{k=1}^{C} e^{z_k}}$$\n\n" \
        "$$\\frac{\\partial p_i}{\\partial z_i} = p_i (1 - p_i)$$\n\n$$\\frac{\\partial p_i}{\\partial z_i} = p_i$$\n"
    listed = audit_text("The logits are $z = [z_1, z_2, \\dots, z_C]$.\n\n" + steps)
    assert [s.status for s in listed.steps][-2:] == [StepStatus.VALID, StepStatus.WRONG]
    assert {e.name: e for e in listed.names}["z"].shape == ("C",)
    mixed = audit_text("The weights are $w = (b, w_1, \\dots, w_C)$.\n\n" + steps)
    assert "w" not in {e.name for e in mixed.names if e.kind == "vector"}
