"""Reading derivatives: ``\\frac{\\partial f}{\\partial z_j}``, operator forms, ``\\nabla``, orders."""

from __future__ import annotations

import sympy as sp

from derive.audit.reader.core import Cursor
from derive.audit.reader.scripts import ScriptReader
from derive.audit.reader.tex import Node, show, text_content
from derive.audit.reader.vocabulary import GREEK, IDENTIFIER


class CalculusReader(ScriptReader):
    """Adds derivatives in fraction, operator and nabla form."""

    # -- fractions and derivatives ---------------------------------------------------------------
    def take_arg(self, cur: Cursor, what: str, owner: Node) -> Node:
        arg = cur.next()
        if arg is None:
            raise self.fail(cur.end, f"{what} of {owner.text}", "the end",
                            f"write {owner.text}{{numerator}}{{denominator}}")
        if arg.kind == "NUMBER" and len(arg.text) > 1 and not arg.scripted:
            raise self.fail(arg.pos, f"{what} of {owner.text} in braces", show(arg.text),
                            "write \\frac{1}{2} rather than \\frac12")
        return arg

    def diff_marker(self, node: Node) -> str | None:
        if node.is_cmd("partial") and node.sub is None and not node.primes:
            return "partial"
        if node.sub is None and not node.primes and (
                (node.kind == "WORD" and node.text == "d")
                or (node.kind == "TEXT" and text_content(node.text).strip() == "d")):
            return "d"
        return None

    def order(self, node: Node) -> int:
        if node.sup is None:
            return 1
        value = self.read_sup(node.sup)
        if not (value.is_Integer and 1 <= int(value) <= 10):
            raise self.fail(node.sup.pos, "a derivative order from 1 to 10", show(str(value)))
        return int(value)

    def frac(self, node: Node, cur: Cursor) -> sp.Expr:
        if node.scripted:
            raise self.fail(node.pos, f"{node.text} without scripts", self.found(node))
        num = self.take_arg(cur, "the numerator", node)
        den = self.take_arg(cur, "the denominator", node)
        num, den = _ungrouped(num), _ungrouped(den)
        num_items = self.expand(num.children if num.kind == "group" else [num.bare()])
        den_items = self.expand(den.children if den.kind == "group" else [den.bare()])
        mark = self.diff_marker(num_items[0]) if num_items else None
        is_derivative = (mark is not None and len(den_items) >= 2 and self.diff_marker(den_items[0]) == mark)
        if not is_derivative:
            numerator = self.read_node(num.bare(), "a numerator")
            denominator = self.read_node(den.bare(), "a denominator")
            self.check_defined(denominator, den.pos)
            ratio = numerator / denominator
            return self.with_value_scripts(ratio, den)
        wrts = self.diff_variables(den_items, mark or "", den.end)
        if num_items[0].sup is None and len(wrts) == 1 and wrts[0][1] > 1:
            # ∂x̂/∂σ²: a first derivative by the name σ² (a second one is written ∂²x̂/∂σ²).
            wrts = [(power_name(*wrts[0]), 1)]
        total = sum(n for _, n in wrts)
        top = self.order(num_items[0])
        if num_items[0].sup is not None and top != total:
            raise self.fail(num_items[0].pos, f"the order {total} the denominator gives", f"order {top}")
        if len(num_items) > 1:
            body = self.read_items(num_items[1:], num_items[1].pos, num.end, "the function to differentiate")
            return self.with_value_scripts(self.derivative(body, wrts), den)
        if den.scripted:
            raise self.fail(den.pos, "no scripts on a derivative operator", self.found(den))
        body = self.operand(cur, node)
        return self.derivative(body, wrts)

    def derivative(self, body: sp.Expr, wrts: list[tuple[sp.Expr, int]]) -> sp.Expr:
        """The derivative of ``body``; by an expression (the chain rule's ``\\partial(1 + e^{-x})``), taken here.

        ``\\frac{\\partial (1 + e^{-x})^{-1}}{\\partial (1 + e^{-x})}`` is d/du u^{-1} at u = 1 + e^{-x}: only
        when the function is written in the expression alone (u is all that is left of it once the
        expression is u), so that its meaning is not a guess.
        """
        by_expression = [(u, n) for u, n in wrts if u in self.by_expression]
        if not by_expression:
            return sp.Derivative(body, *wrts, evaluate=False)
        u, order = by_expression[0]
        expression, pos = self.by_expression.pop(u)
        if len(wrts) > 1:
            raise self.fail(pos, "one variable where it is an expression", show(str(expression)),
                            "write the derivative by the expression on its own")
        written = body.subs(expression, u)
        if written.free_symbols != {u}:
            raise self.fail(pos, "a variable to differentiate by (a name or an entry like z_j)", show(str(expression)),
                            "a derivative by an expression is read only when the function is written in that "
                            "expression alone; name it (u = ...) and differentiate by u")
        result = sp.diff(written, u, order).subs(u, expression)
        if result.has(sp.Derivative, sp.Subs):
            raise self.fail(pos, "a derivative by an expression that can be taken", show(str(expression)),
                            "name the expression (u = ...) and differentiate by u")
        return result

    def is_name_item(self, node: Node) -> bool:
        """One written name (a letter, a Greek letter, a ``\\text{..}`` word), with any scripts."""
        return (node.kind == "WORD" and len(node.text) == 1) or (node.kind == "CMD" and node.text[1:] in GREEK) \
            or (node.kind == "TEXT" and IDENTIFIER.match(text_content(node.text).strip()) is not None)

    def slashed_derivative(self, marker: Node, cur: Cursor) -> sp.Expr | None:
        """``\\partial y / \\partial x``, ``dy/dx`` and the operator ``d/dx`` (``marker`` read, ``cur``
        after it) as the derivative, or None.

        Only the written pattern *marker [name] / marker name* is a derivative: ``dy/dx`` is never the
        ratio y/x of two products with d. The marker's order (``\\partial^2 L / \\partial x^2``) is kept."""
        mark = "partial" if marker.is_cmd("partial") else "d"
        if marker.sub is not None or marker.primes:
            return None
        ahead = cur.nodes[cur.i:cur.i + 4]
        operator = len(ahead) >= 3 and ahead[0].is_op("/")  # d/dx f
        if operator:
            ahead = [marker, *ahead[:3]]
        if len(ahead) < 4 or (not self.is_name_item(ahead[0]) and not operator) or not ahead[1].is_op("/") \
                or ahead[1].scripted or self.diff_marker(ahead[2].bare()) != mark or ahead[2].sub is not None \
                or ahead[2].primes or not self.is_name_item(ahead[3]):
            return None
        name, slash, low, variable = ahead
        if low.sup is not None:  # \partial^2 L / \partial^2 x is not TeX's way: the order goes on x
            raise self.fail(low.sup.pos, "the order on the variable (\\partial x^2)", "a power of the marker")
        top = [marker] if operator else [marker, name]
        numerator = Node("group", "", marker.pos, top[-1].end, top)
        denominator = Node("group", "", slash.end, variable.end, [low.bare(), variable])
        cur.nodes[cur.i:cur.i + (3 if operator else 4)] = [numerator, denominator]
        return self.frac(Node("CMD", "\\frac", marker.pos, marker.end), cur)

    def operand(self, cur: Cursor, owner: Node) -> sp.Expr:
        """What an operator (a sum, a derivative) applies to: the product that follows."""
        nxt = cur.peek()
        if nxt is None or self.is_stop(nxt):
            raise self.fail(cur.here(), f"an expression after {show(self.text[owner.pos:owner.end])}",
                            self.found(nxt), "write what the operator applies to")
        return self.signed(cur, self.product)  # \sum_n -x z_n, as SymPy prints Sum(-x z_n)

    def variable(self, value: sp.Expr, pos: int) -> sp.Expr:
        if isinstance(value, sp.Function) and value.func.__name__ == "T":
            raise self.fail(pos, "a variable to differentiate by", f"the transpose {show(str(value))}",
                            "\\partial w \\partial w^T is the Hessian, a matrix, which is not read as a whole: "
                            "write one entry, \\frac{\\partial^2 L}{\\partial w_i \\partial w_j}")
        if isinstance(value, sp.IndexedBase):
            return value[self.ctx.component_index]
        if isinstance(value, (sp.Symbol, sp.Indexed)) and not value.is_integer:
            return value
        if isinstance(value, sp.Symbol):  # an index or size: still a variable of the formula
            return value
        raise self.fail(pos, "a variable to differentiate by (a name or an entry like z_j)",
                        show(str(value)), "write the variable, e.g. \\partial z_j")

    def diff_variables(self, items: list[Node], mark: str, end: int) -> list[tuple[sp.Expr, int]]:
        cur = Cursor(items, end)
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
            if isinstance(value, sp.Pow) and isinstance(value.base, (sp.Symbol, sp.Indexed)) \
                    and not value.exp.is_number:
                # ∂o^x_j, ∂w^L_{jk}, ∂V^{mn}: a letter superscript is read as a power, never guessed a label.
                raise self.fail(start, "a variable to differentiate by (a name or an entry like z_j)",
                                f"the power {show(str(value))}",
                                "a letter superscript on a variable is read as a power; if it is a label (a "
                                "layer L, an example x), write it in parentheses, w^{(L)}_{jk}; if it is an upper "
                                "index, write it as a subscript, V_{mn}")
            if self.is_expression_variable(value):
                placeholder = sp.Dummy("u", real=True)
                self.by_expression[placeholder] = (value, start)
                wrts.append((placeholder, order))
                continue
            wrts.append((self.variable(value, start), order))
        return wrts

    def is_expression_variable(self, value: sp.Expr) -> bool:
        """``\\partial (1 + e^{-x})``, ``\\partial e^{-x}``: an expression of variables, not one name."""
        return isinstance(value, sp.Expr) and not isinstance(value, (sp.Symbol, sp.Indexed, sp.IndexedBase)) \
            and not (isinstance(value, sp.Function) and value.func.__name__ == "T") and bool(value.free_symbols) \
            and not value.has(sp.Derivative)

    def nabla(self, node: Node, cur: Cursor) -> sp.Expr:
        if node.sup is not None:
            raise self.fail(node.pos, "\\nabla_{w} f (a gradient)", "the Hessian \\nabla^2",
                            "the Hessian is a matrix of second derivatives, which is not read as a whole: write one "
                            "entry, \\frac{\\partial^2 L}{\\partial w_i \\partial w_j}")
        if node.sub is None and not node.primes:
            raise self.fail(node.pos, "\\nabla with a subscript, e.g. \\nabla_{z} f", self.found(node),
                            "a gradient without its variable is not read: write the variable as a subscript, "
                            "\\nabla_{w} E(w)")
        if node.sub is None or node.sup is not None or node.primes:
            raise self.fail(node.pos, "\\nabla with a subscript, e.g. \\nabla_{z} f", self.found(node),
                            "write the variable as a subscript")
        sub = node.sub
        items = self.expand(sub.children if sub.kind == "group" else [sub])
        sub_cur = Cursor(items, sub.end)
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


def _ungrouped(node: Node) -> Node:
    """``{{dx}}`` is ``{dx}``: braces that only group a group change nothing (emathzone writes
    ``\\frac{d}{{dx}}``, which read as the ratio d/(dx) made ``d/dx tanh x`` the value ``tanh(x)/x``)."""
    while node.kind == "group" and not node.scripted and len(node.children) == 1 \
            and node.children[0].kind == "group" and not node.children[0].scripted:
        node = node.children[0]
    return node


def power_name(value: sp.Expr, power: int) -> sp.Expr:
    """The name ``σ²`` (a symbol ``sigma^2``; ``σ²_j`` an entry of the array ``sigma^2``), not a power of σ."""
    if isinstance(value, sp.Indexed):
        return sp.IndexedBase(f"{value.base.label}^{power}", real=True)[value.indices]
    return sp.Symbol(f"{value}^{power}", real=True) if not value.is_integer else value
