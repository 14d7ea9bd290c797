"""Reading names and commands: letters, Greek, decorations, functions and their arguments.

:class:`Reader` is the whole reader: it adds names to the scripts, derivatives and big
operators of the classes it extends.
"""

from __future__ import annotations

import sympy as sp

from derive.audit.reader.bigops import BigOpReader
from derive.audit.reader.core import Cursor
from derive.audit.reader.tex import Node, show
from derive.audit.reader.vocabulary import (
    BUILTINS,
    CALLIGRAPHIC,
    DECORATIONS,
    EXPECT,
    FRACS,
    FUNCTION_LETTERS,
    GREEK,
    INDICATOR_RELATIONS,
    MARKERS,
    MULOPS,
    ONES,
    RELATIONS,
    RELU_NAMES,
    TRANSPARENT,
    letters_ok,
)


class Reader(BigOpReader):
    """The whole reader: adds names, commands and function application."""


    def word(self, node: Node, cur: Cursor) -> sp.Expr:
        return self.named(node.text, node, cur)

    def named(self, name: str, node: Node, cur: Cursor) -> sp.Expr:
        """A name written as letters or ``\\text{..}``: a builtin, a function applied, or a variable."""
        stem = name.rstrip("'")
        if name == "d" and not node.sub and not node.sup:
            slashed = self.slashed_derivative(node, cur)  # dy/dx, \mathrm{d}y/\mathrm{d}x
            if slashed is not None:
                return slashed
        if stem in BUILTINS:
            return self.builtin(stem, node, cur)
        applied = self.application(stem, node, cur, primes=name.count("'"))
        if applied is not None:
            return applied
        if not letters_ok(stem) and not stem.replace("_", "").isalnum():
            raise self.fail(node.pos, "a name", self.found(node))
        return self.make_name(name, node)

    def application(self, stem: str, node: Node, cur: Cursor, *, primes: int = 0,
                    styled: bool = False) -> sp.Expr | None:
        """``name(args)``: a function applied, a marker or max(0, x); None when ``name`` is a value.

        A name followed by ``(`` is a function unless it is a value: bound, declared (a vector,
        matrix, size, index or scalar), Euler's e, or a single letter that the step also uses
        as a value (``x(w + x)``, ``a(b + c) = ab + ac``: a name is never both). Any other
        single letter (or Greek letter) that is not a conventional function letter (f, g, h,
        φ, Φ, ψ) is not read: it may be a product ``a(b+c)`` or a function ``a(x)``, and only
        a declaration can say.
        """
        nxt = cur.peek()
        if nxt is not None and nxt.kind == "paren" and node.sup is not None and node.sub is None \
                and ((len(stem) > 1 and stem not in GREEK) or stem in self.ctx.functions) \
                and not self.is_transpose(node.sup):
            # \operatorname{gelu}^2(x) is the square of gelu(x), never the product gelu²·x.
            raise self.fail(node.pos, f"a function applied, then its power: `({stem}(...))^{{..}}`",
                            f"`{stem}` with a power before `(`",
                            f"a power between a function's name and its argument is not read; "
                            f"write \\left({stem}(x)\\right)^2")
        if nxt is not None and nxt.kind == "paren" and node.sub is not None and node.sup is None \
                and stem in self.ctx.indexed_functions and stem not in self.scope:
            found, label = self.subscript(node.sub, stem)
            if label is None:
                return self.apply(stem, node.primes + primes, cur, found)
        if nxt is None or nxt.kind != "paren" or node.sub is not None or node.sup is not None \
                or stem in self.scope:
            return None
        ctx = self.ctx
        if stem in ctx.functions:
            return self.apply(stem, node.primes + primes, cur)
        values = ctx.vectors | ctx.matrices | ctx.sizes | ctx.indices | ctx.scalars
        if (stem in values and not (styled and stem in ctx.sizes - ctx.scalars)) or (stem == "e" and ctx.euler):
            return None  # a value multiplies (a calligraphic C is a cost, never the default size C)
        if stem in self.step_values and (len(stem) == 1 or stem in GREEK) and stem not in FUNCTION_LETTERS:
            return None
        if stem in MARKERS or stem in RELU_NAMES:
            return self.marker(stem, node, cur)
        if (len(stem) > 1 and stem not in GREEK) or stem in FUNCTION_LETTERS or styled:
            return self.apply(stem, node.primes + primes, cur)
        shown = "\\" + stem if stem in GREEK else stem
        word = self.written_word(node)
        if word is not None:
            # Softmax(z) without a backslash is the letters S·o·f·t·m·a·x, the last one before (.
            raise self.fail(node.pos + 1 - len(word), f"a function name, not the letters of `{word}`",
                            f"`{word}(` written as letters",
                            f"`{word}` without a backslash is read as a product of its letters; for the "
                            f"function write `{self.function_spelling(word)}(...)`")
        raise self.fail(node.pos, f"a product or a function application, not both: `{shown}(...)`",
                        f"`{shown}` followed by `(`",
                        f"it is either the product {shown}·(...) or a function {shown} applied to (...); "
                        f"declare `scalar {shown}` for the product, or define the function "
                        f"(`define {shown}(x) = ...`), or write `{shown} \\cdot (...)`")

    def written_word(self, node: Node) -> str | None:
        """The run of 3 to 30 letters the single letter ``node`` ends, as the source writes it, or None (a
        longer run is no name, and its message would echo all of it)."""
        end = node.pos + 1
        start = end
        while start > 0 and self.text[start - 1].isalpha() and end - start <= 30:
            start -= 1
        before = self.text[start - 1] if start > 0 else ""
        if before == "\\" or before.isalpha() or end - start < 3 or self.text[end - 1:end] != node.text:
            return None
        return self.text[start:end]

    def function_spelling(self, word: str) -> str:
        """How to write ``word`` as a function: the known one it names (``\\mathrm{softmax}``, ``\\log``), else an
        operator name of its own."""
        lower = word.lower()
        if lower in BUILTINS:
            return "\\" + lower
        if lower in self.ctx.functions or lower in RELU_NAMES:
            return f"\\mathrm{{{lower}}}"
        return f"\\operatorname{{{word}}}"

    def marker(self, name: str, node: Node, cur: Cursor) -> sp.Expr:
        """``\\operatorname{diag}(v)``, ``\\operatorname{tr}(M)`` as markers; ``ReLU(x)`` as max(0, x)."""
        paren = cur.next()
        assert paren is not None and paren.kind == "paren"
        if node.primes:
            raise self.fail(node.pos, f"{name} without a prime", "`'`", "write the derivative explicitly")
        args = self.call_args(paren) if paren.children else []
        if len(args) != 1:
            raise self.fail(paren.pos, f"one argument of {name}", f"{len(args)}")
        value = sp.Max(0, args[0]) if name in RELU_NAMES else MARKERS[name](args[0])
        return self.with_value_scripts(value, paren)

    def command(self, node: Node, cur: Cursor) -> sp.Expr:
        name = node.text[1:]
        text = node.text
        if name in {"sum", "prod"} or (name in {"Sigma", "Pi"} and (node.sub or node.sup)):
            return self.bigop(node, cur, sp.Product if name in {"prod", "Pi"} else sp.Sum)
        if text in FRACS:
            return self.frac(node, cur)
        if name == "nabla":
            return self.nabla(node, cur)
        if name == "partial":
            slashed = self.slashed_derivative(node, cur)
            if slashed is not None:
                return slashed
            if node.sub is not None:
                raise self.fail(node.pos, "a derivative in fraction form", "`\\partial_{..}`",
                                "\\partial_i f does not say which vector i indexes: write "
                                "\\frac{\\partial f}{\\partial x_i}")
            raise self.fail(node.pos, "an expression", "`\\partial` outside a derivative",
                            "write \\frac{\\partial f}{\\partial x}")
        if name in BUILTINS:
            return self.builtin(name, node, cur)
        if name == "sigma":
            nxt = cur.peek()
            if nxt is not None and nxt.kind == "paren" and node.sub is None and node.sup is None:
                return self.apply(self.ctx.sigma, node.primes, cur)
            return self.make_name(name, node)
        if name in GREEK:
            applied = self.application(name, node, cur)
            return applied if applied is not None else self.make_name(name, node)
        if name in DECORATIONS or name in TRANSPARENT:
            arg = cur.next()
            if arg is None:
                raise self.fail(cur.end, f"an argument after {text}", "the end", f"write {text}{{x}}")
            if node.scripted:
                raise self.fail(node.pos, f"scripts after the argument of {text}", self.found(node))
            if name in TRANSPARENT and self.is_one(arg):
                indicator = self.indicator_after(arg, cur)  # \mathbf{1}\{i = k\}, \mathbf{1}_{i = k}
                if indicator is not None:
                    return indicator
                # \mathbf{1}: the vector of ones; \mathbf{1}_N says its length, which its use gives too.
                return self.with_value_scripts(ONES(), self.without_size(arg))
            if name in TRANSPARENT and self.is_one(arg, "0"):
                raise self.fail(node.pos, "an expression", f"the zero vector {text}{{0}}",
                                "a bold zero is a vector, not the number 0, and `... = \\mathbf{0}` is mostly a "
                                "gradient set to zero (an equation to solve, not an identity); it is not read "
                                "until the semantics has a zero array: write the step with a plain 0 to check it "
                                "entry by entry")
            base = self.decorated_name(node, arg)
            if base is None:  # e.g. \mathbf{1}: the decoration is typographic only
                return self.with_value_scripts(self.read_node(arg.bare()), arg)
            if name in TRANSPARENT:
                # \mathcal{J}(a + b) applies J (a calligraphic letter names a function or a loss, never
                # a factor); \mathbf{x}(...) is read like x(...): a value multiplies, else it is ambiguous.
                applied = self.application(base, arg, cur, styled=name in CALLIGRAPHIC)
                if applied is not None:
                    return applied
            return self.make_name(base, arg)
        if name in {"underbrace", "overbrace", "underset", "overset"}:
            return self.braced_note(node, cur)
        if name == "boxed":
            arg = cur.next()
            if arg is None:
                raise self.fail(cur.end, "an argument after \\boxed", "the end")
            return self.with_value_scripts(self.read_node(arg.bare()), arg)
        if name == "sqrt":
            return self.sqrt(node, cur)
        if name == "infty":
            raise self.fail(node.pos, "a finite value", "`\\infty`",
                            "infinity is not a number: a step with \\infty is not read")
        if name == "pi":
            return self.with_value_scripts(sp.pi, node)
        if name == "mathbb":
            arg = cur.peek()
            inner = arg.children if arg is not None and arg.kind == "group" else [arg] if arg is not None else []
            letter = inner[0].text if len(inner) == 1 else ""
            if letter in ("1", "I") and arg is not None:
                cur.next()
                indicator = self.indicator_after(arg, cur)
                if indicator is not None:
                    return indicator
                if letter == "I":
                    raise self.fail(node.pos, "an indicator \\mathbb{I}(condition)", self.found(cur.peek()),
                                    "write the condition in brackets: \\mathbb{I}[i = k]")
                return self.with_value_scripts(ONES(), self.without_size(arg))
            if letter == "E" and arg is not None:
                if not self.ctx.expectations:
                    raise self.fail(node.pos, "an expression", "an expectation \\mathbb{E}",
                                    "expectations are not read unless the post declares them; write the "
                                    "average as a sum, e.g. \\frac{1}{N} \\sum_{n=1}^{N}")
                return self.expectation(arg, cur)
            raise self.fail(node.pos, "an expression", "a set such as \\mathbb{R}",
                            "set memberships are read with read_membership()")
        if text in MULOPS:
            raise self.fail(node.pos, "a factor before the multiplication sign", self.found(node))
        if name in {"ldots", "cdots", "dots", "vdots", "ddots"}:
            raise self.fail(node.pos, "an expression", "an ellipsis", "write the sum with \\sum")
        if text in RELATIONS or name == "in":
            raise self.unexpected(node)
        raise self.fail(node.pos, "a known LaTeX command", self.found(node),
                        "the reader knows sums, fractions, derivatives, logs, exps, Greek letters "
                        "and decorations such as \\hat")

    def without_size(self, arg: Node) -> Node:
        """``\\mathbf{1}_N``: the subscript of the vector of ones is its length, not an index."""
        if arg.sub is not None and not self.has_relation(arg.sub.children if arg.sub.kind == "group" else [arg.sub]):
            return Node(arg.kind, arg.text, arg.pos, arg.end, arg.children, None, arg.sup, arg.primes)
        return arg

    @staticmethod
    def has_relation(items: list[Node]) -> bool:
        return any(n.is_op("=", "<", ">") or n.is_cmd(*INDICATOR_RELATIONS) for n in items)

    def indicator_after(self, one: Node, cur: Cursor) -> sp.Expr | None:
        """The indicator ``1[a > 0]``, ``1\\{i = k\\}``, ``1(i = k)`` or ``1_{i = k}`` (the 1 read), or None."""
        if one.sub is not None and self.has_relation(one.sub.children if one.sub.kind == "group" else [one.sub]):
            sub = one.sub
            value = self.indicator(sub.children if sub.kind == "group" else [sub], sub.pos, sub.end)
            return self.with_value_scripts(value, Node("group", "", one.pos, one.end, sup=one.sup))
        nxt = cur.peek()
        if nxt is not None and nxt.kind in {"brack", "setbrace", "paren"} and self.has_relation(nxt.children):
            cur.next()
            return self.with_value_scripts(self.indicator(nxt.children, nxt.pos, nxt.end), nxt)
        return None

    def braced_note(self, node: Node, cur: Cursor) -> sp.Expr:
        """``\\underbrace{x}_{note}``, ``\\overbrace{x}^{note}``: the value is x, the note is a remark.

        ``\\underset{note}{x}`` and ``\\overset{note}{x}`` likewise, except over a relation
        (``\\overset{def}{=}``), which is not an expression."""
        name = node.text[1:]
        if node.scripted:
            raise self.fail(node.pos, f"scripts after the argument of {node.text}", self.found(node))
        if name in {"underset", "overset"}:
            note = cur.next()
            if note is None or note.kind != "group":
                raise self.fail(cur.here(), f"the note of {node.text} in braces", self.found(note))
        arg = cur.next()
        if arg is None or arg.kind != "group":
            raise self.fail(cur.here(), f"the braced argument of {node.text}", self.found(arg),
                            f"write {node.text}{{x}}")
        # The note under (over) the brace is dropped; a brace with no note is still the value under it.
        kept = Node(arg.kind, arg.text, arg.pos, arg.end, arg.children,
                    None if name == "underbrace" else arg.sub, None if name == "overbrace" else arg.sup,
                    arg.primes)
        return self.with_value_scripts(self.read_items(kept.children, kept.pos, kept.end), kept)

    def expectation(self, arg: Node, cur: Cursor) -> sp.Expr:
        """``\\mathbb{E}[X]``, ``\\mathbb{E}_{x}[X]``: ``EXPECT(X)``, ``EXPECT(X, x)`` (declared only)."""
        cur.next()
        body = cur.next()
        if body is None or body.kind not in {"brack", "paren"}:
            raise self.fail(body.pos if body is not None else cur.end, "the argument of \\mathbb{E} in brackets",
                            self.found(body), "write \\mathbb{E}[X]")
        if arg.sup is not None or arg.primes:
            raise self.fail(arg.pos, "\\mathbb{E} without a power", self.found(arg))
        value = self.read_items(body.children, body.pos, body.end)
        over = [self.read_node(arg.sub, "what the expectation is over")] if arg.sub is not None else []
        return self.with_value_scripts(EXPECT(value, *over), body)

    def is_one(self, arg: Node, digit: str = "1") -> bool:
        """Whether ``arg`` is the number ``digit`` (1: ``\\mathbf{1}`` is the vector of ones)."""
        inner = arg.bare()
        while inner.kind == "group" and len(inner.children) == 1 and not inner.children[0].scripted:
            inner = inner.children[0]
        return inner.kind == "NUMBER" and inner.text == digit

    def decorated_name(self, node: Node, arg: Node) -> str | None:
        """The name of ``\\hat{y}`` (``yhat``) and of transparent decorations, or None."""
        name = node.text[1:]
        inner = arg.bare()
        while inner.kind == "group" and len(inner.children) == 1 and not inner.children[0].scripted:
            inner = inner.children[0]
        base: str | None = None
        if inner.kind == "WORD" and len(inner.text) == 1:
            base = inner.text
        elif inner.kind == "CMD" and inner.text[1:] in GREEK:
            base = inner.text[1:]
        elif inner.kind == "CMD" and (inner.text[1:] in DECORATIONS or inner.text[1:] in TRANSPARENT):
            base = None
        elif inner.kind == "group" and len(inner.children) == 2 and inner.children[0].kind == "CMD" \
                and not inner.children[0].scripted and not inner.children[1].scripted:
            base = self.decorated_name(inner.children[0], inner.children[1])
        if base is None:
            return None
        return base + DECORATIONS[name] if name in DECORATIONS else base

    # -- functions -----------------------------------------------------------------------------
    def call_args(self, paren: Node, *, whole: bool = False) -> list[sp.Expr]:
        """The arguments in ``(...)``; a whole vector is passed by its label unless ``whole``
        (a builtin such as tanh applies elementwise to the array itself)."""
        parts = self.split_commas(paren.children, paren.pos)
        args = [self.read_items(p, paren.pos, paren.end, "an argument") for p in parts]
        return args if whole else [a.label if isinstance(a, sp.IndexedBase) else a for a in args]

    def builtin(self, name: str, node: Node, cur: Cursor) -> sp.Expr:
        fn = BUILTINS[name]
        if node.primes:
            raise self.fail(node.pos, f"\\{name} without a prime", "`'`", "write the derivative explicitly")
        base: sp.Expr | None = None
        if node.sub is not None:
            if name in ("max", "min"):
                raise self.fail(node.sub.pos, f"no subscript on \\{name}", "a subscript",
                                f"a {name}imum over an index (\\{name}_i z_i) has no derivative the audit can "
                                f"take; write \\{name}(0, x) for two values, or name the {name}imum and "
                                f"declare it: <!-- derive: scalar m -->")
            if name != "log":
                raise self.fail(node.sub.pos, f"no subscript on \\{name}", "a subscript")
            base = self.read_sup(node.sub)
        nxt = cur.peek()
        if nxt is None or self.is_stop(nxt) or self.is_addop(nxt):
            raise self.fail(cur.here(), f"the argument of \\{name}", self.found(nxt), f"write \\{name}(x)")
        if nxt.kind in {"paren", "group", "brack"}:
            cur.next()
            args = self.call_args(nxt, whole=True) if nxt.kind == "paren" else [self.read_node(nxt.bare())]
            arity_ok = len(args) >= 2 if name in {"max", "min"} else len(args) == 1
            if not arity_ok:
                raise self.fail(nxt.pos, f"the right number of arguments for \\{name}", f"{len(args)}")
            value = fn(*args) if base is None else sp.log(args[0], base)
            value = self.with_value_scripts(value, nxt)
        else:
            if name in {"max", "min"}:
                raise self.fail(nxt.pos, f"parentheses after \\{name}", self.found(nxt))
            arg = self.factor(cur)
            value = fn(arg) if base is None else sp.log(arg, base)
        if node.sup is not None:
            value = self.with_power(value, node.bare_with_sup())
        return value

    def apply(self, name: str, primes: int, cur: Cursor, subscript: list[sp.Expr] | None = None) -> sp.Expr:
        """``name(args)`` as an undefined function; vector functions take components as an argument.

        ``subscript``: the indices written on the name (``g_k(z)``), its arguments after those in parentheses."""
        paren = cur.next()
        assert paren is not None and paren.kind == "paren"
        if not paren.children:
            raise self.fail(paren.pos, f"the arguments of {name}", "`()`")
        args = self.call_args(paren) + list(subscript or ())
        vector = name in self.ctx.vector_functions
        if vector and len(args) == 1 and isinstance(args[0], sp.Indexed):
            args = [args[0].base.label, *args[0].indices]
        if paren.sub is not None:
            found, label = self.subscript(paren.sub, name)
            if label is not None:
                raise self.fail(paren.sub.pos, "an index", show(label))
            args.extend(found)
        value: sp.Expr
        if primes and len(args) == 1 and not vector:
            f = sp.Function(name)
            (x,) = args
            if isinstance(x, (sp.Symbol, sp.Indexed)):
                value = sp.Derivative(f(x), (x, primes), evaluate=False)
            else:
                xi = sp.Symbol("xi", real=True)
                value = sp.Subs(sp.Derivative(f(xi), (xi, primes), evaluate=False), xi, x)
        else:
            value = sp.Function(name + "'" * primes)(*args)
        if paren.sup is not None:
            value = self.with_power(value, paren)
        return value

    def sqrt(self, node: Node, cur: Cursor) -> sp.Expr:
        nxt = cur.next()
        degree: sp.Expr | None = None
        if nxt is not None and nxt.kind == "brack" and not nxt.scripted:
            degree = self.read_items(nxt.children, nxt.pos, nxt.end, "the degree of the root")
            nxt = cur.next()
        if nxt is None:
            raise self.fail(cur.end, "the argument of \\sqrt", "the end", "write \\sqrt{x}")
        radicand = self.read_node(nxt.bare())
        value = sp.sqrt(radicand) if degree is None else self.power(radicand, 1 / degree, nxt.pos)
        return self.with_value_scripts(value, nxt)
