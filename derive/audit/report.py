"""Rendering an audit: compiler-style text lines, JSON, and the post as an HTML page with every step marked.

The page works offline and everywhere: formulas are MathML, which browsers show natively,
with no script and no external URL. The post's own LaTeX goes through latex2mathml; what
derive writes itself (the values of a counterexample) goes through SymPy's MathML printer;
both come out through :mod:`derive.audit.safe_mathml`'s allow-list, so nothing the post writes
becomes an element, an attribute or a link. Every other string from the post is escaped, and
Markdown links and images show their text only.
The prose is rendered by the same markdown-it-py parse that told the audit what is code
(:func:`derive.audit.scan.markdown`). The renderers only read the report; they decide nothing.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from derive.audit.results import AuditReport, AuditStep, StepStatus, step_count
from derive.audit.safe_mathml import from_latex, from_markup
from derive.audit.scan import Declaration, Display, Inline, extract, is_latex, markdown
from derive.engine.printable import json_printable, printable

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["mathml", "render_html", "render_json", "render_text", "step_html", "steps_table_html"]

_MARK = {StepStatus.VALID: "✓", StepStatus.WRONG: "✗", StepStatus.UNDECIDED: "?", StepStatus.NOT_READ: "·",
         StepStatus.DEFINITION: "≔"}
_COLOR = {StepStatus.VALID: "#1a7f37", StepStatus.WRONG: "#cf222e", StepStatus.UNDECIDED: "#9a6700",
          StepStatus.NOT_READ: "#57606a", StepStatus.DEFINITION: "#0969da"}


def _short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def render_text(report: AuditReport, *, verbose: bool = False) -> str:
    """One line per step, ``file:line:col: status: step``, the reason indented below, then a summary.

    What comes from the post or its name is shown with its control characters escaped
    (:func:`~derive.engine.printable.printable`): a step cannot drive the terminal that shows it.
    """
    lines = []
    path = printable(report.path, newlines=False)
    for step in report.steps:
        where = f"{path}:{step.line}:{step.column}"
        if step.status is StepStatus.VALID and not verbose:
            lines.append(f"{where}: valid: {printable(_short(step.text, 90))}")
            continue
        lines.append(f"{where}: {step.status.value}: {printable(_short(step.text, 90))}")
        if step.reason:
            lines.append(f"    {printable(_short(step.reason, 400))}")
        if step.assumptions:
            lines.append(f"    assuming {printable(', '.join(step.assumptions), newlines=False)}")
    lines.append(report.summary())
    lines += [f"hint: {printable(h, newlines=False)}" for h in report.hints]
    return "\n".join(lines) + "\n"


def render_names(report: AuditReport) -> str:
    """The post's symbol table as text: one line per name (name, kind, shape, meaning, where it came from)."""
    rows = [("name", "kind", "shape", "meaning", "source")] + [e.row() for e in report.names]
    if len(rows) == 1:
        return f"names of {report.path}: none\n"
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"names of {report.path}:"]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def names_table_html(report: AuditReport) -> str:
    """The post's symbol table as an HTML table, every cell escaped."""
    if not report.names:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("name", "kind", "shape", "meaning", "source"))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in e.row()) + "</tr>"
                   for e in report.names)
    return f"<h2>Names</h2><table class='names'><tr>{head}</tr>{body}</table>"


def render_json(reports: Sequence[AuditReport]) -> str:
    document = json.dumps({"files": [r.as_dict() for r in reports],
                           "wrong": sum(r.count(StepStatus.WRONG) for r in reports)}, indent=2, ensure_ascii=False)
    return json_printable(document)


# Macros latex2mathml does not know, and what they mean on the page.
_SPELLINGS = ((re.compile(r"\\(?:dfrac|tfrac)\b"), r"\\frac"), (re.compile(r"\\(?:left|right)\s*\.\s*"), ""),
              (re.compile(r"\\(?:displaystyle|textstyle|nonumber|notag)\b"), ""))


def mathml(latex: str, *, display: bool = False) -> str:
    r"""LaTeX as a MathML element; LaTeX that latex2mathml cannot read stays as code (marked ``tex``).

    Examples:
        >>> mathml("x^2").startswith('<math display="inline">')
        True
        >>> mathml(r"\frac{a}{", display=True)
        '<code class="tex">\\frac{a}{</code>'
    """
    source = latex.strip()
    for pattern, spelling in _SPELLINGS:
        source = pattern.sub(spelling, source)
    try:
        # latex2mathml's tree, written out again through an allow-list: its own string copies the
        # post's \text, \href and \style into the page as they are. No namespace: HTML5 knows <math>.
        return from_latex(source, display=display)
    except Exception:  # latex2mathml raises many kinds on text it cannot read; the source is shown instead
        return f'<code class="tex">{html.escape(latex.strip())}</code>'


def _value(value: object) -> str:
    """A value derive computed, as MathML from SymPy's presentation printer (a list as a vector or matrix)."""
    import sympy as sp
    from sympy.printing.mathml import mathml as sympy_mathml

    try:
        if isinstance(value, (list, tuple)):
            rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in value]
            matrix = sp.Matrix(rows) if any(len(r) > 1 for r in rows) else sp.Matrix([[r[0] for r in rows]])
            # Entries at 6 digits, to fit the page; the JSON report has them in full.
            expr: sp.Basic = matrix.applyfunc(lambda e: sp.Float(e, 6) if not sp.sympify(e).is_Integer else e)
        else:
            expr = value if isinstance(value, sp.Basic) else sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        return html.escape(str(value))
    if isinstance(expr, sp.Float):
        expr = sp.Float(expr, 12)
    safe = from_markup(f'<math>{sympy_mathml(expr, printer="presentation")}</math>')
    return safe if safe is not None else html.escape(str(value))


_LETTERS = frozenset("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
                     "upsilon phi chi psi omega ell Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split())


def _name(name: str) -> str:
    """A point's coordinate name (``z[2]``, ``W[1, 3]``, ``k``) typeset as a subscripted symbol."""
    base, _, rest = name.partition("[")
    base = "\\" + base if base in _LETTERS else base
    latex = base + ("_{" + rest.rstrip("]").replace(" ", "") + "}" if rest else "")
    return mathml(latex)


def _reason(step: AuditStep) -> str:
    """The reason, and for a refuted step the point (typeset) with both sides' values."""
    if step.verdict is None or step.verdict.counterexample is None:
        return html.escape(step.reason)
    ce = step.verdict.counterexample
    cells = "".join(f"<tr><td>{_name(str(k))}</td><td>{_value(v)}</td></tr>" for k, v in ce.point.items())
    return (f"{html.escape(step.verdict.reason)}<table class='point'>{cells}"
            f"<tr><td>left side</td><td>{_value(ce.lhs)}</td></tr>"
            f"<tr><td>right side</td><td>{_value(ce.rhs)}</td></tr></table>")


def step_html(step: AuditStep) -> str:
    r"""One step as the post writes it (typeset from its own LaTeX), its verdict and, if refuted, the point.

    Examples:
        >>> from derive.audit.post import check_step
        >>> page = step_html(check_step(r"x + x = 3 x", given=["scalar x"]).steps[0])
        >>> "✗ wrong" in page and "<mi>x</mi>" in page and "left side" in page
        True
    """
    color = _COLOR[step.status]
    style = "<style>.derive-step td { text-align: left !important; }</style>"  # Jupyter right-aligns cells
    return (f"<div class='derive-step'>{style}<p>line {step.line}, column {step.column}: "
            f"<b style='color:{color}'>{_MARK[step.status]} {step.status.value}</b>"
            + (f" (assuming {html.escape(', '.join(step.assumptions))})" if step.assumptions else "") + "</p>"
            f"{mathml(step.text, display=True)}<div style='text-align:left'>{_reason(step)}</div></div>")


def _step_row(step: AuditStep) -> str:
    color = _COLOR[step.status]
    reason = _reason(step)
    # The step typeset, its LaTeX source on demand.
    typeset = mathml(step.text)
    return (f"<tr><td class='where'>{step.line}:{step.column}</td>"
            f"<td class='status' style='color:{color}'>{_MARK[step.status]} {step.status.value}</td>"
            f"<td class='step'>{typeset}<details><summary>LaTeX</summary><code>{html.escape(step.text)}</code>"
            f"</details></td><td>{reason}</td></tr>")


def _steps_table(steps: Sequence[AuditStep]) -> str:
    return "<table class='steps'>" + "".join(_step_row(s) for s in steps) + "</table>" if steps else ""


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5;
  color: #1f2328; }
h1 { overflow-wrap: anywhere; }
.summary { padding: .5rem 1rem; background: #f6f8fa; border-radius: 6px; }
math[display="block"], .display { overflow-x: auto; overflow-y: hidden; margin: .8rem 0; }
math { font-size: 1.1em; }
table.steps { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; width: 100%; table-layout: fixed; }
table.steps td { border-top: 1px solid #d0d7de; padding: .3rem .5rem; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
td.step { width: 40%; overflow-x: auto; }
td.step math { math-style: normal; }
td.where { width: 4.5rem; font-family: monospace; color: #57606a; white-space: nowrap; }
td.status { width: 7rem; font-weight: 600; white-space: nowrap; }
details summary { font-size: .75rem; color: #57606a; cursor: pointer; }
details code, code.tex { font-size: .8rem; white-space: pre-wrap; }
table.point td { padding: 0 .5rem; border: none; }
div.decl { font-family: monospace; font-size: .8rem; color: #0969da; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; }
"""


def render_html(report: AuditReport) -> str:
    """The post as a page: its prose and math typeset, each block of math followed by its steps."""
    by_line: dict[int, list[AuditStep]] = {}
    for step in report.steps:
        by_line.setdefault(step.line, []).append(step)
    body = _latex_body(report.source, by_line) if is_latex(report.source) else _markdown_body(report.source, by_line)
    left = [s for line in sorted(by_line) for s in by_line[line]]  # steps no block of the page holds
    counts = " · ".join(f"<span style='color:{_COLOR[s]}'>{report.count(s)} {s.value}</span>" for s in StepStatus)
    hints = "".join(f"<li>{html.escape(h)}</li>" for h in report.hints)
    name = html.escape(PurePath(report.path).name)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>derive audit: {name}</title>
<style>{_STYLE}</style></head><body>
<h1>Audit of {name}</h1>
<p class="summary">{step_count(len(report.steps))}: {counts} ({report.seconds:.1f} s)</p>
{"<ul class='hints'>" + hints + "</ul>" if hints else ""}
{body}{_steps_table(left)}
{names_table_html(report)}
</body></html>
"""


def _declaration(comment: str) -> str:
    m = re.fullmatch(r"\s*<!--\s*derive\s*:([\s\S]*?)-->\s*", comment)
    return f"<div class='decl'>derive: {html.escape(m.group(1).strip())}</div>" if m else ""


def _markdown_body(text: str, by_line: dict[int, list[AuditStep]]) -> str:
    """The post through markdown-it: math as MathML, raw HTML shown as text, after each block its steps."""
    md = markdown()
    rules: dict[str, Any] = {
        "math_inline": lambda tokens, i, options, env: mathml(tokens[i].content),
        "math_inline_double": lambda tokens, i, options, env: mathml(tokens[i].content, display=True),
        "math_block": lambda tokens, i, options, env: mathml(tokens[i].content, display=True),
        "math_block_label": lambda tokens, i, options, env: mathml(tokens[i].content, display=True),
        "amsmath": lambda tokens, i, options, env: mathml(tokens[i].content, display=True),
        "front_matter": lambda tokens, i, options, env: "",
        # A post's own HTML is not run: a derive comment shows as a declaration, other HTML as text.
        "html_block": lambda tokens, i, options, env: _declaration(tokens[i].content)
        or ("" if tokens[i].content.lstrip().startswith("<!--") else f"<p>{html.escape(tokens[i].content)}</p>"),
        "html_inline": lambda tokens, i, options, env: _declaration(tokens[i].content)
        or ("" if tokens[i].content.startswith("<!--") else html.escape(tokens[i].content)),
        # The page links to nothing and loads nothing: a link shows its text, an image its description.
        "link_open": lambda tokens, i, options, env: "",
        "link_close": lambda tokens, i, options, env: "",
        "image": lambda tokens, i, options, env: html.escape(tokens[i].content),
        # A ```math fence is a display; any other fence is code, its info string not made into a class.
        "fence": lambda tokens, i, options, env: mathml(tokens[i].content, display=True)
        if tokens[i].info.split()[:1] == ["math"] else f"<pre><code>{html.escape(tokens[i].content)}</code></pre>\n",
    }
    from markdown_it.renderer import RendererHTML

    renderer = RendererHTML()
    renderer.rules.update(rules)
    parts: list[str] = []
    block: list[Token] = []
    span: list[int] = []
    for token in md.parse(text):
        block.append(token)
        if token.map is not None and token.level == 0:
            span = span or token.map
        if token.level == 0 and token.nesting <= 0:
            parts.append(renderer.render(block, md.options, {}))
            if span:
                for line in range(span[0] + 1, span[1] + 1):
                    parts.append(_steps_table(by_line.pop(line, [])))
            block, span = [], []
    return "".join(parts)


_SECTION = re.compile(r"^[ \t]*\\(?P<level>(?:sub)*)section\*?\{(?P<title>.*)\}[ \t]*$")


def _latex_prose(text: str) -> str:
    """The prose of a LaTeX file: sections as headings, paragraphs with inline math typeset, comments left out."""
    out: list[str] = []
    chunk: list[str] = []

    def paragraph() -> None:
        source, kept, pos = "\n".join(chunk), [], 0
        chunk.clear()
        for item in extract(source, inline=True, latex=True):
            if isinstance(item, Declaration):
                out.append(f"<div class='decl'>derive: {html.escape(item.text)}</div>")
            elif isinstance(item, Inline):
                width = 1 if source[item.offset - 1] == "$" else 2
                kept.append(html.escape(source[pos:item.offset - width]) + mathml(item.body))
                pos = item.offset + len(item.body) + width
        kept.append(html.escape(source[pos:]))
        prose = re.sub(r"(?m)^[ \t]*%[^\n]*$", "", "".join(kept)).strip()
        if prose:
            out.append(f"<p>{prose}</p>")

    for line in text.splitlines():
        section = _SECTION.match(line)
        if section or not line.strip():
            paragraph()
        if section:
            level = min(2 + len(section.group("level")) // 3, 6)
            out.append(f"<h{level}>{html.escape(section.group('title'))}</h{level}>")
        elif line.strip():
            chunk.append(line)
    paragraph()
    return "".join(out)


def _latex_body(text: str, by_line: dict[int, list[AuditStep]]) -> str:
    """A LaTeX file: its prose as paragraphs, each display typeset and followed by its steps."""
    parts: list[str] = []
    pos = 0
    for display in (item for item in extract(text) if isinstance(item, Display)):
        environment = display.body.startswith("\\begin{")
        start = display.offset if environment else text.rfind("\\[", 0, display.offset)
        end = display.offset + len(display.body) + (0 if environment else 2)
        parts.append(_latex_prose(text[pos:start]))
        parts.append(mathml(display.body, display=True))
        first, last = text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 1
        parts.append(_steps_table([s for line in range(first, last + 1) for s in by_line.pop(line, [])]))
        pos = end
    parts.append(_latex_prose(text[pos:]))
    return "".join(parts)


def steps_table_html(report: AuditReport) -> str:
    """The report as one HTML table (for Jupyter): summary, then every step typeset with its verdict."""
    counts = " · ".join(f"<span style='color:{_COLOR[s]}'>{report.count(s)} {s.value}</span>" for s in StepStatus
                        if report.count(s))
    rows = "".join(_step_row(step) for step in report.steps)
    hints = "".join(f"<li>{html.escape(h)}</li>" for h in report.hints)
    style = ("<style>table.derive-steps td { text-align: left !important; vertical-align: top; }"
             " table.derive-steps details summary { font-size: .75rem; }</style>")
    return (f"<div>{style}<b>{html.escape(PurePath(report.path).name)}</b>: {step_count(len(report.steps))}: {counts} "
            f"({report.seconds:.1f} s)<table class='steps derive-steps'>{rows}</table>"
            + (f"<ul>{hints}</ul>" if hints else "") + "</div>")
