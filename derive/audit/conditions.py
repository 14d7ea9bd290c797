r"""A condition written after a chain's last side, ``\quad (i = j)``, applied to that chain's steps.

A condition is part of the claim: ``\frac{\partial \hat{y}_i}{\partial z_j} = -\hat{y}_i \hat{y}_j
\quad (i \neq j)`` says nothing when i = j. Dropping it would check a stronger claim (and call
a true step wrong); so it is either applied, as hypotheses of exactly that chain, or the chain is
not read. What is applied:

- ``i = j``, ``j \neq \ell``: a relation of two indices (as ``assume``);
- ``0 < t < 1``, ``T > 0``, ``0 \le \epsilon \le 1``: the domain of a scalar (as ``assume``);
- ``1 \le i \le p``: the range of an index;
- ``\sum_m y_m = 1`` (``\textstyle`` and ``\text{ for each } n`` allowed): y sums to one along its
  last index (with limits, only when they run over the whole of it);
- ``y = e_\ell``: y is one-hot at ℓ (``e_{\ell_n}`` for a class per sample).

Several are separated by commas: ``y = e_\ell,\ j \neq \ell``. The hypotheses join those in force
(declared labels, earlier ``assume``): the condition narrows the claim, never widens it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sympy as sp

from derive.audit.declarations import PostState, assume, relation, symbol
from derive.audit.reader import ReadError
from derive.engine.hypotheses import Hypothesis, InRange, OneHot, SumToOne

__all__ = ["in_force", "parts", "prose_case"]

#: Spacing and style commands that carry no meaning in a condition.
_NOISE = re.compile(r"\\(?:textstyle|displaystyle|[,;: !]|quad|qquad)(?![A-Za-z])|\\ ")
#: ``\text{ for each } n``, ``\text{for all } n``: every value of a free index, which it already means.
_EVERY = re.compile(r"\\(?:text|mbox)\s*\{\s*(?:for\s+(?:each|every|all)|all)\s*\}\s*\\?[A-Za-z]+\s*$")
_INEQUALITY = re.compile(r"\\leq?(?![A-Za-z])|\\geq?(?![A-Za-z])|\\lt(?![A-Za-z])|\\gt(?![A-Za-z])|<=|>=|<|>|≤|≥")
_ONE_HOT = re.compile(r"^(?P<name>\\?[A-Za-z]+)\s*=\s*e\s*_\s*(?P<at>\{.*\}|\\[A-Za-z]+|[A-Za-z])$")


def parts(condition: str) -> list[str]:
    r"""The relations of a condition, split at the commas outside braces.

    Examples:
        >>> parts(r"y = e_\ell,\ j \neq \ell")
        ['y = e_\\ell', 'j \\neq \\ell']
        >>> parts(r"\textstyle\sum_m y_{nm} = 1 \text{ for each } n")
        ['\\sum_m y_{nm} = 1']
    """
    out, depth, start = [], 0, 0
    for at, char in enumerate(condition):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0 and not condition[:at].endswith("\\"):
            out.append(condition[start:at])
            start = at + 1
    out.append(condition[start:])
    cleaned = [_EVERY.sub("", _NOISE.sub(" ", p)).strip() for p in out]
    return [p for p in cleaned if p]


def _hypotheses(post: PostState, part: str) -> list[Hypothesis]:
    """The hypotheses one relation states; ReadError with the forms that are applied if none fits."""
    one_hot = _ONE_HOT.match(part)
    if one_hot:
        return [_one_hot(post, one_hot.group("name"), one_hot.group("at"))]
    if part.lstrip().startswith("\\sum"):
        return [_sums_to_one(post, part)]
    bounds = _INEQUALITY.split(part)
    if len(bounds) == 3 and not any(c.isdigit() for c in bounds[2]) and bounds[0].strip() == "1":
        return [_index_range(post, part, bounds)]
    if _INEQUALITY.search(part) or "\\in" in part:
        problem = assume(post, part)  # a scalar's domain: in post.domains, restored after the chain
        if problem:
            raise ReadError(problem)
        return []
    return [relation(post, part)]


def _array(post: PostState, name: str) -> tuple[sp.IndexedBase, sp.Expr, int | None]:
    label = post.read(name)
    text = str(getattr(label, "label", label))
    shapes = post.meaning.shapes
    if text not in shapes.arrays:
        raise ReadError(f"the condition is about {name.strip()}, which is not declared as a vector "
                        f"(<!-- derive: labels {text} soft --> or <!-- derive: vector {text} -->)")
    shape = shapes.arrays[text]
    return sp.IndexedBase(text, real=True), shape[-1], shapes.rank(text)


def _one_hot(post: PostState, name: str, at_text: str) -> Hypothesis:
    base, size, rank = _array(post, name)
    at = post.read(at_text.strip("{}"))
    if isinstance(at, sp.Symbol):
        return OneHot(base, symbol(at.name), size, rank)
    if isinstance(at, sp.Indexed) and len(at.indices) == 1:
        return OneHot(base, at.base, size, rank)
    raise ReadError(f"y = e_\\ell takes an index, such as \\ell, or one per sample, \\ell_n; found '{at_text}'")


def _sums_to_one(post: PostState, part: str) -> Hypothesis:
    left, equals, right = part.rpartition("=")  # the last =: \sum_{n=1}^{c} has one of its own
    if not equals or right.strip() != "1":
        raise ReadError(f"a sum in a condition is a sum of labels equal to 1, found '{part}'")
    total = post.read(left)
    if not isinstance(total, sp.Sum) or len(total.limits) != 1 or not isinstance(total.function, sp.Indexed):
        raise ReadError(f"a sum in a condition is a sum of one array's entries, found '{left.strip()}'")
    entry, (index, lo, hi) = total.function, total.limits[0]
    base, size, _ = _array(post, str(entry.base.label))
    # Σ over the last index of y, the whole of it: a partial sum equal to 1 is another condition.
    if entry.indices[-1] != index or index in sp.Tuple(*entry.indices[:-1]).free_symbols:
        raise ReadError(f"the sum in the condition must run over the last index of {entry.base.label}")
    limited = "^" in left
    if lo != 1 or (limited and sp.simplify(hi - size) != 0):
        raise ReadError(f"the sum in the condition must run over all of {entry.base.label} (1 to {size})")
    return SumToOne(base, size)


def _index_range(post: PostState, part: str, bounds: list[str]) -> Hypothesis:
    ops = _INEQUALITY.findall(part)
    if any(op not in ("\\le", "\\leq", "<=", "≤") for op in ops):
        raise ReadError(f"an index range is written 1 \\le i \\le n, found '{part}'")
    index, size = post.read(bounds[1]), post.read(bounds[2])
    if not isinstance(index, sp.Symbol) or not isinstance(size, sp.Symbol):
        raise ReadError(f"an index range relates an index and a size, found '{part}'")
    return InRange(symbol(index.name), 1, post.size(size.name))


@contextmanager
def in_force(post: PostState, condition: str | None) -> Iterator[tuple[str, ...]]:
    """The post with ``condition``'s hypotheses added for the block; yields the assumptions' texts.

    Raises:
        ReadError: a relation that is not one of the forms above (the chain is then not read).
    """
    if condition is None:
        yield tuple(t for _, t in post.assumptions)
        return
    saved_assumptions, saved_domains = list(post.assumptions), dict(post.domains)
    try:
        texts = [t for _, t in post.assumptions]
        for part in parts(condition):
            post.assumptions += [(hypothesis, part) for hypothesis in _hypotheses(post, part)]
            texts.append(part)
        yield tuple(texts)
    finally:
        post.assumptions[:] = saved_assumptions
        post.domains.clear()
        post.domains.update(saved_domains)


def _names(relation: str) -> set[str]:
    return set(re.findall(r"\\[A-Za-z]+|[A-Za-z]", relation)) - {"\\neq", "\\ne"}


@contextmanager
def prose_case(post: PostState, relation: str | None) -> Iterator[str | None]:
    """The post with the prose's case in force (replacing an earlier case of the same indices);
    yields the relation, or None when it is not one the audit can apply."""
    if relation is None:
        yield None
        return
    letters = _names(relation)
    saved = list(post.assumptions)
    post.assumptions[:] = [(h, t) for h, t in saved if not letters & _names(t)]
    try:
        try:
            with in_force(post, relation):
                pass
        except ReadError:
            post.assumptions[:] = saved
            yield None
            return
        with in_force(post, relation):
            yield relation
    finally:
        post.assumptions[:] = saved
