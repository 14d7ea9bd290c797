r"""The LaTeX reader: one side of a written derivation step, as a SymPy expression.

This module owns reading the notation of gradient derivations in blog posts and
notes, safely. Nothing here calls ``eval``, ``sympify``, ``parse_expr`` or SymPy's
LaTeX parsers (they run code, hang on ``9**9**9``, flatten ``z_n`` into one symbol
and drop what they cannot read; see docs/sympy-notes.md). Reading happens in two stages:

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
  ``Symbol(name, integer=True, positive=True)``; a letter that any side of the step
  (``along``) uses as a sum's upper limit is such a size on every side. Greek letters go by their names
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
  ``y_{true}``) it is part of the name: ``Symbol('L_CE')``. Items separated by
  spaces or commands are one index each: ``W_{i j}``, ``W_{a\ell}``,
  ``\delta_{n\ell}`` (never the product ``i*j``); a number next to a letter
  (``x_{2i}``) is a ReadError. ``{W}_{i,j}`` (SymPy's printing) is ``W[i, j]``.
- Sample indices. A superscript in parentheses, ``z^{(i)}``, ``W^{(l+1)}``, is an
  index that comes first: ``z^{(1)}_j`` -> ``z[1, j]``, never dropped by default.
  With ``context.drop_sample_index`` it is dropped only when the whole step (this
  side and ``along``) writes one sample index, a free letter: ``z^{(i)}_j`` ->
  ``z[j]``, while ``z^{(1)}_j`` beside ``z^{(2)}_j``, or beside a sum over i, keeps it.
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
  product of factors that follows it (with its sign: ``\sum_n -x z_n``), up to
  the next + or - at its level or the
  end of its group. ``\sum_C`` with one uppercase letter and no limits is a name
  for a quantity, ``Symbol('Sigma_C', real=True)`` (seed 002 writes
  ``\sum_C = \sum_{c=1}^C e^{s_{nc}}``). ``\prod`` likewise gives ``Product``.
- Derivatives. ``\frac{\partial f}{\partial z_j}``, ``\frac{d f}{d z_j}``,
  ``\frac{\partial}{\partial z_j} f``, ``\nabla_{z_j} f`` ->
  ``Derivative(f, z[j], evaluate=False)``; operator forms take the product that
  follows, like a sum; a bracketed operator takes only its bracket:
  ``\left(\frac{\partial}{\partial z_i} e^{z_i}\right) \sum_n e^{z_n}``.
  ``\nabla_z f`` (a whole vector) differentiates by
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
  or several-argument function is the undefined function ``softmax'``. Any other
  name followed by ``(`` is an undefined function when it is a word
  (``\operatorname{gelu}(a+b)``) or one of f, g, h, φ, Φ, ψ; it multiplies when it
  is a value (bound, declared in ``context.vectors``/``matrices``/``sizes``/
  ``indices``/``scalars``, or a letter the step also uses as a value:
  ``x(w + x)``); any other letter before ``(`` is a ReadError naming both readings
  and the declaration that picks one. ``\tanh``, ``\exp``, ``\log``, ``\sqrt`` of
  a whole vector (an ``IndexedBase``) are elementwise; ReLU is ``Max(0, x)``.
- Markers (opaque functions the semantics gives meaning): ``a \odot b`` and
  ``a \circ b`` -> ``HADAMARD(a, b)`` (binding its two neighbours; next to a
  juxtaposition without parentheses it is a ReadError), ``\operatorname{diag}(v)``
  -> ``DIAG(v)``, ``\operatorname{tr}(M)`` -> ``TRACE(M)``, ``\|v\|``,
  ``\|v\|_2``, ``\|M\|_F`` -> ``NORM(v)`` (other norms: ReadError),
  ``\mathbf{1}``/``\mathbb{1}`` -> ``ONES()``, ``\left[M\right]_{ab}`` and
  ``(y - t)_j`` -> ``ENTRY(M, a, b)``; ``|x|`` is ``Abs(x)``.
- Undefined values are never read: ``\frac{1}{0}``, ``0^{-1}``, ``\log 0``,
  ``\infty`` raise ReadError, and so does ``\mathbb{E}`` unless
  ``context.expectations``: then ``\mathbb{E}_{x}[X]`` is ``EXPECT(X, x)``.
- Not expressions. ``=`` and other relations raise ReadError (use
  :func:`split_chain`); ``A \in \mathbb{R}^{d \times p}`` raises ReadError("not an
  expression: a set membership"); :func:`read_membership` reads it into a
  :class:`Membership` (name and shape). Annotations after the last side
  (``\quad \text{...}``, ``\quad (\text{chain rule})``, ``\quad (\text{where }
  s = Bh)``, anything after ``&&``), ``\label``, ``\tag``, ``\nonumber`` and trailing
  punctuation are set aside; any other math after an annotation (``\quad (x + 5)``,
  ``\text{for all } x + 5``) is a ReadError, never dropped. A condition after the
  last side (``\quad (i = j)``, ``\quad \text{for } j \neq \ell``) is a ReadError
  too, except for :func:`split_chains_conditions`, which hands it to the caller.
- Damaged text. Backslash escapes eaten on the way to the page (``\frac`` ->
  ``rac``, ``\theta`` -> ``heta``, ``\begin`` -> ``egin``, ``\neq`` -> a line
  break and ``eq``) raise ReadError with the column and the command that was meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import sympy as sp

from derive.audit.reader.chains import (
    TRAILING,
    annotation_condition,
    annotation_start,
    blank_out,
    check_annotation,
    condition_error,
    prepare_display,
    split_chain,
    split_chain_spans,
    split_chains,
    split_chains_conditions,
    split_chains_spans,
)
from derive.audit.reader.names import Reader
from derive.audit.reader.prepass import StepFacts, step_facts
from derive.audit.reader.tex import (
    Node,
    ReadError,
    check_balance,
    check_lost_backslashes,
    fail_at,
    guarded,
    scan_tokens,
    show,
    tex_items,
    typographic,
    where,
)
from derive.audit.reader.vocabulary import (
    DECORATIONS,
    DIAG,
    ENTRY,
    EXPECT,
    HADAMARD,
    MATMUL,
    MAX_LENGTH,
    NORM,
    ONES,
    TRACE,
    TRANSPARENT,
    TRANSPOSE,
    Membership,
    ReaderContext,
)

__all__ = [
    "DIAG",
    "ENTRY",
    "EXPECT",
    "HADAMARD",
    "MATMUL",
    "NORM",
    "ONES",
    "TRACE",
    "TRANSPOSE",
    "Membership",
    "ReadError",
    "ReaderContext",
    "read_latex",
    "read_membership",
    "split_chain",
    "split_chain_spans",
    "split_chains",
    "split_chains_conditions",
    "split_chains_spans",
    "written_name",
]

# -- public entry points ---------------------------------------------------------------------

def _strip_side(text: str) -> str:
    """Blank out delimiters, numbering and trailing annotations and punctuation, keeping columns; the
    typography is read as TeX means it (a side's text stays as the author wrote it)."""
    chars = list(typographic("".join(prepare_display(text))))
    toks = list(scan_tokens("".join(chars)))
    row = [t for t in toks if t.kind != "dblbs"]
    cut = annotation_start(row, 0)
    if cut is not None:
        condition = annotation_condition(text, row, cut)
        if condition is not None:
            raise condition_error(text, condition)
        check_annotation(text, row, cut)
        blank_out(chars, cut, len(chars))
    body = "".join(chars)
    m = TRAILING.search(body)
    if m:
        body = body[:m.start()] + " " * (len(body) - m.start())
    return body


def _prepared_items(text: str, context: ReaderContext) -> tuple[str, list[Node]]:
    if len(text) > MAX_LENGTH:
        raise ReadError(f"expected at most {MAX_LENGTH} characters, found {len(text)}; "
                        "read the formula side by side")
    body = _strip_side(text)
    if not body.strip():
        raise fail_at(text, 0, "an expression", "nothing" if not text.strip() else "only annotations",
                    "pass one side of an equation")
    check_lost_backslashes(body, context.functions)
    check_balance(body)
    return body, tex_items(body)


def _facts(text: str, items: list[Node], along: Sequence[str], context: ReaderContext) -> StepFacts:
    """The facts of the whole step: this side and the others (sides that cannot be read add none)."""
    facts = step_facts(items, text)
    for side in along:
        if side != text:
            facts |= _side_facts(side, context)
    return facts


@lru_cache(maxsize=512)
def _side_facts(side: str, context: ReaderContext) -> StepFacts:
    # Each side of a chain is scanned once for the others, not once per other side.
    try:
        return step_facts(_prepared_items(side, context)[1], side)
    except ReadError:
        return StepFacts()


def _read(text: str, context: ReaderContext, along: Sequence[str] = ()) -> sp.Expr:
    body, items = _prepared_items(text, context)
    facts = _facts(text, items, along, context)
    if facts.sizes - context.sizes:
        context = replace(context, sizes=context.sizes | facts.sizes)
    reader = Reader(text, context)
    reader.droppable_sample = facts.one_sample if context.drop_sample_index else None
    reader.step_values = facts.values
    for node in items:
        if node.is_cmd("in"):
            line, column = where(text, node.pos)
            raise ReadError(f"not an expression: a set membership (`\\in` at column {column}); "
                            "read it with read_membership()", column=column, line=line, offset=node.pos)
    value = reader.read_items(items, 0, len(body.rstrip()))
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ReadError(f"expected a defined value, found {value} (infinite or undefined); a step with an "
                        "undefined value is never read: check for a log of 0 or a division by 0")
    return value


def read_latex(text: str, *, context: ReaderContext | None = None, along: Sequence[str] = ()) -> sp.Expr:
    r"""Read one side of an equation, written in LaTeX, into a SymPy expression.

    Args:
        text: one side.
        context: what the post declares (default: :class:`ReaderContext`).
        along: the other sides of the same step; a letter any side uses as a sum's upper
            limit is a size (a positive integer) on every side.

    Raises:
        ReadError: the text is not a readable expression (the message says where and why).

    Examples:
        >>> read_latex(r"\sum_{n=1}^{k} e^{z_n}")
        Sum(exp(z[n]), (n, 1, k))
        >>> read_latex(r"\frac{\partial L}{\partial z_j}")
        Derivative(L, z[j])
        >>> read_latex("m", along=[r"\sum_{i=1}^{m} 1"]).is_integer
        True
    """
    ctx = context if context is not None else ReaderContext()
    return guarded(lambda t: _read(t, ctx, along), text)


def _written_name(text: str, context: ReaderContext) -> str | None:
    _, items = _prepared_items(text, context)
    items = [n for n in items if not n.is_op(",", ".", ";")]
    decoration = items[0].text[1:] if items and items[0].kind == "CMD" else ""
    if len(items) == 2 and (decoration in DECORATIONS or decoration in TRANSPARENT) \
            and not items[0].scripted and items[1].kind == "group":
        pass  # \hat{y}_j: a decorated name
    elif len(items) != 1 or items[0].kind not in {"WORD", "CMD", "TEXT"}:
        return None
    last = items[-1]
    if last.sup is not None and not (last.sup.kind == "group" and len(last.sup.children) == 1
                                     and last.sup.children[0].kind == "paren"):
        return None  # x^2 is not a name; z^{(i)} is
    value = _read(text, context)
    if isinstance(value, sp.Indexed):
        return str(value.base.label)
    if isinstance(value, sp.IndexedBase):
        return str(value.label)
    if isinstance(value, sp.Symbol):
        return value.name
    return None


def written_name(text: str, *, context: ReaderContext | None = None) -> str | None:
    r"""The name a side is, as written (``L``, ``s_{nj}``, ``\hat{y}_j``, ``z^{(i)}``), or None.

    Decided on the text, before any simplification: ``x + 0`` is not a name, although SymPy
    reads it as ``x``. A display is a definition only when its left side is a name.

    Raises:
        ReadError: the side is not readable.

    Examples:
        >>> written_name(r"s_{nj}"), written_name(r"\hat{y}"), written_name("x + 0"), written_name("x^2")
        ('s', 'yhat', None, None)
    """
    ctx = context if context is not None else ReaderContext()
    return guarded(lambda t: _written_name(t, ctx), text)


def _membership(text: str, context: ReaderContext) -> Membership:
    body, items = _prepared_items(text, context)
    reader = Reader(text, context)
    reader.droppable_sample = step_facts(items, text).one_sample if context.drop_sample_index else None
    split = next((q for q, n in enumerate(items) if n.is_cmd("in")), None)
    if split is None:
        raise fail_at(text, 0, "a membership `x \\in \\mathbb{R}^{n}`", "no `\\in`")
    if split == 0:
        raise fail_at(text, items[0].pos, "a name before \\in", "nothing")
    left = items[:split]
    rest = items[split + 1:]
    target = reader.read_items(left, left[0].pos, items[split].pos, "a name")
    if isinstance(target, sp.Indexed):
        name = str(target.base.label)
    elif isinstance(target, (sp.Symbol, sp.IndexedBase)):
        name = str(target.name) if isinstance(target, sp.Symbol) else str(target.label)
    else:
        raise fail_at(text, left[0].pos, "a name before \\in", show(str(target)))
    binary = _binary_space(rest)
    if binary is not None:
        return _shaped(reader, text, name, target, binary, values=(0, 1))
    if len(rest) != 2 or not rest[0].is_cmd("mathbb") or rest[0].scripted or rest[1].kind != "group" \
            or len(rest[1].children) != 1 or rest[1].children[0].text != "R":
        at = rest[0].pos if rest else len(body)
        raise fail_at(text, at, "a real space \\mathbb{R}^{...}", "something else",
                    "only memberships in \\mathbb{R}^{n} are read")
    return _shaped(reader, text, name, target, rest[1])


def _binary_space(rest: list[Node]) -> Node | None:
    """``\\{0, 1\\}^K`` (one-hot and binary vectors) or ``\\{0, 1\\}``: the set node, else None."""
    if len(rest) != 1 or rest[0].kind != "setbrace" or rest[0].sub is not None:
        return None
    members = [n.text for n in rest[0].children]
    return rest[0] if members == ["0", ",", "1"] else None


def _shaped(reader: Reader, text: str, name: str, target: sp.Expr, space: Node,
            values: tuple[int, ...] | None = None) -> Membership:
    """The membership of ``name`` in ``space`` with the shape its superscript gives."""
    if space.sup is None:
        return Membership(name, target, (), values)
    dims = space.sup.children if space.sup.kind == "group" else [space.sup]
    parts: list[list[Node]] = [[]]
    for node in dims:
        if (node.kind == "CMD" and node.text == "\\times") or (node.kind == "WORD" and node.text == "x"
                                                               and parts[-1]):
            parts.append([])
        else:
            parts[-1].append(node)
    shape = []
    for part in parts:
        if not part:
            raise fail_at(text, space.sup.pos, "a dimension on each side of \\times", "nothing")
        reader.index_mode = True
        shape.append(reader.read_items(part, part[0].pos, part[-1].end, "a dimension"))
    return Membership(name, target, tuple(shape), values)


def read_membership(text: str, *, context: ReaderContext | None = None) -> Membership:
    r"""Read ``A \in \mathbb{R}^{d \times p}`` (or ``y \in \{0, 1\}^K``) into the name, its object and its shape.

    A binary space ``\{0, 1\}^K`` gives the shape and the values ``(0, 1)`` of the entries.

    Examples:
        >>> read_membership(r"A \in \mathbb{R}^{d \times p}").shape
        (d, p)
    """
    ctx = context if context is not None else ReaderContext()
    return guarded(lambda t: _membership(t, ctx), text)
