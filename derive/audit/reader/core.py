"""The core of reading: precedence of sums and products, numbers and powers, budgets and errors."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from derive.audit.reader.tex import CLOSERS, GROUPS, Node, ReadError, fail_at, lost_backslash_hint, show, text_content
from derive.audit.reader.vocabulary import (
    BUILTINS,
    DIAG,
    ELEMENTWISE_OPS,
    FUNCTION_LETTERS,
    GREEK,
    HADAMARD,
    IDENTIFIER,
    INDICATOR_RELATIONS,
    MATMUL,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_POWER_DIGITS,
    MAX_TOTAL_DIGITS,
    MULOPS,
    NORM,
    ONES,
    RELATIONS,
    TRANSPARENT,
    TRANSPOSE,
    ReaderContext,
)


class Cursor:
    """A position in a list of items (one sequence of a group)."""

    def __init__(self, nodes: list[Node], end: int) -> None:
        self.nodes = nodes
        self.i = 0
        self.end = end

    def peek(self) -> Node | None:
        return self.nodes[self.i] if self.i < len(self.nodes) else None

    def next(self) -> Node | None:
        node = self.peek()
        if node is not None:
            self.i += 1
        return node

    def here(self) -> int:
        node = self.peek()
        return node.pos if node is not None else self.end


class ReaderCore:
    """Reads items into SymPy, with the bound variables and the budgets of one call.

    The parts that read names, derivatives and big operators extend this class; ``word``,
    ``named`` and ``command`` are theirs (:class:`~derive.audit.reader.names.Reader`)."""


    def __init__(self, text: str, context: ReaderContext) -> None:
        self.text = text
        self.ctx = context
        self.scope: dict[str, list[sp.Symbol]] = {}
        self.index_mode = False
        self.depth = 0
        self.digits = 0
        #: The step's one free sample letter that may be dropped (``context.drop_sample_index``).
        self.droppable_sample: str | None = None
        #: Letters the step uses as values: such a letter before `(` multiplies (``x(w + x)``).
        self.step_values: frozenset[str] = frozenset()
        #: Expressions a derivative is taken by (``\\partial(1 + e^{-x})``), by their placeholder.
        self.by_expression: dict[sp.Dummy, tuple[sp.Expr, int]] = {}

    # -- errors and budgets ------------------------------------------------------------------
    def fail(self, offset: int | None, expected: str, found: str, hint: str = "") -> ReadError:
        return fail_at(self.text, offset, expected, found, hint)

    def found(self, node: Node | None) -> str:
        if node is None:
            return "the end"
        if node.kind in GROUPS:
            return f"a `{GROUPS[node.kind]}...{CLOSERS[node.kind]}` group"
        return show(self.text[node.pos:node.end] or node.text)

    def spend_digits(self, count: int, pos: int) -> None:
        self.digits += count
        if self.digits > MAX_TOTAL_DIGITS:
            raise self.fail(pos, f"at most {MAX_TOTAL_DIGITS} digits of numbers in one formula",
                            "more", "this is too large to read safely")

    # -- sequences -----------------------------------------------------------------------------
    def expand(self, nodes: list[Node]) -> list[Node]:
        """Split runs of letters into single letters (TeX juxtaposition), keeping known names."""
        out: list[Node] = []
        for node in nodes:
            if node.kind == "WORD" and len(node.text) > 1 and not self.is_name_word(node.text):
                hint = lost_backslash_hint(self.text, node.pos, node.text)
                if hint:
                    raise self.fail(node.pos, "a formula", show(node.text), hint)
                for idx, char in enumerate(node.text):
                    last = idx == len(node.text) - 1
                    piece = node if last else None
                    out.append(Node("WORD", char, node.pos + idx, node.pos + idx + 1, [],
                                     piece.sub if piece else None, piece.sup if piece else None,
                                     piece.primes if piece else 0))
            else:
                out.append(node)
        return out

    def is_name_word(self, word: str) -> bool:
        return word in BUILTINS or word in self.ctx.functions

    def read_items(self, nodes: list[Node], start: int, end: int, what: str = "an expression") -> sp.Expr:
        over = self.over_fraction(nodes, start, end)
        if over is not None:
            nodes = over
        cur = Cursor(self.expand(nodes), end)
        if cur.peek() is None:
            raise self.fail(start, what, "nothing", "fill in the empty group")
        value = self.expr(cur)
        rest = cur.peek()
        if rest is not None:
            raise self.unexpected(rest)
        return value

    def over_fraction(self, nodes: list[Node], start: int, end: int,
                      scripts: Node | None = None) -> list[Node] | None:
        """``a \\over b`` (TeX's fraction of its whole group) as ``\\frac{a}{b}``, or None without ``\\over``.

        ``scripts`` is the group whose scripts (``{a \\over b}^2``) apply to the fraction."""
        at = [q for q, n in enumerate(nodes) if n.is_cmd("over")]
        if not at:
            return None
        if len(at) > 1:
            raise self.fail(nodes[at[1]].pos, "one \\over in a group", "a second \\over",
                            "write each fraction in its own braces: {a \\over b}")
        split = nodes[at[0]]
        if split.scripted:
            raise self.fail(split.pos, "\\over without scripts", self.found(split))
        above, below = nodes[:at[0]], nodes[at[0] + 1:]
        if not above or not below:
            raise self.fail(split.pos, "a numerator and a denominator around \\over", "nothing on one side",
                            "write {a \\over b}")
        frac = Node("CMD", "\\frac", split.pos, split.end)
        numerator = Node("group", "", start, split.pos, above)
        denominator = Node("group", "", split.end, end, below)
        if scripts is not None:
            denominator.sub, denominator.sup, denominator.primes = scripts.sub, scripts.sup, scripts.primes
        return [frac, numerator, denominator]

    def read_node(self, node: Node, what: str = "an expression") -> sp.Expr:
        """Read one argument: the content of a group, or a single token."""
        if node.kind == "group":
            return self.read_items(node.children, node.pos, node.end, what)
        return self.read_items([node], node.pos, node.end, what)

    def unexpected(self, node: Node) -> ReadError:
        text = node.text
        if node.is_op("=") or (node.kind == "CMD" and text in RELATIONS) or node.is_op("<", ">"):
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
    def is_addop(self, node: Node) -> bool:
        return node.is_op("+", "-") and not node.scripted

    def is_stop(self, node: Node) -> bool:
        if node.kind == "OP":
            return node.text not in "+-*/|"
        if node.kind == "CMD":
            return node.text in RELATIONS or node.text == "\\in"
        return node.kind in {"DBLBS", "BEGIN", "END"}

    def expr(self, cur: Cursor) -> sp.Expr:
        terms = [self.signed(cur, self.product)]
        while (node := cur.peek()) is not None and self.is_addop(node):
            terms.append(self.signed(cur, self.product))
        return sp.Add(*terms)

    def signed(self, cur: Cursor, then: Callable[[Cursor], sp.Expr]) -> sp.Expr:
        negative = False
        while (node := cur.peek()) is not None and self.is_addop(node):
            cur.next()
            negative ^= node.text == "-"
        if cur.peek() is None:
            raise self.fail(cur.end, "a term", "the end", "complete the expression")
        value = then(cur)
        return -value if negative else value

    def product(self, cur: Cursor) -> sp.Expr:
        factors = [self.factor(cur)]
        elementwise: Node | None = None  # the first ⊙ of this product, if any
        functions = self.ctx.functions | FUNCTION_LETTERS
        juxtaposed = False  # whether factors meet by juxtaposition or \cdot (not ⊙)
        while (node := cur.peek()) is not None and not self.is_addop(node) and not self.is_stop(node):
            if node.kind == "CMD" and node.text in ELEMENTWISE_OPS:
                cur.next()
                if node.scripted:
                    raise self.fail(node.pos, "a plain elementwise product sign", self.found(node))
                if cur.peek() is None or self.is_stop(cur.peek()):  # type: ignore[arg-type]
                    raise self.fail(cur.here(), f"a factor after {node.text}", self.found(cur.peek()))
                elementwise = elementwise or node
                right = self.signed(cur, self.factor)
                if node.text == "\\circ" and any(isinstance(f, sp.Symbol) and f.name in functions
                                                  for f in (factors[-1], right)):
                    raise self.fail(node.pos, "an elementwise product", "a composition of functions",
                                    "f \\circ g is not read; write f(g(x))")
                factors[-1] = HADAMARD(factors[-1], right)
            elif node.is_op("*") or (node.kind == "CMD" and node.text in MULOPS):
                cur.next()
                juxtaposed = True
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
                juxtaposed = True
                if node.scripted:
                    raise self.fail(node.pos, "a plain division sign", self.found(node))
                if cur.peek() is None or self.is_stop(cur.peek()):  # type: ignore[arg-type]
                    raise self.fail(cur.here(), "a denominator after `/`", self.found(cur.peek()))
                denominator = self.signed(cur, self.factor)
                self.check_defined(denominator, node.end)
                factors.append(sp.Pow(denominator, -1))
            else:
                juxtaposed = True
                factors.append(self.factor(cur))
        if elementwise is not None and juxtaposed and not all(f.is_number for f in factors[:-1]):
            raise self.fail(elementwise.pos, f"parentheses around the operands of {elementwise.text}",
                            "an elementwise product next to an ordinary one",
                            "`a \\odot b c` is either (a ⊙ b) c or a ⊙ (b c): write the parentheses")
        if sum(self.is_array_like(f) for f in factors) >= 2:
            return MATMUL(*factors)
        return sp.Mul(*factors)

    def indicator(self, items: list[Node], start: int, end: int) -> sp.Expr:
        """The value of a condition, 1 or 0: ``i = k`` between indices is δ_ik, ``a > 0`` is Heaviside(a, 0).

        An equality between values that are not indices is not read: at the points a counterexample
        is drawn from it would be 0 almost everywhere, so a true step could be refuted."""
        at = [q for q, n in enumerate(items) if n.is_op("=", "<", ">") or n.is_cmd(*INDICATOR_RELATIONS)]
        if len(at) != 1 or at[0] == 0 or at[0] == len(items) - 1:
            raise self.fail(start, "one relation between two values in the indicator", f"{len(at)} relations",
                            "write one condition, e.g. [i = k] or \\mathbb{1}[a > 0]")
        relation = items[at[0]]
        sides = (items[:at[0]], items[at[0] + 1:])
        # [i = k]: a lone letter in an indicator of an equality is an index, as in a subscript.
        equality = relation.is_op("=") or relation.is_cmd("neq", "ne")
        lone = equality and all(
            len(side) == 1 and not side[0].scripted and ((side[0].kind == "WORD" and len(side[0].text) == 1)
                                                         or side[0].is_cmd("ell") or side[0].kind == "NUMBER")
            for side in sides)
        saved, self.index_mode = self.index_mode, self.index_mode or lone
        try:
            left = self.read_items(sides[0], start, relation.pos, "a value")
            right = self.read_items(sides[1], relation.end, end, "a value")
        finally:
            self.index_mode = saved
        sign = relation.text if relation.kind == "OP" else relation.text[1:]
        if sign in ("=", "neq", "ne"):
            if not (left.is_integer and right.is_integer):
                raise self.fail(relation.pos, "an equality between indices in the indicator", "values",
                                "an indicator of an equality of real values is 0 almost everywhere, so it is not "
                                "read: write it between index letters, [i = k] or \\delta_{ik} (a one-hot label "
                                "y_i is <!-- derive: labels y one-hot at \\ell -->)")
            delta = sp.KroneckerDelta(left, right)
            return delta if sign == "=" else 1 - delta
        # A step function, not a Piecewise: SymPy's Sum folds a Piecewise out of an inner sum, and the
        # condition on the inner sum's index then stands outside it (Σ_n y_n Σ_q W_qn 1[x_q > 0]).
        above, below = (left, right) if sign in (">", "ge", "geq") else (right, left)
        at_equality = sp.Integer(0) if sign in ("<", ">") else sp.Integer(1)
        return sp.Heaviside(above - below, at_equality)

    def check_defined(self, denominator: sp.Expr, pos: int) -> None:
        """Refuse a division by a literal zero: ``1/0`` has no value, and must not be proved equal to anything."""
        if denominator.is_zero:
            raise self.fail(pos, "a denominator that is not zero", "a division by zero",
                            "an undefined value is never read; fix the formula")

    def is_array_like(self, expr: sp.Expr) -> bool:
        """Whether ``expr`` mentions a declared vector or matrix, or a transpose (its order matters)."""
        if expr.has(TRANSPOSE, MATMUL, HADAMARD, DIAG, ONES):
            return True
        arrays = self.ctx.vectors | self.ctx.matrices
        names = {str(ix.base.label) for ix in expr.atoms(sp.Indexed)} | {str(s) for s in expr.free_symbols}
        return bool(names & arrays)

    def factor(self, cur: Cursor) -> sp.Expr:
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

    def factor_of(self, node: Node, cur: Cursor) -> sp.Expr:
        kind = node.kind
        if kind == "NUMBER":
            if node.sub is not None or node.primes:
                raise self.fail(node.pos, "a number without subscript or prime", self.found(node))
            return self.with_power(self.number(node), node)
        if kind == "WORD":
            return self.word(node, cur)
        if kind == "TEXT":
            content = text_content(node.text).strip()
            if not IDENTIFIER.match(content):
                raise self.fail(node.pos, "an expression", f"prose {self.found(node)}",
                                "annotations belong after `\\quad` or `&&` at the end of a side")
            return self.named(content, node, cur)
        if kind == "CMD":
            return self.command(node, cur)
        if kind == "group" and node.scripted and len(node.children) == 1 and self.is_braced_name(node.children[0]):
            # SymPy writes {W}_{i,j}: the braces hold a name, and the scripts are that name's.
            only = node.children[0]
            named = Node(only.kind, only.text, only.pos, node.end, only.children, node.sub, node.sup, node.primes)
            return self.factor_of(named, cur)
        if kind == "group" and not node.scripted and len(node.children) == 2 and node.children[0].kind == "CMD" \
                and node.children[0].text[1:] in TRANSPARENT and (nxt := cur.peek()) is not None \
                and nxt.kind == "paren":
            # {\\cal C}(w): the braces hold a styled name, and the name is what is applied.
            cur.nodes[cur.i:cur.i] = node.children[1:]
            return self.factor_of(node.children[0], cur)
        if kind == "group" and any(n.is_cmd("over") for n in node.children):
            # {\\partial L \\over \\partial z} f: an operator fraction takes what follows the group.
            over = self.over_fraction(node.children, node.pos, node.end, node)
            assert over is not None
            cur.nodes[cur.i:cur.i] = over[1:]
            return self.factor_of(over[0], cur)
        if kind == "brack" and any(n.is_op("=", "<", ">") or n.is_cmd(*INDICATOR_RELATIONS) for n in node.children):
            # Iverson's bracket [i = k]: 1 when the condition holds, else 0 (never split at its `=`).
            return self.with_value_scripts(self.indicator(node.children, node.pos, node.end), node)
        if kind in GROUPS:
            inner = self.read_items(node.children, node.pos, node.end)
            return self.with_value_scripts(inner, node)
        if node.is_op("|") or kind == "NORMBAR":
            return self.bars(node, cur)
        if node.is_op("+", "-"):
            raise self.fail(node.pos, "a factor", self.found(node))
        raise self.unexpected(node) if self.is_stop(node) or kind in {"OP"} else \
            self.fail(node.pos, "a factor", self.found(node))

    def bars(self, opener: Node, cur: Cursor) -> sp.Expr:
        """``|x|`` (absolute value) and ``\\|v\\|`` (norm, also ``\\|v\\|_2``, ``\\|M\\|_F``) up to the next bar."""
        norm = opener.kind == "NORMBAR"
        name = "\\|" if norm else "|"
        if opener.scripted:
            raise self.fail(opener.pos, f"an opening `{name}` without scripts", self.found(opener))
        inside: list[Node] = []
        while (node := cur.next()) is not None and not (node.kind == opener.kind and (norm or node.text == "|")):
            inside.append(node)
        if node is None:
            raise self.fail(opener.pos, f"a closing `{name}`", "the end", f"close the bars: `{name}x{name}`")
        if not inside:
            raise self.fail(node.pos, f"a value between the bars `{name}...{name}`", "nothing",
                            "bars inside bars are not read; name the inner value in a step of its own")
        value = self.read_items(inside, opener.end, node.pos)
        if norm:
            if node.sub is not None:
                which = self.text[node.sub.pos:node.sub.end].strip("{} ")
                if which not in {"2", "F"}:
                    raise self.fail(node.sub.pos, "the 2-norm (\\|v\\| or \\|v\\|_2) or Frobenius norm (_F)",
                                    show(which), "other norms are not read")
            result = NORM(value)
        elif node.sub is not None:
            # |y - Xβ|_2: single bars with the norm's subscript are the 2-norm (an absolute value has no
            # subscript); any other subscript is not read.
            if self.text[node.sub.pos:node.sub.end].strip("{} ") != "2":
                raise self.fail(node.sub.pos, "no subscript on an absolute value (|v|_2 is the 2-norm)",
                                "a subscript", "write the norm \\|v\\|_2")
            result = NORM(value)
        else:
            result = sp.Abs(value)
        closer = Node(node.kind, node.text, node.pos, node.end, sup=node.sup, primes=node.primes)
        return self.with_value_scripts(result, closer)

    def is_braced_name(self, node: Node) -> bool:
        if node.scripted:
            return False
        if node.kind == "WORD":
            return len(node.text) == 1 or self.is_name_word(node.text)
        return node.kind == "TEXT" or (node.kind == "CMD" and node.text[1:] in GREEK)

    # -- numbers and powers --------------------------------------------------------------------
    def number(self, node: Node) -> sp.Expr:
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
        if base.is_zero and exponent.is_extended_negative:
            raise self.fail(pos, "a power of zero with a positive exponent", f"0^{{{exponent}}}",
                            "an undefined value is never read; fix the formula")
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

    def with_power(self, value: sp.Expr, node: Node) -> sp.Expr:
        if node.sup is None:
            return value
        if self.is_transpose(node.sup):
            return TRANSPOSE(value)
        return self.power(value, self.read_sup(node.sup), node.sup.pos)

    def read_sup(self, sup: Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, False
        try:
            return self.read_node(sup, "an exponent")
        finally:
            self.index_mode = saved

    def with_value_scripts(self, value: sp.Expr, node: Node) -> sp.Expr:
        """Scripts on a group or a computed value: powers and transposes; never an index."""
        if node.sub is not None:
            raise self.fail(node.sub.pos, "no subscript on a bracketed expression", "a subscript",
                            "write the components, e.g. `y_j - t_j`, or an entry of brackets, `(y - t)_j`")
        if node.primes:
            raise self.fail(node.pos, "no prime on a bracketed expression", "`'`",
                            "write the derivative with \\frac{d}{dx}")
        return self.with_power(value, node)

    # -- names ---------------------------------------------------------------------------------
    def is_transpose(self, sup: Node) -> bool:
        node = sup
        if node.kind == "group" and len(node.children) == 1:
            node = node.children[0]
        if node.scripted:
            return False
        return (node.kind == "WORD" and node.text == "T") or node.is_cmd("top", "intercal", "mathsf") or (
            node.kind == "TEXT" and text_content(node.text).strip() == "T")

    # -- read by the parts that extend this class ----------------------------------------------
    def word(self, node: Node, cur: Cursor) -> sp.Expr:
        raise NotImplementedError

    def named(self, name: str, node: Node, cur: Cursor) -> sp.Expr:
        raise NotImplementedError

    def command(self, node: Node, cur: Cursor) -> sp.Expr:
        raise NotImplementedError
