"""Splitting a display into chains ``a = b = c`` of sides, with their offsets.

Alignment marks, row breaks, ``\\label``/``\\tag`` and trailing annotations (``\\quad \\text{...}``)
are handled here, so every side handed to the reader is one expression.
"""

from __future__ import annotations

import re

from derive.audit.reader.environments import cases_spans, read_cases
from derive.audit.reader.tex import (
    ReadError,
    Tok,
    fail_at,
    guarded,
    is_prose,
    scan_tokens,
    show,
    text_content,
    where,
)
from derive.audit.reader.vocabulary import GREEK, MAX_LENGTH

# -- chains: a display-math body into the sides of its equations ------------------------------

CHAIN_ENVIRONMENTS = re.compile(
    r"\\(?:begin|end)\s*\{(?:align|aligned|alignat|equation|gather|gathered|split|multline|flalign"
    r"|eqnarray|displaymath|math)\*?\}(?:\{\d+\})?")
NUMBERING = re.compile(r"\\(?:label|tag\*?)\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
class _TrailingRun:
    r"""Where a text's trailing spacing and punctuation (``\,``, ``\quad``, ``.``, ``~``) starts, in linear time.

    ``re.compile(r"(?:\s|[,.;]|\\[,;:!]|\\q?quad(?![A-Za-z])|~)+\Z").search`` tried each start in
    a long run of such characters followed by something else, and ran to the run's end from each:
    quadratic (16 KB of ``,\,`` in a display took 7 s). The text reversed is matched from its start
    instead, the two-character tokens first, so the run found is the longest, the one ``search`` found.

    Examples:
        >>> TRAILING.search(r"a + b \quad ,").start(), TRAILING.search("a + b") is None
        (5, True)
    """

    _REVERSED = re.compile(r"(?:[,;:!]\\|dauqq\\|dauq\\|\s|[,.;]|~)+")

    class Found:
        def __init__(self, start: int) -> None:
            self._start = start

        def start(self) -> int:
            return self._start

    def search(self, text: str) -> Found | None:
        m = self._REVERSED.match(text[::-1])
        return self.Found(len(text) - m.end()) if m else None


TRAILING = _TrailingRun()


#: What stands for a masked ``cases`` environment while a display is split (never in LaTeX math).
CASES_MARK = "@"


def blank_out(chars: list[str], start: int, end: int) -> None:
    for q in range(start, end):
        if chars[q] != "\n":
            chars[q] = " "


#: The opening of a display scaled to the text width: ``\resizebox{..}{..}{$\displaystyle``.
RESIZEBOX = re.compile(r"\s*(?:\\\[|\$\$)?\s*\\resizebox\{[^{}]*\}\{[^{}]*\}\{\$\\displaystyle")


#: Sizes and styles before a display's first item change how it looks, never what it means.
SIZING = (r"(?:\s|\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge"
          r"|displaystyle|textstyle)(?![A-Za-z]))*")
#: A display that is one ``array`` whose columns are only aligned (``{rcl}``, ``{ll}``): a layout of rows
#: ``a &=& b`` like ``align``, when one of its rows has an ``=`` (otherwise it is a matrix of entries).
LAYOUT_ARRAY = re.compile(r"\A" + SIZING + r"(\\begin\{array\}\{[rcl|]+\})(?P<body>[\s\S]*)(\\end\{array\})[\s,.;]*\Z")


def layout_array(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The spans of ``\\begin{array}{..}`` and ``\\end{array}`` of a display laid out as an array, or None."""
    m = LAYOUT_ARRAY.match(text)
    if m is None or "\\begin{array}" in m.group("body"):
        return None
    # One column ({l}, {c}) of rows with an = is a stack of equations, as gather is (a column vector's entries
    # have none); with more columns an = must stand next to an & (a matrix's entries have none either).
    one_column = re.fullmatch(r"\\begin\{array\}\{[rcl]\}", m.group(1)) is not None and "&" not in m.group("body")
    if not (re.search(r"&\s*=|=\s*&", m.group("body")) or (one_column and "=" in m.group("body"))):
        return None
    return (0, m.end(1)), m.span(3)


#: Size commands anywhere in a display (a row may open with one after ``\\``): layout.
SIZE_COMMANDS = frozenset({"\\tiny", "\\Tiny", "\\scriptsize", "\\footnotesize", "\\small", "\\normalsize",
                           "\\large", "\\Large", "\\LARGE", "\\huge", "\\Huge"})
#: A note set over or under a relation: ``\underset{\text{chain rule}}{=}``, ``\overset{def}=``, ``\stackrel{(1)}{=}``.
NOTED_RELATION = frozenset({"\\underset", "\\overset", "\\stackrel"})


def _blank_note_over_equals(chars: list[str], toks: list[Tok], idx: int) -> None:
    """Blank ``\\underset{note}`` before an ``=`` (or ``{=}``), leaving the ``=``: the note justifies the step
    (a rule's name, the definition used) and is a remark, never a claim. Over anything else it is left alone."""
    def after(q: int) -> int:
        while q < len(toks) and toks[q].kind == "space":
            q += 1
        return q
    note = after(idx + 1)
    if note >= len(toks) or toks[note].text != "{":
        return
    close = next((q for q in range(note + 1, len(toks)) if toks[q].kind == "close"
                  and toks[q].depth == toks[note].depth), None)
    if close is None:
        return
    rel = after(close + 1)
    if rel < len(toks) and toks[rel].text == "=":
        blank_out(chars, toks[idx].start, toks[close].end)
        return
    if rel + 2 < len(toks) and toks[rel].text == "{" and toks[rel + 1].text == "=" and toks[rel + 2].text == "}":
        blank_out(chars, toks[idx].start, toks[rel].end)
        blank_out(chars, toks[rel + 2].start, toks[rel + 2].end)


#: A row's trailing range of its free index, ``, for~i=1,…, C``, ``, \text{for } j = 1, \dots, n``: it says which
#: entries the row holds for (every one), never a second equation.
INDEX_RANGE = re.compile(r",\s*(?:\\(?:text|mbox|mathrm)\s*\{\s*for\s*\}|for(?![A-Za-z]))(?:\s|~|\\[ ,;:])*"
                         r"[a-z]\s*=\s*[0-9]\s*,\s*(?:\\[lc]?dots|…|\.\.\.)\s*,\s*(?:\\[A-Za-z]+|[A-Za-z0-9]+)"
                         r"\s*[.,]?\s*(?=\\\\|\$|\\\]|\\end|\Z)")


def prepare_display(text: str) -> list[str]:
    """The text with delimiters, chain environments, numbering and ``\\boxed{}`` blanked out."""
    chars = list(text)
    layout = layout_array(text)
    if layout is not None:
        for start, end in layout:
            blank_out(chars, start, end)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("$", "$"), ("\\(", "\\)")):
        if len(stripped) >= len(opener) + len(closer) and stripped.startswith(opener) \
                and stripped.endswith(closer):
            blank_out(chars, lead, lead + len(opener))
            end = lead + len(stripped)
            blank_out(chars, end - len(closer), end)
            break
    for pattern in (CHAIN_ENVIRONMENTS, NUMBERING, INDEX_RANGE):
        for m in pattern.finditer(text):
            blank_out(chars, m.start(), m.end())
    # \resizebox{w}{h}{$\displaystyle ...$} around a whole display (derive's own PDFs scale a chain
    # that is wider than the page): the box is layout; what it holds is read like the display itself.
    box = RESIZEBOX.match(text)
    if box:
        tail = text.rstrip()
        for closer in ("\\]", "$$"):
            if tail.endswith(closer):
                tail = tail[: -len(closer)].rstrip()
        if tail.endswith("$}"):  # only a box that closes at the end of the display is layout
            blank_out(chars, box.start(), box.end())
            blank_out(chars, len(tail) - 2, len(tail))
    # \boxed{a = b}: the box is decoration, and its content may be a whole equation; so is bold type
    # around a whole equation, \mathbf{\sigma(x)(1 - \sigma(x)) = \sigma'(x)}.
    toks = list(scan_tokens("".join(chars)))
    for idx, tok in enumerate(toks):
        if tok.kind == "cmd" and tok.text in BOLD_AROUND and _holds_equation(toks, idx):
            nxt = next(q for q in range(idx + 1, len(toks)) if toks[q].kind != "space")
            close = next(t for t in toks[nxt + 1:] if t.kind == "close" and t.depth == toks[nxt].depth)
            blank_out(chars, tok.start, toks[nxt].end)
            blank_out(chars, close.start, close.end)
            continue
        if tok.kind == "cmd" and tok.text in SIZE_COMMANDS:
            blank_out(chars, tok.start, tok.end)  # \Tiny after a row break: how the row looks
            continue
        if tok.kind == "cmd" and tok.text in NOTED_RELATION:
            _blank_note_over_equals(chars, toks, idx)
            continue
        if tok.kind == "cmd" and tok.text == "\\boxed":
            nxt = idx + 1
            while nxt < len(toks) and toks[nxt].kind == "space":
                nxt += 1
            if nxt < len(toks) and toks[nxt].text == "{":
                close = next(t for t in toks[nxt + 1:] if t.kind == "close" and t.depth == toks[nxt].depth)
                blank_out(chars, tok.start, toks[nxt].end)
                blank_out(chars, close.start, close.end)
    return chars


#: Bold commands that may hold a whole equation as a highlight.
BOLD_AROUND = frozenset({"\\mathbf", "\\boldsymbol", "\\bm", "\\pmb"})


def _holds_equation(toks: list[Tok], idx: int) -> bool:
    """Whether the braced argument of the command at ``idx`` holds an ``=`` at its own level."""
    nxt = next((q for q in range(idx + 1, len(toks)) if toks[q].kind != "space"), None)
    if nxt is None or toks[nxt].text != "{":
        return False
    inner = toks[nxt].depth + 1
    for tok in toks[nxt + 1:]:
        if tok.kind == "close" and tok.depth == toks[nxt].depth:
            return False
        if tok.text == "=" and tok.depth == inner:
            return True
    return False


def math_italic_remark(rest: list[Tok], idx: int) -> int | None:
    """``\\quad (chain\\ rule)``: a parenthesized remark in math italic, letters and spaces only with a
    word of four letters or more; the index of its closer, or None."""
    opener = rest[idx]
    letters, run, longest = 0, 0, 0
    for q in range(idx + 1, len(rest)):
        tok = rest[q]
        if tok.kind == "close" and tok.depth == opener.depth:
            return q if longest >= 4 and letters >= 4 else None
        if tok.kind == "char" and tok.text.isascii() and tok.text.isalpha():
            letters += 1
            run += 1
            longest = max(longest, run)
        elif (tok.kind == "cmd" and tok.text in {"\\ ", "\\,", "~"}) or (tok.kind == "char" and tok.text == "~"):
            run = 0
        else:
            return None
    return None


def annotation_start(toks: list[Tok], depth: int) -> int | None:
    """Where a row's annotation (``&& \\text{..}``, ``\\quad (\\text{..})``, prose) begins, if any."""
    meaningful = [t for t in toks if t.kind != "space"]
    for idx, tok in enumerate(meaningful):
        if tok.depth != depth:
            continue
        nxt = meaningful[idx + 1] if idx + 1 < len(meaningful) else None
        if tok.text == "&" and nxt is not None and nxt.text == "&":
            return tok.start
        if tok.kind == "cmd" and tok.text in {"\\quad", "\\qquad"} and nxt is not None and (
                nxt.text in {"(", "["} or nxt.kind == "text" or nxt.text in {"\\left", "\\mbox"}):
            return tok.start
        if tok.kind == "text" and is_prose(tok.text) and not tok.text.startswith(("\\label", "\\tag")):
            return tok.start
        if tok.text == "(" and nxt is not None and nxt.kind == "text" and is_prose(nxt.text):
            return tok.start
    return None


#: What an annotation may hold besides \text{...}: spacing, brackets around the text, punctuation.
ANNOTATION_COMMANDS = frozenset({"\\quad", "\\qquad", "\\,", "\\;", "\\:", "\\!", "\\ ", "\\left", "\\right",
                                 "\\big", "\\Big", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\nonumber",
                                 "\\notag", "\\text", "\\mbox"})


def check_annotation(text: str, toks: list[Tok], cut: int) -> None:
    """Refuse math in an annotation: ``\\quad (x + 5)`` is not read rather than dropped.

    After ``&&`` (the comment column of an alignment) anything is annotation. Elsewhere an
    annotation holds prose ``\\text{...}``, spacing and punctuation, and parenthesized remarks
    that begin with prose (``\\quad (\\text{where } s = Bh)``); any other math is an error.
    """
    rest = [t for t in toks if t.start >= cut and t.kind != "space"]
    if len(rest) >= 2 and rest[0].text == "&" and rest[1].text == "&":
        return
    skip_to: int | None = None  # inside a remark that begins with prose: up to its closer
    for idx, tok in enumerate(rest):
        if skip_to is not None:
            if tok.kind == "close" and tok.depth == skip_to:
                skip_to = None
            continue
        if tok.kind == "open" and tok.text == "(" and (closer := math_italic_remark(rest, idx)) is not None:
            skip_to = tok.depth
            if closer == idx + 1:
                skip_to = None
            continue
        if tok.kind in {"open", "close"} and tok.text in "()[]":
            following = rest[idx + 1:idx + 3]
            following = [t for t in following if t.text not in {"\\left", "\\big", "\\Big"}][:1]
            if tok.kind == "open" and following and following[0].kind == "text" and (
                    is_prose(following[0].text) or following[0].text.startswith(("\\text", "\\mbox"))):
                skip_to = tok.depth
            continue
        if tok.kind == "text" or (tok.kind == "char" and tok.text in ",.;:&~") or (
                tok.kind == "cmd" and tok.text in ANNOTATION_COMMANDS):
            continue
        if universal(rest, idx):
            continue  # "for all i, j": free indices already mean every value
        _, column = where(text, cut)
        raise fail_at(text, tok.start, f"only text in the annotation that begins at column {column}",
                      show(tok.text), "math after an annotation is not read (nothing is dropped): "
                      "write the remark as \\quad (\\text{...}) or && \\text{...} at the end of the row, "
                      "or write the math as a step of its own")


QUANTIFIERS = ("for all", "for every", "for each", "for any")


def universal(rest: list[Tok], idx: int) -> bool:
    """Whether ``rest[idx]`` is an index letter in ``\\text{for all } i, j`` (letters and commas only)."""
    tok = rest[idx]
    if not (tok.kind == "char" and tok.text.isalpha()) and not (tok.kind == "cmd" and tok.text[1:] in GREEK):
        return False
    back = idx - 1
    while back >= 0 and ((rest[back].kind == "char" and (rest[back].text.isalpha() or rest[back].text == ","))
                         or (rest[back].kind == "cmd" and rest[back].text[1:] in GREEK)):
        if rest[back].kind == "char" and rest[back].text.isalpha() and rest[back + 1].text != ",":
            return False  # "ij" or "i j": a product, or a word, not a list of indices
        back -= 1
    return back >= 0 and rest[back].kind == "text" and \
        text_content(rest[back].text).strip().lower().endswith(QUANTIFIERS)


CONDITION_WORDS = frozenset({"for", "if", "when", "for all", "whenever", "provided"})
RELATION_TOKENS = frozenset({"=", "<", ">", "\\neq", "\\ne", "\\le", "\\leq", "\\ge", "\\geq", "\\in"})


def annotation_condition(text: str, toks: list[Tok], cut: int) -> tuple[str, int] | None:
    """The condition an annotation states, ``\\quad (i = j)`` or ``\\quad \\text{for } i \\neq j``, or None.

    Returns the relation's text and its offset. A condition is not a remark: dropping it would
    check a stronger claim (a true step under ``i = j`` can be false for every i, j).
    """
    rest = [t for t in toks if t.start >= cut and t.kind != "space"]
    while rest and rest[0].kind == "cmd" and rest[0].text in ANNOTATION_COMMANDS - {"\\text", "\\mbox"}:
        rest = rest[1:]
    if not rest:
        return None
    first = rest[0]
    if first.kind == "open" and first.text == "(":
        close = next((t for t in rest[1:] if t.kind == "close" and t.depth == first.depth), None)
        inner = [t for t in rest[1:] if close is not None and t.start < close.start]
        while inner and inner[-1].kind == "cmd" and inner[-1].text in ANNOTATION_COMMANDS:
            inner = inner[:-1]  # \right before the `)`
        if close is None or not inner or inner[0].kind == "text":
            return None
        body = (inner[0].start, inner[-1].end)
    elif first.kind == "text" and text_content(first.text).strip().lower() in CONDITION_WORDS and len(rest) > 1:
        body = (rest[1].start, rest[-1].end)
        inner = rest[1:]
    else:
        return None
    if not any(t.text in RELATION_TOKENS and t.depth == inner[0].depth for t in inner):
        return None
    while inner and inner[-1].kind == "char" and inner[-1].text in ",.;":
        inner = inner[:-1]
    return text[body[0]:inner[-1].end].strip(), body[0]


INDEX_RELATION = re.compile(r"\s*\\?[A-Za-z]+\s*(?:=|\\neq|\\ne)\s*\\?[A-Za-z]+\s*\Z")


def condition_error(text: str, condition: tuple[str, int]) -> ReadError:
    relation = condition[0]
    how = (f"declare it before the display (<!-- derive: assume {relation} -->)" if INDEX_RELATION.match(relation)
           else "declare what it says before the display (e.g. <!-- derive: labels y soft --> for a sum of "
                "labels equal to 1, <!-- derive: labels y one-hot at \\ell --> for y = e_ℓ)")
    return fail_at(text, condition[1], "an annotation (prose)", f"the condition {show(relation)}",
                   f"a condition after a side is not dropped, and this reader cannot apply it: {how}")


#: Between two equations of one row: "hence" (``a = b \Rightarrow c = d``, a row that opens with ``\Rightarrow``).
HENCE = frozenset({"\\Rightarrow", "\\implies", "\\Longrightarrow", "\\therefore"})
#: Space between two equations of one row: ``a = b, \quad c = d`` (never a product of b and c).
EQUATION_SPACE = frozenset({"\\quad", "\\qquad"})
#: The small spaces, with their widths in em (a \quad is 1).
SMALL_SPACES = {"\\,": 3 / 18, "\\:": 4 / 18, "\\;": 5 / 18, "\\ ": 1 / 3}


def equations_part(toks: list[Tok], idx: int, row: list[Tok], depth: int) -> bool:
    """Whether the token at ``idx`` parts two equations of one row: "hence" at the row's level, or a
    ``\\quad`` between a row's equation and another one (an ``=`` after it, before the row's end).
    A ``\\quad`` before prose or a parenthesis is an annotation's, not this."""
    tok = toks[idx]
    if tok.depth != depth or tok.kind != "cmd":
        return False
    if tok.text in HENCE:
        return True
    end = idx + 1
    if tok.text in SMALL_SPACES:
        # s' = s(1 - s)\ \ \ \ \ \ \frac{∂s}{∂w} = ...: a run of small spaces as wide as a \quad parts too
        # (its first one; one \, or \; between factors is a product's).
        if idx > 0 and toks[idx - 1].text in SMALL_SPACES:
            return False
        end, width = idx, 0.0
        while end < len(toks) and (toks[end].text in SMALL_SPACES or toks[end].kind == "space"):
            width += SMALL_SPACES.get(toks[end].text, 0.0)
            end += 1
        if width < 1:
            return False
    elif tok.text not in EQUATION_SPACE:
        return False
    if not any(t.text == "=" and t.depth == depth for t in row):
        return False
    rest = [t for t in toks[end:] if t.kind != "space"]
    if not rest or rest[0].kind == "text" or rest[0].text in {"(", "[", "\\left", "\\mbox", "&"} \
            or rest[0].text in EQUATION_SPACE:
        return False
    for t in rest:
        if t.kind == "dblbs" and t.depth == depth:
            return False
        if t.text == "=" and t.depth == depth:
            return True
    return False


_LEADING_SPACE = re.compile(r"\A(?:\s|\\[,;: ]|\\q?quad(?![A-Za-z]))*")


def clean_side(chars: list[str], start: int, end: int) -> tuple[str, int]:
    piece = "".join(chars[start:end])
    m = TRAILING.search(piece)
    if m:
        piece = piece[:m.start()]
    # The spaces that part two equations of a row (\ \ \ \ ) open the second one: not part of it.
    lead = len(piece) - len(_LEADING_SPACE.sub("", piece, count=1))
    return piece[lead:].strip(), start + lead


def split_display(text: str, conditions: dict[int, tuple[str, int]] | None = None) -> list[list[tuple[str, int]]]:
    """The chains of ``text``; with ``conditions``, a row's condition (``\\quad (i = j)``) is
    recorded there under its chain's number (it holds for every step of that chain),
    otherwise it is a ReadError."""
    if not isinstance(text, str):
        raise TypeError(f"split_chain expects a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ReadError(f"expected at most {MAX_LENGTH} characters, found {len(text)}; "
                        "split the display into smaller pieces")
    chars = prepare_display(text)
    masked = cases_spans(text)
    for start, end in masked:  # a cases environment is one side while the display is split
        blank_out(chars, start, end)
        chars[start] = CASES_MARK
    toks = list(scan_tokens("".join(chars)))
    base = 0
    rows: list[list[Tok]] = [[]]
    for idx, tok in enumerate(toks):
        if (tok.kind == "dblbs" and tok.depth == base) or equations_part(toks, idx, rows[-1], base):
            blank_out(chars, tok.start, tok.end)
            rows.append([])
        else:
            rows[-1].append(tok)
    chains: list[list[tuple[int, int]]] = []  # spans of sides
    for row in rows:
        cut = annotation_start(row, base)
        condition = annotation_condition(text, row, cut) if cut is not None else None
        if condition is not None and conditions is None:
            raise condition_error(text, condition)
        if cut is not None:
            if condition is None:
                check_annotation(text, row, cut)
            row_end = row[-1].end
            blank_out(chars, cut, row_end)
            row = [t for t in row if t.start < cut]
        if not row or not "".join(chars[row[0].start:row[-1].end]).strip():
            continue
        for tok in row:
            if tok.text == "&" and tok.depth == base:
                blank_out(chars, tok.start, tok.end)
        cuts = [t for t in row if t.text == "=" and t.depth == base]
        bounds = [row[0].start] + [t.start for t in cuts] + [row[-1].end]
        parts = [(bounds[0], bounds[1])]
        for idx, t in enumerate(cuts):
            parts.append((t.end, bounds[idx + 2]))
            if t.start > 0 and chars[t.start - 1] == ":":
                chars[t.start - 1] = " "  # := defines, read like =
        first_blank = not "".join(chars[parts[0][0]:parts[0][1]]).strip()
        if chains and first_blank and cuts:
            chains[-1].extend(parts[1:])
        elif chains and not cuts:
            start, _ = chains[-1][-1]
            chains[-1][-1] = (start, parts[0][1])  # the row continues the previous side
        else:
            chains.append(parts)
        if condition is not None and conditions is not None:
            held = conditions.setdefault(len(chains) - 1, condition)
            if held[0] != condition[0]:
                raise fail_at(text, condition[1], f"one condition for the chain (it has {show(held[0])})",
                              f"the condition {show(condition[0])}", "write each case as its own display")
    out: list[list[tuple[str, int]]] = []
    held_conditions = dict(conditions or {})
    if conditions is not None:
        conditions.clear()
    for number, spans in enumerate(chains):
        sides = [clean_side(chars, s, e) for s, e in spans]
        for idx, (side, _) in enumerate(sides):
            if not side and (idx > 0 or len(sides) == 1):
                where = spans[idx][0]
                raise fail_at(text, where, "an expression between `=` signs" if idx else "an expression",
                            "nothing", "remove the extra `=` or write the missing side")
        chain_condition = held_conditions.get(number)
        case_span = next(((a, b) for a, b in masked if sides[-1][0] == CASES_MARK and sides[-1][1] == a), None)
        if case_span is None:
            if CASES_MARK in "".join(side for side, _ in sides):
                where = next(a for a, _ in masked if any(o <= a < o + len(t) for t, o in sides))
                raise fail_at(text, where, "a cases environment as the whole last side", "it inside a side",
                              "write f = \\begin{cases} ... \\end{cases}, each case a value and its condition")
            if chain_condition is not None and conditions is not None:
                conditions[len(out)] = chain_condition
            out.append(sides)
            continue
        if len(sides) < 2 or chain_condition is not None:
            raise fail_at(text, case_span[0], "a cases environment after `=`", "it alone or under a condition",
                          "write f = \\begin{cases} ... \\end{cases}")
        if len(sides) > 2:
            out.append(sides[:-1])  # a = b = \begin{cases}: a = b is a step of its own
        for case in read_cases(text, *case_span):
            if conditions is None:
                raise condition_error(text, (case.condition, case.condition_offset))
            conditions[len(out)] = (case.condition, case.condition_offset)
            # Each case is a step at its own row: its left side is read from the text it has, placed there.
            out.append([(sides[-2][0], case.value_offset), (case.value, case.value_offset)])
    if not out:
        raise fail_at(text, 0, "an equation or an expression", "nothing", "pass the display-math body")
    return out


def split_chains(text: str) -> list[list[str]]:
    r"""The chains of equations in a display-math body: one list of sides per equation.

    Examples:
        >>> split_chains(r"a &= b \\ c &= d")
        [['a', 'b'], ['c', 'd']]
    """
    return [[side for side, _ in chain] for chain in guarded(split_display, text)]


def split_chains_spans(text: str) -> list[list[tuple[str, int]]]:
    """Every chain of a display-math body, each side with its 0-based offset in ``text``.

    Examples:
        >>> split_chains_spans("a = b")
        [[('a', 0), ('b', 4)]]
    """
    return guarded(split_display, text)


def split_chains_conditions(text: str) -> list[tuple[list[tuple[str, int]], tuple[str, int] | None]]:
    r"""Every chain with its sides and offsets, and the condition written after it, if any.

    A condition is a relation after the last side: ``\quad (i = j)``, ``\quad \text{for } j
    \neq \ell``. The caller must apply it (as an assumption of that chain's steps) or refuse the
    chain; :func:`split_chains_spans` refuses a display with a condition.

    Examples:
        >>> split_chains_conditions(r"a = b \quad (i = j)")
        [([('a', 0), ('b', 4)], ('i = j', 13))]
    """
    found: dict[int, tuple[str, int]] = {}
    chains = guarded(lambda t: split_display(t, found), text)
    return [(chain, found.get(idx)) for idx, chain in enumerate(chains)]


def split_chain_spans(text: str) -> list[tuple[str, int]]:
    """The sides of the one chain in ``text``, each with its 0-based offset in ``text``.

    Examples:
        >>> split_chain_spans("a = b")
        [('a', 0), ('b', 4)]
    """
    chains = guarded(split_display, text)
    if len(chains) > 1:
        second = chains[1][0][1]
        raise fail_at(text, second, "one chain of equalities", "a second equation",
                    "use split_chains() to read several equations in one display")
    return chains[0]


def split_chain(text: str) -> list[str]:
    r"""The sides of a chain ``a &= b \\ &= c`` (or ``a = b = c``): ``['a', 'b', 'c']``.

    Alignment ``&``, row breaks, ``\nonumber``, ``\label``, ``\tag``, chain
    environments, ``\boxed{}``, trailing punctuation and annotations after a side
    (``\quad (\text{...})``, ``&& \text{...}``) are removed. A block that starts with
    ``=`` continues the previous display: its first side is ``""``. A membership
    ``A \in \mathbb{R}^{d}`` has one side.

    Examples:
        >>> split_chain(r"\begin{align*} f &= g \\ &= h, \end{align*}")
        ['f', 'g', 'h']
        >>> split_chain(r"= x_n \quad (\text{chain rule})")
        ['', 'x_n']
    """
    return [side for side, _ in split_chain_spans(text)]
