"""Reading scripts: subscripts as indices, sample superscripts, and the names they build."""

from __future__ import annotations

import sympy as sp

from derive.audit.reader.core import Cursor, ReaderCore
from derive.audit.reader.tex import Node, ReadError, show, text_content
from derive.audit.reader.vocabulary import ENTRY, GREEK, IDENTIFIER, TRANSPOSE


class ScriptReader(ReaderCore):
    """Adds subscripts (indices), sample superscripts and the names they build."""


    def sample_index(self, sup: Node) -> sp.Expr | None:
        """The index of a superscript in parentheses, ``z^{(i)}``, ``W^{(l+1)}``; None for a power."""
        if sup.kind != "group" or len(sup.children) != 1:
            return None
        paren = sup.children[0]
        if paren.kind != "paren" or paren.scripted:
            return None
        if not paren.children:
            raise self.fail(paren.pos, "a sample index in `^{(...)}`", "nothing")
        return self.read_index(Node("group", "", paren.pos, paren.end, paren.children))

    def layer_label(self, sup: Node) -> sp.Expr | None:
        """The label of a superscript that counts layers, ``l`` of ``z^l_j``, ``l+1`` of ``w^{l+1}_{kj}``: only
        letters the post says count layers (``ctx.layer_letters``); None for anything else (a power)."""
        if not self.ctx.layer_letters or sup.primes or self.is_transpose(sup):
            return None
        if sup.kind == "group" and len(sup.children) == 1 and sup.children[0].kind == "paren":
            return None  # z^{(l)}: a label in parentheses, read as such below
        node = sup if sup.kind == "group" else Node("group", "", sup.pos, sup.end, [sup])
        try:
            label = self.read_index(node)
        except ReadError:
            return None
        return label if _counts_layers(label, self.ctx.layer_letters) else None

    def with_value_scripts(self, value: sp.Expr, node: Node) -> sp.Expr:
        """A subscript on a bracketed expression is an entry of it: ``[(\\hat{y} - y) x^T]_{ab}``."""
        if node.sub is not None and node.kind in {"brack", "paren"}:
            indices, label = self.subscript(node.sub, "")
            if label is not None:
                raise self.fail(node.sub.pos, "indices after a bracketed expression", show(label))
            value = ENTRY(value, *indices)
            node = Node(node.kind, node.text, node.pos, node.end, node.children, None, node.sup, node.primes)
        return super().with_value_scripts(value, node)

    def factor_of(self, node: Node, cur: Cursor) -> sp.Expr:
        """Adds ``{W_{2}}_{ij}``: entry (i, j) of the array whose name has a subscript of its own."""
        only = node.children[0] if node.kind == "group" and len(node.children) == 1 else None
        if node.sub is None or only is None or only.sub is None or only.sup is not None or only.primes:
            return super().factor_of(node, cur)
        if only.kind == "WORD":
            stem = only.text
        elif only.kind == "CMD" and only.text[1:] in GREEK:
            stem = only.text[1:]
        else:
            return super().factor_of(node, cur)
        # W_{2}_{ij} is a TeX error (a double subscript), so the printer writes the array W2 this way.
        name = self.subscripted_name(stem, only.sub, node.sub)
        return self.named(name, Node("WORD", name, only.pos, node.end, [], node.sub, node.sup, node.primes), cur)

    def subscripted_name(self, stem: str, sub: Node, outer: Node) -> str:
        """The name ``W_{2}`` or ``b_{out}`` stands for inside braces: ``W2`` (as SymPy names it), ``b_out``."""
        indices, label = self.subscript(sub, stem)
        if label is not None:
            return f"{stem}_{label}"
        if indices and all(isinstance(q, sp.Integer) and q >= 0 for q in indices):
            return stem + "".join(str(q) for q in indices)
        shown, rest = (self.text[n.pos:n.end].strip("{} ") for n in (sub, outer))
        raise self.fail(sub.pos, "a number or a label in the subscript of a braced name, e.g. `{W_{2}}_{ij}`",
                        show(shown), f"for an entry of a family write all its indices in one subscript, "
                                     f"`{stem}_{{{shown},{rest}}}`")

    def plain(self, name: str) -> sp.Expr:
        bound = self.scope.get(name)
        if bound:
            return bound[-1]
        if self.index_mode or name in self.ctx.sizes or name in self.ctx.indices:
            return sp.Symbol(name, integer=True, positive=True)
        if name in self.ctx.vectors:
            return sp.IndexedBase(name, real=True)
        return sp.Symbol(name, real=True)

    def read_index(self, node: Node) -> sp.Expr:
        saved, self.index_mode = self.index_mode, True
        try:
            return self.read_node(node, "an index")
        finally:
            self.index_mode = saved

    def subscript(self, sub: Node, base: str) -> tuple[list[sp.Expr], str | None]:
        """The indices of a subscript, or a label that becomes part of the name."""
        node = sub
        if node.kind == "group" and len(node.children) == 1 and not node.children[0].scripted:
            only = node.children[0]
            if only.kind == "TEXT":
                node = only
            elif only.kind == "WORD" and len(only.text) > 1:
                word = only.text
                split = (base in self.ctx.matrices
                         or all(c in self.scope or c in self.ctx.indices for c in word)
                         or (word.islower() and len(word) <= 3 and word not in self.ctx.labels))
                if split:
                    return [self.read_index(Node("WORD", c, only.pos + q, only.pos + q + 1))
                            for q, c in enumerate(word)], None
                return [], word
        if node.kind == "TEXT":
            content = text_content(node.text).strip()
            if not IDENTIFIER.match(content):
                raise self.fail(node.pos, "a name or an index", f"prose {self.found(node)}")
            return [], content
        if node.kind == "group":
            parts = self.split_commas(node.children, node.pos)
            if len(parts) > 1:
                saved, self.index_mode = self.index_mode, True
                try:
                    return [self.read_items(p, node.pos, node.end, "an index") for p in parts], None
                finally:
                    self.index_mode = saved
            atoms = self.expand(node.children)
            if len(atoms) > 1 and all(self.is_index_atom(a) for a in atoms):
                # W_{i j}, W_{a\ell}, \delta_{n\ell}: one index per item, never the product i*j.
                # With a number among them (x_{2i}) the items could be one product, unless the base is
                # a declared matrix: its entries have exactly one index per item (V_{a1} is V[a, 1]).
                if any(a.kind == "NUMBER" for a in atoms) and base not in self.ctx.matrices:
                    shown = self.text[node.pos:node.end]
                    items = [self.text[a.pos:a.end] for a in atoms]
                    product = " \\cdot ".join(items)
                    raise self.fail(node.pos, "indices separated by commas", show(shown),
                                    f"`_{shown}` is either one index per item or their product; write "
                                    f"`_{{{','.join(items)}}}` for {len(items)} indices or "
                                    f"`_{{{product}}}` for one, or declare the matrix")
                return [self.read_index(a) for a in atoms], None
        return [self.read_index(node)], None

    def upper_indices(self, sup: Node) -> list[sp.Expr] | None:
        """The indices of a superscript of index letters (``^{ia}``, ``^j``, ``^{j'}``), or None (a power,
        a transpose, a layer's label)."""
        if self.is_transpose(sup):
            return None
        nodes = sup.children if sup.kind == "group" else [sup]
        letters: list[Node] = []
        for node in nodes:
            if node.kind != "WORD" or not node.text.isalpha() or not node.text.islower() or \
                    (node.scripted and not (node.primes and node.sub is None and node.sup is None)):
                return None
            letters += [Node("WORD", c, node.pos + q, node.pos + q + 1) for q, c in enumerate(node.text)]
            if node.primes:
                letters[-1] = Node("WORD", letters[-1].text, letters[-1].pos, letters[-1].end, primes=node.primes)
        if not letters:
            return None
        return [self.read_index(n) for n in letters]

    def is_index_atom(self, node: Node) -> bool:
        """One letter, a Greek letter or a number, without scripts: an item of ``W_{i j}``."""
        if node.scripted:
            return False
        return (node.kind == "WORD" and len(node.text) == 1) or node.kind == "NUMBER" or (
            node.kind == "CMD" and node.text[1:] in GREEK)

    def split_commas(self, nodes: list[Node], pos: int) -> list[list[Node]]:
        parts: list[list[Node]] = [[]]
        for node in nodes:
            if node.is_op(",") and not node.scripted:
                parts.append([])
            else:
                parts[-1].append(node)
        for part in parts:
            if not part and len(parts) > 1:
                raise self.fail(pos, "an item between commas", "nothing", "remove the extra comma")
        return parts

    def make_name(self, name: str, node: Node, *, extra_index: sp.Expr | None = None) -> sp.Expr:
        """A name with its scripts: a symbol, an indexed entry, a power, a transpose."""
        if node.primes:
            name += "'" * node.primes
        sup = node.sup
        if name == "e" and self.ctx.euler and node.sub is None and extra_index is None \
                and name not in self.scope:
            if sup is None:
                return sp.E
            if self.is_transpose(sup):
                return TRANSPOSE(sp.E)
            return sp.exp(self.read_sup(sup))
        indices: list[sp.Expr] = []
        upper = self.upper_indices(sup) if sup is not None and self.ctx.upper_indices else None
        if upper is not None:
            indices, sup = upper, None  # Q^{ia}: entry (i, a); \delta^j_m: the upper index first
        layer = self.layer_label(sup) if sup is not None and upper is None else None
        if layer is not None:
            # z^l_j, a^{l-1}_k where the post says l counts layers: a layer's label, as z^{(l)}_j would be.
            name, sup = f"{name}^({_label(layer)})", None
        sample = self.sample_index(sup) if sup is not None else None
        if sample is not None and ((sample.is_Integer and not self.ctx.numbered_samples) or _layer(sample)
                                   or _counts_layers(sample, self.ctx.layer_letters)):
            # h^{(1)}, W^{(2)}, a^{(L-1)}: a layer's label, part of the name (h^{(1)} and h^{(2)} are two
            # arrays). A capital letter counts layers (the last, L), never samples (i, n, t).
            name, sup, sample = f"{name}^({_label(sample)})", None, None
        if sample is not None:
            sup = None
            # Dropped only when the whole step speaks of this one free sample (see prepass).
            droppable = isinstance(sample, sp.Symbol) and sample.name == self.droppable_sample \
                and sample.name not in self.scope and name not in self.ctx.per_sample
            if not droppable:
                indices.append(sample)
        if node.sub is not None:
            found, label = self.subscript(node.sub, name)
            if label is not None:
                name = f"{name}_{label}"
            indices.extend(found)
        if extra_index is not None:
            indices.append(extra_index)
        value: sp.Expr
        if name == "delta" and len(indices) == 2 and "delta" not in self.ctx.vectors:
            value = sp.KroneckerDelta(*indices)  # \delta_{ij}, as in the softmax Jacobian
        elif indices:
            value = sp.IndexedBase(name, real=True)[tuple(indices)]
        else:
            value = self.plain(name)
        if sup is None:
            return value
        if self.is_transpose(sup):
            return TRANSPOSE(value)
        return self.power(value, self.read_sup(sup), sup.pos)


def _layer(label: sp.Expr) -> bool:
    """Whether a superscript's label in parentheses names a layer by a capital letter: ``(L)``, ``(L-1)``."""
    return bool(label.free_symbols) and all(len(x.name) == 1 and x.name.isupper() for x in label.free_symbols)


def _counts_layers(label: sp.Expr, letters: frozenset[str]) -> bool:
    """Whether ``label`` is a layer letter the post names, or one plus or minus a number: ``l``, ``l-1``."""
    free = label.free_symbols
    if len(free) != 1:
        return False
    (letter,) = free
    return letter.name in letters and (label - letter).is_Integer


def _label(label: sp.Expr) -> str:
    """A layer's label as part of a name: ``2``, ``L``, ``L-1`` (as written, without spaces)."""
    return sp.sstr(label).replace(" ", "")
