"""Rendering an audit: compiler-style text lines, JSON, and the post as HTML with every step marked.

The renderers only read the report; they decide nothing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from derive.audit.results import AuditReport, AuditStep, StepStatus
from derive.audit.scan import Display, extract

__all__ = ["render_html", "render_json", "render_text", "steps_table_html"]

_MARK = {StepStatus.VALID: "✓", StepStatus.WRONG: "✗", StepStatus.UNDECIDED: "?", StepStatus.NOT_READ: "·",
         StepStatus.DEFINITION: "≔"}
_COLOR = {StepStatus.VALID: "#1a7f37", StepStatus.WRONG: "#cf222e", StepStatus.UNDECIDED: "#9a6700",
          StepStatus.NOT_READ: "#57606a", StepStatus.DEFINITION: "#0969da"}


def _short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def render_text(report: AuditReport, *, verbose: bool = False) -> str:
    """One line per step, ``file:line:col: status: step``, the reason indented below, then a summary."""
    lines = []
    for step in report.steps:
        if step.status is StepStatus.VALID and not verbose:
            lines.append(f"{report.path}:{step.line}:{step.column}: valid: {_short(step.text, 90)}")
            continue
        lines.append(f"{report.path}:{step.line}:{step.column}: {step.status.value}: {_short(step.text, 90)}")
        if step.reason:
            lines.append(f"    {_short(step.reason, 400)}")
        if step.assumptions:
            lines.append(f"    assuming {', '.join(step.assumptions)}")
    lines.append(report.summary())
    lines += [f"hint: {h}" for h in report.hints]
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[AuditReport]) -> str:
    return json.dumps({"files": [r.as_dict() for r in reports],
                       "wrong": sum(r.count(StepStatus.WRONG) for r in reports)}, indent=2, ensure_ascii=False)


def _number(value: object) -> str:
    try:
        return f"{float(value):.12g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return html.escape(str(value))


def _step_row(step: AuditStep) -> str:
    color = _COLOR[step.status]
    reason = html.escape(step.reason)
    if step.verdict is not None and step.verdict.counterexample is not None:
        ce = step.verdict.counterexample
        cells = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                        for k, v in ce.point.items())
        reason = (f"{html.escape(step.verdict.reason)}<table class='point'>{cells}"
                  f"<tr><td>left side</td><td>{_number(ce.lhs)}</td></tr>"
                  f"<tr><td>right side</td><td>{_number(ce.rhs)}</td></tr></table>")
    # The step as written (source): the display above shows it typeset.
    return (f"<tr><td class='where'>{step.line}:{step.column}</td>"
            f"<td class='status' style='color:{color}'>{_MARK[step.status]} {step.status.value}</td>"
            f"<td class='step'><code>{html.escape(_short(step.text, 160))}</code></td><td>{reason}</td></tr>")


def render_html(report: AuditReport) -> str:
    """The post as a page: its prose and display math as written, each display followed by its steps."""
    text = report.source
    by_line: dict[int, list[AuditStep]] = {}
    for step in report.steps:
        by_line.setdefault(step.line, []).append(step)
    parts: list[str] = []
    pos = 0
    displays = [item for item in extract(text) if isinstance(item, Display)]
    for display in displays:
        start = text.rfind("$$", 0, display.offset) if text[:display.offset].rstrip().endswith("$$") else \
            display.offset
        end = display.offset + len(display.body)
        closer = text.find("$$", end)
        stop = closer + 2 if closer != -1 and text[end:closer].strip() == "" else end
        parts.append(_prose(text[pos:start]))
        first = text.count("\n", 0, start) + 1
        last = text.count("\n", 0, stop) + 1
        steps = [s for line in range(first, last + 1) for s in by_line.get(line, [])]
        body = html.escape(display.body)
        # align/equation environments are display math already; MathJax rejects them inside \[ \].
        standalone = "{aligned}" not in display.body and any(
            "\\begin{" + env in display.body for env in ("align", "equation", "gather", "multline"))
        math = body if standalone else "\\[" + body + "\\]"
        parts.append(f"<div class='display'>{math}</div>")
        if steps:
            parts.append("<table class='steps'>" + "".join(_step_row(s) for s in steps) + "</table>")
        pos = stop
    parts.append(_prose(text[pos:]))
    counts = " · ".join(f"<span style='color:{_COLOR[s]}'>{report.count(s)} {s.value}</span>" for s in StepStatus)
    hints = "".join(f"<li>{html.escape(h)}</li>" for h in report.hints)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>derive audit: {html.escape(report.path)}</title>
<script>window.MathJax = {{tex: {{inlineMath: [['$', '$'], ['\\\\(', '\\\\)']]}}}};</script>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5; color: #1f2328; }}
.summary {{ padding: .5rem 1rem; background: #f6f8fa; border-radius: 6px; }}
.display {{ overflow-x: auto; }}
table.steps {{ border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; width: 100%;
  table-layout: fixed; }}
td.step {{ width: 40%; overflow-wrap: anywhere; }}
td.where {{ width: 4.5rem; }} td.status {{ width: 7rem; }}
table.steps td {{ border-top: 1px solid #d0d7de; padding: .3rem .5rem; vertical-align: top; }}
td.where {{ font-family: monospace; color: #57606a; white-space: nowrap; }}
td.status {{ font-weight: 600; white-space: nowrap; }}
table.point td {{ padding: 0 .5rem; border: none; font-family: monospace; }}
p.prose {{ margin: .6rem 0; }}
div.decl {{ font-family: monospace; font-size: .8rem; color: #0969da; }}
</style></head><body>
<h1>Audit of {html.escape(report.path)}</h1>
<p class="summary">{len(report.steps)} steps: {counts} ({report.seconds:.1f} s)</p>
{"<ul class='hints'>" + hints + "</ul>" if hints else ""}
{"".join(parts)}
</body></html>
"""


def _prose(text: str) -> str:
    """Markdown prose, lightly: headings as headings, paragraphs as paragraphs; inline $math$ left to MathJax."""
    out = []
    for block in text.strip().split("\n\n"):
        block = block.strip()
        if not block:
            continue
        lines = block.splitlines()
        rest = []
        for line in lines:
            if line.startswith("<!--"):
                out.append(f"<div class='decl'>{html.escape(line)}</div>")
            elif line.startswith("#"):
                level = min(len(line) - len(line.lstrip("#")) + 1, 6)
                out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
            else:
                rest.append(html.escape(line))
        if rest:
            out.append("<p class='prose'>" + "<br>".join(rest) + "</p>")
    return "".join(out)


def steps_table_html(report: AuditReport) -> str:
    """The report as one HTML table (for Jupyter): summary, then every step with its verdict."""
    counts = " · ".join(f"<span style='color:{_COLOR[s]}'>{report.count(s)} {s.value}</span>" for s in StepStatus
                        if report.count(s))
    rows = "".join(_step_row(step) for step in report.steps)
    hints = "".join(f"<li>{html.escape(h)}</li>" for h in report.hints)
    return (f"<div><b>{html.escape(report.path)}</b>: {len(report.steps)} steps: {counts} "
            f"({report.seconds:.1f} s)<table class='steps'>{rows}</table>"
            + (f"<ul>{hints}</ul>" if hints else "") + "</div>")
