"""What a whole step says before any side is read: its sizes and its sample indices.

A letter is one symbol in one step. ``\\sum_{i=1}^{n} 1 = n`` has one n: a letter any side
uses as a sum's upper limit is a size on every side. ``z^{(1)}_j = z^{(2)}_j`` speaks of two
samples: a sample index may be dropped (as decoration) only when the whole step speaks of one
sample, written with one free letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.audit.reader.tex import Node
from derive.audit.reader.vocabulary import GREEK, TRANSPARENT

BIG_OPERATORS = ("sum", "prod", "Sigma", "Pi")


@dataclass(frozen=True)
class StepFacts:
    """Letters used as upper limits, letters bound by sums, and the written sample indices."""

    limits: frozenset[str] = frozenset()
    bound: frozenset[str] = frozenset()
    samples: frozenset[str] = frozenset()
    #: Letters used as values somewhere in the step (not right before a `(`): ``x`` in ``x(w + x)``.
    values: frozenset[str] = frozenset()

    def __or__(self, other: StepFacts) -> StepFacts:
        return StepFacts(self.limits | other.limits, self.bound | other.bound, self.samples | other.samples,
                         self.values | other.values)

    @property
    def sizes(self) -> frozenset[str]:
        """Letters that are sizes in the whole step."""
        return self.limits - self.bound

    @property
    def one_sample(self) -> str | None:
        """The step's only sample index when it is one free letter (``z^{(i)}``), else None."""
        if len(self.samples) != 1:
            return None
        (only,) = self.samples
        name = only.lstrip("\\")
        if not ((len(name) == 1 and name.isalpha()) or name in GREEK) or name in self.bound:
            return None
        return name


def _letters(node: Node, into: set[str]) -> None:
    if node.kind == "WORD":
        into.update(node.text)
    elif node.kind == "CMD" and node.text[1:] in GREEK:
        into.add(node.text[1:])
    for part in (*node.children, node.sub, node.sup):
        if part is not None:
            _letters(part, into)


def step_facts(items: list[Node], text: str) -> StepFacts:
    """The facts of one side (``items`` read from ``text``); join sides with ``|``."""
    limits: set[str] = set()
    bound: set[str] = set()
    samples: set[str] = set()
    values: set[str] = set()

    applied_styles: set[int] = set()  # the groups of \mathbf{f}(x), \mathcal{J}(x): a name applied

    def uses(siblings: list[Node]) -> None:
        for idx, node in enumerate(siblings):
            nxt = siblings[idx + 1] if idx + 1 < len(siblings) else None
            after = siblings[idx + 2] if idx + 2 < len(siblings) else None
            if node.kind == "CMD" and node.text[1:] in TRANSPARENT and nxt is not None and nxt.kind == "group" \
                    and not nxt.scripted and after is not None and after.kind == "paren":
                applied_styles.add(id(nxt))
            if node.kind == "group" and not node.scripted and len(node.children) == 2 and nxt is not None \
                    and nxt.kind == "paren" and node.children[0].kind == "CMD" \
                    and node.children[0].text[1:] in TRANSPARENT:
                applied_styles.add(id(node))  # {\cal C}(w)
            applied = nxt is not None and nxt.kind == "paren" and node.sub is None and node.sup is None
            if node.kind == "WORD":
                values.update(node.text[:-1] if applied else node.text)
            elif node.kind == "CMD" and node.text[1:] in GREEK and not applied:
                values.add(node.text[1:])

    def visit(node: Node) -> None:
        if node.is_cmd(*BIG_OPERATORS):
            if node.sup is not None:
                _letters(node.sup, limits)
            if node.sub is not None:
                relation = None  # letters before a relation are bound; after \in [n], they are limits
                for child in node.sub.children if node.sub.kind == "group" else [node.sub]:
                    if child.is_op(","):
                        relation = None
                    elif child.is_op("=") or child.is_cmd("neq", "ne", "in"):
                        relation = child
                    elif relation is None:
                        _letters(child, bound)
                    elif relation.is_cmd("in"):
                        _letters(child, limits)
        elif node.sup is not None and node.sup.kind == "group" and len(node.sup.children) == 1 \
                and node.sup.children[0].kind == "paren":
            paren = node.sup.children[0]
            samples.add(" ".join(text[paren.pos + 1:paren.end - 1].split()))
        if id(node) not in applied_styles:
            uses(node.children)
        for part in (*node.children, node.sub, node.sup):
            if part is not None:
                visit(part)

    uses(items)
    for item in items:
        visit(item)
    return StepFacts(frozenset(limits), frozenset(bound), frozenset(samples), frozenset(values))
