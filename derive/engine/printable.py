"""Text from a post made safe to print: control characters shown as escapes, never sent to the terminal.

A step, a file name or a reason can carry what a terminal obeys: ESC sequences that set the
window's title or move the cursor over a wrong verdict, BEL, a carriage return that overwrites
the line, C1 controls (U+0080..U+009F; U+009B is a CSI on some terminals), and the bidirectional
overrides that show text in another order than it is (U+202A..U+202E, U+2066..U+2069). Every
text printer passes what it prints through :func:`printable`, which writes each such character
as a Python escape (``\\x1b``, ``\\u202e``). Newline and tab are kept, except in names
(``newlines=False``), where a newline could forge a report line of its own. :class:`Output`
prints to a reader that may leave (``| head -1``) without a BrokenPipeError traceback.

Examples:
    >>> printable("x \\x1b]0;PWNED\\x07 = x")
    'x \\\\x1b]0;PWNED\\\\x07 = x'
    >>> printable("a\\nb"), printable("a\\nb", newlines=False)
    ('a\\nb', 'a\\\\nb')
"""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

__all__ = ["Output", "PipeClosed", "json_printable", "printable", "silence_stdout"]

_BIDI = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_OR_NEWLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
# In a JSON document the C0 controls are escaped already (json.dumps does); these are not.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control character written as an escape (newline and tab kept unless told)."""
    return (_CONTROL if newlines else _CONTROL_OR_NEWLINE).sub(_escape, text)


def json_printable(document: str) -> str:
    """A JSON document from ``json.dumps`` with the controls it leaves raw written as ``\\u`` escapes.

    They can only occur inside strings, where ``\\uXXXX`` means the same character: the document
    still parses to the same value.

    Examples:
        >>> import json
        >>> json_printable(json.dumps("a\\u009bb\\u202e", ensure_ascii=False))
        '"a\\\\u009bb\\\\u202e"'
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


# -- printing to a reader that may leave ---------------------------------------------------------

class PipeClosed(BrokenPipeError):
    """Whoever reads standard output stopped reading (``| head -1``): nothing more to print."""


class Output:
    """Standard output (or ``stream``) that survives its reader leaving: the rest is dropped.

    When the pipe closes, standard output is pointed at /dev/null (so the interpreter's last flush
    raises nothing); with work still to do (``keep_going``: pages to write), the run goes on
    silently, else :class:`PipeClosed` ends it.
    """

    def __init__(self, *, keep_going: bool, stream: TextIO | None = None) -> None:
        self.keep_going, self.closed = keep_going, False
        self.stream = stream

    def write(self, text: str) -> None:
        if self.closed:
            return
        target = self.stream or sys.stdout
        try:
            target.write(text)
            target.flush()
        except BrokenPipeError:
            self.closed = True
            silence_stdout()
            if not self.keep_going:
                raise PipeClosed from None


def silence_stdout() -> None:
    """Point standard output at /dev/null (its reader is gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
