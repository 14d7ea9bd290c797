"""Text from a post made safe to print: control characters shown as escapes, never sent to the terminal.

A step, a file name or a reason can carry what a terminal obeys: ESC sequences that set the
window's title or move the cursor over a wrong verdict, BEL, a carriage return that overwrites
the line, C1 controls (U+0080..U+009F; U+009B is a CSI on some terminals), and the bidirectional
overrides that show text in another order than it is (U+202A..U+202E, U+2066..U+2069). Every
text printer passes what it prints through :func:`printable`, which writes each such character
as a Python escape (``\\x1b``, ``\\u202e``). Newline and tab are kept, except in names
(``newlines=False``), where a newline could forge a report line of its own.

Examples:
    >>> printable("x \\x1b]0;PWNED\\x07 = x")
    'x \\\\x1b]0;PWNED\\\\x07 = x'
    >>> printable("a\\nb"), printable("a\\nb", newlines=False)
    ('a\\nb', 'a\\\\nb')
"""

from __future__ import annotations

import re

__all__ = ["json_printable", "printable"]

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
