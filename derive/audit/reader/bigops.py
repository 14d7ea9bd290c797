"""Reading big operators: ``\\sum`` and ``\\prod``, their limits, and how far they reach."""

from __future__ import annotations

import bisect
import re

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
        if sup is not None and sup.kind == "group" and not sup.children:
            sup = None  # \sum_{k}^{ }: an empty upper limit is none written, as in \sum_k
        if sub is None and sup is None and kind is sp.Sum:
            return self.sum_of_its_one_index(node, cur)
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
        ranges: dict[str, sp.Expr] = {}  # \sum_{i \in [n]}: the upper limit of i
        for items, pos, end in rows:
            self.limit_row(items, pos, end, bound, exclusions, ranges if sup is None else None)
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
        limits = [(var, lo, ranges.get(var.name, hi)) for var, lo in bound]
        return kind(body, *reversed(limits))

    def sum_of_its_one_index(self, node: Node, cur: Cursor) -> sp.Expr:
        """``\\sum e^{x_k}`` with no index written: the sum over the summand's one index letter, when the
        formula writes that letter nowhere else (``\\frac{e^{x_i}}{\\sum e^{x_k}}``: over k, 1 to the default
        length). A ReadError when the summand has no index or several, or the letter is also used outside."""
        body = self.operand(cur, node)
        end = cur.here()
        letters = {i for ix in body.atoms(sp.Indexed) for i in ix.indices if isinstance(i, sp.Symbol) and i.is_integer}
        if len(letters) != 1:
            raise self.fail(node.pos, f"the summation index as a subscript of {node.text}", self.found(node),
                            f"write {node.text}_{{n=1}}^{{k}}")
        (var,) = letters
        where = self.subscript_letters().get(var.name, [])
        if bisect.bisect_left(where, end) - bisect.bisect_left(where, node.pos) < len(where):
            raise self.fail(node.pos, f"the summation index as a subscript of {node.text}", self.found(node),
                            f"write {node.text}_{{{var.name}}}: {var.name} is also an index outside the sum")
        bound = sp.Symbol(var.name, integer=True)  # the symbol \sum_{k} binds, whatever the summand's k was
        return sp.Sum(body.xreplace({var: bound}), (bound, 1, self.ctx.default_size))

    def subscript_letters(self) -> dict[str, list[int]]:
        """Where each letter is written in a subscript of the formula (``_k``, ``_{ik}``), found once per formula
        (a formula of many unwritten sums is read in linear time)."""
        found: dict[str, list[int]] | None = getattr(self, "_subscript_letters", None)
        if found is None:
            found = {}
            for m in re.finditer(r"_\s*(\{[^{}]*\}|[A-Za-z])", self.text):
                for letter in re.finditer(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])", m.group(1)):
                    found.setdefault(letter.group(), []).append(m.start())
            self._subscript_letters = found
        return found

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
        # \sum_{j=1, j \neq i}: conditions separated by commas, each a relation, are the rows of a \substack.
        parts: list[list[Node]] = [[]]
        for item in children:
            if item.is_op(","):
                parts.append([])
            else:
                parts[-1].append(item)
        if len(parts) > 1 and all(any(self.is_limit_relation(n) for n in part) for part in parts):
            return [(part, part[0].pos if part else sub.pos, part[-1].end if part else sub.end) for part in parts]
        return [(children, sub.pos, sub.end)]

    @staticmethod
    def is_limit_relation(node: Node) -> bool:
        return node.is_op("=") or node.is_cmd("neq", "ne", "in")

    def read_limit(self, node: Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, True  # letters in limits are sizes or indices
        try:
            return self.read_node(node, "a limit")
        finally:
            self.index_mode = saved

    def limit_row(self, items: list[Node], pos: int, end: int, bound: list[tuple[sp.Symbol, sp.Expr]],
                  exclusions: list[tuple[sp.Symbol, sp.Expr]], ranges: dict[str, sp.Expr] | None) -> None:
        if not items:
            raise self.fail(pos, "a summation index", "nothing")
        relation = next((q for q, n in enumerate(items) if self.is_limit_relation(n)), None)
        if relation is not None and items[relation].is_cmd("in"):
            self.set_row(items, relation, pos, bound, ranges)
            return
        names = items if relation is None else items[:relation]
        variables = []
        for part in self.split_commas(names, pos):
            primed = len(part) == 1 and part[0].primes > 0 and part[0].sub is None and part[0].sup is None
            if len(part) != 1 or (part[0].scripted and not primed) or not (
                    (part[0].kind == "WORD" and len(part[0].text) == 1)
                    or (part[0].kind == "CMD" and part[0].text[1:] in GREEK)):
                at = part[0].pos if part else pos
                raise self.fail(at, "a summation index (one letter)", self.found(part[0] if part else None),
                                "write \\sum_{n=1}^{k}")
            name = part[0].text.lstrip("\\") + "'" * part[0].primes  # \sum_{j'}: the index j', apart from j
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

    def set_row(self, items: list[Node], relation: int, pos: int, bound: list[tuple[sp.Symbol, sp.Expr]],
                ranges: dict[str, sp.Expr] | None) -> None:
        """``i \\in [n]`` or ``k \\in \\{1, \\dots, K\\}``: the index runs 1..n; a set by name is not read."""
        names, rest = items[:relation], items[relation + 1:]
        if len(names) != 1 or names[0].scripted or not (
                (names[0].kind == "WORD" and len(names[0].text) == 1)
                or (names[0].kind == "CMD" and names[0].text[1:] in GREEK)):
            raise self.fail(names[0].pos if names else pos, "one summation index before \\in",
                            self.found(names[0] if names else None), "write \\sum_{k \\in [K]} or \\sum_{k=1}^{K}")
        var = sp.Symbol(names[0].text.lstrip("\\"), integer=True)
        if any(b.name == var.name for b, _ in bound):
            raise self.fail(pos, "each summation index once", show(var.name))
        target = rest[0] if len(rest) == 1 else None
        upper: list[Node] | None = None
        lower = sp.Integer(1)
        if target is not None and target.kind == "brack" and not target.scripted and target.children:
            upper = target.children  # [n] = {1, ..., n}
        elif target is not None and target.kind == "setbrace" and not target.scripted:
            members = self.split_commas(target.children, target.pos)
            dots = [q for q, m in enumerate(members) if len(m) == 1 and m[0].is_cmd("dots", "ldots", "cdots")]
            if len(members) >= 3 and dots == [len(members) - 2]:
                lower = self.read_limit(Node("group", "", target.pos, target.end, members[0]))
                upper = members[-1]
        if upper is None or ranges is None:
            at = rest[0].pos if rest else items[relation].end
            raise self.fail(at, "a range such as [n] or \\{1, \\dots, n\\} after \\in, and no upper limit",
                            self.found(rest[0] if rest else None),
                            "a sum over a set by name is not read: write its range, \\sum_{k=1}^{K}, "
                            "or \\sum_{k \\in [K]}")
        ranges[var.name] = self.read_limit(Node("group", "", upper[0].pos, upper[-1].end, upper))
        bound.append((var, lower))
