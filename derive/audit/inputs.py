r"""The inputs of a post's definitions: the names a definition uses that the post never defines.

Layer norm as posts write it, ``y_i = \gamma_i \hat{x}_i + \beta_i`` and
``\hat{x}_i = (x_i - \mu)/\sqrt{\sigma^2 + \varepsilon}``, with γ, β and ε declared nowhere: they are the
computation's inputs (its parameters), as a reader of the graph takes them. The convention gives each
one an entry when the definition is read:

- a name written with one index, ``\gamma_i``, where another array of the definition is indexed by the same
  index, is a vector of that array's length along it (γ_j of ``y_{i,j} = \gamma_j \hat{x}_{i,j} + \beta_j``,
  x an N×D matrix, has length D);
- a bare letter in the scalar arithmetic of an entry's definition (ε in x̂_i's) is a scalar.

An input is independent of the post's other names: ∂y_i/∂β_i holds γ fixed. The entry is a
convention's, so it gives a shape, never a value: a step it decides may be valid, never wrong (a
refutation at an arbitrary ε is no point of a post that means a small positive ε). A name the post
defines anywhere, declares, or writes in a product of arrays (its shape would change what the product
is) gets no entry from this.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp

from derive.audit.declarations import PostState, declare
from derive.audit.definitions import define
from derive.audit.reader.vocabulary import BUILTINS, MARKERS
from derive.audit.scan import Declaration, Display, Inline
from derive.audit.steps import known
from derive.audit.symbols import INPUT_CONVENTION, Entry, uses, written

__all__ = ["bare_arrays", "defined_anywhere", "read_inputs", "written_indexed"]


#: A left side's name as written: a letter or command, and a layer's label (``a^{(L)}``) if it has one.
_LEFT_NAME = re.compile(r"\s*&?\s*(?P<name>\\[A-Za-z]+|[A-Za-z])\s*(?:\^\s*\{\s*\((?P<label>[^(){}]*)\)\s*\}\s*)?"
                        r"(?:[_^&]|$)")


def defined_anywhere(items: Sequence[object]) -> frozenset[str]:
    r"""The left sides of the post's equations, as written and stripped of subscripts (``\gamma`` of
    ``\gamma_j = ...``): the names the post may define, before or after a definition that uses them."""
    out = set()
    for item in items:
        if isinstance(item, Display | Inline):
            for part in item.body.split("\\\\"):
                left = part.partition("=")[0]
                m = _LEFT_NAME.match(left)
                if m is not None and "=" in part:
                    label = m.group("label")
                    out.add(m.group("name") + (f"^{{({label.replace(' ', '')})}}" if label else ""))
    return frozenset(out)


#: Names a post never defines as its functions: the reader's commands and the functions it knows (tr(A) = Σ A_ii
#: is a claim about tr).
NOT_DEFINABLE = frozenset({"frac", "left", "sqrt", "sum", "prod"}) | frozenset(BUILTINS) | frozenset(MARKERS)


#: A function's definition as a display or an inline formula opens: ``J(\theta) =``, ``\ell(z) =``, ``h_\theta(x) =``.
_FUNCTION_LEFT = re.compile(r"\s*&?\s*(?P<name>\\[A-Za-z]+|[A-Za-z])"
                            r"\s*(?:_\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])\s*)?"
                            r"(?:\\left)?\(\s*(?:\\[A-Za-z]+|[A-Za-z])(?:\s*,\s*(?:\\[A-Za-z]+|[A-Za-z]))*\s*(?:\\right)?\)"
                            r"\s*&?\s*=")


def functions_defined_anywhere(items: Sequence[object]) -> frozenset[str]:
    r"""The names the post defines as functions of named parameters somewhere (``J(\theta) = ...``), as the
    reader spells them (``J``, ``ell``): ``J(\theta)`` before that definition applies J, never the product
    J·θ that the reader would otherwise refuse to guess."""
    out = set()
    for item in items:
        if isinstance(item, Display | Inline):
            for part in item.body.split("\\\\"):
                m = _FUNCTION_LEFT.match(part)
                if m is not None:
                    out.add(m.group("name").lstrip("\\"))
    return frozenset(out - NOT_DEFINABLE)


#: A name written with an index letter as its subscript: ``\gamma_j``, ``\beta_{j}``, ``w_{kj}``.
_INDEXED_NAME = re.compile(r"(?<![A-Za-z\\])(?P<name>\\[A-Za-z]+|[A-Za-z])\s*_\s*"
                           r"(?:\{\s*[a-z][a-z,\s]*\}|[a-z](?![A-Za-z]))")


#: The declarations that give a name its shape.
_SHAPED = frozenset({"vector", "matrix", "scalar", "logits", "labels"})


def written_indexed(items: Sequence[object]) -> frozenset[str]:
    r"""The names the post's math writes with an index letter as subscript, as written (``\gamma`` of
    ``\gamma_j``): arrays, wherever the post also writes them bare. A name the post declares, anywhere in it,
    is left out: its declaration gives it its shape (matrix V c d before or after s = V h)."""
    declared = {words[1] for item in items if isinstance(item, Declaration)
                if len(words := item.text.split()) > 1 and words[0].lower() in _SHAPED}
    return frozenset(m.group("name") for item in items if isinstance(item, Display | Inline)
                     for m in _INDEXED_NAME.finditer(item.body)) - declared


def bare_arrays(post: PostState, rhs: sp.Basic, defined: frozenset[str]) -> str | None:
    r"""Why the definition with right side ``rhs`` is left for a later one, or None: it writes bare a name the
    post writes with an index elsewhere and gives no meaning (``y = \hat{x} * \gamma + \beta`` beside
    ``y_j = \hat{x}_j \gamma_j + \beta_j``). γ is then a vector, so the bare formula's products are of two
    vectors, and read as scalars they would fix a meaning the post does not give."""
    bare = [spelled for use in uses(rhs).values() if use.rank == 0 and not use.function and not use.size
            and use.name in _arithmetic(rhs) and (spelled := written(use.name)) is not None
            and spelled in post.written_indexed
            and spelled not in defined and use.name not in post.table.entries and not known(post, use.name)]
    if not bare:
        return None
    names = ", ".join(bare)
    return (f"defines nothing: it writes {names} bare, which the post writes with an index elsewhere "
            f"({bare[0]}_j: an array), so a product with {bare[0]} may be of two arrays; the definition of "
            "the entries, if the post writes one, is used instead. Declare the shape to read this one "
            f"(<!-- derive: vector {bare[0]} n -->)")


def _arithmetic(expr: sp.Basic) -> set[str]:
    """The names ``expr`` multiplies or adds as they are, outside any function's argument (softmax(θ) takes
    a whole vector: θ bare there is no product)."""
    if isinstance(expr, sp.Symbol):
        return {expr.name}
    if isinstance(expr, sp.Add | sp.Mul | sp.Pow):
        return set().union(*(_arithmetic(arg) for arg in expr.args))
    return set()


def _length_along(post: PostState, expr: sp.Basic, index: sp.Basic) -> sp.Basic | None:
    """The length of the arrays of ``expr`` whose entries are indexed by ``index``, if they agree (the
    definition's own name is not one of them: its length may be the default one until its inputs are known)."""
    shapes = post.meaning.shapes.arrays
    found = {shape[n] for ix in expr.atoms(sp.Indexed) if (shape := shapes.get(str(ix.base.label)))
             and len(ix.indices) == len(shape) for n, i in enumerate(ix.indices) if i == index}
    return found.pop() if len(found) == 1 and post.meaning.default_size not in found else None


def read_inputs(post: PostState, lhs: sp.Basic, rhs: sp.Basic, defined: frozenset[str], line: int) -> None:
    """Give the inputs of the definition ``lhs = rhs``, just read on ``line``, their convention's entries."""
    shapes = post.meaning.shapes.arrays
    name = str(lhs.base.label) if isinstance(lhs, sp.Indexed) else str(lhs)
    entry_defined = (isinstance(lhs, sp.Indexed) and len(lhs.indices) == len(shapes.get(name, ()))) or \
        (isinstance(lhs, sp.Symbol) and name not in shapes)
    found = uses(rhs)
    shaped = False
    for use in found.values():
        spelled = written(use.name)
        if spelled is None and use.rank == 0 and entry_defined and post.einstein is not None and \
                use.name not in post.table.entries and not known(post, use.name) and "_" in use.name:
            # d_k, a name with its label in index notation (the key's dimension), where every product is one
            # of entries: a scalar, independent of the post's variables.
            post.scalars.add(use.name)
            post.table.add(Entry(use.name, "scalar", (), f"an input of {name}'s definition",
                                 source=post.table.convention(use.name, f"{INPUT_CONVENTION} (line {line})"),
                                 line=line))
            continue
        if spelled is None or spelled in defined or known(post, use.name) or use.function or use.size \
                or (use.name in post.table.entries and not post.table.entries[use.name].source.startswith(
                    "convention")) or use.name in post.power_names:
            continue
        if use.rank == 1:
            index = next((ix.indices[0] for ix in rhs.atoms(sp.Indexed) if str(ix.base.label) == use.name), None)
            length = _length_along(post, rhs, index) if isinstance(index, sp.Symbol) else None
            statement = None if length is None else f"vector {spelled} {length}"
        else:
            statement = f"scalar {spelled}" if use.rank == 0 and entry_defined and not use.in_product else None
        if statement is None or declare(post, Declaration(statement, line)) is not None:
            continue
        kind, shape = ("vector", (str(length),)) if use.rank == 1 else ("scalar", ())
        shaped |= use.rank == 1
        post.table.entries.pop(use.name, None)
        post.table.add(Entry(use.name, kind, shape, f"an input of {name}'s definition",
                             source=post.table.convention(use.name, f"{INPUT_CONVENTION} (line {line})"), line=line))
    if shaped:
        define(post, lhs, rhs)  # read again with its inputs' lengths (y_i = γ_i x̂_i + β_i: y has x̂'s)
