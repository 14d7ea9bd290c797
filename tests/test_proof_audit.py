"""Round trip: the proofs derive writes (Markdown and LaTeX) audit with every step valid.

What derive writes it must read back and prove: each theorem's section declares what its prose
says (``reset``, the arrays, the labels, the cases, the notation) and states its conditions after
the statement (``\\quad (i \\neq j)``), which the audit applies. A step listed in ``WAITING`` waits
for the audit to give a matrix form its meaning; it must never be wrong, and the test fails once it
is valid, so that the list only shrinks.
"""

from __future__ import annotations

import pytest

from derive.audit.post import AuditReport, StepStatus, audit_text
from derive.library.proofs import proof_names, prove
from derive.render import latex

#: Steps not yet valid, by the start of their left side (as written in both formats).
WAITING = (
    r"\frac{\partial \hat{y}}{\partial z} = \operatorname{diag}",
    r"\hat{y}_{i} \delta_{i j} - \hat{y}_{i} \hat{y}_{j} = \left[\operatorname{diag}",
    r"\frac{\partial L}{\partial B} = (\hat{y} - y)(Ax)^T",
    r"\left(\hat{y}_{a} - y_{a}\right) h_{b} = \left[",
    r"\frac{\partial L}{\partial A} = B^T(\hat{y} - y)x^T",
    r"x_{b} \sum_{i=1}^{c} \left(\hat{y}_{i} - y_{i}\right) B_{i a} = \left[",
    r"\frac{\partial L}{\partial B} = \frac{1}{N}\sum_{n=1}^{N} (\hat{y}_n - y_n)(Ax_n)^T",
    r"\frac{1}{N} \sum_{n=1}^{N} \frac{\partial L_{n}}{\partial B_{a b}} = \frac{1}{N} \sum_{n=1}^{N} \left[",
    r"\frac{\partial L}{\partial A} = \frac{1}{N}\sum_{n=1}^{N} B^T(\hat{y}_n - y_n)x_n^T",
    r"\frac{1}{N} \sum_{n=1}^{N} \frac{\partial L_{n}}{\partial A_{a b}} = \frac{1}{N} \sum_{n=1}^{N} \left[",
    r"\nabla_w \Big[\tfrac{1}{2N}\|Xw - t\|^2",
    r"\frac{\partial L}{\partial W} = \big((V^T(\hat{y} - y)) \odot",
    r"\frac{\partial\, \mathrm{CE}(y, \mathrm{softmax}(z/T))}",
    r"\frac{\partial\, \mathrm{CE}((1-\epsilon)y + \epsilon/k, \hat{y})}",
    r"\mathrm{softmax}(z + a) = \mathrm{softmax}(z)",
    r"\frac{\partial^2 \mathrm{CE}}{\partial z_i \partial z_j} = \left[\operatorname{diag}",
    r"v^T(\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T)v",
)


@pytest.fixture(scope="module")
def proofs() -> list:
    return [prove(name) for name in proof_names()]


def _waiting(text: str) -> bool:
    return any(text.startswith(w) for w in WAITING)


def _check(report: AuditReport) -> None:
    assert report.steps, "the audit found no step"
    wrong = [s for s in report.steps if s.status is StepStatus.WRONG]
    assert not wrong, "\n".join(f"{s.line}: {s.text}: {s.reason}" for s in wrong)
    not_valid = [s for s in report.steps if s.status is not StepStatus.VALID and not _waiting(s.text)]
    assert not not_valid, "\n".join(f"{s.line}: {s.status.value}: {s.text}\n    {s.reason}" for s in not_valid)
    done = [s for s in report.steps if s.status is StepStatus.VALID and _waiting(s.text)]
    assert not done, "valid now, remove from WAITING: " + "; ".join(s.text for s in done)


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
