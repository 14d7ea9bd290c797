"""Layers counted by a letter the prose names ("in layer $l$"): a superscript of that letter is a layer's
label (``z^l_j`` is the array z^(l) at j, ``a^{l-1}_k`` the array a^(l-1)), never a power. Nielsen's notation,
as a proof of the four backpropagation equations on GitHub writes it."""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text
from derive.audit.reader import ReaderContext, read_latex

NOTATION = ("- $w^l_{jk}$: Weight connecting the $k$-th neuron in layer $l-1$ to the $j$-th neuron in layer $l$.\n"
            "- $L$: Total number of layers in the network.\n\n")


def test_a_layer_letters_superscript_is_a_label() -> None:
    layers = ReaderContext(layer_letters=frozenset({"l"}))
    assert str(read_latex("a^{l-1}_k + z^l_j", context=layers)) == "a^(l-1)[k] + z^(l)[j]"
    # Without the prose's word, the letter is a power, as before; a number stays a power either way.
    assert str(read_latex("z^l", context=ReaderContext())) == "z**l"
    assert str(read_latex("z^2 + z^{l}", context=layers)) == "z**2 + z^(l)"


def test_the_prose_names_the_layer_letters_and_the_table_says_where() -> None:
    report = audit_text(NOTATION + "$$ \\frac{\\partial C}{\\partial z^L_j} = \\frac{\\partial C}{\\partial a^L_j} "
                        "\\frac{\\partial a^L_j}{\\partial z^L_j} $$\n")
    entries = {e.name: e for e in report.names}
    assert entries["l"].kind == entries["L"].kind == "index"
    assert entries["l"].source == "read from the post on line 1" and entries["L"].line == 2
    assert [s.status for s in report.steps] == [StepStatus.VALID]  # the chain rule, read, not "a power"


def test_an_instance_of_a_schematic_definition_is_never_a_free_variable() -> None:
    # a^l_j = σ(z^l_j) holds at every layer; a^(L) and z^(L) are not free variables, so "a^L_j = σ(z^L_j)"
    # (true at l = L) must not be refuted as a relation between two independent vectors.
    text = (NOTATION + "$$ a^l_j = \\sigma(z^l_j) $$\n\n$$ \\frac{\\partial C}{\\partial a^L_j} = 2 a^L_j $$\n\n"
            "Since $a^L_j = \\sigma(z^L_j)$, we have the rest.\n")
    statuses = [s.status for s in audit_text(text).steps]
    assert StepStatus.WRONG not in statuses, statuses
