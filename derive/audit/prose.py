r"""Inline math in a post's prose: where ``$...$`` and ``\(...\)`` are, outside display math and code.

The audit does not check prose, but reads its definitions and shapes the way it reads
display ones: ``$S_i = \frac{e^{a_i}}{\sum_k e^{a_k}}$`` defines S, and
``$X \in \mathbb{R}^{N\times p}$`` gives X its shape. This is a small, separate scan
(:mod:`derive.audit.scan` owns the display math); it blanks the display math and code of
the text first, so every offset is an offset into the post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Inline", "inline_math"]


@dataclass(frozen=True)
class Inline:
    """One piece of inline math: its body and where the body starts in the post."""

    body: str
    offset: int


_BLANK = re.compile(
    r"^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$"  # fenced code
    r"|`[^`\n]*`"  # inline code
    r"|<!--[\s\S]*?-->"  # comments (declarations)
    r"|(?<!\\)\$\$[\s\S]*?(?<!\\)\$\$"  # display math
    r"|\\\[[\s\S]*?\\\]"
    r"|\\begin\{(align|equation|gather|multline|eqnarray)\*?\}[\s\S]*?\\end\{\2\*?\}",
    re.MULTILINE,
)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<a>[^$\n]+?)(?<!\\)\$|\\\((?P<b>[^\n]+?)\\\)")


def inline_math(text: str) -> list[Inline]:
    r"""The inline math of ``text``, in order.

    Examples:
        >>> [i.body for i in inline_math("Let $x = 1$ and $$y = 2$$ and `$z$`, \\(w\\).")]
        ['x = 1', 'w']
    """
    blank = _BLANK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    out = []
    for m in _INLINE.finditer(blank):
        group = "a" if m.group("a") is not None else "b"
        out.append(Inline(m.group(group), m.start(group)))
    return out
