"""latexmk is run safely: no shell escape whatever the document asks, and no temporary folder left behind."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from derive.render.latex import LATEXMK, TexRunError, compile_pdf

needs_tex = pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdflatex")),
                               reason="needs latexmk and pdflatex")

SHELL_ESCAPE = r"""\documentclass{article}
\begin{document}
\immediate\write18{touch PWNED}
Hello.
\end{document}
"""


def test_latexmk_is_told_no_shell_escape() -> None:
    assert "-no-shell-escape" in LATEXMK and "-shell-escape" not in LATEXMK


@needs_tex
@pytest.mark.slow
def test_a_document_cannot_run_a_command_and_leaves_no_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("HOME", str(tmp_path))  # a latexmkrc in the user's home cannot turn it back on
    monkeypatch.chdir(tmp_path)
    log = compile_pdf(SHELL_ESCAPE, tmp_path / "out.pdf")
    assert (tmp_path / "out.pdf").exists()
    assert "runsystem(touch PWNED)...disabled." in log
    assert not list(tmp_path.rglob("PWNED"))
    assert list(temporary.iterdir()) == []  # derive-tex-* removed


@needs_tex
@pytest.mark.slow
def test_a_failed_run_keeps_its_log_next_to_the_pdf_and_removes_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    with pytest.raises(TexRunError, match=r"see .*out\.log"):
        compile_pdf("\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}\n",
                    tmp_path / "out.pdf")
    assert (tmp_path / "out.log").exists() and not (tmp_path / "out.pdf").exists()
    assert list(temporary.iterdir()) == []
