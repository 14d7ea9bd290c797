r"""A chain of single neurons, as tutorials write it: layers labelled by a capital letter in parentheses
(``a^{(L)}``, ``a^{(L-1)}``), a cost written ``C_0(...)``, ``\sigma`` of a scalar pre-activation, and "$y$
the target". Each is read from the post, and a copy-paste slip of the real tutorial is refuted at a point."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

NEURON = ("The cost of one example, where $a^{(L)}$ is the last neuron's output and $y$ the target:\n\n"
          "$C_0(...)=( a^{(L)}-y)^2$\n\n"
          "$z^{(L)}=w^{(L)}a^{(L-1)}+b^{(L)}$\n\n"
          "$a^{(L)}=\\sigma(z^{(L)})$\n\n")


def steps(text: str) -> list[tuple[StepStatus, str]]:
    return [(s.status, s.reason) for s in audit_text(NEURON + text).steps]


def test_the_neuron_chain_is_read_and_its_true_steps_are_valid() -> None:
    found = steps("$\\frac{\\partial C_0}{\\partial w^{(L)}} = 2(a^{(L)}-y) \\sigma'(z^{(L)}) a^{(L-1)}$\n\n"
                  "$\\frac{\\partial a^{(L)}}{\\partial z^{(L)}} = \\sigma(z^{(L)})(1 - \\sigma(z^{(L)}))$\n")
    assert [s for s, _ in found] == [StepStatus.DEFINITION] * 3 + [StepStatus.VALID] * 2
    names = {e.name: e for e in audit_text(NEURON).names}
    # Two layers' activations are two names, not entries L and L-1 of one array.
    assert {"a^(L)", "a^(L-1)", "w^(L)", "C_0"} <= names.keys()
    assert names["y"].source.startswith("read from the post on line 1 (the target)")


def test_a_copy_paste_slip_is_wrong_at_a_point_because_the_post_calls_y_the_target() -> None:
    # As in the tutorial, the chain rule by w and a^{(L-1)} comes first: the post differentiates by them.
    slip = ("$\\frac{\\partial C_0}{\\partial w^{(L)}} = 2(a^{(L)}-y) \\sigma'(z^{(L)}) a^{(L-1)}$\n\n"
            "$\\frac{\\partial C_0}{\\partial a^{(L-1)}} = 2(a^{(L)}-y) \\sigma'(z^{(L)}) w^{(L)}$\n\n"
            "$\\frac{\\partial C_0}{\\partial b^{(L)}} = 2(a^{(L)}-y) \\sigma'(z^{(L)}) w^{(L)}$\n")
    status, reason = steps(slip)[-1]
    assert status is StepStatus.WRONG and "y = " in reason
    # Without the word, y is only a convention's input: a refutation at an arbitrary y is no point of the post.
    status, _ = [(s.status, s.reason) for s in audit_text(NEURON.replace(" and $y$ the target", "") + slip).steps][-1]
    assert status is StepStatus.UNDECIDED


def test_sigma_of_a_scalar_is_softmax_where_the_post_names_softmax() -> None:
    # A post that writes softmax means it by σ: σ of a scalar stays "softmax of a scalar", never a sigmoid.
    text = "We never use the softmax here.\n\n" + NEURON + \
        "$\\frac{\\partial a^{(L)}}{\\partial z^{(L)}} = \\sigma(z^{(L)})(1 - \\sigma(z^{(L)}))$\n"
    assert audit_text(text).steps[-1].status is not StepStatus.VALID
