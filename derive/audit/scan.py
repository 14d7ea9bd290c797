r"""Reading a written post: its display math, inline math and ``derive`` declarations, with positions.

A post is Markdown (or LaTeX) text. Display math is ``$$...$$``, ``\[...\]``, a ```` ```math ```` fence (GitHub), or a
``align``/``align*``/``aligned``/``equation``/``gather`` environment standing on its
own; inline ``$...$`` is prose: it is not audited, and :func:`extract` gives it only when
asked (``inline=True``). Declarations are HTML comments, invisible when the post is rendered
(in a LaTeX file, ``% derive: ...`` comment lines)::

    <!-- derive: logits z; labels y one-hot at \ell -->

In Markdown, markdown-it-py's parse (CommonMark, with front matter and dollar math) decides
what is code: fenced and indented code blocks, inline code spans and the front matter hold
no math, so nothing in them is audited. The page renderer (:mod:`derive.audit.report`)
uses the same parse, so what the reader sees as code is what the audit skips.

Nothing here reads mathematics; :mod:`derive.audit.reader` does that, :mod:`derive.audit.post`
decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["Declaration", "Display", "Heading", "Inline", "Unclosed", "extract", "is_latex", "markdown", "position"]


@dataclass(frozen=True)
class Display:
    """A display-math block: its body and where the body starts in the file."""

    body: str
    offset: int  # of the body's first character in the file
    line: int  # 1-based line of the opening delimiter


@dataclass(frozen=True)
class Inline:
    """Inline math (``$...$``, or ``\\(...\\)`` in LaTeX) in the prose: its body and where the body starts."""

    body: str
    offset: int  # of the body's first character in the file
    line: int  # 1-based
    column: int  # 1-based, of the body's first character


@dataclass(frozen=True)
class Declaration:
    """One ``<!-- derive: ... -->`` statement."""

    text: str
    line: int


@dataclass(frozen=True)
class Heading:
    """A Markdown heading (or a LaTeX ``\\section``): it ends the scope of ``assume`` declarations."""

    text: str
    line: int


@dataclass(frozen=True)
class Unclosed:
    """A display-math opener without its closer: reported, and the rest of the file still read."""

    opener: str
    line: int
    column: int


Item = Display | Declaration | Heading | Unclosed | Inline

_ENVIRONMENTS = "align|align\\*|aligned|equation|equation\\*|gather|gather\\*|eqnarray|eqnarray\\*|multline\\*?"
_OPENERS = re.compile(
    r"(?P<comment><!--\s*derive\s*:(?P<decl>[\s\S]*?)-->)"
    r"|(?P<other_comment><!--[\s\S]*?-->)"
    r"|(?P<tex_comment>^[ \t]*%[ \t]*derive[ \t]*:(?P<tex_decl>[^\n]*)$)"
    r"|(?P<heading>^[ \t]{0,3}#{1,6}[ \t][^\n]*$)"
    r"|(?P<section>^[ \t]*\\(?:part|chapter|section|subsection|subsubsection|paragraph)\*?\{[^\n]*$)"
    r"|(?P<dollars>(?<!\\)\$\$)"
    r"|(?P<bracket>\\\[)"
    r"|(?P<env>\\begin\{(?P<envname>" + _ENVIRONMENTS + r")\})",
    re.MULTILINE,
)
# A LaTeX file: a preamble, a sectioning command or a ``% derive:`` comment line.
_LATEX = re.compile(r"\\documentclass|\\begin\{document\}|^[ \t]*\\(?:sub)*section\*?\{|^[ \t]*%[ \t]*derive[ \t]*:",
                    re.MULTILINE)
_TEX_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<dollar>(?:[^$\\]|\\.)+?)(?<!\\)\$|\\\((?P<paren>[\s\S]+?)\\\)")
_TEX_LINE_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def is_latex(text: str) -> bool:
    r"""Whether ``text`` reads as a LaTeX file rather than Markdown.

    Examples:
        >>> is_latex("\\section{Softmax}\n\\[ a = b \\]"), is_latex("# Softmax\n$$a = b$$")
        (True, False)
    """
    return _LATEX.search(text) is not None


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The one Markdown parser of the audit: CommonMark, front matter, ``$``/``$$`` math, amsmath environments."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = (MarkdownIt("commonmark", {"html": True})
          .use(front_matter_plugin).use(dollarmath_plugin, double_inline=True).use(amsmath_plugin))
    # \[...\] and an environment inside a paragraph are display math too (CommonMark would read
    # "\[" as an escaped bracket); the audit reads them (extract), so the page typesets them.
    md.inline.ruler.before("escape", "latex_display", _latex_display)
    return md


_INLINE_DISPLAY = re.compile(r"\\\[(?P<bracket>[\s\S]*?)\\\]|(?P<env>\\begin\{(?P<name>" + _ENVIRONMENTS
                             + r")\}[\s\S]*?\\end\{(?P=name)\})")


def _latex_display(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith(("\\[", "\\begin{"), state.pos):
        return False
    m = _INLINE_DISPLAY.match(state.src, state.pos)
    if m is None:
        return False
    if not silent:
        token = state.push("math_inline_double", "math", 0)
        token.content = m.group("bracket") if m.group("bracket") is not None else m.group("env")
        token.markup = "\\["
    state.pos = m.end()
    return True


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\n", text)]
    return starts


def _math_fence(text: str, begin: int, end: int, line: int) -> Display | None:
    """GitHub's ```` ```math ```` fence as a display: its body, between the fence lines, is LaTeX."""
    opening = text.find("\n", begin, end)
    if opening == -1:
        return None
    body_start = opening + 1
    closing = text.rfind("\n", body_start, max(body_start, end - 1))
    fence = text[closing + 1:end].strip() if closing != -1 else ""
    body_end = closing + 1 if fence.startswith(("```", "~~~")) else end
    return Display(text[body_start:body_end], body_start, line)


def _standalone(children: list[Token]) -> bool:
    """Whether a paragraph's inline tokens are one ``$...$`` and blank text only."""
    kinds = [c.type for c in children if not (c.type in ("text", "softbreak") and not c.content.strip())]
    return kinds == ["math_inline"]


def _markdown_regions(text: str) -> tuple[list[tuple[int, int]], list[Inline], list[Display]]:
    """Code (and front matter) as offset ranges, the inline math with offsets, and the ```` ```math ````
    fences and the paragraphs that are one ``$...$`` as displays, from markdown-it's tokens."""
    starts = _line_starts(text)

    def at(line: int) -> int:
        return starts[line] if line < len(starts) else len(text)

    code: list[tuple[int, int]] = []
    inline: list[Inline] = []
    fences: list[Display] = []
    tokens: list[Token] = markdown().parse(text)
    for token in tokens:
        if token.map is None:
            continue
        begin, end = at(token.map[0]), at(token.map[1])
        if token.type == "fence" and token.info.strip().lower() == "math":
            fence = _math_fence(text, begin, end, token.map[0] + 1)
            if fence is not None:
                fences.append(fence)
            code.append((begin, end))  # no other opener inside: the fence is the display
        elif token.type in ("fence", "code_block", "front_matter"):
            code.append((begin, end))
        elif token.type == "inline" and token.children and _standalone(token.children):
            # A paragraph that is one $...$ and nothing else is a formula set apart, as a display is.
            (math,) = [c for c in token.children if c.type == "math_inline"]
            found = text.find("$" + math.content + "$", begin, end)
            if found != -1:
                fences.append(Display(math.content, found + 1, position(text, found)[0]))
        elif token.type == "inline" and token.children:
            cursor = begin
            for child in token.children:
                if child.type == "code_inline":
                    ticks = re.compile(r"(?<!`)" + re.escape(child.markup) + r"(?!`)")
                    opened = ticks.search(text, cursor, end)
                    closed = ticks.search(text, opened.end(), end) if opened else None
                    if opened and closed:
                        code.append((opened.start(), closed.end()))
                        cursor = closed.end()
                elif child.type == "math_inline":
                    found = text.find("$" + child.content + "$", cursor, end)
                    if found != -1:
                        line, column = position(text, found + 1)
                        inline.append(Inline(child.content, found + 1, line, column))
                        cursor = found + len(child.content) + 2
    return sorted(code), inline, fences


def _latex_inline(text: str, taken: list[tuple[int, int]]) -> list[Inline]:
    """Inline ``$...$`` and ``\\(...\\)`` of a LaTeX file, outside displays and comments."""
    blocked = taken + [(m.start(), m.end()) for m in _TEX_LINE_COMMENT.finditer(text)]
    out = []
    for m in _TEX_INLINE.finditer(text):
        if any(a <= m.start() < b for a, b in blocked):
            continue
        group = "dollar" if m.group("dollar") is not None else "paren"
        offset = m.start(group)
        out.append(Inline(m.group(group), offset, *position(text, offset)))
    return out


def extract(text: str, *, inline: bool = False, latex: bool | None = None) -> list[Item]:
    r"""Display math, declarations, headings and unclosed openers of a post, in order.

    With ``inline`` the prose's inline math comes too (:class:`Inline`, with its offset).
    Markdown code (fenced, indented, inline spans) and front matter are skipped. ``latex``
    says whether the text is LaTeX or Markdown; by default :func:`is_latex` guesses.

    Examples:
        >>> [type(i).__name__ for i in extract("# T\n<!-- derive: logits z -->\n$$a = b$$\n")]
        ['Heading', 'Declaration', 'Display']
        >>> extract("$$x$$")[0].body
        'x'
        >>> [i.body for i in extract("Let $S_i = e^{z_i}$ and `$$no = math$$`.", inline=True)]
        ['S_i = e^{z_i}']
    """
    latex = is_latex(text) if latex is None else latex
    code, inline_math, fences = ([], [], []) if latex else _markdown_regions(text)
    found: list[tuple[int, Item]] = [(f.offset, f) for f in fences]
    displays: list[tuple[int, int]] = []
    pos = 0
    while True:
        m = _OPENERS.search(text, pos)
        if m is None:
            break
        skip = next((b for a, b in code if a <= m.start() < b), None)
        if skip is not None:
            pos = max(skip, m.start() + 1)
            continue
        line = position(text, m.start())[0]
        if m.group("comment") or m.group("tex_comment"):
            # <!-- derive: ... --> in Markdown; % derive: ... in LaTeX (a comment, so it still compiles).
            declared = m.group("decl") if m.group("comment") else m.group("tex_decl")
            found += [(m.start(), Declaration(part.strip(), line)) for part in declared.split(";") if part.strip()]
            pos = m.end()
            continue
        if m.group("other_comment"):
            displays.append((m.start(), m.end()))  # no inline math inside a comment
            pos = m.end()
            continue
        if m.group("heading") or m.group("section"):
            if (m.group("heading") is not None) != latex:
                found.append((m.start(), Heading(m.group(0).strip(), line)))
            pos = m.end()
            continue
        opener = m.group(0)
        if m.group("dollars"):
            closer = re.compile(r"(?<!\\)\$\$")
        elif m.group("bracket"):
            closer = re.compile(r"\\\]")
        else:
            closer = re.compile(r"\\end\{" + re.escape(m.group("envname")) + r"\}")
        end = closer.search(text, m.end())
        if end is None:
            found.append((m.start(), Unclosed(opener, *position(text, m.start()))))
            pos = m.end()
            continue
        if m.group("env"):
            # The environment is part of the display: the chain splitter reads it.
            found.append((m.start(), Display(text[m.start():end.end()], m.start(), line)))
        else:
            found.append((m.start(), Display(text[m.end():end.start()], m.end(), line)))
        displays.append((m.start(), end.end()))
        pos = end.end()
    if inline:
        inline_math = _latex_inline(text, displays) if latex else inline_math
        found += [(i.offset, i) for i in inline_math]
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]
