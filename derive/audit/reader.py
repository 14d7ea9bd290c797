r"""The LaTeX reader: one side of a written derivation step, as a SymPy expression.

This module owns reading the notation of gradient derivations in blog posts and
notes, safely. Nothing here calls ``eval``, ``sympify``, ``parse_expr`` or SymPy's
LaTeX parsers (they run code, hang on ``9**9**9``, flatten ``z_n`` into one symbol
and drop what they cannot read; see SYMPY-NOTES.md). Reading happens in two stages:

1. ``latex_grammar.lark`` (LALR, linear time) is the TeX layer: tokens, balanced
   groups, what each ``_``/``^`` attaches to.
2. :class:`_Reader` reads the mathematics over those items: precedence, how far a
   sum or derivative reaches, what a subscript means. These decisions depend on
   declared names and bound variables, which a grammar cannot see.

Numbers are built from their digits; literals over 30 digits, integer exponents
over 1000 and numeric powers over 2000 digits are refused, so no call can hang.
Every failure is a :class:`ReadError` (a ``ValueError``) with the column.

Conventions of the output (the rest of the engine relies on them):

- Names. A letter with no subscript is ``Symbol(name, real=True)``; a name the
  context declares a vector is ``IndexedBase(name, real=True)``; sizes
  (``context.sizes``, default k, K, N, C, and any letter in a sum's limits) are
  ``Symbol(name, integer=True, positive=True)``. Greek letters go by their names
  (``\theta`` -> ``theta``, ``\ell`` -> ``ell``). ``\hat{y}`` is named ``yhat``
  (also ``bar``, ``tilde``, ``dot``); ``\boldsymbol``, ``\mathbf``, ``\vec`` are
  transparent. ``e`` is Euler's number: ``e^{x}`` is ``exp(x)``.
- Subscripts. ``z_j`` is ``IndexedBase('z', real=True)[j]``. A free index is
  ``Symbol(name, integer=True, positive=True)``, a bound summation variable
  ``Symbol(name, integer=True)``, a numeric subscript an Integer, ``z_{i,j}`` two
  indices; ``\delta_{ij}`` is ``KroneckerDelta(i, j)``. A subscript that is a run
  of letters, ``y_{nj}``, is one index per letter (``y[n, j]``) when the base is a
  declared matrix, when every letter is a bound or declared index, or when it has
  at most 3 lowercase letters and is not a declared label; otherwise (``L_{CE}``,
  ``y_{true}``) it is part of the name: ``Symbol('L_CE')``.
- Sample indices. ``z^{(i)}`` marks sample i. With
  ``context.drop_sample_index`` (the default: posts about one sample use it as
  decoration) it is dropped, ``z^{(i)}_j`` -> ``z[j]``; otherwise it comes first,
  ``z[i, j]``.
- Transposes. ``x^T``, ``x^{\top}``, ``(Ax_n)^T`` -> ``T(x)`` with
  :data:`TRANSPOSE` = ``Function('T')``, an opaque marker; ``a \cdot^T b`` (seed
  002) transposes the factor before the dot. A product with two or more factors
  that mention declared vectors or matrices (``context.vectors``,
  ``context.matrices``) or transposes keeps its written order:
  ``MATMUL(B, A, x[n])``; other products (``BAx_n`` with nothing declared) are
  SymPy's commutative products of their letters.
- Sums. ``\sum_{n=1}^{k} f``, ``\Sigma^k_{n=1} f`` -> ``Sum(f, (n, 1, k))``; with
  no limits (``\sum_n f``, ``\sum_{n}``) the range is 1..``context.default_size``
  (``k``). ``\sum_{j \neq \ell} f`` and ``\sum_{\substack{j=1 \\ j \neq \ell}}^k
  f`` multiply the body by ``1 - KroneckerDelta(j, ell)``. A sum binds the
  product of factors that follows it, up to the next + or - at its level or the
  end of its group. ``\sum_C`` with one uppercase letter and no limits is a name
  for a quantity, ``Symbol('Sigma_C', real=True)`` (seed 002 writes
  ``\sum_C = \sum_{c=1}^C e^{s_{nc}}``). ``\prod`` likewise gives ``Product``.
- Derivatives. ``\frac{\partial f}{\partial z_j}``, ``\frac{d f}{d z_j}``,
  ``\frac{\partial}{\partial z_j} f``, ``\nabla_{z_j} f`` ->
  ``Derivative(f, z[j], evaluate=False)``; operator forms take the product that
  follows, like a sum. ``\nabla_z f`` (a whole vector) differentiates by
  ``z[context.component_index]`` (``j``): the audit reads vector equations
  component-wise; so does ``\partial z`` for a declared vector z. ``\partial
  x^2`` in a denominator is second order. Differentiating by anything but a
  symbol or an entry is a ReadError.
- Functions. ``\log`` and ``\ln`` are natural logs, ``\exp`` is exp; with or
  without parentheses (``\log x`` takes the next factor). Names in
  ``context.functions`` (f, g, h, softmax, sigmoid, CE, ...) followed by ``(``
  are undefined functions: ``\text{CE}(y, \hat{y})`` -> ``CE(y, yhat)``; a
  vector argument is passed as its label symbol. For the vector functions
  (``context.vector_functions``, softmax) a component is an extra argument:
  ``\text{softmax}(z)_j`` and ``\text{softmax}(z_j)`` are both ``softmax(z, j)``,
  which the audit can define as ``exp(z[j]) / Sum(exp(z[n]), (n, 1, k))``.
  ``\sigma(...)`` is the function ``context.sigma`` (default ``softmax``, as in
  seed 001). Primes: ``f'(x)`` of a one-argument scalar function is
  ``Derivative(f(x), x)`` (a ``Subs`` when x is an expression); a primed vector
  or several-argument function is the undefined function ``softmax'``.
- Not expressions. ``=`` and other relations raise ReadError (use
  :func:`split_chain`); ``A \in \mathbb{R}^{d \times p}`` raises ReadError("not an
  expression: a set membership"); :func:`read_membership` reads it into a
  :class:`Membership` (name and shape). Annotations after a side
  (``\quad (\text{chain rule})``, ``&& \text{...}``), ``\label``, ``\tag``,
  ``\nonumber`` and trailing punctuation are dropped; prose ``\text{...}`` inside
  an expression is a ReadError.
- Damaged text. Backslash escapes eaten on the way to the page (``\frac`` ->
  ``rac``, ``\theta`` -> ``heta``, ``\begin`` -> ``egin``, ``\neq`` -> a line
  break and ``eq``) raise ReadError with the column and the command that was meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TypeVar

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

__all__ = [
    "MATMUL",
    "TRANSPOSE",
    "Membership",
    "ReadError",
    "ReaderContext",
    "read_latex",
    "read_membership",
    "split_chain",
    "split_chain_spans",
    "split_chains",
    "split_chains_spans",
]

#: The transpose marker: ``x^T`` is read as ``TRANSPOSE(x)``.
TRANSPOSE = sp.Function("T")

#: A product of declared vectors and matrices in its written order: ``B A x`` is
#: ``MATMUL(B, A, x)``, because SymPy's Mul would sort its factors and lose the order
#: that a missing transpose shows in.
MATMUL = sp.Function("matmul")

MAX_LENGTH = 20_000
MAX_DEPTH = 50
MAX_DIGITS = 30
MAX_EXPONENT = 1000
MAX_POWER_DIGITS = 2000
MAX_TOTAL_DIGITS = 100_000


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


def _k() -> sp.Symbol:
    return sp.Symbol("k", integer=True, positive=True)


def _j() -> sp.Symbol:
    return sp.Symbol("j", integer=True, positive=True)


@dataclass(frozen=True)
class ReaderContext:
    """What the reader needs to know about a post's names; the defaults fit the seeds.

    Examples:
        >>> ReaderContext(vectors=frozenset({"z"})).vectors
        frozenset({'z'})
    """

    #: Bare names read as ``IndexedBase`` (whole vectors) rather than scalars.
    vectors: frozenset[str] = frozenset()
    #: Names whose run-of-letters subscripts are always split into indices.
    matrices: frozenset[str] = frozenset()
    #: Letters read as integer index symbols wherever they appear.
    indices: frozenset[str] = frozenset()
    #: Letters read as sizes (positive integers) wherever they appear.
    sizes: frozenset[str] = frozenset({"k", "K", "N", "C"})
    #: Subscript words that are part of a name, never indices (``y_{true}``).
    labels: frozenset[str] = frozenset({"true", "pred", "out", "in", "old", "new", "max", "min"})
    #: Names applied as undefined functions when followed by ``(``.
    functions: frozenset[str] = frozenset({
        "f", "g", "h", "softmax", "sigmoid", "logsoftmax", "CE", "ce", "ReLU", "relu",
        "softplus", "NLL", "MSE", "BCE", "KL", "LSE", "logsumexp", "loss",
    })
    #: Functions of a whole vector whose components are an extra argument.
    vector_functions: frozenset[str] = frozenset({"softmax", "logsoftmax"})
    #: What ``\sigma(...)`` applies: the function of that name.
    sigma: str = "softmax"
    #: Range of a sum written without limits: 1..default_size.
    default_size: sp.Symbol = field(default_factory=_k)
    #: The component a whole-vector gradient ``\nabla_z`` is read at.
    component_index: sp.Symbol = field(default_factory=_j)
    #: Drop sample indices ``z^{(i)}`` (decoration in posts about one sample).
    drop_sample_index: bool = True
    #: Read ``e`` as Euler's number (``e^{x}`` -> ``exp(x)``).
    euler: bool = True


@dataclass(frozen=True)
class Membership:
    r"""A statement ``name \in \mathbb{R}^{shape}``: the name, its object, its shape (``()`` for scalars)."""

    name: str
    target: sp.Expr
    shape: tuple[sp.Expr, ...]


# -- positions and errors -------------------------------------------------------------------


def _where(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _fail(text: str, offset: int | None, expected: str, found: str, hint: str = "") -> ReadError:
    if offset is None:
        message = f"expected {expected}, found {found}"
        if hint:
            message += f"; {hint}"
        return ReadError(message)
    line, column = _where(text, offset)
    place = f"column {column}" if line == 1 else f"line {line}, column {column}"
    message = f"expected {expected}, found {found} at {place}"
    if hint:
        message += f"; {hint}"
    return ReadError(message, column=column, line=line, offset=offset)


def _show(fragment: str) -> str:
    fragment = fragment if len(fragment) <= 40 else fragment[:37] + "..."
    return "`" + fragment.replace("\n", "\\n") + "`"


# Commands whose first letter is also a Python/JSON string escape (\a \b \f \n \r \t \v):
# when such text passes through an unescaped string the backslash and letter vanish.
_LOST_BACKSLASH = {
    "rac": "frac", "heta": "theta", "egin": "begin", "eq": "neq", "abla": "nabla",
    "ight": "right", "ext": "text", "imes": "times", "ilde": "tilde", "ewline": "newline",
    "onumber": "nonumber", "otag": "notag", "orall": "forall", "oldsymbol": "boldsymbol",
    "arepsilon": "varepsilon", "lpha": "alpha", "ightarrow": "rightarrow", "extbf": "textbf",
    "extrm": "textrm", "au": "tau", "ec": "vec", "ar": "bar", "ig": "big", "op": "top",
}
# Commands written without their backslash at all.
_BARE_COMMANDS = frozenset({
    "frac", "dfrac", "theta", "sum", "partial", "nabla", "alpha", "beta", "gamma", "delta",
    "lambda", "sigma", "epsilon", "hat", "cdot", "times", "text", "left", "right", "begin",
    "end", "mathbb", "sqrt", "prod", "ell", "mathrm", "operatorname", "boldsymbol", "neq",
})
_ESCAPE_CHARS = {"\x07": "\\a", "\x08": "\\b", "\x0c": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "\x0b": "\\v"}


def _lost_backslash_hint(text: str, offset: int, word: str) -> str | None:
    """A hint when ``word`` at ``offset`` is a command that lost its backslash, else None."""
    before = text[offset - 1] if offset > 0 else ""
    after = text[offset + len(word)] if offset + len(word) < len(text) else ""
    brace = "{" if after == "{" else ""
    for fragment, command in sorted(_LOST_BACKSLASH.items(), key=lambda kv: -len(kv[0])):
        short = len(fragment) <= 3
        if word == fragment or (not short and word.startswith(fragment)):
            if short and fragment not in {"rac", "eq"} and before not in _ESCAPE_CHARS and not brace:
                continue  # "au", "ar"... are ordinary products unless damage shows around them
            escape = _ESCAPE_CHARS.get(before)
            eaten = "\\" + command[0]
            why = (f"; the {eaten} became the control character {escape}" if escape
                   else f"; {eaten} was probably read as a string escape")
            return (f"{_show(word + brace)} looks like `\\{command}{brace}` with its backslash lost{why}. "
                    "Restore the backslash (keep LaTeX in raw strings)")
    if word in _BARE_COMMANDS:
        return f"{_show(word + brace)} looks like `\\{word}{brace}` with its backslash lost; write `\\{word}`"
    return None


_TEXT_COMMANDS = ("text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox",
                  "mathrm", "mathit", "mathsf", "mathtt", "operatorname", "label", "tag")
_WORDS = re.compile(r"(\\(?:" + "|".join(_TEXT_COMMANDS) + r")\*?\s*\{[^{}]*\})|(\\[A-Za-z]+)|([A-Za-z]+)")


def _check_lost_backslashes(text: str, known: frozenset[str]) -> None:
    """Report the first command that lost its backslash, before anything else can go wrong."""
    for m in _WORDS.finditer(text):
        word = m.group(3)
        if word and word not in known and word not in _BUILTINS:
            hint = _lost_backslash_hint(text, m.start(3), word)
            if hint:
                brace = "{" if text[m.end(3):m.end(3) + 1] == "{" else ""
                raise _fail(text, m.start(3), "a formula", _show(word + brace), hint)


# -- the TeX layer ---------------------------------------------------------------------------


@cache
def _parser() -> Lark:
    grammar = resources.files("derive.audit").joinpath("latex_grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", keep_all_tokens=True)


@dataclass(eq=False)
class _Node:
    """One TeX item: a token or a delimited group, with what is attached to it."""

    kind: str  # a terminal name (WORD, NUMBER, CMD, TEXT, OP, ...) or group/paren/brack/setbrace
    text: str
    pos: int
    end: int
    children: list[_Node] = field(default_factory=list)
    sub: _Node | None = None
    sup: _Node | None = None
    primes: int = 0

    @property
    def scripted(self) -> bool:
        return self.sub is not None or self.sup is not None or self.primes > 0

    def bare(self) -> _Node:
        return _Node(self.kind, self.text, self.pos, self.end, self.children)

    def bare_with_sup(self) -> _Node:
        node = self.bare()
        node.sup = self.sup
        return node

    def is_op(self, *texts: str) -> bool:
        return self.kind == "OP" and self.text in texts

    def is_cmd(self, *names: str) -> bool:
        return self.kind == "CMD" and self.text[1:] in names


_GROUPS = {"group": "{", "paren": "(", "brack": "[", "setbrace": "\\{"}
_CLOSERS = {"group": "}", "paren": ")", "brack": "]", "setbrace": "\\}"}


def _convert(tree: Tree | Token, text: str) -> _Node:
    # Recursion here is bounded: _check_balance refused nesting deeper than MAX_DEPTH.
    if isinstance(tree, Token):
        start = tree.start_pos or 0
        node = _Node(tree.type, str(tree), start, start + len(tree))
        if tree.type == "SUB1" or tree.type == "SUP1":
            char = str(tree)[-1]
            kind = "NUMBER" if char.isdigit() else "WORD"
            return _Node(kind, char, tree.end_pos - 1 if tree.end_pos else start, tree.end_pos or start)
        return node
    if tree.data == "item":
        base = _convert(tree.children[0], text)
        for script in tree.children[1:]:
            assert isinstance(script, Tree)
            head = script.children[0]
            if script.data == "prime":
                base.primes += 1
                continue
            arg = _convert(script.children[-1] if len(script.children) > 1 else head, text)
            pos = head.start_pos if isinstance(head, Token) and head.start_pos is not None else arg.pos
            if script.data == "sub":
                if base.sub is not None:
                    raise _fail(text, pos, "one subscript", "a second subscript", "put both in one `_{...}`")
                base.sub = arg
            else:
                if base.sup is not None:
                    raise _fail(text, pos, "one superscript", "a second superscript",
                                "put braces around the power, e.g. `{x^{2}}^{3}`")
                base.sup = arg
            base.end = max(base.end, arg.end)
        return base
    # a delimited group: first and last children are the delimiters
    first, last = tree.children[0], tree.children[-1]
    assert isinstance(first, Token) and isinstance(last, Token)
    items = [_convert(child, text) for child in tree.children[1:-1]]
    return _Node(str(tree.data), "", first.start_pos or 0, last.end_pos or 0, items)


def _tex_items(text: str) -> list[_Node]:
    """Parse ``text`` with the TeX grammar into items, turning every lark error into a ReadError."""
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        hint = "remove it or write it as a LaTeX command"
        if char in _ESCAPE_CHARS:
            hint = (f"this control character is probably a `{_ESCAPE_CHARS[char]}...` command whose "
                    "backslash was read as a string escape; restore the backslash")
        elif char == "$":
            hint = "pass the formula without its `$` delimiters"
        elif char == "\\":
            hint = "this escape is not supported in math"
        raise _fail(text, at, "a LaTeX token", _show(char), hint) from None
    except UnexpectedToken as exc:
        token = exc.token
        if token.type == "$END":
            raise _fail(text, len(text), "more input (an argument after `_` or `^`)", "the end",
                        "complete the formula") from None
        hint = ""
        if token.type in {"RBRACE", "RPAR", "RSQB", "RSET"}:
            hint = "the brackets do not match; check each opening bracket has its own closer"
        elif token.type in {"SUB", "SUP", "SUB1", "SUP1", "PRIME"}:
            hint = "a `_`, `^` or `'` needs something before it, e.g. `x_1`"
        else:
            hint = "write the argument of `_` or `^` in braces, e.g. `x_{1}`"
        raise _fail(text, token.start_pos, "a group, a name or a number", _show(str(token)), hint) from None
    except UnexpectedEOF:
        raise _fail(text, len(text), "more input", "the end", "complete the formula") from None
    except LarkError as exc:  # any other parser failure is still the text's fault
        raise _fail(text, None, "LaTeX the grammar accepts", f"a parse failure ({exc})") from None
    return [_convert(child, text) for child in tree.children]


# -- a light scanner for balance checks and chain splitting ----------------------------------

_OPENERS = {"{": "}", "(": ")", "[": "]", "\\{": "\\}"}
_CLOSING = {v: k for k, v in _OPENERS.items()}


@dataclass(frozen=True)
class _Tok:
    kind: str  # open, close, text, cmd, dblbs, char, space
    text: str
    start: int
    end: int
    depth: int  # nesting depth before this token


def _scan(text: str) -> Iterator[_Tok]:
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
                yield _Tok("dblbs", text[i:j], i, j, depth)
                i = j
                continue
            if i + 1 < n and text[i + 1] in "{}":
                tok = text[i:i + 2]
                if tok == "\\{":
                    stack.append((tok, i))
                    if len(stack) > MAX_DEPTH:
                        raise _fail(text, i, f"at most {MAX_DEPTH} nested brackets", "deeper nesting")
                    yield _Tok("open", tok, i, i + 2, depth)
                else:
                    _close(text, stack, tok, i)
                    yield _Tok("close", tok, i, i + 2, depth - 1)
                i += 2
                continue
            m = re.match(r"\\[A-Za-z]+", text[i:i + 64])
            if not m:
                yield _Tok("cmd", text[i:i + 2], i, min(n, i + 2), depth)
                i += 2
                continue
            name = m.group(0)[1:]
            j = i + m.end()
            if name in _TEXT_COMMANDS or name == "operatorname":
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
                        raise _fail(text, k, "a `}` closing this `{`", "the end of the formula",
                                    "add the missing `}`")
                    yield _Tok("text", text[i:q], i, q, depth)
                    i = q
                    continue
            yield _Tok("cmd", text[i:j], i, j, depth)
            i = j
            continue
        if c in "{([":
            stack.append((c, i))
            if len(stack) > MAX_DEPTH:
                raise _fail(text, i, f"at most {MAX_DEPTH} nested brackets", "deeper nesting",
                            "simplify the formula")
            yield _Tok("open", c, i, i + 1, depth)
        elif c in "})]":
            _close(text, stack, c, i)
            yield _Tok("close", c, i, i + 1, depth - 1)
        elif c.isspace():
            yield _Tok("space", c, i, i + 1, depth)
        else:
            yield _Tok("char", c, i, i + 1, depth)
        i += 1
    if stack:
        opener, pos = stack[-1]
        line, column = _where(text, pos)
        closer = _OPENERS[opener]
        raise ReadError(f"expected a `{closer}` to close the `{opener}` at column {column}, found the "
                        f"end of the formula; add the missing `{closer}` or remove this `{opener}`",
                        column=column, line=line, offset=pos)


def _close(text: str, stack: list[tuple[str, int]], closer: str, pos: int) -> None:
    opener = _CLOSING[closer]
    if not stack:
        raise _fail(text, pos, "an opening bracket before this closer", _show(closer),
                    f"remove it or add the matching `{opener}`")
    top, top_pos = stack[-1]
    # \left( ... \right] and friends are legal in TeX only when sized, and \left/\right are
    # dropped by the grammar, so a mismatch is always an error here.
    if top != opener:
        _, column = _where(text, top_pos)
        raise _fail(text, pos, f"`{_OPENERS[top]}` to close the `{top}` at column {column}", _show(closer),
                    "the brackets do not match")
    stack.pop()


def _check_balance(text: str) -> None:
    for _ in _scan(text):
        pass


# -- chains: a display-math body into the sides of its equations ------------------------------

_CHAIN_ENVIRONMENTS = re.compile(
    r"\\(?:begin|end)\s*\{(?:align|aligned|alignat|equation|gather|gathered|split|multline|flalign"
    r"|eqnarray|displaymath|math)\*?\}(?:\{\d+\})?")
_NUMBERING = re.compile(r"\\(?:label|tag\*?)\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9']*\Z")
_TRAILING = re.compile(r"(?:\s|[,.;]|\\[,;:!]|\\q?quad(?![A-Za-z])|~)+\Z")


def _blank(chars: list[str], start: int, end: int) -> None:
    for q in range(start, end):
        if chars[q] != "\n":
            chars[q] = " "


def _text_content(token_text: str) -> str:
    brace = token_text.find("{")
    return token_text[brace + 1:-1] if brace >= 0 else ""


def _is_prose(token_text: str) -> bool:
    return not _IDENTIFIER.match(_text_content(token_text).strip())


def _prepare(text: str) -> list[str]:
    """The text with delimiters, chain environments, numbering and ``\\boxed{}`` blanked out."""
    chars = list(text)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("$", "$"), ("\\(", "\\)")):
        if len(stripped) >= len(opener) + len(closer) and stripped.startswith(opener) \
                and stripped.endswith(closer):
            _blank(chars, lead, lead + len(opener))
            end = lead + len(stripped)
            _blank(chars, end - len(closer), end)
            break
    for pattern in (_CHAIN_ENVIRONMENTS, _NUMBERING):
        for m in pattern.finditer(text):
            _blank(chars, m.start(), m.end())
    # \boxed{a = b}: the box is decoration, and its content may be a whole equation.
    toks = list(_scan("".join(chars)))
    for idx, tok in enumerate(toks):
        if tok.kind == "cmd" and tok.text == "\\boxed":
            nxt = idx + 1
            while nxt < len(toks) and toks[nxt].kind == "space":
                nxt += 1
            if nxt < len(toks) and toks[nxt].text == "{":
                close = next(t for t in toks[nxt + 1:] if t.kind == "close" and t.depth == toks[nxt].depth)
                _blank(chars, tok.start, toks[nxt].end)
                _blank(chars, close.start, close.end)
    return chars


def _annotation_start(toks: list[_Tok], depth: int) -> int | None:
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
        if tok.kind == "text" and _is_prose(tok.text) and not tok.text.startswith(("\\label", "\\tag")):
            return tok.start
        if tok.text == "(" and nxt is not None and nxt.kind == "text" and _is_prose(nxt.text):
            return tok.start
    return None


def _clean_side(chars: list[str], start: int, end: int) -> tuple[str, int]:
    piece = "".join(chars[start:end])
    m = _TRAILING.search(piece)
    if m:
        piece = piece[:m.start()]
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), start + lead


def _split(text: str) -> list[list[tuple[str, int]]]:
    if not isinstance(text, str):
        raise TypeError(f"split_chain expects a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ReadError(f"expected at most {MAX_LENGTH} characters, found {len(text)}; "
                        "split the display into smaller pieces")
    chars = _prepare(text)
    toks = list(_scan("".join(chars)))
    base = 0
    rows: list[list[_Tok]] = [[]]
    for tok in toks:
        if tok.kind == "dblbs" and tok.depth == base:
            _blank(chars, tok.start, tok.end)
            rows.append([])
        else:
            rows[-1].append(tok)
    chains: list[list[tuple[int, int]]] = []  # spans of sides
    for row in rows:
        cut = _annotation_start(row, base)
        if cut is not None:
            row_end = row[-1].end
            _blank(chars, cut, row_end)
            row = [t for t in row if t.start < cut]
        if not row or not "".join(chars[row[0].start:row[-1].end]).strip():
            continue
        for tok in row:
            if tok.text == "&" and tok.depth == base:
                _blank(chars, tok.start, tok.end)
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
    out: list[list[tuple[str, int]]] = []
    for spans in chains:
        sides = [_clean_side(chars, s, e) for s, e in spans]
        for idx, (side, _) in enumerate(sides):
            if not side and (idx > 0 or len(sides) == 1):
                where = spans[idx][0]
                raise _fail(text, where, "an expression between `=` signs" if idx else "an expression",
                            "nothing", "remove the extra `=` or write the missing side")
        out.append(sides)
    if not out:
        raise _fail(text, 0, "an equation or an expression", "nothing", "pass the display-math body")
    return out


def split_chains(text: str) -> list[list[str]]:
    r"""The chains of equations in a display-math body: one list of sides per equation.

    Examples:
        >>> split_chains(r"a &= b \\ c &= d")
        [['a', 'b'], ['c', 'd']]
    """
    return [[side for side, _ in chain] for chain in _guarded(_split, text)]


def split_chains_spans(text: str) -> list[list[tuple[str, int]]]:
    """Every chain of a display-math body, each side with its 0-based offset in ``text``.

    Examples:
        >>> split_chains_spans("a = b")
        [[('a', 0), ('b', 4)]]
    """
    return _guarded(_split, text)


def split_chain_spans(text: str) -> list[tuple[str, int]]:
    """The sides of the one chain in ``text``, each with its 0-based offset in ``text``.

    Examples:
        >>> split_chain_spans("a = b")
        [('a', 0), ('b', 4)]
    """
    chains = _guarded(_split, text)
    if len(chains) > 1:
        second = chains[1][0][1]
        raise _fail(text, second, "one chain of equalities", "a second equation",
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


# -- the math layer --------------------------------------------------------------------------

_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "varrho", "sigma", "tau", "upsilon", "phi",
    "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
    "Upsilon", "Phi", "Psi", "Omega", "ell", "varsigma",
})
_BUILTINS: dict[str, Callable[..., sp.Expr]] = {
    "log": sp.log, "ln": sp.log, "exp": sp.exp, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "arctan": sp.atan, "max": sp.Max,
    "min": sp.Min,
}
_DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
                "widetilde": "tilde", "dot": "dot", "ddot": "ddot"}
_TRANSPARENT = frozenset({"boldsymbol", "mathbf", "vec", "bm", "pmb", "mathbfit", "mathcal", "mathscr",
                          "overrightarrow", "underline"})
_MULOPS = frozenset({"\\cdot", "\\times", "\\ast", "\\odot", "\\circ"})
_RELATIONS = frozenset({"\\neq", "\\ne", "\\leq", "\\le", "\\geq", "\\ge", "\\approx", "\\equiv", "\\sim",
                        "\\propto", "\\to", "\\rightarrow", "\\Rightarrow", "\\implies", "\\iff",
                        "\\mapsto", "\\leftarrow", "\\coloneqq", "\\simeq", "\\cong", "\\ll", "\\gg"})
_FRACS = frozenset({"\\frac", "\\dfrac", "\\tfrac", "\\cfrac"})


def _letters_ok(name: str) -> bool:
    return name.isalpha() and name.isascii()


class _Cursor:
    """A position in a list of items (one sequence of a group)."""

    def __init__(self, nodes: list[_Node], end: int) -> None:
        self.nodes = nodes
        self.i = 0
        self.end = end

    def peek(self) -> _Node | None:
        return self.nodes[self.i] if self.i < len(self.nodes) else None

    def next(self) -> _Node | None:
        node = self.peek()
        if node is not None:
            self.i += 1
        return node

    def here(self) -> int:
        node = self.peek()
        return node.pos if node is not None else self.end


class _Reader:
    """Reads items into SymPy, with the bound variables and the budgets of one call."""

    def __init__(self, text: str, context: ReaderContext) -> None:
        self.text = text
        self.ctx = context
        self.scope: dict[str, list[sp.Symbol]] = {}
        self.index_mode = False
        self.depth = 0
        self.digits = 0

    # -- errors and budgets ------------------------------------------------------------------
    def fail(self, offset: int | None, expected: str, found: str, hint: str = "") -> ReadError:
        return _fail(self.text, offset, expected, found, hint)

    def found(self, node: _Node | None) -> str:
        if node is None:
            return "the end"
        if node.kind in _GROUPS:
            return f"a `{_GROUPS[node.kind]}...{_CLOSERS[node.kind]}` group"
        return _show(self.text[node.pos:node.end] or node.text)

    def spend_digits(self, count: int, pos: int) -> None:
        self.digits += count
        if self.digits > MAX_TOTAL_DIGITS:
            raise self.fail(pos, f"at most {MAX_TOTAL_DIGITS} digits of numbers in one formula",
                            "more", "this is too large to read safely")

    # -- sequences -----------------------------------------------------------------------------
    def expand(self, nodes: list[_Node]) -> list[_Node]:
        """Split runs of letters into single letters (TeX juxtaposition), keeping known names."""
        out: list[_Node] = []
        for node in nodes:
            if node.kind == "WORD" and len(node.text) > 1 and not self.is_name_word(node.text):
                hint = _lost_backslash_hint(self.text, node.pos, node.text)
                if hint:
                    raise self.fail(node.pos, "a formula", _show(node.text), hint)
                for idx, char in enumerate(node.text):
                    last = idx == len(node.text) - 1
                    piece = node if last else None
                    out.append(_Node("WORD", char, node.pos + idx, node.pos + idx + 1, [],
                                     piece.sub if piece else None, piece.sup if piece else None,
                                     piece.primes if piece else 0))
            else:
                out.append(node)
        return out

    def is_name_word(self, word: str) -> bool:
        return word in _BUILTINS or word in self.ctx.functions

    def read_items(self, nodes: list[_Node], start: int, end: int, what: str = "an expression") -> sp.Expr:
        cur = _Cursor(self.expand(nodes), end)
        if cur.peek() is None:
            raise self.fail(start, what, "nothing", "fill in the empty group")
        value = self.expr(cur)
        rest = cur.peek()
        if rest is not None:
            raise self.unexpected(rest)
        return value

    def read_node(self, node: _Node, what: str = "an expression") -> sp.Expr:
        """Read one argument: the content of a group, or a single token."""
        if node.kind == "group":
            return self.read_items(node.children, node.pos, node.end, what)
        return self.read_items([node], node.pos, node.end, what)

    def unexpected(self, node: _Node) -> ReadError:
        text = node.text
        if node.is_op("=") or (node.kind == "CMD" and text in _RELATIONS) or node.is_op("<", ">"):
            return self.fail(node.pos, "one side of an equation", self.found(node),
                             "split the chain into sides with split_chain() and read each side")
        if node.is_cmd("in"):
            return self.fail(node.pos, "an expression", "a set membership (not an expression)",
                             "read it with read_membership()")
        if node.is_op("&"):
            return self.fail(node.pos, "an expression", "a stray `&`",
                             "alignment marks belong to the display: use split_chain() first")
        if node.kind == "DBLBS":
            return self.fail(node.pos, "an expression", "a row break `\\\\`",
                             "split the display into sides with split_chain() first")
        if node.is_op(","):
            return self.fail(node.pos, "an operator or the end of the expression", "a `,`",
                             "a comma only separates the arguments of a function")
        if node.kind in {"BEGIN", "END"}:
            return self.fail(node.pos, "an expression", self.found(node),
                             "environments such as cases are not read; read each case separately")
        return self.fail(node.pos, "an operator or the end of the expression", self.found(node))

    # -- precedence ----------------------------------------------------------------------------
    def is_addop(self, node: _Node) -> bool:
        return node.is_op("+", "-") and not node.scripted

    def is_stop(self, node: _Node) -> bool:
        if node.kind == "OP":
            return node.text not in "+-*/"
        if node.kind == "CMD":
            return node.text in _RELATIONS or node.text == "\\in"
        return node.kind in {"DBLBS", "BEGIN", "END"}

    def expr(self, cur: _Cursor) -> sp.Expr:
        terms = [self.signed(cur, self.product)]
        while (node := cur.peek()) is not None and self.is_addop(node):
            terms.append(self.signed(cur, self.product))
        return sp.Add(*terms)

    def signed(self, cur: _Cursor, then: Callable[[_Cursor], sp.Expr]) -> sp.Expr:
        negative = False
        while (node := cur.peek()) is not None and self.is_addop(node):
            cur.next()
            negative ^= node.text == "-"
        if cur.peek() is None:
            raise self.fail(cur.end, "a term", "the end", "complete the expression")
        value = then(cur)
        return -value if negative else value

    def product(self, cur: _Cursor) -> sp.Expr:
        factors = [self.factor(cur)]
        while (node := cur.peek()) is not None and not self.is_addop(node) and not self.is_stop(node):
            if node.is_op("*") or (node.kind == "CMD" and node.text in _MULOPS):
                cur.next()
                if node.sup is not None and self.is_transpose(node.sup):
                    factors[-1] = TRANSPOSE(factors[-1])  # seed 002's `B_j \cdot^T x`
                elif node.scripted:
                    raise self.fail(node.pos, "a plain multiplication sign", self.found(node))
                if cur.peek() is None or self.is_stop(cur.peek()):  # type: ignore[arg-type]
                    raise self.fail(cur.here(), "a factor after the multiplication sign",
                                    self.found(cur.peek()))
                factors.append(self.signed(cur, self.factor))
            elif node.is_op("/") or node.is_cmd("div"):
                cur.next()
                if node.scripted:
                    raise self.fail(node.pos, "a plain division sign", self.found(node))
                if cur.peek() is None or self.is_stop(cur.peek()):  # type: ignore[arg-type]
                    raise self.fail(cur.here(), "a denominator after `/`", self.found(cur.peek()))
                factors.append(sp.Pow(self.signed(cur, self.factor), -1))
            else:
                factors.append(self.factor(cur))
        if sum(self.is_array_like(f) for f in factors) >= 2:
            return MATMUL(*factors)
        return sp.Mul(*factors)

    def is_array_like(self, expr: sp.Expr) -> bool:
        """Whether ``expr`` mentions a declared vector or matrix, or a transpose (its order matters)."""
        if expr.has(TRANSPOSE, MATMUL):
            return True
        arrays = self.ctx.vectors | self.ctx.matrices
        names = {str(ix.base.label) for ix in expr.atoms(sp.Indexed)} | {str(s) for s in expr.free_symbols}
        return bool(names & arrays)

    def factor(self, cur: _Cursor) -> sp.Expr:
        self.depth += 1
        try:
            if self.depth > 4 * MAX_DEPTH:
                raise self.fail(cur.here(), "a less deeply nested formula", "too many nested operators",
                                "break the formula into smaller steps")
            node = cur.next()
            if node is None:
                raise self.fail(cur.end, "a factor", "the end", "complete the expression")
            return self.factor_of(node, cur)
        finally:
            self.depth -= 1

    def factor_of(self, node: _Node, cur: _Cursor) -> sp.Expr:
        kind = node.kind
        if kind == "NUMBER":
            if node.sub is not None or node.primes:
                raise self.fail(node.pos, "a number without subscript or prime", self.found(node))
            return self.with_power(self.number(node), node)
        if kind == "WORD":
            return self.word(node, cur)
        if kind == "TEXT":
            content = _text_content(node.text).strip()
            if not _IDENTIFIER.match(content):
                raise self.fail(node.pos, "an expression", f"prose {self.found(node)}",
                                "annotations belong after `\\quad` or `&&` at the end of a side")
            return self.named(content, node, cur)
        if kind == "CMD":
            return self.command(node, cur)
        if kind in _GROUPS:
            inner = self.read_items(node.children, node.pos, node.end)
            return self.with_value_scripts(inner, node)
        if node.is_op("+", "-"):
            raise self.fail(node.pos, "a factor", self.found(node))
        raise self.unexpected(node) if self.is_stop(node) or kind in {"OP"} else \
            self.fail(node.pos, "a factor", self.found(node))

    # -- numbers and powers --------------------------------------------------------------------
    def number(self, node: _Node) -> sp.Expr:
        digits = node.text.replace(".", "")
        if len(digits) > MAX_DIGITS:
            raise self.fail(node.pos, f"a number of at most {MAX_DIGITS} digits", f"{len(digits)} digits",
                            "use a symbol for huge constants")
        self.spend_digits(len(digits), node.pos)
        if "." in node.text:
            whole, frac = node.text.split(".")
            return sp.Rational(int(whole + frac), 10 ** len(frac))
        return sp.Integer(int(node.text))

    def power(self, base: sp.Expr, exponent: sp.Expr, pos: int) -> sp.Expr:
        if exponent.is_Integer and abs(int(exponent)) > MAX_EXPONENT:
            raise self.fail(pos, f"an integer exponent of at most {MAX_EXPONENT}", str(exponent),
                            "huge powers cannot be checked; use a symbol")
        if base.is_Rational and exponent.is_Rational:
            assert isinstance(base, sp.Rational) and isinstance(exponent, sp.Rational)
            size = len(str(abs(base.p))) + len(str(base.q))
            if abs(exponent.p) > MAX_EXPONENT or size * abs(exponent.p) > MAX_POWER_DIGITS:
                raise self.fail(pos, f"a power of at most {MAX_POWER_DIGITS} digits",
                                f"{base}^{exponent}", "use a symbol for huge constants")
            self.spend_digits(size * abs(exponent.p), pos)
        return sp.Pow(base, exponent)

    def with_power(self, value: sp.Expr, node: _Node) -> sp.Expr:
        if node.sup is None:
            return value
        if self.is_transpose(node.sup):
            return TRANSPOSE(value)
        return self.power(value, self.read_sup(node.sup), node.sup.pos)

    def read_sup(self, sup: _Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, False
        try:
            return self.read_node(sup, "an exponent")
        finally:
            self.index_mode = saved

    def with_value_scripts(self, value: sp.Expr, node: _Node) -> sp.Expr:
        """Scripts on a group or a computed value: powers and transposes; never an index."""
        if node.sub is not None:
            raise self.fail(node.sub.pos, "no subscript on a bracketed expression", "a subscript",
                            "write the components, e.g. `y_j - t_j` instead of `(y - t)_j`")
        if node.primes:
            raise self.fail(node.pos, "no prime on a bracketed expression", "`'`",
                            "write the derivative with \\frac{d}{dx}")
        return self.with_power(value, node)

    # -- names ---------------------------------------------------------------------------------
    def is_transpose(self, sup: _Node) -> bool:
        node = sup
        if node.kind == "group" and len(node.children) == 1:
            node = node.children[0]
        if node.scripted:
            return False
        return (node.kind == "WORD" and node.text == "T") or node.is_cmd("top", "intercal", "mathsf") or (
            node.kind == "TEXT" and _text_content(node.text).strip() == "T")

    def sample_index(self, sup: _Node) -> sp.Expr | None:
        if sup.kind != "group" or len(sup.children) != 1:
            return None
        paren = sup.children[0]
        if paren.kind != "paren" or paren.scripted or len(paren.children) != 1:
            return None
        inner = paren.children[0]
        if inner.scripted or not (inner.kind == "NUMBER" or (inner.kind == "WORD" and len(inner.text) == 1)
                                  or (inner.kind == "CMD" and inner.text[1:] in _GREEK)):
            return None
        return self.read_index(inner)

    def plain(self, name: str) -> sp.Expr:
        bound = self.scope.get(name)
        if bound:
            return bound[-1]
        if self.index_mode or name in self.ctx.sizes or name in self.ctx.indices:
            return sp.Symbol(name, integer=True, positive=True)
        if name in self.ctx.vectors:
            return sp.IndexedBase(name, real=True)
        return sp.Symbol(name, real=True)

    def read_index(self, node: _Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, True
        try:
            return self.read_node(node, "an index")
        finally:
            self.index_mode = saved

    def subscript(self, sub: _Node, base: str) -> tuple[list[sp.Expr], str | None]:
        """The indices of a subscript, or a label that becomes part of the name."""
        node = sub
        if node.kind == "group" and len(node.children) == 1 and not node.children[0].scripted:
            only = node.children[0]
            if only.kind == "TEXT":
                node = only
            elif only.kind == "WORD" and len(only.text) > 1:
                word = only.text
                split = (base in self.ctx.matrices
                         or all(c in self.scope or c in self.ctx.indices for c in word)
                         or (word.islower() and len(word) <= 3 and word not in self.ctx.labels))
                if split:
                    return [self.read_index(_Node("WORD", c, only.pos + q, only.pos + q + 1))
                            for q, c in enumerate(word)], None
                return [], word
        if node.kind == "TEXT":
            content = _text_content(node.text).strip()
            if not _IDENTIFIER.match(content):
                raise self.fail(node.pos, "a name or an index", f"prose {self.found(node)}")
            return [], content
        if node.kind == "group":
            parts = self.split_commas(node.children, node.pos)
            if len(parts) > 1:
                saved, self.index_mode = self.index_mode, True
                try:
                    return [self.read_items(p, node.pos, node.end, "an index") for p in parts], None
                finally:
                    self.index_mode = saved
        return [self.read_index(node)], None

    def split_commas(self, nodes: list[_Node], pos: int) -> list[list[_Node]]:
        parts: list[list[_Node]] = [[]]
        for node in nodes:
            if node.is_op(",") and not node.scripted:
                parts.append([])
            else:
                parts[-1].append(node)
        for part in parts:
            if not part and len(parts) > 1:
                raise self.fail(pos, "an item between commas", "nothing", "remove the extra comma")
        return parts

    def make_name(self, name: str, node: _Node, *, extra_index: sp.Expr | None = None) -> sp.Expr:
        """A name with its scripts: a symbol, an indexed entry, a power, a transpose."""
        if node.primes:
            name += "'" * node.primes
        sup = node.sup
        if name == "e" and self.ctx.euler and node.sub is None and extra_index is None \
                and name not in self.scope:
            if sup is None:
                return sp.E
            if self.is_transpose(sup):
                return TRANSPOSE(sp.E)
            return sp.exp(self.read_sup(sup))
        indices: list[sp.Expr] = []
        sample = self.sample_index(sup) if sup is not None else None
        if sample is not None:
            sup = None
            if not self.ctx.drop_sample_index:
                indices.append(sample)
        if node.sub is not None:
            found, label = self.subscript(node.sub, name)
            if label is not None:
                name = f"{name}_{label}"
            indices.extend(found)
        if extra_index is not None:
            indices.append(extra_index)
        value: sp.Expr
        if name == "delta" and len(indices) == 2 and "delta" not in self.ctx.vectors:
            value = sp.KroneckerDelta(*indices)  # \delta_{ij}, as in the softmax Jacobian
        elif indices:
            value = sp.IndexedBase(name, real=True)[tuple(indices)]
        else:
            value = self.plain(name)
        if sup is None:
            return value
        if self.is_transpose(sup):
            return TRANSPOSE(value)
        return self.power(value, self.read_sup(sup), sup.pos)

    def word(self, node: _Node, cur: _Cursor) -> sp.Expr:
        return self.named(node.text, node, cur)

    def named(self, name: str, node: _Node, cur: _Cursor) -> sp.Expr:
        """A name written as letters or ``\\text{..}``: a builtin, a function applied, or a variable."""
        primes = name.count("'")
        stem = name.rstrip("'")
        if stem in _BUILTINS:
            return self.builtin(stem, node, cur)
        nxt = cur.peek()
        if stem in self.ctx.functions and nxt is not None and nxt.kind == "paren" and node.sub is None \
                and node.sup is None and stem not in self.scope:
            return self.apply(stem, node.primes + primes, cur)
        if not _letters_ok(stem) and not stem.replace("_", "").isalnum():
            raise self.fail(node.pos, "a name", self.found(node))
        return self.make_name(name, node)

    def command(self, node: _Node, cur: _Cursor) -> sp.Expr:
        name = node.text[1:]
        text = node.text
        if name in {"sum", "prod"} or (name in {"Sigma", "Pi"} and (node.sub or node.sup)):
            return self.bigop(node, cur, sp.Product if name in {"prod", "Pi"} else sp.Sum)
        if text in _FRACS:
            return self.frac(node, cur)
        if name == "nabla":
            return self.nabla(node, cur)
        if name == "partial":
            raise self.fail(node.pos, "an expression", "`\\partial` outside a derivative",
                            "write \\frac{\\partial f}{\\partial x}")
        if name in _BUILTINS:
            return self.builtin(name, node, cur)
        if name == "sigma":
            nxt = cur.peek()
            if nxt is not None and nxt.kind == "paren" and node.sub is None and node.sup is None:
                return self.apply(self.ctx.sigma, node.primes, cur)
            return self.make_name(name, node)
        if name in _GREEK:
            return self.make_name(name, node)
        if name in _DECORATIONS or name in _TRANSPARENT:
            arg = cur.next()
            if arg is None:
                raise self.fail(cur.end, f"an argument after {text}", "the end", f"write {text}{{x}}")
            if node.scripted:
                raise self.fail(node.pos, f"scripts after the argument of {text}", self.found(node))
            base = self.decorated_name(node, arg)
            if base is None:  # e.g. \mathbf{1}: the decoration is typographic only
                return self.with_value_scripts(self.read_node(arg.bare()), arg)
            return self.make_name(base, arg)
        if name == "boxed":
            arg = cur.next()
            if arg is None:
                raise self.fail(cur.end, "an argument after \\boxed", "the end")
            return self.with_value_scripts(self.read_node(arg.bare()), arg)
        if name == "sqrt":
            return self.sqrt(node, cur)
        if name == "infty":
            return self.with_value_scripts(sp.oo, node)
        if name == "pi":
            return self.with_value_scripts(sp.pi, node)
        if name == "mathbb":
            raise self.fail(node.pos, "an expression", "a set such as \\mathbb{R}",
                            "set memberships are read with read_membership()")
        if text in _MULOPS:
            raise self.fail(node.pos, "a factor before the multiplication sign", self.found(node))
        if name in {"ldots", "cdots", "dots", "vdots", "ddots"}:
            raise self.fail(node.pos, "an expression", "an ellipsis", "write the sum with \\sum")
        if text in _RELATIONS or name == "in":
            raise self.unexpected(node)
        raise self.fail(node.pos, "a known LaTeX command", self.found(node),
                        "the reader knows sums, fractions, derivatives, logs, exps, Greek letters "
                        "and decorations such as \\hat")

    def decorated_name(self, node: _Node, arg: _Node) -> str | None:
        """The name of ``\\hat{y}`` (``yhat``) and of transparent decorations, or None."""
        name = node.text[1:]
        inner = arg.bare()
        while inner.kind == "group" and len(inner.children) == 1 and not inner.children[0].scripted:
            inner = inner.children[0]
        base: str | None = None
        if inner.kind == "WORD" and len(inner.text) == 1:
            base = inner.text
        elif inner.kind == "CMD" and inner.text[1:] in _GREEK:
            base = inner.text[1:]
        elif inner.kind == "CMD" and (inner.text[1:] in _DECORATIONS or inner.text[1:] in _TRANSPARENT):
            base = None
        elif inner.kind == "group" and len(inner.children) == 2 and inner.children[0].kind == "CMD" \
                and not inner.children[0].scripted and not inner.children[1].scripted:
            base = self.decorated_name(inner.children[0], inner.children[1])
        if base is None:
            return None
        return base + _DECORATIONS[name] if name in _DECORATIONS else base

    # -- functions -----------------------------------------------------------------------------
    def call_args(self, paren: _Node) -> list[sp.Expr]:
        parts = self.split_commas(paren.children, paren.pos)
        args = [self.read_items(p, paren.pos, paren.end, "an argument") for p in parts]
        return [a.label if isinstance(a, sp.IndexedBase) else a for a in args]

    def builtin(self, name: str, node: _Node, cur: _Cursor) -> sp.Expr:
        fn = _BUILTINS[name]
        if node.primes:
            raise self.fail(node.pos, f"\\{name} without a prime", "`'`", "write the derivative explicitly")
        base: sp.Expr | None = None
        if node.sub is not None:
            if name != "log":
                raise self.fail(node.sub.pos, f"no subscript on \\{name}", "a subscript")
            base = self.read_sup(node.sub)
        nxt = cur.peek()
        if nxt is None or self.is_stop(nxt) or self.is_addop(nxt):
            raise self.fail(cur.here(), f"the argument of \\{name}", self.found(nxt), f"write \\{name}(x)")
        if nxt.kind in {"paren", "group", "brack"}:
            cur.next()
            args = self.call_args(nxt) if nxt.kind == "paren" else [self.read_node(nxt.bare())]
            arity_ok = len(args) >= 2 if name in {"max", "min"} else len(args) == 1
            if not arity_ok:
                raise self.fail(nxt.pos, f"the right number of arguments for \\{name}", f"{len(args)}")
            value = fn(*args) if base is None else sp.log(args[0], base)
            value = self.with_value_scripts(value, nxt)
        else:
            if name in {"max", "min"}:
                raise self.fail(nxt.pos, f"parentheses after \\{name}", self.found(nxt))
            arg = self.factor(cur)
            value = fn(arg) if base is None else sp.log(arg, base)
        if node.sup is not None:
            value = self.with_power(value, node.bare_with_sup())
        return value

    def apply(self, name: str, primes: int, cur: _Cursor) -> sp.Expr:
        """``name(args)`` as an undefined function; vector functions take components as an argument."""
        paren = cur.next()
        assert paren is not None and paren.kind == "paren"
        if not paren.children:
            raise self.fail(paren.pos, f"the arguments of {name}", "`()`")
        args = self.call_args(paren)
        vector = name in self.ctx.vector_functions
        if vector and len(args) == 1 and isinstance(args[0], sp.Indexed):
            args = [args[0].base.label, *args[0].indices]
        if paren.sub is not None:
            found, label = self.subscript(paren.sub, name)
            if label is not None:
                raise self.fail(paren.sub.pos, "an index", _show(label))
            args.extend(found)
        value: sp.Expr
        if primes and len(args) == 1 and not vector:
            f = sp.Function(name)
            (x,) = args
            if isinstance(x, (sp.Symbol, sp.Indexed)):
                value = sp.Derivative(f(x), (x, primes), evaluate=False)
            else:
                xi = sp.Symbol("xi", real=True)
                value = sp.Subs(sp.Derivative(f(xi), (xi, primes), evaluate=False), xi, x)
        else:
            value = sp.Function(name + "'" * primes)(*args)
        if paren.sup is not None:
            value = self.with_power(value, paren)
        return value

    def sqrt(self, node: _Node, cur: _Cursor) -> sp.Expr:
        nxt = cur.next()
        degree: sp.Expr | None = None
        if nxt is not None and nxt.kind == "brack" and not nxt.scripted:
            degree = self.read_items(nxt.children, nxt.pos, nxt.end, "the degree of the root")
            nxt = cur.next()
        if nxt is None:
            raise self.fail(cur.end, "the argument of \\sqrt", "the end", "write \\sqrt{x}")
        radicand = self.read_node(nxt.bare())
        value = sp.sqrt(radicand) if degree is None else self.power(radicand, 1 / degree, nxt.pos)
        return self.with_value_scripts(value, nxt)

    # -- fractions and derivatives ---------------------------------------------------------------
    def take_arg(self, cur: _Cursor, what: str, owner: _Node) -> _Node:
        arg = cur.next()
        if arg is None:
            raise self.fail(cur.end, f"{what} of {owner.text}", "the end",
                            f"write {owner.text}{{numerator}}{{denominator}}")
        if arg.kind == "NUMBER" and len(arg.text) > 1 and not arg.scripted:
            raise self.fail(arg.pos, f"{what} of {owner.text} in braces", _show(arg.text),
                            "write \\frac{1}{2} rather than \\frac12")
        return arg

    def diff_marker(self, node: _Node) -> str | None:
        if node.is_cmd("partial") and node.sub is None and not node.primes:
            return "partial"
        if node.sub is None and not node.primes and (
                (node.kind == "WORD" and node.text == "d")
                or (node.kind == "TEXT" and _text_content(node.text).strip() == "d")):
            return "d"
        return None

    def order(self, node: _Node) -> int:
        if node.sup is None:
            return 1
        value = self.read_sup(node.sup)
        if not (value.is_Integer and 1 <= int(value) <= 10):
            raise self.fail(node.sup.pos, "a derivative order from 1 to 10", _show(str(value)))
        return int(value)

    def frac(self, node: _Node, cur: _Cursor) -> sp.Expr:
        if node.scripted:
            raise self.fail(node.pos, f"{node.text} without scripts", self.found(node))
        num = self.take_arg(cur, "the numerator", node)
        den = self.take_arg(cur, "the denominator", node)
        num_items = self.expand(num.children if num.kind == "group" else [num.bare()])
        den_items = self.expand(den.children if den.kind == "group" else [den.bare()])
        mark = self.diff_marker(num_items[0]) if num_items else None
        is_derivative = (mark is not None and len(den_items) >= 2 and self.diff_marker(den_items[0]) == mark)
        if not is_derivative:
            ratio = self.read_node(num.bare(), "a numerator") / self.read_node(den.bare(), "a denominator")
            return self.with_value_scripts(ratio, den)
        wrts = self.diff_variables(den_items, mark or "", den.end)
        total = sum(n for _, n in wrts)
        top = self.order(num_items[0])
        if num_items[0].sup is not None and top != total:
            raise self.fail(num_items[0].pos, f"the order {total} the denominator gives", f"order {top}")
        if len(num_items) > 1:
            body = self.read_items(num_items[1:], num_items[1].pos, num.end, "the function to differentiate")
            result = sp.Derivative(body, *wrts, evaluate=False)
            return self.with_value_scripts(result, den)
        if den.scripted:
            raise self.fail(den.pos, "no scripts on a derivative operator", self.found(den))
        body = self.operand(cur, node)
        return sp.Derivative(body, *wrts, evaluate=False)

    def operand(self, cur: _Cursor, owner: _Node) -> sp.Expr:
        """What an operator (a sum, a derivative) applies to: the product that follows."""
        nxt = cur.peek()
        if nxt is None or self.is_addop(nxt) or self.is_stop(nxt):
            raise self.fail(cur.here(), f"an expression after {_show(self.text[owner.pos:owner.end])}",
                            self.found(nxt), "write what the operator applies to")
        return self.product(cur)

    def variable(self, value: sp.Expr, pos: int) -> sp.Expr:
        if isinstance(value, sp.IndexedBase):
            return value[self.ctx.component_index]
        if isinstance(value, (sp.Symbol, sp.Indexed)) and not value.is_integer:
            return value
        if isinstance(value, sp.Symbol):  # an index or size: still a variable of the formula
            return value
        raise self.fail(pos, "a variable to differentiate by (a name or an entry like z_j)",
                        _show(str(value)), "write the variable, e.g. \\partial z_j")

    def diff_variables(self, items: list[_Node], mark: str, end: int) -> list[tuple[sp.Expr, int]]:
        cur = _Cursor(items, end)
        wrts: list[tuple[sp.Expr, int]] = []
        while (node := cur.next()) is not None:
            if self.diff_marker(node) != mark:
                marker = "\\partial" if mark == "partial" else "d"
                raise self.fail(node.pos, f"`{marker}` before each variable", self.found(node))
            if node.sup is not None:
                raise self.fail(node.sup.pos, "the order on the variable (\\partial x^2)",
                                "a power of the marker")
            start = cur.here()
            if cur.peek() is None:
                raise self.fail(cur.end, "a variable after the differential", "the end")
            value = self.factor(cur)
            order = 1
            if isinstance(value, sp.Pow) and value.exp.is_Integer and 1 <= int(value.exp) <= 10:
                order = int(value.exp)
                value = value.base
            wrts.append((self.variable(value, start), order))
        return wrts

    def nabla(self, node: _Node, cur: _Cursor) -> sp.Expr:
        if node.sub is None or node.sup is not None or node.primes:
            raise self.fail(node.pos, "\\nabla with a subscript, e.g. \\nabla_{z} f", self.found(node),
                            "write the variable as a subscript")
        sub = node.sub
        items = self.expand(sub.children if sub.kind == "group" else [sub])
        sub_cur = _Cursor(items, sub.end)
        if sub_cur.peek() is None:
            raise self.fail(sub.pos, "a variable in the subscript of \\nabla", "nothing")
        last = items[-1]
        value = self.factor(sub_cur)
        if sub_cur.peek() is not None:
            raise self.fail(sub_cur.here(), "one variable in the subscript of \\nabla",
                            self.found(sub_cur.peek()))
        whole = last.sub is None and not isinstance(value, sp.IndexedBase)
        if whole and isinstance(value, sp.Symbol) and value.name not in self.scope:
            value = sp.IndexedBase(value.name, real=True)[self.ctx.component_index]
        elif whole and isinstance(value, sp.Indexed):  # z^{(i)} with its sample index kept
            value = value.base[(*value.indices, self.ctx.component_index)]
        wrt = self.variable(value, sub.pos)
        body = self.operand(cur, node)
        return sp.Derivative(body, wrt, evaluate=False)

    # -- sums --------------------------------------------------------------------------------
    def bigop(self, node: _Node, cur: _Cursor, kind: type[sp.Sum] | type[sp.Product]) -> sp.Expr:
        if node.primes:
            raise self.fail(node.pos, "a sum without a prime", self.found(node))
        sub, sup = node.sub, node.sup
        if sub is None:
            raise self.fail(node.pos, f"the summation index as a subscript of {node.text}", self.found(node),
                            f"write {node.text}_{{n=1}}^{{k}}")
        only = sub.children[0] if sub.kind == "group" and len(sub.children) == 1 else sub
        if sup is None and kind is sp.Sum and only.kind == "WORD" and len(only.text) == 1 \
                and only.text.isupper() and not only.scripted:
            return sp.Symbol(f"Sigma_{only.text}", real=True)  # seed 002's named sum \sum_C
        rows = self.limit_rows(sub)
        bound: list[tuple[sp.Symbol, sp.Expr]] = []
        exclusions: list[tuple[sp.Symbol, sp.Expr]] = []
        for items, pos, end in rows:
            self.limit_row(items, pos, end, bound, exclusions)
        if not bound:
            raise self.fail(sub.pos, "a summation index", "none", "write \\sum_{n=1}^{k}")
        hi = self.read_limit(sup) if sup is not None else self.ctx.default_size
        for var, _ in bound:
            self.scope.setdefault(var.name, []).append(var)
        try:
            body = self.operand(cur, node)
        finally:
            for var, _ in bound:
                self.scope[var.name].pop()
        for var, other in exclusions:
            body = body * (1 - sp.KroneckerDelta(var, other))
        limits = [(var, lo, hi) for var, lo in bound]
        return kind(body, *reversed(limits))

    def limit_rows(self, sub: _Node) -> list[tuple[list[_Node], int, int]]:
        children = sub.children if sub.kind == "group" else [sub]
        if len(children) == 2 and children[0].is_cmd("substack") and children[1].kind == "group":
            rows: list[tuple[list[_Node], int, int]] = [([], children[1].pos, children[1].end)]
            for item in children[1].children:
                if item.kind == "DBLBS":
                    rows.append(([], item.end, children[1].end))
                else:
                    rows[-1][0].append(item)
            return rows
        return [(children, sub.pos, sub.end)]

    def read_limit(self, node: _Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, True  # letters in limits are sizes or indices
        try:
            return self.read_node(node, "a limit")
        finally:
            self.index_mode = saved

    def limit_row(self, items: list[_Node], pos: int, end: int, bound: list[tuple[sp.Symbol, sp.Expr]],
                  exclusions: list[tuple[sp.Symbol, sp.Expr]]) -> None:
        if not items:
            raise self.fail(pos, "a summation index", "nothing")
        relation = next((q for q, n in enumerate(items) if n.is_op("=") or n.is_cmd("neq", "ne")), None)
        names = items if relation is None else items[:relation]
        variables = []
        for part in self.split_commas(names, pos):
            if len(part) != 1 or part[0].scripted or not (
                    (part[0].kind == "WORD" and len(part[0].text) == 1)
                    or (part[0].kind == "CMD" and part[0].text[1:] in _GREEK)):
                at = part[0].pos if part else pos
                raise self.fail(at, "a summation index (one letter)", self.found(part[0] if part else None),
                                "write \\sum_{n=1}^{k}")
            name = part[0].text.lstrip("\\")
            variables.append(sp.Symbol(name, integer=True))
        if relation is None:
            bound.extend((v, sp.Integer(1)) for v in variables)
            return
        rest = items[relation + 1:]
        if not rest:
            raise self.fail(items[relation].end, "a value after the relation", "nothing")
        saved, self.index_mode = self.index_mode, True
        try:
            value = self.read_items(rest, rest[0].pos, end, "a limit")
        finally:
            self.index_mode = saved
        if len(variables) != 1:
            raise self.fail(pos, "one summation index before the relation", f"{len(variables)}")
        (var,) = variables
        if items[relation].is_op("="):
            if any(b.name == var.name for b, _ in bound):
                raise self.fail(pos, "each summation index once", _show(var.name))
            bound.append((var, value))
        else:
            if not any(b.name == var.name for b, _ in bound):
                bound.append((var, sp.Integer(1)))
            exclusions.append((var, value))


# -- public entry points ---------------------------------------------------------------------

_T = TypeVar("_T")


def _guarded(fn: Callable[[str], _T], text: str) -> _T:
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


def _strip_side(text: str) -> str:
    """Blank out delimiters, numbering and trailing annotations and punctuation, keeping columns."""
    chars = _prepare(text)
    toks = list(_scan("".join(chars)))
    cut = _annotation_start([t for t in toks if t.kind != "dblbs"], 0)
    if cut is not None:
        _blank(chars, cut, len(chars))
    body = "".join(chars)
    m = _TRAILING.search(body)
    if m:
        body = body[:m.start()] + " " * (len(body) - m.start())
    return body


def _prepared_items(text: str, context: ReaderContext) -> tuple[str, list[_Node]]:
    if len(text) > MAX_LENGTH:
        raise ReadError(f"expected at most {MAX_LENGTH} characters, found {len(text)}; "
                        "read the formula side by side")
    body = _strip_side(text)
    if not body.strip():
        raise _fail(text, 0, "an expression", "nothing" if not text.strip() else "only annotations",
                    "pass one side of an equation")
    _check_lost_backslashes(body, context.functions)
    _check_balance(body)
    return body, _tex_items(body)


def _read(text: str, context: ReaderContext) -> sp.Expr:
    body, items = _prepared_items(text, context)
    reader = _Reader(text, context)
    for node in items:
        if node.is_cmd("in"):
            line, column = _where(text, node.pos)
            raise ReadError(f"not an expression: a set membership (`\\in` at column {column}); "
                            "read it with read_membership()", column=column, line=line, offset=node.pos)
    return reader.read_items(items, 0, len(body.rstrip()))


def read_latex(text: str, *, context: ReaderContext | None = None) -> sp.Expr:
    r"""Read one side of an equation, written in LaTeX, into a SymPy expression.

    Raises:
        ReadError: the text is not a readable expression (the message says where and why).

    Examples:
        >>> read_latex(r"\sum_{n=1}^{k} e^{z_n}")
        Sum(exp(z[n]), (n, 1, k))
        >>> read_latex(r"\frac{\partial L}{\partial z_j}")
        Derivative(L, z[j])
    """
    ctx = context if context is not None else ReaderContext()
    return _guarded(lambda t: _read(t, ctx), text)


def _membership(text: str, context: ReaderContext) -> Membership:
    body, items = _prepared_items(text, context)
    reader = _Reader(text, context)
    split = next((q for q, n in enumerate(items) if n.is_cmd("in")), None)
    if split is None:
        raise _fail(text, 0, "a membership `x \\in \\mathbb{R}^{n}`", "no `\\in`")
    if split == 0:
        raise _fail(text, items[0].pos, "a name before \\in", "nothing")
    left = items[:split]
    rest = items[split + 1:]
    target = reader.read_items(left, left[0].pos, items[split].pos, "a name")
    if isinstance(target, sp.Indexed):
        name = str(target.base.label)
    elif isinstance(target, (sp.Symbol, sp.IndexedBase)):
        name = str(target.name) if isinstance(target, sp.Symbol) else str(target.label)
    else:
        raise _fail(text, left[0].pos, "a name before \\in", _show(str(target)))
    if len(rest) != 2 or not rest[0].is_cmd("mathbb") or rest[0].scripted or rest[1].kind != "group" \
            or len(rest[1].children) != 1 or rest[1].children[0].text != "R":
        at = rest[0].pos if rest else len(body)
        raise _fail(text, at, "a real space \\mathbb{R}^{...}", "something else",
                    "only memberships in \\mathbb{R}^{n} are read")
    space = rest[1]
    if space.sup is None:
        return Membership(name, target, ())
    dims = space.sup.children if space.sup.kind == "group" else [space.sup]
    parts: list[list[_Node]] = [[]]
    for node in dims:
        if (node.kind == "CMD" and node.text == "\\times") or (node.kind == "WORD" and node.text == "x"
                                                               and parts[-1]):
            parts.append([])
        else:
            parts[-1].append(node)
    shape = []
    for part in parts:
        if not part:
            raise _fail(text, space.sup.pos, "a dimension on each side of \\times", "nothing")
        reader.index_mode = True
        shape.append(reader.read_items(part, part[0].pos, part[-1].end, "a dimension"))
    return Membership(name, target, tuple(shape))


def read_membership(text: str, *, context: ReaderContext | None = None) -> Membership:
    r"""Read ``A \in \mathbb{R}^{d \times p}`` into the name, its object and its shape.

    Examples:
        >>> read_membership(r"A \in \mathbb{R}^{d \times p}").shape
        (d, p)
    """
    ctx = context if context is not None else ReaderContext()
    return _guarded(lambda t: _membership(t, ctx), text)
