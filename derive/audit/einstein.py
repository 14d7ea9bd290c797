r"""Index notation with the summation convention, where the post states it ("repeated indices are summed").

Physics-style derivations write ``S^{ij} = \frac{1}{\sqrt{d_k}} Q^{ia} K^{ja}`` for
``S_{ij} = \sum_a Q_{ia} K_{ja}/\sqrt{d_k}``.
Only a post that says so is read this way; the convention is an entry of its table, with the line. Then

- a superscript of index letters is indices (``Q^{ia}`` is entry (i, a), ``\delta^j_m`` is δ_jm), while a
  digit is still a power and ``T`` a transpose;
- in each term of a side, an index written twice is summed, unless it is free: free indices are those of the
  chain's first side (``\frac{\partial A^{ij}}{\partial S^{mn}} = \delta^i_m A^{ij} (\delta^j_n - A^{in})``
  sums nothing); an index an explicit ``\sum`` binds is that sum's;
- ``\text{softmax}_j(S^{ij})`` is the softmax along j, row by row;
- the arrays the post never defines (Q, K, V) are its inputs. Their sizes are read from how the post's
  equations index them: two dimensions indexed by one letter in one equation have one size. Each size is
  a name of its own (``N_i``, after the first letter seen there), so a step is proved for every size of each.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.audit.reader import ReadError
from derive.audit.semantics import Meaning


class PostState(Protocol):
    """What this module needs of a post's state (the post reads through this module)."""

    meaning: Meaning

__all__ = ["SOFTMAX_ALONG", "STATED", "as_index_notation", "free_indices", "implied_sums", "lower_softmax",
           "softmax_along"]

#: What a post says to state the convention.
STATED = re.compile(r"repeated\s+ind(?:ices|ex)[^.$]{0,40}?\bsummed|summation\s+convention|"
                     r"einstein(?:'s)?\s+(?:summation|notation|convention)|"
                     r"\bsum(?:med|mation)?\s+over\s+(?:the\s+)?repeated|"
                     r"\bsum\s+over\s+the\s+[a-z]+\s+index\s+\$[^$]{1,8}\$\s+implied", re.IGNORECASE)

#: The function the reader applies for ``softmax_j(x)``: the softmax of x along the index j (last argument).
SOFTMAX_ALONG = "softmaxalong"
_SOFTMAX_WRITTEN = re.compile(r"(?:\\(?:text|mathrm|operatorname)\s*\{\s*softmax\s*\}|\\?softmax)\s*_\s*"
                              r"(?:\{\s*([a-z])\s*\}|([a-z]))\s*(?:\\left\s*)?\(")


#: A name with one letter as its subscript: ``d_k``.
_SUBSCRIPTED = re.compile(r"(?<![A-Za-z\\^_])([A-Za-z])\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))(?![A-Za-z])")


def as_index_notation(text: str, upper_indexed: frozenset[str]) -> str:
    r"""``text`` as index notation reads it: the softmax along an index (below), and a name that the post
    never writes with upper indices keeps its subscript as part of the name (``d_k``, the key's dimension,
    beside the index k of ``\delta^i_k``).

    Examples:
        >>> as_index_notation(r"\frac{1}{\sqrt{d_k}} \delta^i_k Q^{ka}", frozenset({"delta", "Q"}))
        '\\frac{1}{\\sqrt{d_{\\text{k}}}} \\delta^i_k Q^{ka}'
    """
    def label(m: re.Match[str]) -> str:
        if m.group(1) in upper_indexed:
            return m.group(0)
        return f"{m.group(1)}_{{\\text{{{m.group(2) or m.group(3)}}}}}"
    return softmax_along(_SUBSCRIPTED.sub(label, text))


def softmax_along(text: str) -> str:
    r"""``\text{softmax}_j(x)`` written as the application ``softmaxalong(x, j)`` the semantics lowers.

    Examples:
        >>> softmax_along(r"A^{ij} = \text{softmax}_j(S^{ij})")
        'A^{ij} = \\operatorname{softmaxalong}(S^{ij}, j)'
    """
    out, at = [], 0
    for m in _SOFTMAX_WRITTEN.finditer(text):
        depth, end = 1, m.end()
        while end < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        if depth:
            continue
        index = m.group(1) or m.group(2)
        out += [text[at:m.start()], f"\\operatorname{{{SOFTMAX_ALONG}}}(", text[m.end():end - 1], f", {index})"]
        at = end
    return "".join(out) + text[at:]


def _indices(node: sp.Basic) -> Counter[sp.Symbol]:
    """How often each index is written in ``node`` (a power counts its base that many times; an explicit
    sum's index is its own; of a sum of terms, the most any term writes)."""
    if isinstance(node, sp.Indexed):
        return Counter(i for i in node.indices if isinstance(i, sp.Symbol))
    if isinstance(node, sp.KroneckerDelta):
        return Counter(a for a in node.args if isinstance(a, sp.Symbol))
    if isinstance(node, sp.Pow) and node.exp.is_Integer and node.exp > 0:
        return Counter({k: v * int(node.exp) for k, v in _indices(node.base).items()})
    if isinstance(node, sp.Sum):
        bound = set(node.variables)
        return Counter({k: v for k, v in _indices(node.function).items() if k not in bound})
    out: Counter[sp.Symbol] = Counter()
    if isinstance(node, sp.Add):
        for term in node.args:
            out |= _indices(term)
        return out
    if isinstance(node, AppliedUndef) and node.func.__name__ == SOFTMAX_ALONG:
        return _indices(node.args[0])
    for arg in node.args:
        if isinstance(arg, sp.Tuple) and isinstance(node, sp.Derivative):
            arg = arg[0]
        out.update(_indices(arg))
    return out


def free_indices(expr: sp.Basic) -> set[sp.Symbol]:
    """The indices a side writes once in some term: the free indices of its chain."""
    return {i for term in sp.Add.make_args(expr) for i, n in _indices(term).items() if n == 1}


def _size(post: PostState, expr: sp.Basic, index: sp.Symbol) -> sp.Expr:
    """The size of the dimension ``index`` indexes in ``expr`` (the default size if no array says)."""
    shapes = post.meaning.shapes.arrays
    for ix in sorted(expr.atoms(sp.Indexed), key=str):
        shape = shapes.get(str(ix.base.label))
        if shape is not None and len(shape) == len(ix.indices) and index in ix.indices:
            return shape[ix.indices.index(index)]
    return post.meaning.default_size


def implied_sums(post: PostState, expr: sp.Basic, free: set[sp.Symbol]) -> sp.Basic:
    """``expr`` with each term summed over the indices it writes twice that are not ``free``."""
    terms = []
    for term in sp.Add.make_args(expr):
        counts = _indices(term)
        repeated = sorted((i for i, n in counts.items() if n >= 2 and i not in free), key=str)
        thrice = [i for i in repeated if counts[i] > 2]
        if thrice:
            raise ReadError(f"the index {thrice[0]} is written {counts[thrice[0]]} times in one term: the summation "
                            "convention sums an index written twice; write the sum out")
        for index in repeated:
            term = sp.Sum(term, (index, 1, _size(post, term, index)))
        terms.append(term)
    return sp.Add(*terms)


def lower_softmax(post: PostState, expr: sp.Basic) -> sp.Basic:
    """Each ``softmaxalong(x, j)`` as exp(x) over the sum of exp(x) along j."""
    def lower(node: sp.Basic) -> sp.Basic:
        body, written = node.args
        index = next((s for s in body.free_symbols if isinstance(s, sp.Symbol) and s.name == str(written)
                      and s.is_integer), None)
        if index is None:
            raise ReadError(f"softmax along {written} of an expression without the index {written}")
        other = sp.Symbol(f"{index.name}·", integer=True)
        total = sp.Sum(sp.exp(body.xreplace({index: other})), (other, 1, _size(post, body, index)))
        return sp.exp(body) / total
    return expr.replace(lambda n: isinstance(n, AppliedUndef) and n.func.__name__ == SOFTMAX_ALONG and
                        len(n.args) == 2, lower)
