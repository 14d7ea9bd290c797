r"""Environments of values: ``cases`` (one value per condition), read into the rows the chains take.

``f = \begin{cases} a, & i = j \\ b, & i \neq j \end{cases}`` is two claims, ``f = a`` under
``i = j`` and ``f = b`` under ``i \neq j``; the chain splitter (:mod:`derive.audit.reader.chains`)
masks the environment while it splits, then hands each case on as a chain of its own with its
condition, and the audit decides each case under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.audit.reader.tex import ReadError, fail_at, scan_tokens, text_content

CASES = re.compile(r"\\begin\{(?:cases|dcases|rcases)\*?\}(?P<body>[\s\S]*?)\\end\{(?:cases|dcases|rcases)\*?\}")
#: Words before a case's condition that only introduce it.
CONDITION_WORDS = re.compile(r"\A\s*(?:if|for|when|whenever|where)\b\s*,?\s*", re.IGNORECASE)
OTHERWISE = re.compile(r"\A\s*(?:otherwise|else|elsewhere|for all other \w+)\s*\.?\s*\Z", re.IGNORECASE)
#: What stands around the condition without being part of it.
SPACING = re.compile(r"\\(?:quad|qquad|[,;:! ])|~")
#: A condition the complement of which is known: ``i = j`` against ``i \neq j``.
EQUALITY = re.compile(r"\A\s*(\\?[A-Za-z]+)\s*=\s*(\\?[A-Za-z]+)\s*\Z")
INEQUALITY = re.compile(r"\A\s*(\\?[A-Za-z]+)\s*(?:\\neq|\\ne)(?![A-Za-z])\s*(\\?[A-Za-z]+)\s*\Z")


@dataclass(frozen=True)
class Case:
    """One row of a ``cases`` environment: its value and its condition, with their offsets."""

    value: str
    value_offset: int
    condition: str
    condition_offset: int


def cases_spans(text: str) -> list[tuple[int, int]]:
    """The spans of every ``cases`` environment of ``text``."""
    return [m.span() for m in CASES.finditer(text)]


def _condition(raw: str) -> str:
    """A case's condition without its prose: ``\\text{if } i = j`` -> ``i = j``; ``\\text{otherwise}`` kept."""
    out = []
    for piece in re.split(r"(\\(?:text|textrm|mbox|mathrm)\s*\{[^{}]*\})", raw):
        if piece.startswith("\\"):
            words = text_content(piece).strip()
            words = CONDITION_WORDS.sub("", words)
            out.append(f" {words} " if OTHERWISE.match(words) or not words else f" \\text{{{words}}} ")
        else:
            out.append(piece)
    condition = SPACING.sub(" ", "".join(out))
    condition = CONDITION_WORDS.sub("", condition.strip()).strip().rstrip(",.;").strip()
    return condition


def _complement(condition: str) -> str | None:
    if (m := EQUALITY.match(condition)) is not None:
        return f"{m.group(1)} \\neq {m.group(2)}"
    if (m := INEQUALITY.match(condition)) is not None:
        return f"{m.group(1)} = {m.group(2)}"
    return None


def read_cases(text: str, start: int, end: int) -> list[Case]:
    """The cases of the environment at ``text[start:end]``, each value with its condition.

    A row ``value & condition`` (a comma before ``&`` is punctuation). ``otherwise`` is the complement
    of the one other case when that case is ``i = j`` or ``i \\neq j``; otherwise it stays, and the
    audit, which cannot apply it, says so.

    Raises:
        ReadError: a row without its condition, or a value left empty.
    """
    m = CASES.match(text, start)
    if m is None or m.end() != end:
        raise fail_at(text, start, "a cases environment", "something else")
    body_start = m.start("body")
    body = m.group("body")
    rows: list[tuple[int, int]] = [(0, len(body))]
    amps: list[int | None] = [None]
    for tok in scan_tokens(body):
        if tok.depth != 0:
            continue
        if tok.kind == "dblbs":
            rows[-1] = (rows[-1][0], tok.start)
            rows.append((tok.end, len(body)))
            amps.append(None)
        elif tok.text == "&" and amps[-1] is None:
            amps[-1] = tok.start
    cases: list[Case] = []
    for (a, b), amp in zip(rows, amps, strict=True):
        if not body[a:b].strip():
            continue
        if amp is None:
            raise fail_at(text, body_start + a, "a case `value & condition`", "a row without `&`",
                          "write each case as value, & condition (e.g. `a, & i = j`)")
        value = body[a:amp]
        lead = len(value) - len(value.lstrip())
        value = value.strip().rstrip(",;").strip()
        if not value:
            raise fail_at(text, body_start + a, "a value before `&`", "nothing")
        condition = _condition(body[amp + 1:b])
        if not condition:
            raise fail_at(text, body_start + amp, "a condition after `&`", "nothing",
                          "write the case's condition, e.g. `& i = j`")
        cases.append(Case(value, body_start + a + lead, condition, body_start + amp + 1))
    otherwise = [c for c in cases if OTHERWISE.match(c.condition)]
    if len(otherwise) == 1 and len(cases) == 2:
        (other,) = [c for c in cases if c is not otherwise[0]]
        complement = _complement(other.condition)
        if complement is not None:
            cases = [c if c is other else Case(c.value, c.value_offset, complement, c.condition_offset)
                     for c in cases]
    if not cases:
        raise ReadError("expected the cases of a cases environment, found none")
    return cases
