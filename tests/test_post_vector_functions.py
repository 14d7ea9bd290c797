r"""A post that names its vector in words and defines functions of it, as 06_logsumexp_indii does:
"for a vector $\mathbf{x}$", ``\mathrm{logsumexp}(\mathbf{x}) := \log \sum_i \exp(x_i)`` (one number of the
whole vector, never applied entry by entry), and the built-in softmax written out twice: the first is the
post's definition (the same as the built-in), the second a claim."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text
from derive.audit.reader import ReadError, read_latex

DEFINITIONS = ("The two functions, for a vector $\\mathbf{x}$:\n\n"
               "$$\\mathrm{logsumexp}(\\mathbf{x}) := \\log\\left(\\sum_{i}\\exp(x_{i})\\right)$$\n\n"
               "$$\\mathrm{softmax}(\\mathbf{x}) := \\frac{\\exp(\\mathbf{x})}{\\sum_{i}\\exp(x_{i})}$$\n\n")


def statuses(text: str) -> list[StepStatus]:
    return [s.status for s in audit_text(text).steps]


def test_a_function_of_a_whole_vector_is_one_number_and_the_steps_through_it_are_decided() -> None:
    through = "$$\\exp\\left(\\mathbf{x}-\\log\\left(\\sum_{i}\\exp(x_{i})\\right)\\right) = " \
              "\\exp\\left(\\mathbf{x}-\\mathrm{logsumexp}\\left(\\mathbf{x}\\right)\\right)$$\n"
    shifted = "$$\\mathrm{logsumexp}(\\mathbf{x}) = \\log\\left(\\sum_{i}\\exp(x_{i}-c)\\right)+c$$\n"
    invariant = "$$\\mathrm{softmax}(\\mathbf{x} - c) = \\mathrm{softmax}(\\mathbf{x})$$\n"
    for step in (through, shifted, invariant):
        assert statuses(DEFINITIONS + step)[-1] is StepStatus.VALID, step
    slip = "$$\\mathrm{logsumexp}(\\mathbf{x}) = \\log\\left(\\sum_{i}\\exp(x_{i}-c)\\right)-c$$\n"
    assert statuses(DEFINITIONS + slip)[-1] is not StepStatus.VALID
    rows = {e.name: e for e in audit_text(DEFINITIONS).names}
    assert rows["x"].kind == "vector" and rows["x"].source == "read from the post on line 1"


def test_the_builtin_softmax_written_out_again_is_a_claim() -> None:
    again = "$$\\mathrm{softmax}(\\mathbf{x}) = \\frac{\\exp(\\mathbf{x})}{\\sum_{i}\\exp(x_{i})}$$\n"
    assert statuses(DEFINITIONS + again) == [StepStatus.DEFINITION] * 2 + [StepStatus.VALID]


def test_single_bars_with_the_subscript_2_are_the_norm_and_other_subscripts_are_refused() -> None:
    assert str(read_latex("|v|_2^2")) == str(read_latex("\\|v\\|_2^2"))
    try:
        read_latex("|v|_1")
    except ReadError as exc:
        assert "\\|v\\|_2" in str(exc)
    else:
        raise AssertionError("|v|_1 was read")


def test_an_index_named_k_moves_the_default_length_out_of_its_way() -> None:
    # 02_softmax_ce_sunhaozhe: ∂p_i/∂o_k with sums over j of unwritten limits; k is the index, not the length.
    post = ("\\[p_i = \\frac{ \\exp (o_i) }{\\sum_j \\exp(o_j) }\\]\n\nIf $i = k$,\n\n"
            "\\[\\frac{\\partial p_i}{\\partial o_k} = \\frac{ \\exp (o_k) \\sum_j \\exp(o_j) - \\exp (o_k) "
            "\\exp (o_k) }{(\\sum_j \\exp(o_j))^2}\\]\n")
    assert statuses(post)[-1] is StepStatus.VALID
    rows = {e.name: e for e in audit_text(post).names}
    assert rows["p"].shape == ("K",)
