r"""Gradients written ``dy``: the backward-pass notation of course notes, where ``dy_j`` is ∂L/∂y_j.

A post that says so in a sentence ("the upstream gradient is $dy$", "given $dy_j$, the gradient of the
loss by $y_j$", "$\frac{\partial \mathcal{L}}{\partial y_{i,j}}$ is written $dy_{i,j}$") writes every
gradient of its loss that way: ``d\hat{x}_i``, ``d\sigma^2``, ``d\mu``. Without such a sentence, ``dy`` is
the product of d and y, as everywhere else. The loss is the one the sentence names, or else the one name
the post differentiates and never defines (``L`` in ``\frac{\partial L}{\partial \beta_i}``); with no such
name, or several, the notation is not read, and ``d`` keeps no meaning.

Each ``d<name>`` is written out as ``\frac{\partial L}{\partial <name>}`` before a side is read, as the
post's operators are (``D_k f``); inside a fraction's argument (``\frac{dL}{dy_k}``) ``d`` is Leibniz's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from derive.audit.names_written import NAME, SCRIPT
from derive.audit.scan import Display, Inline
from derive.audit.symbols import GREEK

__all__ = ["GRADIENT_WORD", "loss_of_the_notation", "written_out"]

#: What may follow the d of a gradient: a letter, a Greek letter, or an accent or font over one; never an
#: operator (``d \cdot x``, ``d\left(``).
_STARTS_A_NAME = r"(?:[A-Za-z]|\\(?:" + "|".join(sorted(GREEK, key=len, reverse=True)) + \
    r"|hat|bar|tilde|vec|mathbf|boldsymbol|bm|mathcal)(?![A-Za-z]))"
#: A name after the d: a letter or command with its subscripts, and a square written as a name (dσ²).
_NAMED = rf"(?P<name>{NAME}{SCRIPT}(?:\s*\^\s*(?:2|\{{\s*2\s*\}}))?)"
#: ``dy``, ``dy_j``, ``dy_{i,j}`` as the whole of an inline math.
_STATED = re.compile(rf"\s*d{_NAMED}\s*")
#: A d that starts a gradient: not part of a word or command (``\hat{d}``, ``and``), and not a fraction's
#: argument (``\frac{dL}{dy}``: there d is Leibniz's).
_WRITTEN = re.compile(rf"(?<![\\A-Za-z{{])d(?={_STARTS_A_NAME})" + _NAMED)
#: The word in the sentence that says what ``dy`` is.
GRADIENT_WORD = re.compile(r"\bgradients?\b", re.IGNORECASE)
#: A loss a sentence names, ``\frac{\partial \mathcal{L}}{\partial y_{i,j}}``, or a display differentiates,
#: ``\frac{\partial L}{``, ``\frac{dL}{``: a bare name (y_i in ``\frac{\partial y_i}{`` is no loss).
_NUMERATOR = re.compile(rf"\\frac\s*\{{\s*(?:\\partial|d)\s*(?P<loss>{NAME})\s*\}}")
#: A name defined by a display: its left side, up to ``=``.
_DEFINED = re.compile(rf"^\s*(?P<name>{NAME})")
#: The sentence around an inline math: at most this many characters on each side.
_SENTENCE = 240


def _sentence(text: str, offset: int, length: int) -> str:
    r"""The sentence around ``text[offset:offset + length]``: from the last full stop or paragraph break.

    Examples:
        >>> t = "A gradient.\n\nLet $dy$ be small."
        >>> _sentence(t, t.index("dy"), 2)
        '\n\nLet $dy$ be small.'
    """
    back = max(0, offset - _SENTENCE)
    start = max(text.rfind(". ", back, offset), text.rfind("\n\n", back, offset), offset - _SENTENCE, 0)
    ends = [e for e in (text.find(". ", offset + length, offset + length + _SENTENCE),
                        text.find("\n\n", offset + length, offset + length + _SENTENCE)) if e >= 0]
    return text[start:min(ends) if ends else offset + length + _SENTENCE]


def loss_of_the_notation(text: str, items: Sequence[object]) -> tuple[str, int] | None:
    r"""The loss whose gradients the post writes ``dy``, as LaTeX (``L``, ``\mathcal{L}``), with the line of
    the sentence that says so; or None.

    Examples:
        >>> from derive.audit.scan import extract
        >>> t = "The upstream gradient is $dy$.\n\n$$\\frac{\\partial L}{\\partial \\beta_i} = dy_i$$\n"
        >>> loss_of_the_notation(t, extract(t, inline=True))
        ('L', 1)
        >>> t = "Let $dy$ be small.\n\n$$\\frac{\\partial L}{\\partial \\beta_i} = dy_i$$\n"
        >>> loss_of_the_notation(t, extract(t, inline=True)) is None
        True
    """
    stated, line = None, 0
    for item in items:
        if isinstance(item, Inline) and _STATED.fullmatch(item.body) is not None:
            sentence = _sentence(text, item.offset, len(item.body))
            if GRADIENT_WORD.search(sentence):
                stated, line = sentence, item.line
                break
    if stated is None:
        return None
    named = {m.group("loss").strip() for m in _NUMERATOR.finditer(stated)}
    if len(named) == 1:
        return named.pop(), line
    defined = {m.group("name").strip() for item in items if isinstance(item, Display | Inline) and "=" in item.body
               if (m := _DEFINED.match(item.body.partition("=")[0])) is not None}
    losses = {m.group("loss").strip() for item in items if isinstance(item, Display)
              for m in _NUMERATOR.finditer(item.body)} - defined
    return (losses.pop(), line) if len(losses) == 1 else None


def written_out(loss: str, text: str) -> str:
    r"""Each gradient ``d<name>`` of ``text`` written as ``\frac{\partial <loss>}{\partial <name>}``.

    Examples:
        >>> written_out("L", r"d\hat{x}_i = dy_i \cdot \gamma_i")
        '\\frac{\\partial L}{\\partial \\hat{x}_i} = \\frac{\\partial L}{\\partial y_i} \\cdot \\gamma_i'
        >>> written_out("L", r"\frac{dL}{dy_j} = d\sigma^2 + \sqrt{d}")
        '\\frac{dL}{dy_j} = \\frac{\\partial L}{\\partial \\sigma^2} + \\sqrt{d}'
    """
    def gradient(m: re.Match[str]) -> str:
        name = m.group("name")
        if name.strip() == loss:
            return m.group(0)
        return "\\frac{\\partial " + loss + "}{\\partial " + name + "}"
    return _WRITTEN.sub(gradient, text)
