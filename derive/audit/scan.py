r"""Reading a written post: its display math and its ``derive`` declarations, with line numbers.

A post is Markdown (or LaTeX) text. Display math is ``$$...$$``, ``\[...\]``, or a
``align``/``align*``/``aligned``/``equation``/``gather`` environment standing on its
own; inline ``$...$`` is prose and is not audited. Fenced code blocks are skipped.
Declarations are HTML comments, invisible when the post is rendered (in a LaTeX file,
``% derive: ...`` comment lines)::

    <!-- derive: logits z; labels y one-hot at \ell -->

Nothing here reads mathematics; :mod:`derive.audit.reader` does that, :mod:`derive.audit.post`
decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Declaration", "Display", "Heading", "Unclosed", "extract", "position"]


@dataclass(frozen=True)
class Display:
    """A display-math block: its body and where the body starts in the file."""

    body: str
    offset: int  # of the body's first character in the file
    line: int  # 1-based line of the opening delimiter


@dataclass(frozen=True)
class Declaration:
    """One ``<!-- derive: ... -->`` statement."""

    text: str
    line: int


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: it ends the scope of ``assume`` declarations."""

    text: str
    line: int


@dataclass(frozen=True)
class Unclosed:
    """A display-math opener without its closer: reported, and the rest of the file still read."""

    opener: str
    line: int
    column: int


Item = Display | Declaration | Heading | Unclosed

_ENVIRONMENTS = "align|align\\*|aligned|equation|equation\\*|gather|gather\\*|eqnarray|eqnarray\\*|multline\\*?"
_OPENERS = re.compile(
    r"(?P<fence>^[ \t]*(```|~~~)[^\n]*$)"
    r"|(?P<comment><!--\s*derive\s*:(?P<decl>[\s\S]*?)-->)"
    r"|(?P<other_comment><!--[\s\S]*?-->)"
    r"|(?P<tex_comment>^[ \t]*%[ \t]*derive[ \t]*:(?P<tex_decl>[^\n]*)$)"
    r"|(?P<heading>^[ \t]{0,3}#{1,6}[ \t][^\n]*$)"
    r"|(?P<dollars>(?<!\\)\$\$)"
    r"|(?P<bracket>\\\[)"
    r"|(?P<env>\\begin\{(?P<envname>" + _ENVIRONMENTS + r")\})",
    re.MULTILINE,
)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def extract(text: str) -> list[Item]:
    r"""Display math, declarations, headings and unclosed openers of a post, in order.

    Examples:
        >>> [type(i).__name__ for i in extract("# T\n<!-- derive: logits z -->\n$$a = b$$\n")]
        ['Heading', 'Declaration', 'Display']
        >>> extract("$$x$$")[0].body
        'x'
    """
    items: list[Item] = []
    pos = 0
    while True:
        m = _OPENERS.search(text, pos)
        if m is None:
            return items
        line = position(text, m.start())[0]
        if m.group("fence"):
            fence = m.group(2)
            close = re.compile(r"^[ \t]*" + re.escape(fence) + r"[ \t]*$", re.MULTILINE)
            end = close.search(text, m.end())
            pos = len(text) if end is None else end.end()
            continue
        if m.group("comment") or m.group("tex_comment"):
            # <!-- derive: ... --> in Markdown; % derive: ... in LaTeX (a comment, so it still compiles).
            declared = m.group("decl") if m.group("comment") else m.group("tex_decl")
            items += [Declaration(part.strip(), line) for part in declared.split(";") if part.strip()]
            pos = m.end()
            continue
        if m.group("other_comment"):
            pos = m.end()
            continue
        if m.group("heading"):
            items.append(Heading(m.group("heading").strip(), line))
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
            items.append(Unclosed(opener, *position(text, m.start())))
            pos = m.end()
            continue
        if m.group("env"):
            # The environment is part of the display: the chain splitter reads it.
            items.append(Display(text[m.start():end.end()], m.start(), line))
        else:
            items.append(Display(text[m.end():end.start()], m.end(), line))
        pos = end.end()
