r"""Where each closer of a text is, found once: reading a post stays linear in its size.

Searching for the closer of an opener (``$$``, ``\]``, ``\end{align*}``, ``-->``) from the opener
scans to the end of the text when there is none; a post of many unclosed openers made reading
quadratic (16,000 ``\[`` took 6 s). Here each kind of closer is found in one pass over the text,
the first time it is asked for, and each question after that is a binary search. Positions
(line, column) come the same way from the line starts, computed once per text.

A :class:`Closers` answers exactly what ``re.search`` from the same position would: the positions
are every place the closer matches (overlapping ones too, found with a lookahead), so the first
one at or after a position is the match ``search`` would have found.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

__all__ = ["Closers", "Lines", "lines", "merged", "within"]

#: Each closer, as a lookahead so that overlapping places are all found (``$$$`` closes at 0 and 1).
_CLOSERS = {
    "$$": re.compile(r"(?<!\\)(?=\$\$)"),
    "\\]": re.compile(r"(?=\\\])"),
    "\\)": re.compile(r"(?=\\\))"),
    "-->": re.compile(r"(?=-->)"),
}
_END = re.compile(r"\\end\{([^{}\n]{1,40})\}")


class Closers:
    """The places of each closer in ``text``; ``next(closer, pos)`` is the first at or after ``pos``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] | None = None

    def _places(self, closer: str) -> list[int]:
        places = self._found.get(closer)
        if places is None:
            if closer.startswith("\\end{"):
                if self._ends is None:
                    self._ends = {}
                    for m in _END.finditer(self.text):
                        self._ends.setdefault(m.group(1), []).append(m.start())
                places = self._ends.get(closer[len("\\end{"):-1], [])
            else:
                places = [m.start() for m in _CLOSERS[closer].finditer(self.text)]
            self._found[closer] = places
        return places

    def next(self, closer: str, pos: int) -> int | None:
        r"""Where ``closer`` (``$$``, ``\]``, ``-->`` or ``\end{name}``) first starts at or after ``pos``.

        Examples:
            >>> c = Closers(r"\[ a \] b \] \end{align} $$")
            >>> c.next("\\]", 0), c.next("\\]", 6), c.next("\\]", 11), c.next("\\end{align}", 0), c.next("$$", 0)
            (5, 10, None, 13, 25)
        """
        places = self._places(closer)
        i = bisect_left(places, pos)
        return places[i] if i < len(places) else None


class Lines:
    """The line starts of a text, computed once: ``position(offset)`` is a binary search."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.starts += [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``offset``."""
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def start(self, line: int) -> int:
        """Where 0-based ``line`` starts (the text's length past the last line)."""
        return self.starts[line] if line < len(self.starts) else len(self.text)


_last: tuple[str, Lines] | None = None


def lines(text: str) -> Lines:
    """The :class:`Lines` of ``text``, kept for the last text asked about (the audit asks of one text at a time)."""
    global _last
    last = _last
    if last is not None and last[0] is text:
        return last[1]
    found = Lines(text)
    _last = (text, found)
    return found


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open offset ranges, sorted and with overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def within(ranges: list[tuple[int, int]], starts: list[int], offset: int) -> int | None:
    """The end of the range of ``ranges`` (merged, with ``starts`` their starts) holding ``offset``, if one does.

    Examples:
        >>> r = merged([(5, 9), (0, 2), (8, 12)])
        >>> r, within(r, [a for a, _ in r], 10), within(r, [a for a, _ in r], 3)
        ([(0, 2), (5, 12)], 12, None)
    """
    i = bisect_right(starts, offset) - 1
    return ranges[i][1] if i >= 0 and offset < ranges[i][1] else None
