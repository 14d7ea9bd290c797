r"""MathML that may go into a page: a tree of presentation MathML rebuilt through an allow-list.

A post's LaTeX is written by whoever wrote the post, and latex2mathml copies parts of it into
its output as they are: ``\text{...}`` into ``<mtext>`` unescaped, ``\href`` into an ``href``,
``\style`` into a ``style``, ``\class`` into a ``class``. So its output string is never used;
its element tree is walked and written out again by :func:`serialize`, which keeps

- elements of presentation MathML only (any other element becomes an ``<mrow>`` of its children;
  ``semantics``, ``annotation`` and ``maction``, which can carry other markup, are among the others);
- attributes from a small allow-list (layout: sizes, alignment, fonts, fences, lines), each with a
  value of letters, digits, spaces and ``# . + - %`` only, so no ``url(...)``, no ``javascript:``,
  no quote can get through; ``href``, ``style``, ``class``, ``id``, ``on*`` and the rest are dropped;
- text, escaped: latex2mathml writes characters as references (``&#x0003D;``), which are read
  back into characters and the whole text escaped again, so ``<script>`` in a ``\text{}`` is shown
  as the characters it is.

SymPy's MathML printer (the values derive computes) goes through the same allow-list.
"""

from __future__ import annotations

import html
import html.entities
import re
from xml.etree.ElementTree import Element, ParseError, fromstring

__all__ = ["ELEMENTS", "from_latex", "from_markup", "serialize"]

#: The presentation MathML elements a page may hold (MathML Core and the common MathML 3 ones).
ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mstyle merror mpadded mphantom "
    "mfenced menclose munder mover munderover mmultiscripts mprescripts none mtable mtr mtd mlabeledtr".split())

#: Layout attributes only: none of them can name a resource, run code or tie the page to a style sheet.
ATTRIBUTES = frozenset(
    "display mathvariant mathsize mathcolor mathbackground stretchy fence form separator separators accent "
    "accentunder movablelimits largeop symmetric lspace rspace width height depth voffset minsize maxsize "
    "linethickness scriptlevel displaystyle columnalign rowalign columnspacing rowspacing columnlines rowlines "
    "frame framespacing equalrows equalcolumns notation open close bevelled numalign denomalign "
    "columnspan rowspan".split())

#: A safe attribute value: words, numbers and lengths ("bold", "+0.833em", "-.2em", "#ff0000", "left center").
_VALUE = re.compile(r"[A-Za-z0-9#.+\- %]{0,80}")

#: The character references latex2mathml writes into its text nodes.
_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});")

_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31});")


def _text(raw: str | None) -> str:
    """A text node as it is to be shown, escaped for the page."""
    if not raw:
        return ""

    def character(m: re.Match[str]) -> str:
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return html.escape(_REFERENCE.sub(character, raw), quote=False)


def _local(tag: object) -> str:
    """An element's name without its namespace (``{http://...}mi`` is ``mi``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def serialize(element: Element, out: list[str] | None = None) -> str:
    """``element`` written as allow-listed MathML (see the module's docstring)."""
    parts: list[str] = [] if out is None else out
    name = _local(element.tag)
    if name not in ELEMENTS:
        name = "mrow"
    attributes = "".join(f' {key}="{value}"' for key, value in sorted(element.attrib.items())
                         if key in ATTRIBUTES and _VALUE.fullmatch(value))
    parts.append(f"<{name}{attributes}>")
    parts.append(_text(element.text))
    for child in element:
        serialize(child, parts)
        parts.append(_text(child.tail))
    parts.append(f"</{name}>")
    return "".join(parts) if out is None else ""


def from_latex(latex: str, *, display: bool) -> str:
    """LaTeX as allow-listed MathML (latex2mathml's tree, rewritten); raises what latex2mathml raises."""
    from latex2mathml.converter import convert_to_element

    return serialize(convert_to_element(latex, display="block" if display else "inline"))


def from_markup(markup: str) -> str | None:
    """MathML markup (SymPy's printer) as allow-listed MathML, or None if it is not well-formed XML."""
    def numeric(m: re.Match[str]) -> str:
        known = html.entities.html5.get(m.group(1) + ";")
        return "".join(f"&#{ord(c)};" for c in known) if known else m.group(0)

    try:
        # XML knows five named references; SymPy writes HTML's (&pi;): as numbers, they parse.
        return serialize(fromstring(_NAMED.sub(numeric, markup)))
    except ParseError:
        return None
