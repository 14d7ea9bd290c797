r"""Reading a written post: its display math, inline math and ``derive`` declarations, with positions.

A post is Markdown (or LaTeX) text. Display math is ``$$...$$``, ``\[...\]``, a ```` ```math ```` fence (GitHub), or a
``align``/``align*``/``aligned``/``equation``/``gather`` environment standing on its
own; inline ``$...$`` (and ``\\(...\\)``, MathJax's default) is prose: :func:`extract` gives it only
when asked (``inline=True``). Declarations are HTML comments, invisible when the post is rendered
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

import gc
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from derive.audit.clock import check
from derive.audit.closers import Closers, lines, merged, within

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["Declaration", "Display", "Heading", "Inline", "Unclosed", "extract", "is_latex", "markdown", "position"]


@dataclass(frozen=True)
class Display:
    """A display-math block: its body and where the body starts in the file."""

    body: str
    offset: int  # of the body's first character in the file
    line: int  # 1-based line of the opening delimiter


@dataclass(frozen=True, slots=True)
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
# Openers only: each closer is found once (derive.audit.closers), never by scanning on from its opener.
_OPENERS = re.compile(
    r"(?P<comment><!--)"
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
_DERIVE_COMMENT = re.compile(r"<!--\s*derive\s*:")
_TEX_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<dollar>(?:[^$\\]|\\.)+?)(?<!\\)\$|\\\((?P<paren>[\s\S]+?)\\\)")
_TEX_LINE_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text`` (a binary search in the line starts, found once per text)."""
    return lines(text).position(offset)


def is_latex(text: str) -> bool:
    r"""Whether ``text`` reads as a LaTeX file rather than Markdown.

    Examples:
        >>> is_latex("\\section{Softmax}\n\\[ a = b \\]"), is_latex("# Softmax\n$$a = b$$")
        (True, False)
    """
    return _LATEX.search(text) is not None


#: A paragraph longer than this is read inline in pieces of whole lines at most this long, so that
#: the tokens of a 2 MB paragraph (a table of 400,000 ``$x$`` cells) are never all in memory at once.
PIECE = 1 << 14


def _inline_in_pieces(state: StateCore) -> None:
    """markdown-it's inline pass, keeping of each paragraph only what the scan needs (code spans, math).

    Each inline token's ``meta["scan"]`` is a list of ``(type, markup, content)`` of its code spans
    and inline math; its children are not kept. A paragraph over :data:`PIECE` characters is
    read in pieces of whole lines (a code span or ``$...$`` across two pieces is then not one).
    """
    md = state.md
    for token in state.tokens:
        if token.type != "inline":
            continue
        content, kept = token.content, []
        start = 0
        while start < len(content):
            end = len(content) if len(content) - start <= PIECE else content.rfind("\n", start, start + PIECE) + 1
            if end <= start:
                end = min(len(content), start + PIECE)
            children: list[Token] = []
            md.inline.parse(content[start:end], md, state.env, children)
            kept += [(c.type, c.markup, c.content) for c in children if c.type in ("code_inline", "math_inline")]
            start = end
        token.children = []
        token.meta = {"scan": kept}


@lru_cache(maxsize=1)
def _scanner() -> MarkdownIt:
    """The parser the scan uses: :func:`markdown`'s, with the inline pass of :func:`_inline_in_pieces`."""
    md = _parser()
    md.core.ruler.at("inline", _inline_in_pieces)
    return md


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The one Markdown parser of the audit's page (the scan reads with the same rules, see :func:`_scanner`)."""
    return _parser()


def _parser() -> MarkdownIt:
    """CommonMark, front matter, ``$``/``$$`` math, amsmath environments, ``\\[`` displays in paragraphs."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = (MarkdownIt("commonmark", {"html": True})
          .use(front_matter_plugin).use(dollarmath_plugin, double_inline=True).use(amsmath_plugin))
    # \[...\] and an environment inside a paragraph are display math too (CommonMark would read
    # "\[" as an escaped bracket); the audit reads them (extract), so the page typesets them.
    md.inline.ruler.before("escape", "latex_display", _latex_display)
    _guard(md, "math_block", _dollar_block_guard)
    _guard(md, "amsmath", _amsmath_guard)
    # Parsing is reading: the reading deadline (derive.audit.clock) is checked as markdown-it goes.
    md.block.ruler.before(md.block.ruler.__rules__[0].name, "derive_clock", _block_clock,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before(md.inline.ruler.__rules__[0].name, "derive_clock", _inline_clock)
    return md


def _block_clock(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    check()
    return False


_inline_calls = [0]


def _inline_clock(state: StateInline, silent: bool) -> bool:
    # Called at each position of each paragraph: the clock is read at every 1024th.
    _inline_calls[0] += 1
    if not _inline_calls[0] & 1023:
        check()
    return False


_BEGIN = re.compile(r"\\begin\{(?P<name>" + _ENVIRONMENTS + r")\}")
_inline_closers: tuple[str, Closers] | None = None


def _closers_of(src: str) -> Closers:
    """The closers of one paragraph's source: inline rules ask of the same source many times."""
    global _inline_closers
    last = _inline_closers
    if last is None or last[0] is not src:
        last = _inline_closers = (src, Closers(src))
    return last[1]


def _latex_display(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src.startswith("\\(", pos):
        # MathJax's default inline delimiters: inline math, read as ``$...$`` is (CommonMark would read
        # "\(" as an escaped parenthesis, and the post's statements in it would be lost).
        close = _closers_of(src).next("\\)", pos + 2)
        if close is None or "\n\n" in src[pos:close]:
            return False
        if not silent:
            token = state.push("math_inline", "math", 0)
            token.content = src[pos + 2:close]
            token.markup = "\\("
        state.pos = close + 2
        return True
    if src.startswith("\\[", pos):
        close = _closers_of(src).next("\\]", pos + 2)
        if close is None:
            return False
        content, end = src[pos + 2:close], close + 2
    elif src.startswith("\\begin{", pos) and (m := _BEGIN.match(src, pos)):
        closer = "\\end{" + m.group("name") + "}"
        close = _closers_of(src).next(closer, m.end())
        if close is None:
            return False
        content, end = src[pos:close + len(closer)], close + len(closer)
    else:
        return False
    if not silent:
        token = state.push("math_inline_double", "math", 0)
        token.content = content
        token.markup = "\\["
    state.pos = end
    return True


BlockRule = Callable[["StateBlock", int, int, bool], bool]
_DOLLAR_LABEL = re.compile(r"\$\$\s*\([^)$\r\n]+?\)\s*$")
_END_AT_LINE_END = re.compile(r"\\end\{([^{}\n]{1,40})\}$")
_line_closers: tuple[str, dict[str, list[int]]] | None = None


def _closing_lines(src: str) -> dict[str, list[int]]:
    """The lines of ``src`` that can close a block: ``$$`` (with an optional label) or ``\\end{name}`` at their end.

    A superset of what the block rules accept (they look at the line without its container's
    markers, a suffix of it), so no closing line is missed.
    """
    global _line_closers
    last = _line_closers
    if last is None or last[0] is not src:
        found: dict[str, list[int]] = {}
        for number, line in enumerate(src.split("\n")):
            tail = line.rstrip()
            if tail.endswith("$$") or _DOLLAR_LABEL.search(tail):
                found.setdefault("$$", []).append(number)
            if tail.endswith("}") and (m := _END_AT_LINE_END.search(tail)):
                found.setdefault(m.group(0), []).append(number)
        last = _line_closers = (src, found)
    return last[1]


def _closes_before(src: str, closer: str, first: int, end_line: int) -> bool:
    """Whether a line in ``first`` .. ``end_line - 1`` can close ``closer``."""
    places = _closing_lines(src).get(closer, [])
    i = bisect_right(places, first - 1)
    return i < len(places) and places[i] < end_line


def _dollar_block_guard(rule: BlockRule) -> BlockRule:
    """dollarmath's ``$$`` block rule, asked only when a line could close the block (it scans to the end if none)."""

    def guarded(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        begin = state.bMarks[start_line] + state.tShift[start_line]
        if not state.src.startswith("$$", begin):
            return False
        if not _closes_before(state.src, "$$", start_line, end_line):
            return False
        return rule(state, start_line, end_line, silent)

    return guarded


def _amsmath_guard(rule: BlockRule) -> BlockRule:
    """amsmath's block rule, asked only when a line could close its environment (it scans to the end if none)."""
    from mdit_py_plugins.amsmath import RE_OPEN

    opener = re.compile(RE_OPEN)

    def guarded(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        begin = state.bMarks[start_line] + state.tShift[start_line]
        m = opener.match(state.src, begin)
        if m is None:
            return False
        if not _closes_before(state.src, "\\end{" + m.group(1) + m.group(2) + "}", start_line, end_line):
            return False
        return rule(state, start_line, end_line, silent)

    return guarded


def _guard(md: MarkdownIt, name: str, guard: Callable[[BlockRule], BlockRule]) -> None:
    """The block rule ``name`` of ``md`` replaced by ``guard(rule)``, in the same chains."""
    ruler = md.block.ruler
    rule = next(r for r in ruler.__rules__ if r.name == name)
    ruler.at(name, guard(rule.fn), {"alt": list(rule.alt)})


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


def _standalone(token: Token) -> bool:
    """Whether a paragraph is one ``$...$`` and nothing else (blank space aside)."""
    scanned = token.meta.get("scan") or []
    return len(scanned) == 1 and scanned[0][0] == "math_inline" \
        and token.content.strip() == "".join(_delimiters(scanned[0][1], scanned[0][2]))


def _delimiters(markup: str, content: str) -> tuple[str, str, str]:
    """Inline math as written: ``$`` ... ``$``, or ``\\(`` ... ``\\)`` (MathJax's delimiters)."""
    return ("\\(", content, "\\)") if markup == "\\(" else ("$", content, "$")


def _markdown_regions(text: str) -> tuple[list[tuple[int, int]], list[Inline], list[Display]]:
    """Code (and front matter) and inline math as offset ranges (no display opens in them), the inline
    math with offsets, and the ```` ```math ```` fences and the paragraphs that are one ``$...$`` as
    displays, from markdown-it's tokens."""
    at = lines(text).start
    code: list[tuple[int, int]] = []
    inline: list[Inline] = []
    fences: list[Display] = []
    tokens: list[Token] = _scanner().parse(text)
    in_list = 0  # list items are prose: a bullet that is one $...$ (a notation list) is not a display
    for token in tokens:
        in_list += {"list_item_open": 1, "list_item_close": -1}.get(token.type, 0)
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
        elif token.type == "inline" and not in_list and _standalone(token):
            # A paragraph that is one $...$ and nothing else is a formula set apart, as a display is.
            _, markup, content = token.meta["scan"][0]
            opener, _, closer = _delimiters(markup, content)
            found = text.find(opener + content + closer, begin, end)
            if found != -1:
                fences.append(Display(content, found + len(opener), position(text, found)[0]))
        elif token.type == "inline":
            cursor = begin
            for kind, markup, content in token.meta["scan"]:
                if kind == "code_inline":
                    ticks = re.compile(r"(?<!`)" + re.escape(markup) + r"(?!`)")
                    opened = ticks.search(text, cursor, end)
                    closed = ticks.search(text, opened.end(), end) if opened else None
                    if opened and closed:
                        code.append((opened.start(), closed.end()))
                        cursor = closed.end()
                else:
                    opener, _, closer = _delimiters(markup, content)
                    found = text.find(opener + content + closer, cursor, end)
                    if found != -1:
                        line, column = position(text, found + len(opener))
                        inline.append(Inline(content, found + len(opener), line, column))
                        cursor = found + len(opener) + len(content) + len(closer)
                        # An environment inside inline math (\(\begin{equation} .. \end{equation}\)) is
                        # part of it: read once, as the inline math it is written in.
                        code.append((found, cursor))
    return merged(code), inline, fences


def _latex_inline(text: str, taken: list[tuple[int, int]]) -> list[Inline]:
    """Inline ``$...$`` and ``\\(...\\)`` of a LaTeX file, outside displays and comments."""
    blocked = merged(taken + [(m.start(), m.end()) for m in _TEX_LINE_COMMENT.finditer(text)])
    starts = [a for a, _ in blocked]
    out = []
    for m in _TEX_INLINE.finditer(text):
        check()
        if within(blocked, starts, m.start()) is not None:
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
    Linear in the text: each closer is found once (:class:`derive.audit.closers.Closers`).

    Examples:
        >>> [type(i).__name__ for i in extract("# T\n<!-- derive: logits z -->\n$$a = b$$\n")]
        ['Heading', 'Declaration', 'Display']
        >>> extract("$$x$$")[0].body
        'x'
        >>> [i.body for i in extract("Let $S_i = e^{z_i}$ and `$$no = math$$`.", inline=True)]
        ['S_i = e^{z_i}']
    """
    # The parse makes a few objects per character and keeps them to the end: the cyclic garbage
    # collector, run again and again over all of them, made reading a long post superlinear.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _extract(text, inline=inline, latex=latex)
    finally:
        if collecting:
            gc.enable()


def _extract(text: str, *, inline: bool, latex: bool | None) -> list[Item]:
    latex = is_latex(text) if latex is None else latex
    code, inline_math, fences = ([], [], []) if latex else _markdown_regions(text)
    code_starts = [a for a, _ in code]
    closers = Closers(text)
    found: list[tuple[int, Item]] = [(f.offset, f) for f in fences]
    displays: list[tuple[int, int]] = []
    pos = 0
    while True:
        check()
        m = _OPENERS.search(text, pos)
        if m is None:
            break
        skip = within(code, code_starts, m.start())
        if skip is not None:
            pos = max(skip, m.start() + 1)
            continue
        line = position(text, m.start())[0]
        if m.group("comment"):
            # <!-- derive: ... --> declares; any other comment holds nothing (no inline math either).
            declaring = _DERIVE_COMMENT.match(text, m.start())
            close = closers.next("-->", declaring.end() if declaring else m.end())
            if close is None:
                pos = m.end()  # never closed: not a comment
                continue
            if declaring:
                declared = text[declaring.end():close]
                found += [(m.start(), Declaration(part.strip(), line)) for part in declared.split(";") if part.strip()]
            else:
                displays.append((m.start(), close + 3))
            pos = close + 3
            continue
        if m.group("tex_comment"):
            # % derive: ... in LaTeX (a comment, so it still compiles).
            found += [(m.start(), Declaration(part.strip(), line)) for part in m.group("tex_decl").split(";")
                      if part.strip()]
            pos = m.end()
            continue
        if m.group("heading") or m.group("section"):
            if (m.group("heading") is not None) != latex:
                found.append((m.start(), Heading(m.group(0).strip(), line)))
            pos = m.end()
            continue
        opener = m.group(0)
        if m.group("dollars"):
            closer = "$$"
        elif m.group("bracket"):
            closer = "\\]"
        else:
            closer = "\\end{" + m.group("envname") + "}"
        end = closers.next(closer, m.end())
        if end is None:
            found.append((m.start(), Unclosed(opener, *position(text, m.start()))))
            pos = m.end()
            continue
        if m.group("env"):
            # The environment is part of the display: the chain splitter reads it.
            found.append((m.start(), Display(text[m.start():end + len(closer)], m.start(), line)))
        else:
            found.append((m.start(), Display(text[m.end():end], m.end(), line)))
        displays.append((m.start(), end + len(closer)))
        pos = end + len(closer)
    if inline:
        inline_math = _latex_inline(text, displays) if latex else inline_math
        found += [(i.offset, i) for i in inline_math]
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]
