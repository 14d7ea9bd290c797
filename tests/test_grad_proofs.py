"""derive grad ... --prove OUT: the proved matrix-form gradients written as Markdown or LaTeX proofs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from derive.audit.post import audit_text
from derive.audit.results import StepStatus
from derive.cli import main
from derive.render.latex import compile_pdf

CLAIM_W = (r"\frac{\partial L}{\partial W} = \left(\left(V^T \left(\hat{y} - y\right)\right) \odot "
           r"\left(1 - h \odot h\right)\right) x^T")


@pytest.mark.slow
def test_markdown_proof_states_the_claim_and_audits_with_no_wrong_step(model: str, tmp_path: Path) -> None:
    out = tmp_path / "grad.md"
    assert main(["grad", model, "L", "--wrt", "W", "V", "--prove", str(out)]) == 0
    text = out.read_text()
    assert f"$$\n{CLAIM_W}\n$$" in text
    assert r"\frac{\partial L}{\partial V} = \left(\hat{y} - y\right) h^T" in text
    assert "h = \\tanh\\left(W x\\right)" in text
    assert "strategy: index calculus" in text and "for every size" in text
    report = audit_text(text, path=str(out))
    assert len(report.steps) >= 4  # the displays were read back, not skipped
    wrong = [s for s in report.steps if s.status is StepStatus.WRONG]
    assert wrong == []


def test_no_proof_is_written_when_a_gradient_is_not_proved(model: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grad.md"
    assert main(["grad", model, "R", "--wrt", "x", "--prove", str(out)]) == 1
    assert "∂R/∂x is not proved, so no proof is written" in capsys.readouterr().err
    assert not out.exists()


def test_prove_needs_a_markdown_or_latex_name(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", model, "L", "--wrt", "V", "--prove", str(tmp_path / "grad.txt")]) == 2
    assert "name a .md, .tex or .pdf file" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdflatex")), reason="needs latexmk and pdflatex")
def test_latex_proof_compiles(model: str, tmp_path: Path) -> None:
    out = tmp_path / "grad.tex"
    assert main(["grad", model, "L", "--wrt", "W", "V", "--prove", str(out)]) == 0
    tex = out.read_text()
    assert rf"\[ {CLAIM_W} \]" in tex and r"\begin{proof}" in tex
    pdf = tmp_path / "grad.pdf"
    compile_pdf(tex, pdf)
    assert pdf.stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.skipif(not all(shutil.which(t) for t in ("latexmk", "pdflatex", "pdftotext")),
                    reason="needs latexmk, pdflatex and pdftotext")
def test_pdf_proof_is_compiled_and_read_back(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from derive.render.gradient import GradientRequest, gradients, read_back

    out = tmp_path / "grad.pdf"
    assert main(["grad", model, "L", "--wrt", "W", "V", "--prove", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    assert out.read_bytes().startswith(b"%PDF")
    results = gradients(GradientRequest(model, "L", ("W", "V")))
    assert read_back(out, results) == ""
    # the read-back can fail: a PDF of the proof by W alone lacks the theorem by V
    only_w = tmp_path / "w.pdf"
    assert main(["grad", model, "L", "--wrt", "W", "--prove", str(only_w)]) == 0
    assert read_back(only_w, results) == "no Theorem 2 (L by V)"
