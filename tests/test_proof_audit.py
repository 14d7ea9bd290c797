"""Round trip: the proofs derive writes (Markdown and LaTeX) audit with every step valid.

What derive writes it must read back and prove: each theorem's section declares what its prose
says (``reset``, the arrays, the labels, the cases, the notation) and states its conditions after
the statement (``\\quad (i \\neq j)``), which the audit applies; the statements in matrix form
(``(\\hat{y} - y)(Ax)^T``, ⊙, diag, ‖·‖, softmax(z/T)) are read entry by entry.
"""

from __future__ import annotations

import pytest

from derive.audit.post import AuditReport, StepStatus, audit_text
from derive.library.layer_theorems import LAYER_THEOREMS
from derive.library.proofs import proof_names, prove
from derive.render import latex

#: The layer theorems' proofs are checked by the engine step by step (tests/test_proofs.py), but their
#: statements (Xᵀ(P - Y)/N, 𝟙[H > 0], x̂, dS) and the entries of arrays named like W2 are not yet read
#: back by the audit's reader: each of their lines is "not read" or undecided, never wrong (tested below).
NOT_YET_READ_BACK = frozenset(t.name for t in LAYER_THEOREMS) | {
    # Huber's pieces are definitions by cases (define h_n = \begin{cases} ...), and the reader takes a
    # cases environment only as the whole last side of a chain, not inside a definition or a side.
    "huber_gradient"}


@pytest.fixture(scope="module")
def proofs() -> list:
    return [prove(name) for name in proof_names() if name not in NOT_YET_READ_BACK]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOT_YET_READ_BACK))
def test_a_layer_proof_the_audit_cannot_read_yet_is_never_called_wrong(name: str) -> None:
    report = audit_text(latex.markdown([prove(name)]), path="proofs.md")
    assert report.steps, "the audit found no step"
    wrong = [s for s in report.steps if s.status is StepStatus.WRONG]
    assert not wrong, "\n".join(f"{s.line}: {s.text}: {s.reason}" for s in wrong)


def _check(report: AuditReport) -> None:
    assert report.steps, "the audit found no step"
    wrong = [s for s in report.steps if s.status is StepStatus.WRONG]
    assert not wrong, "\n".join(f"{s.line}: {s.text}: {s.reason}" for s in wrong)
    # The notation list opens the document, before any theorem declares its arrays: its inline math is
    # read (never wrong, checked above), but its shapes are each theorem's, declared only further down.
    first_theorem = next(n for n, line in enumerate(report.source.splitlines(), 1) if "derive: reset" in line)
    theorems = [s for s in report.steps if s.line > first_theorem]
    not_valid = [s for s in theorems if s.status is not StepStatus.VALID]
    assert not not_valid, "\n".join(f"{s.line}: {s.status.value}: {s.text}\n    {s.reason}" for s in not_valid)
    # Every theorem's statement and every line of its proof: nothing skipped.
    assert len(theorems) >= 100


def test_the_markdown_proofs_audit_valid(proofs: list) -> None:
    _check(audit_text(latex.markdown(proofs), path="proofs.md"))


def test_the_latex_proofs_audit_valid(proofs: list) -> None:
    _check(audit_text(latex.document(proofs, date="2026-01-01"), path="proofs.tex"))


def test_each_section_declares_its_own_problem(proofs: list) -> None:
    md = latex.markdown(proofs)
    # One declaration comment per theorem, each starting afresh.
    assert md.count("<!-- derive: reset;") == len(proofs)
    tex = latex.document(proofs, date="2026-01-01")
    assert tex.count("% derive: reset") == len(proofs)


def test_a_scalar_domain_is_declared_so_the_audit_reads_it_back() -> None:
    import types

    import sympy as sp

    from derive.audit.post import check_step
    from derive.engine.hypotheses import Domain
    from derive.render.declarations import declarations

    T, w = sp.symbols("T w", real=True)
    proof = types.SimpleNamespace(
        arrays=(), notations=(), declarations=(), start=T + w, steps=(),
        hypotheses=(Domain("T", sp.Integer(0), None, True), Domain("w", sp.Integer(0), sp.Integer(1)),
                    Domain("t", values=(sp.Integer(0), sp.Integer(1)))))
    said = declarations(proof)  # type: ignore[arg-type]
    assert said == ["reset", "assume 0 < T", r"assume 0 \le w \le 1", r"assume t \in \{0, 1\}", "scalar T w"]
    # Read back, the domains hold: √(T²) = T and √(w²) = w only because T > 0 and w ≥ 0.
    assert check_step(r"\sqrt{T^2} + \sqrt{w^2} = T + w", given=said[1:]).steps[0].status is StepStatus.VALID
