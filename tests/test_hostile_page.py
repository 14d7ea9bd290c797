r"""A hostile post's page runs nothing and links nowhere: its math is allow-listed MathML, the rest escaped.

latex2mathml copies ``\text{...}`` into ``<mtext>`` and ``\href``/``\style``/``\class`` into attributes
as they are; the page rewrites its tree through :mod:`derive.audit.safe_mathml`. Each attack below is
put in a post's display math (and in its prose, and in a LaTeX file), and the page checked as a
browser parses it; one test opens the pages in headless Chromium and checks that no script ran.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from derive.audit.post import audit_text
from derive.audit.report import mathml, render_html, step_html, steps_table_html
from derive.audit.safe_mathml import ELEMENTS, serialize

sys.path.insert(0, str(Path(__file__).parent))
from hostile_page import problems

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

SCRIPT = '<script>document.title="XSS"</script>'
HANDLER = "<img src=x onerror=\"document.title='XSS'\">"
TEXT_COMMANDS = ["text", "mbox", "textrm", "texttt", "textbf", "textit", "hbox", "fbox"]
ATTACKS = [
    *(rf"\{command}{{{SCRIPT}}}" for command in TEXT_COMMANDS),
    *(rf"\{command}{{{HANDLER}}}" for command in TEXT_COMMANDS),
    r"\href{javascript:document.title='XSS'}{x}",
    r"\href{https://evil.example/x}{x}",
    r"\style{background:url(https://evil.example/track.png)}{x}",
    r"\style{color:red\" onmouseover=\"document.title='XSS'}{x}",
    r"\class{x\" onclick=\"document.title='XSS'}{x}",
    r"\htmlId{x\" onclick=\"document.title='XSS'}{x}",
    r"\color{url(https://evil.example/)}{x}",
    r"\text{&#x3c;script&#x3e;document.title='XSS'&#x3c;/script&#x3e;}",
    r"\text{&lt;script&gt;}",
    SCRIPT,
    HANDLER,
    r"\operatorname{<script>document.title='XSS'</script>}",
    r"\mathrm{</math><script>document.title='XSS'</script>}",
]


def _posts(attack: str) -> list[tuple[str, str]]:
    """The attack in a Markdown display, in a Markdown bracket display, in prose math and in a LaTeX file."""
    return [
        ("a.md", f"$$ x = x {attack} $$\n"),
        ("b.md", f"Prose \\[ y + {attack} = y + {attack} \\] and ${attack}$.\n"),
        ("c.tex", f"\\section{{S}}\n\\[ x {attack} = x {attack} \\]\nand \\({attack}\\)\n"),
    ]


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_page_of_a_hostile_post_is_inert(attack: str) -> None:
    for path, text in _posts(attack):
        report = audit_text(text, path=path)
        for page in (render_html(report), steps_table_html(report), *(step_html(s) for s in report.steps)):
            assert problems(page) == [], (path, attack, problems(page))
            assert "<script" not in page.lower()


@pytest.mark.parametrize("command", TEXT_COMMANDS)
def test_text_commands_show_their_markup_as_text(command: str) -> None:
    page = mathml(rf"x = x \{command}{{{SCRIPT}}}")
    assert "&lt;script&gt;document.title=\"XSS\"&lt;/script&gt;" in page
    assert "<script" not in page


def test_only_presentation_mathml_and_layout_attributes_are_kept() -> None:
    from xml.etree.ElementTree import fromstring

    tree = fromstring('<math display="block" xmlns="http://www.w3.org/1998/Math/MathML">'
                      '<semantics><mi href="https://e.example" onclick="f()" style="a" class="c" id="i"'
                      ' mathvariant="bold">x</mi><annotation-xml><p>hi</p></annotation-xml></semantics>'
                      '<mpadded width="+0.8em" height="calc(url(x))">y</mpadded></math>')
    assert serialize(tree) == ('<math display="block"><mrow><mi mathvariant="bold">x</mi><mrow><mrow>hi</mrow>'
                               '</mrow></mrow><mpadded width="+0.8em">y</mpadded></math>')
    assert "semantics" not in ELEMENTS and "maction" not in ELEMENTS


def test_derive_still_typesets_what_it_did() -> None:
    page = mathml(r"\frac{\partial L}{\partial z_i} = \hat{y}_i - y_i \quad \text{for all } i")
    assert page.startswith('<math display="inline"><mrow><mfrac>')
    assert "<mtext>for\u00a0all\u00a0</mtext>" in page
    report = audit_text("<!-- derive: scalar x -->\n\n$$ x + x = 3 x $$\n", path="w.md")
    assert "<td>left side</td><td><math>" in render_html(report)


def test_markdown_links_images_and_fence_names_do_not_reach_attributes() -> None:
    text = ("[a](https://evil.example) ![alt](https://evil.example/t.png) <https://evil.example>\n\n"
            "```js\" onclick=\"f()\ncode\n```\n\n$$ x = x $$\n")
    page = render_html(audit_text(text, path="l.md"))
    assert problems(page) == []
    assert "<p>a alt https://evil.example</p>" in page and "<pre><code>code\n</code></pre>" in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_headless_chromium_runs_no_script_of_a_hostile_post(tmp_path: Path) -> None:
    """Every attack in one post per form, opened by a browser: the title derive wrote is the title it has."""
    assert CHROMIUM is not None
    for path, _ in _posts("x"):
        text = "".join(dict(_posts(attack))[path] + "\n" for attack in ATTACKS)
        page = tmp_path / (path + ".html")
        page.write_text(render_html(audit_text(text, path=path)), encoding="utf-8")
        dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        assert f"<title>derive audit: {path}</title>" in dom, dom[:400]
        assert "XSS" not in dom.split("</title>")[0]
        assert "<math" in dom and problems(dom) == []
