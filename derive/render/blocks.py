"""The building blocks of every Jupyter display: text as LaTeX math, aligned blocks, tables, statuses.

Public through :mod:`derive.render.display`, so that other result objects (a proof, a chain
of steps) render the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from derive.engine.verdict import Status

__all__ = [
    "has_alignment",
    "html_table",
    "latex_block",
    "latex_text",
    "math_html",
    "status_html",
    "status_latex",
    "title_latex",
]

_COLORS = {Status.PROVED: "#1a7f37", Status.REFUTED: "#cf222e", Status.UNDECIDED: "#9a6700"}
# Characters that are special in LaTeX text; each is typeset in math mode instead, which
# MathJax and pdflatex both accept (MathJax's \text{} does not understand \_ and friends).
_TEXT_SPECIAL = {
    "\\": r"\backslash", "_": r"\_", "{": r"\{", "}": r"\}", "#": r"\#", "%": r"\%",
    "&": r"\&", "$": r"\$", "^": r"\hat{}", "~": r"\sim",
}
# Unicode the project writes in statements and reasons, as math (pdflatex has no glyphs for it).
_UNICODE_MATH = {
    "ŷ": r"\hat{y}", "Σ": r"\Sigma", "∂": r"\partial", "≠": r"\neq", "≤": r"\le", "≥": r"\ge",
    "ℓ": r"\ell", "ᵀ": r"^{T}", "·": r"\cdot", "→": r"\to", "∈": r"\in", "ι": r"\iota",
    "δ": r"\delta", "λ": r"\lambda", "σ": r"\sigma", "θ": r"\theta", "×": r"\times", "⁻": r"^{-}",
    "²": r"^{2}", "ᵏ": r"^{k}", "√": r"\surd", "±": r"\pm", "…": r"\dots",
}

# -- text and blocks ---------------------------------------------------------------------------

def latex_text(text: str) -> str:
    r"""Plain text as LaTeX math: words in ``\text{}``, special characters and symbols as math.

    Examples:
        >>> latex_text("sum(y) = 1 for j_1")
        '\\text{sum(y) = 1 for j}\\_\\text{1}'
        >>> latex_text("ŷ ≠ y")
        '\\hat{y}\\text{ }\\neq\\text{ y}'
    """
    parts: list[str] = []
    plain: list[str] = []
    for ch in text:
        math = _TEXT_SPECIAL.get(ch) or _UNICODE_MATH.get(ch)
        if math is None:
            plain.append(ch)
            continue
        if plain:
            parts.append(r"\text{" + "".join(plain) + "}")
            plain = []
        parts.append(math)
    if plain:
        parts.append(r"\text{" + "".join(plain) + "}")
    return "".join(parts)


def latex_block(lines: Sequence[str], *, title: str | None = None,
                notes: Sequence[str | None] | None = None) -> str:
    r"""Display math for Jupyter: ``$$\begin{aligned} ... \end{aligned}$$``, one row per line.

    Args:
        lines: LaTeX math, one row each; ``&`` marks the alignment point (e.g. ``&= \hat{y}_j - y_j``).
            A row without ``&`` is aligned at its start.
        title: plain text for a first row (escaped with :func:`latex_text`), or a name like
            ``softmax_jacobian`` (shown in typewriter type when it has no spaces).
        notes: plain text for each row, shown at its right (e.g. the rule a proof step used);
            None for a row without a note.

    Raises:
        ValueError: ``notes`` and ``lines`` differ in length, or there are no lines and no title.

    Examples:
        >>> print(latex_block([r"f(x) &= x^2", r"&= x \cdot x"], title="square", notes=[None, "definition"]))
        $$\begin{aligned}
        &\mathtt{square}\\
        f(x) &= x^2\\
        &= x \cdot x &&\text{definition}
        \end{aligned}$$
    """
    if notes is not None and len(notes) != len(lines):
        raise ValueError(f"latex_block: {len(lines)} lines but {len(notes)} notes; give one note (or None) per line")
    if not lines and title is None:
        raise ValueError("latex_block: nothing to show; give at least one line or a title")
    rows = []
    if title is not None:
        rows.append("&" + title_latex(title))
    for n, line in enumerate(lines):
        row = line if has_alignment(line) else "&" + line
        note = notes[n] if notes is not None else None
        if note:
            row += " &&" + latex_text(note)
        rows.append(row)
    return "$$\\begin{aligned}\n" + "\\\\\n".join(rows) + "\n\\end{aligned}$$"


def has_alignment(line: str) -> bool:
    """Whether ``line`` has its own alignment point: an ``&`` outside every group and environment."""
    depth = 0
    n = 0
    while n < len(line):
        if line.startswith("\\begin{", n) or line.startswith("\\end{", n):
            depth += 1 if line[n + 1] == "b" else -1
            n = line.index("}", n) + 1
            continue
        ch = line[n]
        if ch == "\\":
            n += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "&" and depth == 0:
            return True
        n += 1
    return False


def title_latex(title: str) -> str:
    """A title row: a name like ``softmax_jacobian`` in typewriter type, other text as :func:`latex_text`."""
    if re.fullmatch(r"[A-Za-z0-9_.\[\]=,()-]+", title):
        return r"\mathtt{" + title.replace("_", r"\_") + "}"
    return latex_text(title)


def status_latex(status: Status) -> str:
    r"""``\textbf{proved}`` (or refuted, undecided)."""
    return r"\textbf{" + status.value + "}"


def status_html(status: Status) -> str:
    """The status as a colored, bold word."""
    return f'<span style="color:{_COLORS[status]};font-weight:bold">{status.value}</span>'


def math_html(latex: str, *, display: bool = False) -> str:
    r"""LaTeX math inside HTML, for MathJax: ``\(...\)`` (or ``\[...\]``), HTML-escaped."""
    left, right = (r"\[", r"\]") if display else (r"\(", r"\)")
    return left + html.escape(latex, quote=False) + right


def html_table(rows: Sequence[tuple[str, str]], *, header: tuple[str, str] | None = None,
               caption: str | None = None) -> str:
    """A two-column table; the cells are HTML already (escape text with ``html.escape``)."""
    out = ['<table style="border-collapse:collapse;text-align:left">']
    if caption is not None:
        out.append(f'<caption style="text-align:left;font-weight:bold;white-space:nowrap">{caption}</caption>')
    cell = 'style="text-align:left;padding:2px 10px;vertical-align:top"'
    if header is not None:
        out.append(f"<tr><th {cell}>{header[0]}</th><th {cell}>{header[1]}</th></tr>")
    for key, value in rows:
        out.append(f"<tr><th {cell}>{key}</th><td {cell}>{value}</td></tr>")
    out.append("</table>")
    return "\n".join(out)
