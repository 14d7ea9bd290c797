r"""Hostile posts drawn at random (Hypothesis): the audit ends in time, its page is inert, a wrong step shows.

The posts are Markdown or LaTeX made of what the issue's attacks are made of: unclosed and stray
openers and closers (``$$``, ``\[``, ``\begin{align*}``, ``<!--``), code, headings, declarations,
tables of ``$x$`` cells, and script, link and style payloads inside math and prose. For each:

- the audit ends within its deadline: its reading (all but deciding) within ``AuditSettings.reading``;
- the page has no script, no event handler and no URL in an attribute or a style;
- a post that starts with one wrong step (of a declared scalar), whatever is appended to it, never has exit status 0.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.audit.post import AuditSettings, StepStatus, audit_text
from derive.audit.report import render_html

sys.path.insert(0, str(Path(__file__).parent))
from hostile_page import problems

WRONG = "<!-- derive: scalar x -->\n\n$$ x^2 = 3x $$\n\n"  # x declared: an undeclared x is undecided

STRUCTURE = ["$$", "$", "\\[", "\\]", "\\(", "\\)", "\\begin{align*}", "\\end{align*}", "\\begin{equation}",
             "\\end{equation}", "&", "\\\\", "<!--", "-->", "<!-- derive: vector x 3 -->", "<!-- derive: logits z -->",
             "<!-- derive:", "% derive: size n\n", "\n", "\n\n", " ", "`", "```\n", "    ", "# Heading\n",
             "\\section{S}\n", "> ", "- ", "|$x$|$x$|\n", "---\n", "\\$"]
MATH = ["x", "y", "=", "+", "-", "x^2", "x_1", "2x", "\\frac{x}{2}", "{", "}", "(", ")", "\\sum_{i=1}^{3} x_i",
        "\\|x\\|^2", "\\mathbf{1}^T x"]
PAYLOADS = ["\\text{<script>document.title='XSS'</script>}", "\\mbox{<img src=x onerror=alert(1)>}",
            "\\textbf{</math><script>alert(1)</script>}", "\\href{javascript:alert(1)}{x}",
            "\\href{https://evil.example/}{x}", "\\style{background:url(https://evil.example/t.png)}{x}",
            "\\class{a\" onclick=\"alert(1)}{x}", "\\htmlId{a\" onclick=\"alert(1)}{x}",
            "<script>alert(1)</script>", "<a href=\"https://evil.example\">a</a>", "[a](https://evil.example)",
            "![a](https://evil.example/t.png)", "<https://evil.example>", "&lt;script&gt;", "\\color{url(x)}{x}"]

pieces = st.lists(st.sampled_from(STRUCTURE + MATH + PAYLOADS), max_size=40).map("".join)
#: A display with a payload in it: the page must typeset it inertly.
displays = st.tuples(st.sampled_from(MATH), st.sampled_from(PAYLOADS)).map(lambda p: f"$$ {p[0]} = {p[0]} {p[1]} $$\n")
posts = st.lists(st.one_of(pieces, displays), min_size=1, max_size=5).map("\n".join)

READING = 3.0
SETTINGS = AuditSettings(budget=5.0, reading=READING)


FUZZ_EXAMPLES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 30


def _decided_seconds(report: object) -> float:
    return sum(s.verdict.seconds for s in report.steps if s.verdict is not None)  # type: ignore[attr-defined]


# The fuzz tests run in the default suite: thirty derandomized posts each;
# HYPOTHESIS_PROFILE=thorough draws more.
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=posts, tex=st.booleans())
def test_a_hostile_post_is_read_in_time_and_its_page_is_inert(text: str, tex: bool) -> None:
    started = time.perf_counter()
    report = audit_text(text, path="post.tex" if tex else "post.md", settings=SETTINGS)
    reading = time.perf_counter() - started - _decided_seconds(report)
    assert reading < READING + 1.0, (reading, text)
    assert report.exit_status == 1 if report.not_audited else True
    page = render_html(report)
    assert "<script" not in page.lower()
    assert problems(page) == [], (problems(page), text)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(junk=posts, tex=st.booleans())
def test_a_wrong_step_is_never_hidden_by_what_follows(junk: str, tex: bool) -> None:
    report = audit_text(WRONG + junk, path="post.tex" if tex else "post.md", settings=SETTINGS)
    assert report.exit_status == 1 and report.strict_exit_status == 1, (junk, report.summary())
    if not report.not_audited:
        first = report.steps[0]
        assert (first.line, first.text, first.status) == (3, "x^2 = 3x", StepStatus.WRONG), (junk, first)
