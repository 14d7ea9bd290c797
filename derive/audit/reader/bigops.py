"""Reading big operators: ``\\sum`` and ``\\prod``, their limits, and how far they reach."""

from __future__ import annotations

import sympy as sp

from derive.audit.reader.calculus import CalculusReader
from derive.audit.reader.core import Cursor
from derive.audit.reader.tex import Node, show
from derive.audit.reader.vocabulary import GREEK


class BigOpReader(CalculusReader):
    """Adds sums and products with their limits."""


    # -- sums --------------------------------------------------------------------------------
    def bigop(self, node: Node, cur: Cursor, kind: type[sp.Sum] | type[sp.Product]) -> sp.Expr:
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

    def limit_rows(self, sub: Node) -> list[tuple[list[Node], int, int]]:
        children = sub.children if sub.kind == "group" else [sub]
        if len(children) == 2 and children[0].is_cmd("substack") and children[1].kind == "group":
            rows: list[tuple[list[Node], int, int]] = [([], children[1].pos, children[1].end)]
            for item in children[1].children:
                if item.kind == "DBLBS":
                    rows.append(([], item.end, children[1].end))
                else:
                    rows[-1][0].append(item)
            return rows
        return [(children, sub.pos, sub.end)]

    def read_limit(self, node: Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, True  # letters in limits are sizes or indices
        try:
            return self.read_node(node, "a limit")
        finally:
            self.index_mode = saved

    def limit_row(self, items: list[Node], pos: int, end: int, bound: list[tuple[sp.Symbol, sp.Expr]],
                  exclusions: list[tuple[sp.Symbol, sp.Expr]]) -> None:
        if not items:
            raise self.fail(pos, "a summation index", "nothing")
        relation = next((q for q, n in enumerate(items) if n.is_op("=") or n.is_cmd("neq", "ne")), None)
        names = items if relation is None else items[:relation]
        variables = []
        for part in self.split_commas(names, pos):
            if len(part) != 1 or part[0].scripted or not (
                    (part[0].kind == "WORD" and len(part[0].text) == 1)
                    or (part[0].kind == "CMD" and part[0].text[1:] in GREEK)):
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
                raise self.fail(pos, "each summation index once", show(var.name))
            bound.append((var, value))
        else:
            if not any(b.name == var.name for b, _ in bound):
                bound.append((var, sp.Integer(1)))
            exclusions.append((var, value))
