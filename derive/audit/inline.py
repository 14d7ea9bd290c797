"""What the prose around a post's displays says: the shapes and domains of its inline math
(``$W \\in \\mathbb{R}^{n \\times d}$``, ``$\\lambda > 0$``), which inline math is a claim to check,
the displays it states only as suppositions ("for some matrix A"), and what it says the labels are.

The post's reading loop (:mod:`derive.audit.post`) asks; this module answers from the text alone,
or by a declaration the prose amounts to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from derive.audit.declarations import PostState, assume, declare
from derive.audit.gradient_notation import loss_of_the_notation
from derive.audit.names_written import POWER_NAME
from derive.audit.prose import (
    CASE_RELATION,
    count_stated,
    data_stated,
    entries_stated,
    labels_stated,
    length_stated,
    read_declared_membership,
    scalars_stated,
    states_a_value,
)
from derive.audit.reader import ReadError, split_chains_spans
from derive.audit.results import AuditStep, StepStatus
from derive.audit.scan import Declaration, Display, Inline
from derive.audit.symbols import Entry

__all__ = ["CASE_GAP", "CLAIM", "read_gradient_notation", "read_inline", "read_kinds", "read_labels",
           "read_power_names", "supposition"]

#: A scalar's domain in prose: ``\\lambda > 0``, ``0 \\le \\epsilon \\le 1``, ``t \\in \\{0, 1\\}``.
_PROSE_DOMAIN = re.compile(r"[^=]*(?:<|>|\\le|\\leq|\\ge|\\geq|\\lt|\\gt)(?![A-Za-z])[^=]*"
                           r"|[^=]*\\in\s*\\\{[^{}]*\\\}")


def read_domain(post: PostState, body: str) -> bool:
    """A scalar's domain stated in the prose, applied like ``assume``; True if ``body`` has a domain's form.

    A later domain of the same name replaces the earlier one, as a later ``assume`` does: "for a
    positive input, $x > 0$ ... for a negative input, $x < 0$" are two cases, and a step after the second
    is decided under it (keeping the first made a false step valid there). A relation that is no
    scalar's domain is prose, not a declaration."""
    text = body.strip()
    if not _PROSE_DOMAIN.fullmatch(text) or "\\neq" in text:
        return False
    saved = dict(post.domains)
    problem = assume(post, text)
    if problem is not None:
        post.domains.clear()
        post.domains.update(saved)
    return True


def read_inline(post: PostState, body: str) -> bool | str:
    """A shape or a scalar's domain in the prose's inline math, read like a display one (never
    checked): ``$W \\in \\mathbb{R}^{n \\times d}$``, ``$\\lambda > 0$``, ``$t \\in \\{0, 1\\}$``;
    :data:`CLAIM` when it holds a claim or a definition (``$u' = e^x$``, ``$u = Z w$``), to be read as a
    display; True when it states a value (``$y_i = 1$``) or names two indices.

    False when ``body`` can never define or declare anything (no ``\\in``, no chain of two sides),
    whatever the post has declared: the audit need not read it again.
    """
    if read_domain(post, body):
        return True
    if "\\in" in body:
        read_declared_membership(post, body, prose=True)
        return True
    try:
        chains = split_chains_spans(body)
    except ReadError:
        # An equation that cannot be split (a bracket left open) is reported not read, as a display's is.
        return CLAIM if "=" in body else False
    if all(len(chain) < 2 for chain in chains):
        return False
    for chain in chains:
        if len(chain) < 2:
            continue
        (ltext, _), (rtext, _) = chain[0], chain[1]
        if len(chain) == 2 and CASE_RELATION.fullmatch(ltext + "=" + rtext):
            continue  # "the diagonal, $i = j$": two indices named, no claim
        try:
            lhs, rhs = post.read(ltext), post.read(rtext)
        except ReadError:
            return CLAIM  # read as a display is, so that what cannot be read is said
        # "when $L = 0$" states a case, "exactly one $y_i = 1$" a value: neither is a claim nor a definition.
        if len(chain) > 2 or not states_a_value(lhs, rhs):
            return CLAIM
    return True


#: What :func:`read_inline` returns for inline math that holds a claim or a definition: it is read as a
#: display is, and its steps are reported at its line (a post's inline steps are steps of its derivation).
CLAIM = "claim"


#: Prose that makes a display a supposition: "write $$R = A X$$ for some matrix A", "suppose $$...$$".
_SUPPOSED_AFTER = re.compile(r"\s*(?:\$\$|\\\]|\\end\s*\{[^{}]*\})?\s*[,.;:]?\s*(?P<words>for\s+(?:some|any|an?\s+"
                             r"arbitrary)\b[^.$\n]{0,40})", re.IGNORECASE)
_SUPPOSED_BEFORE = re.compile(r"\b(?P<words>suppose|supposing|say)(?:\s+that)?\s*[,:]?\s*(?:\$\$|\\\[|\\begin\s*"
                              r"\{[^{}]*\})?\s*\Z", re.IGNORECASE)


def supposition(text: str, display: Display) -> str:
    """The prose's words when it states ``display`` as a supposition (for some A; suppose), else ``""``.

    Examples:
        >>> post = "We write $$R = A X$$ for some matrix A."
        >>> supposition(post, Display("R = A X", post.index("R"), 1))
        'for some matrix A'
    """
    end = display.offset + len(display.body)
    after = _SUPPOSED_AFTER.match(text, end)
    if after is not None:
        return after.group("words").strip()
    before = _SUPPOSED_BEFORE.search(text[max(0, display.offset - 60):display.offset])
    return f"({before.group('words').lower()})" if before is not None else ""


#: Prose that stipulates the inline math after it: "With $h(x) = g(z)$ and $z = \theta^T x$, show that",
#: "Let $u = Wx$": the math names things (or relates names the post has not defined yet), it claims nothing.
_STIPULATED = re.compile(r"\b(?P<words>with|let|given)\s+(?:(?:\$[^$]*\$|\\\(.*?\\\))\s*(?:,|and)\s*)*(?:\$|\\\()?\Z",
                         re.IGNORECASE | re.DOTALL)


#: The rest of a sentence that sets an exercise: "..., show that", "and $z = ...$, prove that".
_EXERCISE = re.compile(r"[^.\n]{0,200}?\b(?:show|prove|verify|derive|compute|find)\b", re.IGNORECASE)


def stipulated(steps: Sequence[AuditStep], text: str, offset: int) -> list[AuditStep]:
    """``steps`` of the inline math at ``offset``; where the prose stipulates it ("With $...$ and $...$,"),
    a step that fails, or is undecided, is a stipulation, neither wrong nor a claim. Definitions are kept:
    "let $z = Wx$" defines z. A valid step stays valid: it holds, whatever the prose calls it."""
    before = _STIPULATED.search(text[max(0, offset - 200):offset])
    if before is None:
        return list(steps)
    words = before.group("words").lower()
    # "With $\sigma' = \sigma(1 - \sigma)$, we get ..." uses a fact, a claim; "With $...$, show that" sets an
    # exercise: only "let", or "with"/"given" before what the reader is asked to show, stipulates.
    if words != "let" and not _EXERCISE.match(text, offset):
        return list(steps)
    return [replace(s, status=StepStatus.UNDECIDED, reason=f"the prose stipulates this ('{words} ...'): it names "
                    f"what the post uses, and is neither a definition nor a claim ({s.reason})")
            if s.status in (StepStatus.WRONG, StepStatus.UNDECIDED) else s for s in steps]


#: Between a case's sentence and its display: the inline math's closer and punctuation only.
CASE_GAP = re.compile(r"\\\)|[\s$:,.;]")


def read_labels(post: PostState, text: str, items: Sequence[object]) -> None:
    """What the prose says the labels are ("$y$ is a one-hot vector", "$\\sum_i y_i = 1$"), wherever it says
    it: a statement of what a name is holds in the whole post, as a declaration does (one that comes
    later replaces it). The first such statement is read; one the declaration parser refuses is prose."""
    for item in items:
        if isinstance(item, Inline) and (statement := labels_stated(text, item.offset, item.body)) is not None:
            post.table.line = item.line
            if declare(post, Declaration(statement, item.line)) is None:
                post.table.observe(post, "read from the post")
                return


def read_kinds(post: PostState, text: str, items: Sequence[object]) -> None:
    """What the prose says its names are, wherever it says it: the lengths of vectors ("one input row $x$
    of dimension $N$"), scalars ("Here $x$ and $t$ are scalars"), counts ("over $C$ classes") and vectors
    written as their entries (``z = [z_1, z_2, \\dots, z_C]``). Each is read like its declaration, which
    the post's own declarations, read after, replace."""
    for item in items:
        if not isinstance(item, Display | Inline):
            continue
        listed = entries_stated(item.body)
        if listed is not None:
            post.table.line = item.line
            # The length is also the one of the arrays the post gives none (labels y beside logits
            # z = [z_1, ..., z_C]): they shared the default length, and now share C.
            for entries in (f"size {listed.split()[-1]}", listed):
                if declare(post, Declaration(entries, item.line)) is None:
                    post.table.observe(post, "read from the post")
        if not isinstance(item, Inline):
            continue
        if (data := data_stated(text, item.offset, item.body)) is not None:
            post.table.data.setdefault(data.lstrip("\\"), item.line)
        for stated in (length_stated, scalars_stated, count_stated):
            if (statement := stated(text, item.offset, item.body)) is not None:
                post.table.line = item.line
                if declare(post, Declaration(statement, item.line)) is None:
                    post.table.observe(post, "read from the post")


#: Where the prose says a letter counts layers: "in layer $l$", "the output layer \\( l=L \\)", "the $l$-th
#: layer", "$L$: the total number of layers".
_OPEN, _CLOSE = r"(?:\$|\\\()\s*", r"\s*(?:\$|\\\))"
_LAYER_LETTER = re.compile(
    rf"\blayers?\s+(?:is\s+|number\s+)?{_OPEN}(?P<a>[A-Za-z])(?:\s*=\s*(?P<b>[A-Za-z]))?(?![A-Za-z])"
    rf"|{_OPEN}(?P<c>[A-Za-z]){_CLOSE}\s*-?\s*th\s+layer"
    rf"|{_OPEN}(?P<d>[A-Za-z]){_CLOSE}\s*[:,]?\s*(?:the\s+)?(?:total\s+)?number\s+of\s+layers", re.IGNORECASE)


def read_layers(post: PostState, text: str) -> None:
    """The letters the prose says count layers: a superscript of one (``z^l_j``, ``a^{l-1}_k``) is then a
    layer's label, part of the array's name (z^{(l)}), never a power. Each gets an entry with its line."""
    for m in _LAYER_LETTER.finditer(text):
        for letter in filter(None, m.group("a", "b", "c", "d")):
            if letter not in post.layer_letters and letter != "e":  # e^x is Euler's, whatever the prose says
                post.layer_letters.add(letter)
                line = text.count("\n", 0, m.start()) + 1
                post.table.line = line
                post.table.add(Entry(letter, "index", (), "counts layers: a superscript label (z^l_j is z^(l)_j)",
                                     source=f"read from the post on line {line}", line=line))


def read_gradient_notation(post: PostState, text: str, items: Sequence[object]) -> None:
    r"""Whether the post writes its loss's gradients ``dy`` ("the upstream gradient is $dy$"): then
    ``d\hat{x}_i`` is ∂L/∂x̂_i in every display, and the table says so, with the sentence's line."""
    found = loss_of_the_notation(text, items)
    if found is None:
        return
    post.gradient_loss, line = found
    loss = re.sub(r"\\mathcal\s*\{\s*(\w)\s*\}", r"\1", post.gradient_loss).lstrip("\\")
    post.table.add(Entry("d<name>", "operator", (), f"∂{loss}/∂<name>, the gradient of {loss} written d<name>",
                         source=f"read from the post on line {line}", line=line))


def read_power_names(post: PostState, items: Sequence[object]) -> None:
    r"""The squares the post defines as names (``\sigma^2 = \frac{1}{N}\sum_j (x_j - \mu)^2``), wherever it
    defines them: a display before the definition (layer norm's ``y = (x - \mu)/\sqrt{\sigma^2 + \epsilon}``,
    written first) means the same σ². A name a declaration gives (``scalar \sigma``) keeps its own square,
    and a definition that uses its name (``x^2 = x \cdot x``) is a claim about x."""
    declared = " ".join(item.text for item in items if isinstance(item, Declaration))
    for item in items:
        if not isinstance(item, Display | Inline) or "=" not in item.body:
            continue
        left, _, right = item.body.partition("=")
        square = POWER_NAME.fullmatch(left.replace("&", " "))
        if square is None:
            continue
        written = square.group("name").strip()
        if not re.search(re.escape(written) + r"(?![A-Za-z])", right + " " + declared):
            post.power_names.add(written.lstrip("\\"))

