"""The audit as a page: MathML, no script and no URL, the post's Markdown as a reader sees it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.audit.post import AuditReport, StepStatus, audit_file, audit_text
from derive.audit.report import mathml, render_html, steps_table_html

DATA = Path(__file__).parent / "data" / "declared"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def seed_000() -> AuditReport:
    return audit_file(DATA / "000_cross_entropy.md")


def _offline(page: str) -> None:
    """No script, no stylesheet or image from elsewhere, no URL at all."""
    assert "<script" not in page.lower()
    assert not re.search(r"(?i)\b(?:https?:|ftp:)?//[a-z0-9]", page), re.findall(r"(?i)https?://\S+", page)[:3]


def test_the_page_is_mathml_and_offline(seed_000: AuditReport) -> None:
    page = render_html(seed_000)
    _offline(page)
    assert "<title>derive audit: 000_cross_entropy.md</title>" in page
    assert "<h1>Audit of 000_cross_entropy.md</h1>" in page and str(DATA) not in page
    # Front matter is not a paragraph; the "Where:" list is a list; inline and display math are MathML.
    assert "categories:" not in page and "Deriving Cross Entropy Gradient" not in page
    assert re.search(r"<ul>\s*<li><math display=\"inline\">", page)
    assert page.count('<math display="block">') >= 5
    # Each step typeset, its LaTeX on demand; the refuted step's point typeset by SymPy's printer.
    assert page.count("<details><summary>LaTeX</summary>") == len(seed_000.steps)
    assert "<td class='step'><math" in page and "<mi>\u2113</mi>" in page  # ℓ, as a character
    assert page.count("<table class='steps'>") >= 4 and "✗ wrong" in page


def test_steps_sit_under_their_display() -> None:
    # x is declared: an undeclared x would leave the false step undecided (it may be the equation x solves).
    text = "# A\n\n<!-- derive: scalar x -->\n$$\n(x+1)^2 = x^2 + 2x + 1\n$$\n\nprose\n\n$$\nx + x = 3x\n$$\n"
    page = render_html(audit_text(text, path="posts/a.md"))
    first, second = page.index("(x+1)^2 = x^2"), page.index("x + x = 3x")
    assert page.index("✓ valid") < page.index("<p>prose</p>") < page.index("✗ wrong")
    assert first < page.index("<p>prose</p>") < second


def test_code_is_shown_as_code_and_not_audited() -> None:
    text = ("Inline `$$a = 2a$$` code.\n\n    $$b = 2b$$\n\n<script>alert(1)</script>\n\n"
            "<!-- derive: assume x > 0 -->\n$$c + c = 2c$$\n")
    report = audit_text(text, path="code.md")
    assert [s.text for s in report.steps] == ["c + c = 2c"] and report.steps[0].status is StepStatus.VALID
    page = render_html(report)
    _offline(page)
    assert "<code>$$a = 2a$$</code>" in page and "<pre><code>$$b = 2b$$" in page
    assert "&lt;script&gt;" in page and "derive: assume x &gt; 0" in page


def test_a_latex_file_is_typeset_too() -> None:
    text = "\\section{Sums}\nLet $c$ be real.\n\\[ c + c = 2 c \\]\n% a comment\n"
    page = render_html(audit_text(text, path="post.tex"))
    _offline(page)
    assert "<h2>Sums</h2><p>Let <math display=\"inline\"><mrow><mi>c</mi></mrow></math> be real.</p>" in page
    assert '<math display="block">' in page and "✓ valid" in page and "a comment" not in page


def test_mathml_falls_back_to_the_source() -> None:
    assert mathml(r"\frac{a}{b}", display=True).startswith('<math display="block">')
    assert mathml(r"\frac{a}{") == '<code class="tex">\\frac{a}{</code>'


def test_the_notebook_table_is_typeset_and_left_aligned(seed_000: AuditReport) -> None:
    table = steps_table_html(seed_000)
    assert "<b>000_cross_entropy.md</b>" in table and "text-align: left" in table
    assert table.count("<td class='step'><math") == len(seed_000.steps)


def _ink(png: Path) -> float:
    """The share of pixels that are not (nearly) white."""
    image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) decodes the screenshot")
    with image.open(png) as picture:
        gray = picture.convert("L")
        histogram = gray.histogram()
    return sum(histogram[:240]) / sum(histogram)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_headless_chromium_shows_typeset_math(seed_000: AuditReport, tmp_path: Path) -> None:
    """What a person sees: the page, opened by a browser without network, is drawn and not blank."""
    page = tmp_path / "000.html"
    page.write_text(render_html(seed_000), encoding="utf-8")
    shot = tmp_path / "000.png"
    assert CHROMIUM is not None
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1000,1400",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
    ink = _ink(shot)
    assert 0.01 < ink < 0.5, f"{ink:.3%} of the screenshot is not white"


def test_bracket_displays_inside_a_paragraph_are_typeset_not_escaped_brackets() -> None:
    report = audit_text("Prose \\[ x + x = 2 x \\] and `\\[ y = 2y \\]`.\n", path="b.md")
    assert [s.text for s in report.steps] == ["x + x = 2 x"]
    page = render_html(report)
    assert '<p>Prose <math display="block">' in page and "<code>\\[ y = 2y \\]</code>" in page
    assert "[ x + x" not in page


def test_a_refuted_step_is_shown_as_written_with_its_point_as_math(seed_000: AuditReport) -> None:
    from derive.audit.report import step_html

    (wrong,) = [s for s in seed_000.steps if s.status is StepStatus.WRONG]
    shown = step_html(wrong)
    # The post's own left side (∂CE/∂z_j as a fraction), not the engine's expanded expression.
    assert shown.count("<math") >= 2 and "<mtext>CE</mtext>" in shown and "<mfrac>" in shown
    assert "line 51, column 3" in shown and "assuming j \\neq \\ell" in shown
    # The label vector [0, 1, 0] as a row of numbers, the logits likewise.
    assert ("<mi>y</mi></mrow></math></td><td><math><mrow><mo>[</mo><mtable><mtr><mtd><mn>0</mn></mtd>"
            "<mtd><mn>1</mn></mtd><mtd><mn>0</mn></mtd></mtr></mtable><mo>]</mo>") in shown
