r"""Index notation with the summation convention, where the post states it: superscripts of index letters are
indices, an index written twice in a term is summed unless the chain's first side leaves it free, and the
arrays the post never defines are its inputs, with a size for each class of indices its equations tie.
From 17_attention_planckeon (attention's gradients written physics-style)."""

from __future__ import annotations

import pytest

from derive.audit.post import StepStatus, audit_text

CONVENTION = "Gradients in index notation (repeated indices are summed).\n\n"
FORWARD = ("$$S^{ij} = \\frac{1}{\\sqrt{d_k}} Q^{ia} K^{ja}$$ $$A^{ij} = \\text{softmax}_j(S^{ij})$$ "
           "$$O^{ib} = A^{ij} V^{jb}$$\n\n")
TRUE_STEPS = [
    "\\frac{\\partial O^{ib}}{\\partial V^{mn}} = A^{ij} \\delta^j_m \\delta^b_n = A^{im} \\delta^b_n",
    "\\frac{\\partial L}{\\partial A^{mn}} = \\frac{\\partial L}{\\partial O^{mb}} V^{nb}",
    "\\frac{\\partial A^{ij}}{\\partial S^{mn}} = \\delta^i_m A^{ij} (\\delta^j_n - A^{in})",
    "\\frac{\\partial S^{ij}}{\\partial Q^{kl}} = \\frac{1}{\\sqrt{d_k}} \\delta^i_k K^{jl}",
]


def statuses(text: str) -> list[StepStatus]:
    return [s.status for s in audit_text(text).steps]


@pytest.mark.parametrize("step", TRUE_STEPS)
def test_the_true_steps_of_attention_in_index_notation_are_valid(step: str) -> None:
    found = statuses(CONVENTION + FORWARD + f"$${step}$$\n")
    assert found[:3] == [StepStatus.DEFINITION] * 3
    assert set(found[3:]) == {StepStatus.VALID}


def test_the_convention_and_the_inputs_are_entries_with_their_lines() -> None:
    rows = {e.name: e for e in audit_text(CONVENTION + FORWARD).names}
    assert rows["Σ (repeated index)"].source == "read from the post on line 1"
    # Q and K share the size of the index a they are summed over; S's columns are K's rows.
    assert rows["Q"].shape == ("N_i", "N_a") and rows["K"].shape == ("N_j", "N_a")
    assert rows["S"].shape == ("N_i", "N_j") and rows["V"].shape == ("N_j", "N_b")
    assert rows["d_k"].kind == "scalar"  # d_k is a name: d is never written with upper indices


def test_a_slip_in_index_notation_is_never_valid_and_wrong_once_the_inputs_are_declared() -> None:
    slip = "$$\\frac{\\partial O^{ib}}{\\partial V^{mn}} = A^{in} \\delta^b_m$$\n"
    assert statuses(CONVENTION + FORWARD + slip)[-1] is StepStatus.UNDECIDED
    # The scale d_k is a convention's input too (any positive number the post means): unscaled scores here.
    unscaled = FORWARD.replace("\\frac{1}{\\sqrt{d_k}} ", "")
    declared = "<!-- derive: matrix Q n d -->\n<!-- derive: matrix K n d -->\n<!-- derive: matrix V n e -->\n"
    assert statuses(CONVENTION + unscaled + slip)[-1] is StepStatus.UNDECIDED
    assert statuses(declared + CONVENTION + unscaled + slip)[-1] is StepStatus.WRONG


def test_a_free_index_is_not_summed_and_a_repeated_one_is() -> None:
    # ∂A^{ij}/∂S^{mn} keeps i and j free on the right (no sum), so dropping the factor A^{ij} is a slip;
    # written twice and free nowhere, the index is summed: x^i x^i is the squared norm.
    assert statuses(CONVENTION + "$$L = x^i x^i$$\n\n$$\\frac{\\partial L}{\\partial x^j} = 2 x^j$$\n")[-1] \
        is StepStatus.VALID
    assert statuses(CONVENTION + "$$L = x^i x^i$$\n\n$$\\frac{\\partial L}{\\partial x^j} = x^j$$\n")[-1] \
        is not StepStatus.VALID


def test_an_index_written_three_times_is_not_read_and_without_the_convention_nothing_changes() -> None:
    thrice = audit_text(CONVENTION + "$$L = x^i x^i x^i$$\n\n$$\\frac{\\partial L}{\\partial x^j} = 3 x^j x^j$$\n")
    assert thrice.steps[0].status is StepStatus.NOT_READ and "3 times" in thrice.steps[0].reason
    # Without the sentence, a letter superscript is a power: the derivative by x^j is refused.
    plain = audit_text(FORWARD + "$$\\frac{\\partial S^{ij}}{\\partial Q^{kl}} = K^{jl}$$\n").steps
    assert plain[-1].status is StepStatus.NOT_READ
