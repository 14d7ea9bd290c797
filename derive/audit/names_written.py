"""How a name is written in a post: a letter or command, with an accent or a font, then subscripts and
layer superscripts (``\\hat{y}_j``, ``z^{(i)}_j``, ``\\text{rstd}``), or a square written as a name
(``\\sigma^2``, a variance the post defines). The reading loop asks whether a display's left side is such
a name before it takes the display as a definition."""

from __future__ import annotations

import re

__all__ = ["NAME", "POWER_NAME", "SCRIPT", "UNLISTED", "bare_name"]

#: A name as written: a letter or command (with an accent or font), then subscripts and
#: sample superscripts ``^{(i)}`` only. ``x + 0``, ``x^2`` and ``f(x)`` are not names.
_ACCENT = r"\\(?:hat|bar|tilde|vec|dot|mathbf|boldsymbol|bm|mathcal|mathrm|mathit|operatorname)\s*"
_LETTER = r"(?:\\[A-Za-z]+|[A-Za-z])"
_STYLED = rf"(?:{_ACCENT}(?:\{{\s*{_LETTER}\s*\}}|{_LETTER})|{_LETTER})"
#: A word in a text style is a name too: ``\text{rstd}``, ``\mathrm{var}``.
_WORD = r"(?:\\(?:text|textrm|textit|mathrm|mathit|operatorname)\s*\{\s*[A-Za-z]+\s*\})"
#: One accent over a styled letter too: ``\hat{\boldsymbol{y}}``.
_NAME = rf"(?:{_WORD}|{_ACCENT}(?:\{{\s*{_STYLED}\s*\}}|{_STYLED})|{_LETTER})"
_SCRIPT = r"(?:\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z0-9])|\s*\^\s*\{\s*\([^{}()]*\)\s*\})*"
#: The public spellings, for the modules that find names in text.
NAME, SCRIPT = _NAME, _SCRIPT
_BARE_NAME = re.compile(rf"\s*\{{?\s*{_NAME}{_SCRIPT}\s*\}}?\s*")


#: A name written as a square: ``\sigma^2``, ``\sigma^2_j``, ``\sigma_j^2`` (a variance, defined as a name).
POWER_NAME = re.compile(rf"\s*(?P<name>{_NAME})(?:\s*_\s*(?:\{{[^{{}}]*\}}|[A-Za-z]))?\s*\^\s*(?:2|\{{\s*2\s*\}})"
                         rf"(?:\s*_\s*(?:\{{[^{{}}]*\}}|[A-Za-z]))?\s*")


def bare_name(text: str) -> bool:
    r"""Whether ``text``, as written, is a bare name (``L``, ``s_{nj}``, ``\hat{y}_j``, ``z^{(i)}_j``).

    Examples:
        >>> bare_name(r"\hat{y}_j"), bare_name("x + 0"), bare_name("x^2")
        (True, False, False)
    """
    return _BARE_NAME.fullmatch(text.replace("&", " ")) is not None


#: A name applied to arguments left unwritten, ``C_0(...)``, ``f(\dots)``, ``J(\cdot)``: the name itself.
UNLISTED = re.compile(rf"\s*(?P<name>{_NAME}{_SCRIPT})\s*(?:\\left)?\(\s*(?:\.\.\.|\\[lc]?dots|\\cdot)\s*"
                       r"(?:\\right)?\)\s*")
