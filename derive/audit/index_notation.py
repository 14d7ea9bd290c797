r"""Reading a post in index notation: whether it states the summation convention, and its inputs' sizes.

The reading itself (upper indices, implied sums, the softmax along an index) is :mod:`derive.audit.einstein`;
this module gives the post's table its entries: the convention, with its line, and each array the post
indexes and never defines, with the sizes its equations show. It also picks the default length of the
arrays a post gives none, which must not be a letter the post writes as an index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp

from derive.audit.declarations import PostState, declare
from derive.audit.einstein import SOFTMAX_ALONG, STATED
from derive.audit.reader import ReadError, split_chains_spans
from derive.audit.scan import Declaration, Display, Inline
from derive.audit.symbols import INPUT_CONVENTION, Entry

__all__ = ["default_length", "read_convention", "read_input_sizes"]

#: A name written with upper indices: ``S^{ij}``, ``x^j``, ``\delta^j_m`` (the name's letter or command).
_UPPER = re.compile(r"(?<![A-Za-z\\])(\\?[A-Za-z]+)\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9])\s*)?\^\s*(?:\{\s*[a-z]|[a-z])")


def read_convention(post: PostState, text: str) -> None:
    """Whether the post states the summation convention: then it is read in index notation (above)."""
    stated = STATED.search(text)
    if stated is None:
        return
    post.einstein = text.count("\n", 0, stated.start()) + 1
    post.upper_indexed = frozenset(m.group(1).lstrip("\\") for m in _UPPER.finditer(text))
    post.functions.add(SOFTMAX_ALONG)
    post.table.add(Entry("Σ (repeated index)", "convention", (), "an index written twice in a term is summed",
                         source=f"read from the post on line {post.einstein}", line=post.einstein))


def read_input_sizes(post: PostState, items: Sequence[object]) -> None:
    """The arrays the post indexes and never defines, each a matrix or vector of the sizes its equations show."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(slot: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(slot, slot) != slot:
            slot = parent[slot]
        return slot

    ranks: dict[str, int] = {}
    defined: set[str] = set()
    first_letter: dict[tuple[str, int], str] = {}
    for item in items:
        if not isinstance(item, Display | Inline) or "=" not in item.body:
            continue
        try:
            chains = split_chains_spans(item.body)
        except ReadError:
            continue
        for chain in chains:
            slots_of: dict[sp.Symbol, list[tuple[str, int]]] = {}
            for n, (side, _) in enumerate(chain):
                try:
                    expr = post.read(side)
                except ReadError:
                    continue
                if n == 0 and isinstance(expr, sp.Indexed) and len(chain) > 1:
                    defined.add(str(expr.base.label))
                for ix in expr.atoms(sp.Indexed):
                    name = str(ix.base.label)
                    ranks.setdefault(name, len(ix.indices))
                    for at, index in enumerate(ix.indices):
                        if isinstance(index, sp.Symbol):
                            slots_of.setdefault(index, []).append((name, at))
                            first_letter.setdefault((name, at), index.name)
                for delta in expr.atoms(sp.KroneckerDelta):
                    a, b = delta.args
                    if isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol) and slots_of.get(a) and slots_of.get(b):
                        slots_of[a].append(slots_of[b][0])
            for slots in slots_of.values():
                for slot in slots[1:]:
                    parent[find(slot)] = find(slots[0])
    sizes: dict[tuple[str, int], sp.Symbol] = {}
    post.table.line = post.einstein
    for name, rank in ranks.items():
        if name in defined or name in post.meaning.shapes.arrays or name == "delta" or rank > 2:
            continue
        dims = []
        for at in range(rank):
            root = find((name, at))
            letter = first_letter.get(root, first_letter.get((name, at), "k"))
            dims.append(sizes.setdefault(root, sp.Symbol(f"N_{letter}", integer=True, positive=True)))
        kind = "vector" if rank == 1 else "matrix"
        statement = f"{kind} {name} " + " ".join(str(d) for d in dims)
        if declare(post, Declaration(statement, post.einstein or 0)) is None:
            post.table.entries.pop(name, None)
            post.table.add(Entry(name, kind, tuple(str(d) for d in dims), "an input of the post's equations",
                                 source=f"{INPUT_CONVENTION}; in index notation, its sizes are read from its "
                                        f"indices (line {post.einstein})",
                                 line=post.einstein))


#: ``k`` written as an index: ``o_k``, ``\delta_{ik}``, ``\sum_k``.
_K_INDEX = re.compile(r"_\s*(?:k(?![A-Za-z])|\{\s*[a-z,\s']*k[a-z,\s']*\})")


def default_length(text: str) -> sp.Symbol:
    """The length of the arrays a post gives none: k, unless the post writes k as an index (∂p_i/∂o_k with a
    sum over j of unwritten limits: the limit is no index), then the first capital the post leaves unused."""
    if _K_INDEX.search(text) is None:
        return sp.Symbol("k", integer=True, positive=True)
    for name in ("K", "N", "M", "T"):
        if re.search(rf"(?<![A-Za-z\\]){name}(?![A-Za-z])", text) is None:
            return sp.Symbol(name, integer=True, positive=True)
    return sp.Symbol("k", integer=True, positive=True)
