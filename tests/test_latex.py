"""Rendering proofs: golden LaTeX for each proof, a compiled PDF read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy as sp

from derive.library.proofs import proof_names, prove
from derive.library.theorems import LIBRARY
from derive.render.latex import compile_pdf, document, fragment, markdown, to_latex


@pytest.mark.parametrize("name", proof_names())
def test_the_latex_of_each_proof_is_pinned(name: str, golden: Callable[[str, str], None]) -> None:
    golden(f"proofs/{name}.tex", fragment([prove(name)]))


def test_notation_is_the_seeds() -> None:
    z, yhat = sp.IndexedBase("z", real=True), sp.IndexedBase("yhat", real=True)
    i, j = sp.symbols("i j", integer=True, positive=True)
    proof = prove("softmax_jacobian")
    assert to_latex(sp.Derivative(yhat[i], z[j]), proof.notations) == \
        r"\frac{\partial \hat{y}_{i}}{\partial z_{j}}"
    assert to_latex(sp.KroneckerDelta(j, i)) == r"\delta_{i j}"
    assert to_latex(yhat[j] - sp.IndexedBase("y", real=True)[j], proof.notations) == r"\hat{y}_{j} - y_{j}"
    text = fragment([proof])
    assert r"\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^T" in text
    assert "&& \\text{quotient rule}" in text


def test_document_has_theorems_notation_and_a_verification_footer() -> None:
    proofs = [prove(n) for n in ("softmax_jacobian_diagonal", "batch_gradient_A")]
    tex = document(proofs, date="2026-01-01")
    assert tex.startswith(r"\documentclass")
    assert tex.count(r"\begin{theorem}") == 2 and tex.count(r"\begin{proof}") == 2
    assert r"\section*{Notation}" in tex and r"\section*{Verification}" in tex
    assert f"SymPy {sp.__version__}" in tex
    assert "index calculus" in tex  # the strategy of each step is listed


def test_markdown_is_a_post_with_mathjax_blocks() -> None:
    md = markdown([prove("cross_entropy_gradient_onehot_other")])
    assert md.startswith("# ")
    assert md.count("$$") % 2 == 0 and r"\begin{aligned}" in md
    assert "## The cross-entropy gradient at another class" in md


@pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("pdftotext") is None,
                    reason="TeX Live and poppler-utils are not installed (.ci/run installs them)")
def test_the_whole_document_compiles_and_reads_back(tmp_path: Path) -> None:
    from derive.cli import main

    pdf = tmp_path / "proofs.pdf"
    tex = tmp_path / "proofs.tex"
    assert main(["prove", "--all", "--pdf", str(pdf), "--tex", str(tex)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    proofs = [prove(n) for n in proof_names()]
    for number, proof in enumerate(proofs, start=1):
        assert f"Theorem {number} ({proof.title})" in " ".join(text.split()), proof.theorem
    assert "Verification" in text and "Notation" in text
    # The Verification table reads back with the theorems' real names, in order, each over its steps.
    table = text[text.index("Verification"):]
    lines = [line.strip() for line in table.splitlines()]
    at = [lines.index(p.theorem) for p in proofs]
    assert at == sorted(at), "the theorem names are not all in the table, in order"
    first = " ".join(lines[at[0] + 1].split())
    assert first.startswith(f"1 {proofs[0].steps[0].rule} proved"), first
    # Compile once more with latexmk to read the whole log: no error, nothing past the margin.
    log = compile_pdf(tex.read_text(encoding="utf-8"), tmp_path / "again.pdf")
    assert "Undefined control sequence" not in log
    assert not re.search(r"^! ", log, re.MULTILINE)
    overfull = re.findall(r"^Overfull \\hbox.*$", log, re.MULTILINE)
    assert not overfull, overfull
    assert len(LIBRARY) == len(proofs)
