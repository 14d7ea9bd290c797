r"""Auditing a written derivation: every step of every chain of display math, decided.

The pipeline: :mod:`derive.audit.scan` finds the display math and the declarations;
:mod:`derive.audit.reader` splits each display into chains ``a = b = c`` and reads each
side; :mod:`derive.audit.semantics` says what the sides mean (definitions, shapes, the
component-wise reading of vector equations); :func:`derive.engine.decide.decide` decides
each step ``a = b`` under the hypotheses in force. A step is

- **valid**: the engine proved it (an exact zero);
- **wrong**: refuted at a concrete point that honors the hypotheses, both sides shown;
- **undecided**: neither, with the reason and, where one would help, the declaration to add;
- **not read**: the reader or the semantics could not take it, with line and column;
- **definition**: ``name = expression`` introducing a name the post had not defined (not checked).

Declarations are HTML comments, so the post renders as before::

    <!-- derive: logits z; labels y one-hot at \ell -->
    <!-- derive: assume j \neq \ell -->

See the table of declarations in docs/audit.md for the full list.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import sympy as sp

from derive.audit.clock import ReadingTimeout, check, reading
from derive.audit.closers import lines
from derive.audit.conditions import in_force, prose_case
from derive.audit.declarations import PostState, declare, define_text, entry_name
from derive.audit.definitions import (
    conflict_reason,
    define,
    fits,
    mentions,
    parameters_as_numbers,
    restates,
    self_reference,
    shadowed,
)
from derive.audit.index_notation import default_length, read_convention, read_input_sizes
from derive.audit.inline import (
    CASE_GAP,
    CLAIM,
    read_gradient_notation,
    read_inline,
    read_kinds,
    read_labels,
    read_layers,
    read_power_names,
    stipulated,
    supposition,
)
from derive.audit.inputs import (
    NOT_DEFINABLE,
    bare_arrays,
    defined_anywhere,
    functions_defined_anywhere,
    read_inputs,
    written_indexed,
)
from derive.audit.names_written import NAME, POWER_NAME, UNLISTED, bare_name
from derive.audit.progress import decide_step as guarded_step
from derive.audit.progress import note_steps
from derive.audit.prose import (
    case_after,
    case_before,
    read_declared_membership,
)
from derive.audit.reader import (
    ReadError,
    split_chains_conditions,
)
from derive.audit.results import (
    MAX_BYTES,
    AuditInputError,
    AuditReport,
    AuditSettings,
    AuditStep,
    StepStatus,
    read_post,
)
from derive.audit.scan import Declaration, Display, Heading, Inline, Unclosed, extract, position
from derive.audit.semantics import SemanticsError
from derive.audit.steps import decide_step
from derive.audit.symbols import BUILT_IN_FUNCTIONS, SIGMOID_CONVENTION, Entry
from derive.audit.terms import named_terms
from derive.engine.budget import BudgetExceeded

__all__ = [
    "MAX_BYTES",
    "AuditInputError",
    "AuditReport",
    "AuditSettings",
    "AuditStep",
    "StepStatus",
    "audit_file",
    "audit_text",
    "check_step",
]

#: In index notation, a name with upper indices is a name: ``S^{ij}``, ``O^{ib}``.
_UPPER_NAME = re.compile(rf"\s*{NAME}\s*\^\s*(?:\{{\s*[a-z]+'*\s*\}}|[a-z])\s*")


def _definition(post: PostState, text: str, lhs: sp.Basic, rhs: sp.Basic) -> str | None:
    """"define" when ``text = rhs`` introduces the name ``text`` (as written), "update" when rhs uses it, else None."""
    upper = post.einstein is not None and _UPPER_NAME.fullmatch(text.replace("&", " ")) is not None
    if not post.infer_definitions or not (bare_name(text) or upper or POWER_NAME.fullmatch(text.replace("&", " "))):
        return None
    if isinstance(lhs, sp.Indexed):
        name: sp.Basic = lhs.base
        simple = all(isinstance(i, sp.Symbol) for i in lhs.indices)
    elif isinstance(lhs, sp.Symbol):
        name, simple = lhs, True
    elif isinstance(lhs, sp.IndexedBase):
        name, simple = lhs, True  # h = \tanh(W x) of a whole declared vector: each entry is defined
    else:
        return None
    if name in post.meaning.notations or not simple:
        return None
    label = str(getattr(name, "label", name))
    if label == "yhat" and post.meaning.logits is not None:
        return None  # ŷ already means softmax of the declared logits: check it
    updates = mentions(rhs, label, indexed=isinstance(lhs, sp.Indexed))
    if label in post.meaning.shapes.arrays and label not in ("yhat", "s", "h", "L"):
        # A declared array (or one the prose gives a shape) defined by a formula: the two are merged, the
        # shape from the declaration and the meaning from the formula, when the shapes agree.
        if updates or rhs.is_number or label in (post.labels, post.meaning.logits) or \
                label in post.meaning.shapes.per_sample:
            return None
        return fits(post, label, lhs, rhs)
    if label in post.scalars and updates:
        return "update"  # w = w - η g of a declared scalar w is still an update, not a claim
    if label == post.labels or (label in post.scalars and (rhs.is_number or rhs.has(sp.Derivative))):
        return None  # declared data (the labels, a scalar's value) is not defined by a display
    return "update" if updates else "define"


Previous = tuple[str, sp.Basic | None, int]


def _steps_of_display(post: PostState, display: Display, text: str, previous: Previous | None,
                      settings: AuditSettings, detached: bool = False) -> tuple[list[AuditStep], Previous | None]:
    steps: list[AuditStep] = []

    def where(offset: int) -> tuple[int, int]:
        return position(text, display.offset + offset)

    try:
        chains = split_chains_conditions(display.body)
    except ReadError as exc:
        line, column = where(exc.offset or 0)
        steps.append(AuditStep(line, column, display.body.strip()[:60], "", StepStatus.NOT_READ, str(exc)))
        return steps, None
    last = previous
    for chain, condition in chains:
        if len(chain) == 1 and condition is None:
            membership = read_declared_membership(post, chain[0][0])
            last = (chain[0][0], None, display.offset + chain[0][1]) if not membership else None
            continue
        try:
            # A condition after the last side (\quad (i = j)) is part of the claim: its hypotheses
            # hold for this chain's steps only.
            with in_force(post, condition[0] if condition else None) as assumed:
                new, last = _steps_of_chain(post, display, list(chain), where, previous, settings, assumed,
                                            detached and chain is chains[0][0], defines=condition is None)
        except ReadError as exc:
            assert condition is not None  # only applying a condition raises here
            line, column = where(condition[1])
            steps.append(AuditStep(line, column, chain[0][0], chain[-1][0], StepStatus.NOT_READ,
                                   f"the condition '{condition[0]}' after the last side cannot be applied: {exc}; "
                                   "write it as a declaration before the display "
                                   "(see the table of declarations in docs/audit.md)"))
            continue
        steps += new
    return steps, last


def _steps_of_chain(post: PostState, display: Display, sides: list[tuple[str, int]],
                    where: Callable[[int], tuple[int, int]], previous: tuple[str, sp.Basic | None, int] | None,
                    settings: AuditSettings, assumed: tuple[str, ...], detached: bool = False, *,
                    defines: bool = True) -> tuple[list[AuditStep], tuple[str, sp.Basic | None, int]]:
    """The steps of one chain ``a = b = c`` (a first side ``""`` continues the previous display).

    ``detached``: prose stands between the previous display and this one, so a first side ``""`` may or
    may not be the previous display's last side: that first link is undecided, with both readings.
    A chain under a condition of its own (a case of ``cases``, ``\\quad (i = j)``) defines nothing
    (``defines`` False): a name defined by cases is not one formula, so each case is checked.
    """
    steps: list[AuditStep] = []
    opens_with_equals = sides[0][0] == ""
    if opens_with_equals and previous is not None:
        sides[0] = (previous[0], previous[2] - display.offset)
        read_first = previous[1]
    else:
        read_first = None
    power = POWER_NAME.fullmatch(sides[0][0].replace("&", " ")) if post.infer_definitions else None
    written_name = power.group("name").strip() if power is not None else ""
    if power is not None and len(sides) > 1 and written_name.lstrip("\\") not in post.table.entries and \
            not re.search(re.escape(written_name) + r"(?![A-Za-z])", sides[1][0]):
        # \sigma^2 = \frac{1}{N}\sum_i (x_i - \mu)^2 defines the name σ², not σ (x^2 = x^3 is a claim about x).
        post.power_names.add(written_name.lstrip("\\"))
    unlisted = UNLISTED.fullmatch(sides[0][0].replace("&", " ")) if len(sides) > 1 else None
    if unlisted is not None:
        # C_0(...) = (a^{(L)} - y)^2: the name C_0, of arguments the post does not list (its body says them).
        sides[0] = (unlisted.group("name"), sides[0][1])
        with suppress(ReadError):
            left = post.read(sides[0][0])
            if isinstance(left, sp.Indexed) and entry_name(left):
                post.entry_names.add(entry_name(left))  # C_0 is one name here, not entry 0 of a vector C
    exprs: list[sp.Basic | ReadError] = []
    for idx, (side, _) in enumerate(sides):
        if idx == 0 and read_first is not None:
            exprs.append(read_first)
            continue
        try:
            exprs.append(post.read(side, along=[s for s, _ in sides]))
        except ReadError as exc:
            exprs.append(exc)
    first, second = exprs[0], exprs[1]
    start = 1
    line, column = where(sides[0][1] if sides[0][1] >= 0 else 0)
    function = _function_definition(post, sides[0][0])
    colon = sides[1][1] >= 0 and display.body[:sides[1][1]].rstrip().endswith((":=", "\\coloneqq"))
    if function is not None and (post.infer_definitions or colon):
        steps.append(_function_step(post, function, first, second, sides, (line, column), settings, assumed))
        start = 2
    elif not isinstance(first, ReadError) and not isinstance(second, ReadError):
        kind = "define" if post.definition_next or colon else _definition(post, sides[0][0], first, second)
        post.definition_next = False
        line, column = where(sides[0][1])
        if kind == "define" and not defines:
            steps.append(AuditStep(line, column, sides[0][0], sides[1][0], StepStatus.UNDECIDED,
                                   "defines a name under a condition (a case): the name is not one formula, so "
                                   "this case is neither used as its definition nor checked", None, assumed))
            start = 2
        elif kind == "conflict" or (kind == "define" and (bare := bare_arrays(post, second, post.left_sides))):
            why = conflict_reason(post, first, second) if kind == "conflict" else bare
            steps.append(AuditStep(line, column, sides[0][0], sides[1][0], StepStatus.UNDECIDED, str(why), None,
                                   assumed))
            start = 2
        elif kind == "define":
            # L = -Σ y log ŷ = ...: the first link defines L, the links after it are checked.
            problem = define(post, first, second)
            if problem is None:
                read_inputs(post, first, second, post.left_sides, line)
            steps.append(AuditStep(line, column, sides[0][0], sides[1][0],
                                   StepStatus.NOT_READ if problem else StepStatus.DEFINITION,
                                   problem or "defines a name; not checked", None, assumed))
            start = 2
        elif kind == "update":
            # w = w - η g: valid only if it holds as an equation; otherwise an update, said so.
            step = _checked_step(post, first, second, sides[0][0], sides[1][0], (line, column), settings, assumed)
            if step.status is not StepStatus.VALID:
                step = replace(step, status=StepStatus.UNDECIDED, reason=self_reference(first))
            steps.append(step)
            start = 2
    for idx in range(start, len(sides)):
        (ltext, _), (rtext, _roff) = sides[idx - 1], sides[idx]
        line, column = where(sides[idx - 1][1] if sides[idx - 1][1] >= 0 else 0)
        if _ZERO.fullmatch(rtext):
            post.solving = line  # set to zero, read or not: the steps after it may solve the equation
        # A side that cannot be read is not read, also where it continues a display after prose.
        a, b = exprs[idx - 1], exprs[idx]
        bad = a if isinstance(a, ReadError) else b if isinstance(b, ReadError) else None
        if bad is not None:
            _bad_side, bad_off = (sides[idx - 1] if bad is a else sides[idx])
            col_line, col = where(bad_off + (bad.offset or 0)) if bad_off >= 0 else (line, column)
            steps.append(AuditStep(col_line, col, ltext, rtext, StepStatus.NOT_READ, str(bad), None, assumed))
            continue
        if idx == 1 and detached and opens_with_equals and previous is not None:
            line, column = where(sides[1][1])
            steps.append(AuditStep(line, column, ltext, rtext, StepStatus.UNDECIDED,
                                   "this display opens with '=' after prose: its left side is not written; it may be "
                                   f"the previous display's last side ({_short(ltext)}) or another the prose names; "
                                   "write the left side", None, assumed))
            continue
        assert not isinstance(a, ReadError) and not isinstance(b, ReadError)
        terms = named_terms(post, a, b) if post.infer_definitions and defines else None
        if terms is not None and define(post, *terms) is None:
            steps.append(AuditStep(line, column, ltext, rtext, StepStatus.DEFINITION,
                                   f"names the terms of the sum: defines {sp.sstr(terms[0])} = {sp.sstr(terms[1])}, "
                                   "term by term; not checked", None, assumed))
            continue
        step = _as_equation(post, _checked_step(post, a, b, ltext, rtext, (line, column), settings, assumed), a, b)
        if idx == 1 and step.status is StepStatus.VALID and restates(post, ltext, a, b):
            # O_{ab} = Σ_c A_{ac} V_{cb} after O's definition: the definition written again, not a claim.
            step = replace(step, status=StepStatus.DEFINITION,
                           reason=f"restates the definition of {_short(ltext, 30)} in force: the same ({step.reason})")
        steps.append(step)
    tail = exprs[-1]
    return steps, (sides[-1][0], None if isinstance(tail, ReadError) else tail, display.offset + sides[-1][1])


#: What opens and closes display math: the gap between two displays is prose unless only these and blanks.
_DELIMITERS = re.compile(r"\$\$|\\\[|\\\]|\\(?:begin|end)\s*\{[^{}]*\}|<!--[\s\S]*?-->")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


#: A function applied to distinct names, as a definition's left side writes it: ``\sigma(x)``, ``J(\theta)``,
#: ``\mathrm{softmax}(\mathbf{x})``.
_APPLIED = re.compile(r"\s*(?:\\(?:mathrm|operatorname|text|mathcal|mathbf|boldsymbol)\s*\{\s*(\\?[A-Za-z]+)\s*\}"
                      r"|(\\?[A-Za-z]+))\s*(?:_\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
                      r"\s*(?:\\left)?\(\s*([^()]*?)\s*(?:\\right)?\)\s*")


def _function_definition(post: PostState, text: str) -> tuple[str, str] | None:
    """(the function's name, the left side) when ``text`` is ``f(x)`` or ``f(x, y)``, distinct bare names."""
    m = _APPLIED.fullmatch(text.replace("&", " "))
    if m is None:
        return None
    name = (m.group(1) or m.group(2)).lstrip("\\")
    params = [p.strip() for p in m.group(3).split(",")]
    # A function the reader knows (exp, tr, diag) is not defined by a post: tr(A) = Σ A_ii is a claim.
    if name in NOT_DEFINABLE or \
            not all(p and bare_name(p) for p in params) or len(set(params)) != len(params):
        return None
    return name, text


def _function_step(post: PostState, function: tuple[str, str], first: sp.Basic | ReadError,
                   second: sp.Basic | ReadError, sides: list[tuple[str, int]], at: tuple[int, int],
                   settings: AuditSettings, assumed: tuple[str, ...]) -> AuditStep:
    """``f(x) = body``: the definition of f, or, where f already has a meaning, a restatement checked against it."""
    name, _ = function
    line, column = at
    ltext, rtext = sides[0][0], sides[1][0]
    known_already = name in post.meaning.functions or name in BUILT_IN_FUNCTIONS or \
        (name == "sigma" and post.sigma == "sigma")
    if known_already:
        if isinstance(first, ReadError) or isinstance(second, ReadError):
            bad = first if isinstance(first, ReadError) else second
            return AuditStep(line, column, ltext, rtext, StepStatus.NOT_READ, str(bad), None, assumed)
        first, second, numbers = parameters_as_numbers(post, first, second)
        with shadowed(post, numbers):
            step = _checked_step(post, first, second, ltext, rtext, at, settings, assumed)
        if step.status is StepStatus.VALID:
            entry = post.table.entries.get(name)
            if (entry is not None and entry.source.startswith("defined on line")) or name in post.restated:
                # The post's own definition, written again later: proved the same, a true statement of
                # the post (a second definition would be a conflict, below), so the valid step it is.
                return replace(step, reason=f"restates the meaning of {name} in force: the same ({step.reason})")
            # The first definition the post writes of a function it was declared with (or a built-in):
            # the post's definition, the same as the one in force; written again later, it is a claim.
            post.restated.add(name)
            return replace(step, status=StepStatus.DEFINITION,
                           reason=f"restates the meaning of {name} in force (the same); not checked further")
        return replace(step, status=StepStatus.UNDECIDED,
                       reason=f"a second definition of {name}, which the audit cannot show is the one in force: "
                              f"a conflict, not a claim ({step.reason})")
    try:
        problem = define_text(post, f"{ltext} = {rtext}")
    except ReadError as exc:
        problem = f"the definition of {name} cannot be read: {exc}"
    return AuditStep(line, column, ltext, rtext, StepStatus.NOT_READ if problem else StepStatus.DEFINITION,
                     problem or f"defines the function {name}; not checked", None, assumed)


#: A right side that is a written zero: ``0``, ``\mathbf{0}``, ``\boldsymbol{0}``, ``\vec{0}``.
_ZERO = re.compile(r"\s*(?:\\(?:mathbf|boldsymbol|vec|bm)\s*\{\s*0\s*\}|\{?\s*0\s*\}?)\s*[.,;]?\s*")


def _as_equation(post: PostState, step: AuditStep, a: sp.Basic, b: sp.Basic) -> AuditStep:
    """A refuted ``expression = 0`` is an expression set to zero: an equation the post solves (for the minimum),
    not an identity; so are the refuted steps after it that take no derivative (its rearrangements). Under a case
    the post assumes ("Case 1: assume j ≠ ℓ ... = 0") a zero is the value claimed in that case, not an equation."""
    if step.status is not StepStatus.WRONG:
        return step
    if _ZERO.fullmatch(step.rhs) and not step.assumptions:
        post.solving = step.line
        return replace(step, status=StepStatus.UNDECIDED,
                       reason="an expression set to zero: an equation the post solves, not an identity; "
                              f"as an identity it fails ({step.reason})")
    if post.solving is not None and not (a.has(sp.Derivative) or b.has(sp.Derivative)):
        return replace(step, status=StepStatus.UNDECIDED,
                       reason=f"after the equation set to zero on line {post.solving}, a step without derivatives "
                              f"may rearrange it (an equation, not an identity); as an identity it fails "
                              f"({step.reason})")
    return step


def _checked_step(post: PostState, a: sp.Basic, b: sp.Basic, ltext: str, rtext: str, at: tuple[int, int],
                  settings: AuditSettings, assumed: tuple[str, ...]) -> AuditStep:
    line, column = at
    try:
        status, reason, verdict = guarded_step(lambda: decide_step(post, a, b, settings),
                                              settings.budget * 3 + 5, sides=(a, b), hints=post.hints)
    except SemanticsError as exc:
        return AuditStep(line, column, ltext, rtext, StepStatus.NOT_READ, str(exc), None, assumed)
    except BudgetExceeded:
        return AuditStep(line, column, ltext, rtext, StepStatus.UNDECIDED,
                         "the step ran out of its time budget; try --budget with more seconds", None, assumed)
    except Exception as exc:  # SymPy raises many kinds on what it cannot differentiate
        # or compare (IndexException, TypeError, ValueError, RecursionError...): a step, never a crash.
        return AuditStep(line, column, ltext, rtext, StepStatus.UNDECIDED,
                         f"SymPy could not take this step ({type(exc).__name__}: {str(exc)[:120]})", None,
                         assumed)
    return AuditStep(line, column, ltext, rtext, status, reason, verdict, assumed)


def audit_text(text: str, *, path: str = "<text>", settings: AuditSettings | None = None,
               infer_definitions: bool = True) -> AuditReport:
    """Audit the display math of ``text`` (Markdown or LaTeX), step by step.

    With ``infer_definitions`` a display ``name = expression`` that introduces a new name
    is taken as its definition (not checked); without it, only a ``definition``
    declaration makes one.
    """
    settings = settings or AuditSettings()
    started = time.perf_counter()
    post = PostState(infer_definitions=infer_definitions)
    steps: list[AuditStep] = []
    problems: list[str] = []
    # The scan gives the prose's inline math in order with the rest (outside code), so a
    # definition in a sentence is known to the displays after it. Reading has its own deadline
    # (derive.audit.clock): past it, the report keeps the steps so far and says the post was not audited.
    not_audited = ""
    try:
        with reading(settings.reading):
            _read_items(post, text, settings, infer_definitions, steps, problems)
    except ReadingTimeout as exc:
        not_audited = f"{exc} (AuditSettings.reading); after {len(steps)} steps, the rest of the post was not read"
    hints = list(problems)
    hints += [f"to decide more: {h}" for h in post.hints]
    if path.endswith(".tex"):
        # A LaTeX file declares in comment lines: the fixes say so, ready to paste.
        steps = [replace(s, reason=_declarations_as(s.reason, r"`% derive: \1`")) for s in steps]
        hints = [_declarations_as(h, r"`% derive: \1`") for h in hints]
    return AuditReport(path, tuple(steps), tuple(dict.fromkeys(hints)), time.perf_counter() - started, text,
                       not_audited, tuple(post.table.rows()))


def _read_items(post: PostState, text: str, settings: AuditSettings, infer_definitions: bool,
                steps: list[AuditStep], problems: list[str]) -> None:
    """Each item of the post in order: declarations declared, displays read and their steps decided."""
    previous: tuple[str, sp.Basic | None, int] | None = None
    last_end = 0
    # Where each line starts, computed once: a 2 MB post has tens of thousands of items.
    line_starts = lines(text).starts
    # Inline math that neither defines nor declares (most of it: $x$) is read once.
    inert: set[str] = set()
    case: tuple[str, int] | None = None  # a case the prose states for the displays after it, and where it ends
    consumed: set[int] = set()  # the inline cases read as the case of the display before them
    items = extract(text, inline=infer_definitions)
    post.meaning.default_size = default_length(text)
    # σ is softmax, as in the seeds' posts, unless the post never names softmax: then σ of a scalar is the
    # sigmoid (a neuron's activation), and σ of a vector still its softmax.
    post.meaning.sigmoid_of_scalars = re.search(r"softmax", text, re.IGNORECASE) is None
    if post.meaning.sigmoid_of_scalars and re.search(r"\\sigma\s*(?:'|\^\s*\{?\s*\\prime)", text):
        post.table.add(Entry("softmax'", "function", (), "σ' of a scalar: the sigmoid's derivative σ(1 − σ)",
                             source=SIGMOID_CONVENTION))
    read_convention(post, text)
    if post.einstein is not None:
        read_input_sizes(post, items)
    read_labels(post, text, items)
    read_kinds(post, text, items)
    read_layers(post, text)
    read_power_names(post, items)
    read_gradient_notation(post, text, items)
    post.left_sides, post.written_indexed = defined_anywhere(items), written_indexed(items)
    post.functions_ahead = functions_defined_anywhere(items)
    for item in items:
        check()
        note_steps(steps)
        post.table.line = _line_of(item, text, line_starts)
        if isinstance(item, Inline):
            if item.offset in consumed:
                continue  # the case of the display before it
            relation = case_before(text, item.offset, item.body)
            if relation is not None:
                case = (relation, item.offset + len(item.body))
                continue
            if item.body not in inert:
                read = read_inline(post, item.body)
                if read == CLAIM:
                    new, _ = _steps_of_display(post, Display(item.body, item.offset, item.line), text, None,
                                               settings)
                    steps.extend(stipulated(new, text, item.offset))
                if read:
                    post.table.observe(post, "read from the post")
                else:
                    inert.add(item.body)
        elif isinstance(item, Declaration):
            line_start = line_starts[item.line - 1]
            found = text.find(item.text, line_start)
            line, column = position(text, found) if found >= 0 else (item.line, 1)
            problem = declare(post, item, column)
            post.table.observe(post, "declared")
            if problem:
                problems.append(problem)
                # A declaration the audit does not understand is an error in the report, not a silent hint.
                steps.append(AuditStep(line, column, item.text, "", StepStatus.NOT_READ,
                                       f"declaration not understood: {problem}"))
        elif isinstance(item, Heading):
            post.assumptions.clear()
            post.solving = None
            previous = None
        elif isinstance(item, Unclosed):
            steps.append(AuditStep(item.line, item.column, item.opener, "", StepStatus.NOT_READ,
                                   f"{item.opener} is never closed; close the display math"))
        elif isinstance(item, Display):
            if post.skip_next:
                post.skip_next = False
                continue
            # A display opening with '=' continues the previous one only across blank lines.
            gap = _DELIMITERS.sub("", text[last_end:item.offset]) if previous is not None else ""
            supposed = supposition(text, item)
            # A case the prose states ("If $i = k$," before it, "when $i = j$." after it) holds for its
            # steps, and for the displays after it up to the next prose.
            if case is not None and CASE_GAP.sub("", _DELIMITERS.sub("", text[case[1]:item.offset])):
                case = None
            end = item.offset + len(item.body)
            after = case_after(text, end)
            held = after[0] if after is not None else case[0] if case is not None else None
            if after is not None:
                consumed.add(after[1])
            saved, post.infer_definitions = post.infer_definitions, post.infer_definitions and not supposed
            try:
                with prose_case(post, held) as applied:
                    new, previous = _steps_of_display(post, item, text, previous, settings,
                                                      detached=bool(gap.strip()))
            finally:
                post.infer_definitions = saved
            if applied is None and held is not None:
                # Decided without the case: valid holds in it too, but wrong may not.
                new = [replace(s, status=StepStatus.UNDECIDED,
                               reason=f"the case '{held}' the prose states for this display cannot be applied, and "
                                      f"without it the step fails ({s.reason}); declare the case before the "
                                      f"display: <!-- derive: assume {held} -->")
                       if s.status is StepStatus.WRONG else s for s in new]
            if supposed:
                new = [replace(s, status=StepStatus.UNDECIDED, reason=f"the prose says this holds {supposed}: a "
                               f"supposition, neither a definition nor a claim ({s.reason})")
                       if s.status in (StepStatus.WRONG, StepStatus.UNDECIDED) else s for s in new]
            case = (case[0], end) if case is not None and after is None else None
            last_end = end
            post.table.observe(post, "read from the post")
            steps.extend(new)


def _line_of(item: object, text: str, line_starts: Sequence[int]) -> int | None:
    """The line an item of the scan starts on (for the sources of the names it gives a meaning)."""
    if isinstance(item, Display):
        return position(text, item.offset)[0]
    line = getattr(item, "line", None)
    return line if isinstance(line, int) else None


#: A declaration as a fix in a reason or hint is written for Markdown; LaTeX files and --given say it their way.
_DECLARATION = re.compile(r"<!-- derive: (.*?) -->")


def _declarations_as(text: str, replacement: str) -> str:
    r"""Each ``<!-- derive: X -->`` in ``text`` written as ``replacement`` (``\1`` is X).

    Examples:
        >>> _declarations_as("declare them: <!-- derive: logits z -->", r"`% derive: \1`")
        'declare them: `% derive: logits z`'
    """
    return _DECLARATION.sub(replacement, text)


def audit_file(path: str | Path, *, settings: AuditSettings | None = None) -> AuditReport:
    """Audit a Markdown or LaTeX file; AuditInputError (a one-line message) when it cannot be read."""
    return audit_text(read_post(path), path=str(path), settings=settings)


#: Where the steps of :func:`check_step` are said to be (line and column count within the step).
STEP_PATH = "<step>"


def check_step(step: str, *, given: Sequence[str] = (), settings: AuditSettings | None = None) -> AuditReport:
    r"""Decide one equality or chain ``a = b = c`` written in LaTeX, under declarations.

    ``given`` holds declarations as in a post (``"logits z; labels y soft"``,
    ``"assume j \neq \ell"``). The step is audited as a one-display post, so it means
    exactly what it would mean in a post; lines and columns count within ``step``.

    Examples:
        >>> check_step(r"\frac{d}{dx} \tanh(x) = 1 - \tanh(x)^2").steps[0].status
        <StepStatus.VALID: 'valid'>
    """
    math = step.strip()
    for opener, closer in (("$$", "$$"), ("\\[", "\\]")):
        if math.startswith(opener) and math.endswith(closer) and len(math) > len(opener) + len(closer):
            math = math[len(opener):-len(closer)].strip()
    if not math:
        raise AuditInputError("the step is empty; give an equality such as 'a = b' in LaTeX")
    if "$$" in math or re.search(r"(?<!\\)\\\[", math):
        raise AuditInputError("give one step of math without $$ or \\[ delimiters inside it")
    for declaration in given:
        if "-->" in declaration or "\n" in declaration:
            raise AuditInputError(f"the declaration {declaration!r} must be one line without '-->'")
    header = "".join(f"<!-- derive: {d.strip()} -->\n" for d in given)
    # A step given to be checked is a claim, never a definition of its left side.
    report = audit_text(f"{header}$$\n{math}\n$$\n", path=STEP_PATH, settings=settings, infer_definitions=False)
    if not report.steps:
        raise AuditInputError("there is no equality in the step; write it as 'lhs = rhs' (or a chain a = b = c)")

    # Reasons and hints name declarations as a post writes them; here they are given with --given.
    # The post-wide "no declarations" hint is left out: a step's own reason says what it needs.
    def as_option(text: str) -> str:
        return _declarations_as(text, r"--given '\1'")

    shift = len(given) + 1
    for s in report.steps:
        if s.status is StepStatus.NOT_READ and s.reason.startswith("declaration not understood") \
                and s.line <= len(given):
            detail = s.reason.split(": ", 2)[-1]
            raise AuditInputError(f"--given '{given[s.line - 1].strip()}', column {s.column - len('<!-- derive: ')}: "
                                  f"{detail}")
    steps = tuple(_within_step(s, shift, as_option(s.reason)) for s in report.steps)
    hints = tuple(as_option(h) for h in report.hints)
    return replace(report, steps=steps, hints=hints)


def _within_step(step: AuditStep, shift: int, reason: str) -> AuditStep:
    """``step`` with its position, and the positions its reason names, counted within the checked step.

    The step was audited as the display ``$$\\n...\\n$$`` after ``shift - 1`` declaration lines: a
    step found on the ``$$`` line itself starts where the math does (line 1, column 1, never line 0),
    and a reason's ``line N`` counts from the line break after ``$$``.
    """
    def inside(match: re.Match[str]) -> str:
        line = max(1, int(match.group(1)) - 1)
        return f"at column {match.group(2)}" if line == 1 else f"at line {line}, column {match.group(2)}"

    line, column = step.line - shift, step.column
    if line < 1:
        line, column = 1, 1
    return replace(step, line=line, column=column, reason=re.sub(r"\bat line (\d+), column (\d+)", inside, reason))
