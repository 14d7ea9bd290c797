"""The TeX layer: tokens, balanced groups and what each script attaches to (a lark grammar), and errors with columns.

Also the checks for text damaged on its way to the page (``\\frac`` -> ``rac``), which come
before any mathematics is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TypeVar

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from derive.audit.reader.vocabulary import BUILTINS, IDENTIFIER, MAX_DEPTH


class ReadError(ValueError):
    """Text that is not a readable expression; the message says where and how to fix it.

    ``column`` and ``line`` are 1-based and ``offset`` 0-based, all relative to the
    string that was read (``None`` when the error has no position).
    """

    column: int | None
    line: int | None
    offset: int | None

    def __init__(self, message: str, *, column: int | None = None, line: int | None = None,
                 offset: int | None = None, internal: bool = False) -> None:
        super().__init__(message)
        self.column = column
        self.line = line
        self.offset = offset
        #: True when the reader itself failed (a bug), not the text.
        self.internal = internal


# -- positions and errors -------------------------------------------------------------------


def where(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def fail_at(text: str, offset: int | None, expected: str, found: str, hint: str = "") -> ReadError:
    if offset is None:
        message = f"expected {expected}, found {found}"
        if hint:
            message += f"; {hint}"
        return ReadError(message)
    line, column = where(text, offset)
    place = f"column {column}" if line == 1 else f"line {line}, column {column}"
    message = f"expected {expected}, found {found} at {place}"
    if hint:
        message += f"; {hint}"
    return ReadError(message, column=column, line=line, offset=offset)


def show(fragment: str) -> str:
    fragment = fragment if len(fragment) <= 40 else fragment[:37] + "..."
    return "`" + fragment.replace("\n", "\\n") + "`"


# Commands whose first letter is also a Python/JSON string escape (\a \b \f \n \r \t \v):
# when such text passes through an unescaped string the backslash and letter vanish.
LOST_BACKSLASH = {
    "rac": "frac", "heta": "theta", "egin": "begin", "eq": "neq", "abla": "nabla",
    "ight": "right", "ext": "text", "imes": "times", "ilde": "tilde", "ewline": "newline",
    "onumber": "nonumber", "otag": "notag", "orall": "forall", "oldsymbol": "boldsymbol",
    "arepsilon": "varepsilon", "lpha": "alpha", "ightarrow": "rightarrow", "extbf": "textbf",
    "extrm": "textrm", "au": "tau", "ec": "vec", "ar": "bar", "ig": "big", "op": "top",
}
# Commands written without their backslash at all.
BARE_COMMANDS = frozenset({
    "frac", "dfrac", "theta", "sum", "partial", "nabla", "alpha", "beta", "gamma", "delta",
    "lambda", "sigma", "epsilon", "hat", "cdot", "times", "text", "left", "right", "begin",
    "end", "mathbb", "sqrt", "prod", "ell", "mathrm", "operatorname", "boldsymbol", "neq",
})
ESCAPE_CHARS = {"\x07": "\\a", "\x08": "\\b", "\x0c": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "\x0b": "\\v"}


def lost_backslash_hint(text: str, offset: int, word: str) -> str | None:
    """A hint when ``word`` at ``offset`` is a command that lost its backslash, else None."""
    before = text[offset - 1] if offset > 0 else ""
    after = text[offset + len(word)] if offset + len(word) < len(text) else ""
    brace = "{" if after == "{" else ""
    for fragment, command in sorted(LOST_BACKSLASH.items(), key=lambda kv: -len(kv[0])):
        short = len(fragment) <= 3
        if word == fragment or (not short and word.startswith(fragment)):
            if short and fragment not in {"rac", "eq"} and before not in ESCAPE_CHARS and not brace:
                continue  # "au", "ar"... are ordinary products unless damage shows around them
            escape = ESCAPE_CHARS.get(before)
            eaten = "\\" + command[0]
            why = (f"; the {eaten} became the control character {escape}" if escape
                   else f"; {eaten} was probably read as a string escape")
            return (f"{show(word + brace)} looks like `\\{command}{brace}` with its backslash lost{why}. "
                    "Restore the backslash (keep LaTeX in raw strings)")
    if word in BARE_COMMANDS:
        return f"{show(word + brace)} looks like `\\{word}{brace}` with its backslash lost; write `\\{word}`"
    return None


TEXT_COMMANDS = ("text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox",
                  "mathrm", "mathit", "mathsf", "mathtt", "operatorname", "label", "tag")
WORDS = re.compile(r"(\\(?:" + "|".join(TEXT_COMMANDS) + r")\*?\s*\{[^{}]*\})|(\\[A-Za-z]+)|([A-Za-z]+)")


def check_lost_backslashes(text: str, known: frozenset[str]) -> None:
    """Report the first command that lost its backslash, before anything else can go wrong."""
    for m in WORDS.finditer(text):
        word = m.group(3)
        if word and word not in known and word not in BUILTINS:
            hint = lost_backslash_hint(text, m.start(3), word)
            if hint:
                brace = "{" if text[m.end(3):m.end(3) + 1] == "{" else ""
                raise fail_at(text, m.start(3), "a formula", show(word + brace), hint)


# -- typography that means nothing -----------------------------------------------------------

#: Characters a page puts for ASCII ones: dashes and the minus sign for `-`, the middle dot for `*`.
_TYPOGRAPHIC = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00b7": "*", "\u22c5": "*"})
#: ``\text T`` (no braces): TeX's argument is the one character after it.
_BARE_TEXT_ARG = re.compile(r"\\(?:text|mathrm|textrm|mathit)(?![A-Za-z])\s*([A-Za-z])")
#: Commands that only colour, strike or load a package: ``\require{cancel}``, ``\color{red}``; blanked.
_LAYOUT_COMMANDS = re.compile(r"\\(?:require|color|textcolor|colorbox)\s*\{[^{}]*\}"
                              r"|\\(?:cancel|bcancel|xcancel)(?![A-Za-z])")


def typographic(text: str) -> str:
    r"""``text`` with page typography written as TeX means it, keeping every column.

    An en dash, em dash or minus sign is ``-``; a middle dot is ``*``; ``\\text T`` is ``{T}`` (TeX's
    argument without braces is one character); ``\\require{..}``, ``\\color{..}`` and ``\\cancel`` are
    blanked (the group they colour or strike stays, so it is read).

    Examples:
        >>> typographic("1 \u2013 x^\\text T")
        '1 - x^    {T}'
    """
    text = text.translate(_TYPOGRAPHIC)
    text = _BARE_TEXT_ARG.sub(lambda m: " " * (len(m.group(0)) - 3) + "{" + m.group(1) + "}", text)
    return _LAYOUT_COMMANDS.sub(lambda m: " " * len(m.group(0)), text)


# -- the TeX layer ---------------------------------------------------------------------------


@cache
def parser() -> Lark:
    grammar = resources.files("derive.audit.reader").joinpath("latex_grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", keep_all_tokens=True)


@dataclass(eq=False)
class Node:
    """One TeX item: a token or a delimited group, with what is attached to it."""

    kind: str  # a terminal name (WORD, NUMBER, CMD, TEXT, OP, ...) or group/paren/brack/setbrace
    text: str
    pos: int
    end: int
    children: list[Node] = field(default_factory=list)
    sub: Node | None = None
    sup: Node | None = None
    primes: int = 0

    @property
    def scripted(self) -> bool:
        return self.sub is not None or self.sup is not None or self.primes > 0

    def bare(self) -> Node:
        return Node(self.kind, self.text, self.pos, self.end, self.children)

    def bare_with_sup(self) -> Node:
        node = self.bare()
        node.sup = self.sup
        return node

    def is_op(self, *texts: str) -> bool:
        return self.kind == "OP" and self.text in texts

    def is_cmd(self, *names: str) -> bool:
        return self.kind == "CMD" and self.text[1:] in names


GROUPS = {"group": "{", "paren": "(", "brack": "[", "setbrace": "\\{"}
CLOSERS = {"group": "}", "paren": ")", "brack": "]", "setbrace": "\\}"}


def convert(tree: Tree | Token, text: str) -> Node:
    # Recursion here is bounded: check_balance refused nesting deeper than MAX_DEPTH.
    if isinstance(tree, Token):
        start = tree.start_pos or 0
        node = Node(tree.type, str(tree), start, start + len(tree))
        if tree.type == "ABSBAR":
            return Node("OP", "|", start, start + len(tree))
        if tree.type == "SUB1" or tree.type == "SUP1":
            char = str(tree)[-1]
            kind = "NUMBER" if char.isdigit() else "WORD"
            return Node(kind, char, tree.end_pos - 1 if tree.end_pos else start, tree.end_pos or start)
        return node
    if tree.data == "item":
        base = convert(tree.children[0], text)
        for script in tree.children[1:]:
            assert isinstance(script, Tree)
            head = script.children[0]
            if script.data == "prime":
                base.primes += 1
                continue
            arg = convert(script.children[-1] if len(script.children) > 1 else head, text)
            pos = head.start_pos if isinstance(head, Token) and head.start_pos is not None else arg.pos
            primed = arg.children[0] if arg.kind == "group" and len(arg.children) == 1 else arg
            if script.data == "sup" and primed.is_cmd("prime") and not primed.scripted:
                base.primes += 1  # \sigma^\prime(x), f^{\prime}: a prime written as a command
                base.end = max(base.end, arg.end)
                continue
            if script.data == "sub":
                if base.sub is not None:
                    raise fail_at(text, pos, "one subscript", "a second subscript", "put both in one `_{...}`")
                base.sub = arg
            else:
                if base.sup is not None:
                    raise fail_at(text, pos, "one superscript", "a second superscript",
                                "put braces around the power, e.g. `{x^{2}}^{3}`")
                base.sup = arg
            base.end = max(base.end, arg.end)
        return base
    # a delimited group: first and last children are the delimiters
    first, last = tree.children[0], tree.children[-1]
    assert isinstance(first, Token) and isinstance(last, Token)
    items = [convert(child, text) for child in tree.children[1:-1]]
    return Node(str(tree.data), "", first.start_pos or 0, last.end_pos or 0, items)


def tex_items(text: str) -> list[Node]:
    """Parse ``text`` with the TeX grammar into items, turning every lark error into a ReadError."""
    try:
        tree = parser().parse(text)
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        hint = "remove it or write it as a LaTeX command"
        if char in ESCAPE_CHARS:
            hint = (f"this control character is probably a `{ESCAPE_CHARS[char]}...` command whose "
                    "backslash was read as a string escape; restore the backslash")
        elif char == "$":
            hint = "pass the formula without its `$` delimiters"
        elif char == "\\":
            hint = "this escape is not supported in math"
        raise fail_at(text, at, "a LaTeX token", show(char), hint) from None
    except UnexpectedToken as exc:
        token = exc.token
        if token.type == "$END":
            raise fail_at(text, len(text), "more input (an argument after `_` or `^`)", "the end",
                        "complete the formula") from None
        hint = ""
        if token.type in {"RBRACE", "RPAR", "RSQB", "RSET"}:
            hint = "the brackets do not match; check each opening bracket has its own closer"
        elif token.type in {"SUB", "SUP", "SUB1", "SUP1", "PRIME"}:
            hint = "a `_`, `^` or `'` needs something before it, e.g. `x_1`"
        else:
            hint = "write the argument of `_` or `^` in braces, e.g. `x_{1}`"
        raise fail_at(text, token.start_pos, "a group, a name or a number", show(str(token)), hint) from None
    except UnexpectedEOF:
        raise fail_at(text, len(text), "more input", "the end", "complete the formula") from None
    except LarkError as exc:  # any other parser failure is still the text's fault
        raise fail_at(text, None, "LaTeX the grammar accepts", f"a parse failure ({exc})") from None
    return [convert(child, text) for child in tree.children]


# -- a light scanner for balance checks and chain splitting ----------------------------------

OPENERS = {"{": "}", "(": ")", "[": "]", "\\{": "\\}"}
CLOSING = {v: k for k, v in OPENERS.items()}


@dataclass(frozen=True)
class Tok:
    kind: str  # open, close, text, cmd, dblbs, char, space
    text: str
    start: int
    end: int
    depth: int  # nesting depth before this token


def scan_tokens(text: str) -> Iterator[Tok]:
    """Tokens of ``text`` with their bracket depth; raises ReadError on unbalanced brackets."""
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        depth = len(stack)
        if c == "\\":
            if i + 1 < n and text[i + 1] == "\\":
                j = i + 2
                m = re.match(r"\[[^\]\n]*\]", text[j:j + 40])
                if m:
                    j += m.end()
                yield Tok("dblbs", text[i:j], i, j, depth)
                i = j
                continue
            if i + 1 < n and text[i + 1] in "{}":
                tok = text[i:i + 2]
                if tok == "\\{":
                    stack.append((tok, i))
                    if len(stack) > MAX_DEPTH:
                        raise fail_at(text, i, f"at most {MAX_DEPTH} nested brackets", "deeper nesting")
                    yield Tok("open", tok, i, i + 2, depth)
                else:
                    close_group(text, stack, tok, i)
                    yield Tok("close", tok, i, i + 2, depth - 1)
                i += 2
                continue
            m = re.match(r"\\[A-Za-z]+", text[i:i + 64])
            if not m:
                yield Tok("cmd", text[i:i + 2], i, min(n, i + 2), depth)
                i += 2
                continue
            name = m.group(0)[1:]
            j = i + m.end()
            if name in TEXT_COMMANDS or name == "operatorname":
                k = j
                while k < n and text[k] in " \t\n*":
                    k += 1
                if k < n and text[k] == "{":
                    inner = 1
                    q = k + 1
                    while q < n and inner:
                        if text[q] == "\\":
                            q += 2
                            continue
                        inner += {"{": 1, "}": -1}.get(text[q], 0)
                        q += 1
                    if inner:
                        raise fail_at(text, k, "a `}` closing this `{`", "the end of the formula",
                                    "add the missing `}`")
                    yield Tok("text", text[i:q], i, q, depth)
                    i = q
                    continue
            yield Tok("cmd", text[i:j], i, j, depth)
            i = j
            continue
        if c in "{([":
            stack.append((c, i))
            if len(stack) > MAX_DEPTH:
                raise fail_at(text, i, f"at most {MAX_DEPTH} nested brackets", "deeper nesting",
                            "simplify the formula")
            yield Tok("open", c, i, i + 1, depth)
        elif c in "})]":
            close_group(text, stack, c, i)
            yield Tok("close", c, i, i + 1, depth - 1)
        elif c.isspace():
            yield Tok("space", c, i, i + 1, depth)
        else:
            yield Tok("char", c, i, i + 1, depth)
        i += 1
    if stack:
        opener, pos = stack[-1]
        line, column = where(text, pos)
        closer = OPENERS[opener]
        raise ReadError(f"expected a `{closer}` to close the `{opener}` at column {column}, found the "
                        f"end of the formula; add the missing `{closer}` or remove this `{opener}`",
                        column=column, line=line, offset=pos)


def close_group(text: str, stack: list[tuple[str, int]], closer: str, pos: int) -> None:
    opener = CLOSING[closer]
    if not stack:
        raise fail_at(text, pos, "an opening bracket before this closer", show(closer),
                    f"remove it or add the matching `{opener}`")
    top, top_pos = stack[-1]
    # \left( ... \right] and friends are legal in TeX only when sized, and \left/\right are
    # dropped by the grammar, so a mismatch is always an error here.
    if top != opener:
        _, column = where(text, top_pos)
        raise fail_at(text, pos, f"`{OPENERS[top]}` to close the `{top}` at column {column}", show(closer),
                    "the brackets do not match")
    stack.pop()


def check_balance(text: str) -> None:
    for _ in scan_tokens(text):
        pass


def text_content(token_text: str) -> str:
    brace = token_text.find("{")
    return token_text[brace + 1:-1] if brace >= 0 else ""


def is_prose(token_text: str) -> bool:
    return not IDENTIFIER.match(text_content(token_text).strip())


_T = TypeVar("_T")


def guarded(fn: Callable[[str], _T], text: str) -> _T:
    """Run a reading step so that only ReadError (or TypeError for a non-string) escapes."""
    if not isinstance(text, str):
        raise TypeError(f"expected a str of LaTeX, got {type(text).__name__}")
    try:
        return fn(text)
    except ReadError:
        raise
    except RecursionError:
        raise ReadError("expected a less deeply nested formula, found one too deep to read; "
                        "break it into smaller steps") from None
    except Exception as exc:  # the contract: text never escapes as anything but ReadError
        raise ReadError(f"could not read the formula (internal error: {type(exc).__name__}: {exc}); "
                        "please report this input", internal=True) from exc
