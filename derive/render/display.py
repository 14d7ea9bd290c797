"""Rich display for Jupyter: claims, verdicts, counterexamples and theorems as math and tables.

The objects themselves only carry thin ``_repr_latex_`` / ``_repr_html_`` hooks that
import this module when a notebook first asks (so ``import derive`` stays fast). This
module reads results; it never decides anything, and an error while rendering is raised,
never turned into a display string (a broken display must not look like a result).

Formulas are SymPy's LaTeX with two readability passes that change nothing but notation:

- a softmax probability ``exp(z_i) / Σ_n exp(z_n)`` is written ``ŷ_i`` (``\\hat{y}_i``),
  also when the denominator is a shared atom of a fixed-size space;
- a shared atom (``Σexp·0``, ``h·1``) gets a short name by kind, numbered from 1 within
  its kind (``S``; ``h_1, h_2``), and a "where" row with its definition.

The building blocks :func:`latex_block`, :func:`latex_text`, :func:`html_table` and
:func:`math_html` are public so that other result objects (a proof, a chain of steps)
render the same way.

Examples:
    >>> import sympy as sp
    >>> from derive import Claim, decide
    >>> x = sp.Symbol("x", real=True)
    >>> print(claim_latex(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)))
    $$\\begin{aligned}
    &\\mathtt{square}\\\\
    &\\left(x + 1\\right)^{2} = x^{2} + 2 x + 1
    \\end{aligned}$$
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.engine.differentiate import LowRankMatrix
from derive.engine.hypotheses import SumToOne
from derive.engine.space import Role
from derive.engine.verdict import Status
from derive.render.blocks import (
    has_alignment,
    html_table,
    latex_block,
    latex_text,
    math_html,
    status_html,
    status_latex,
    title_latex,
)

if TYPE_CHECKING:
    from derive.engine.claims import Claim, Side
    from derive.engine.verdict import Counterexample, Verdict
    from derive.library.theorems import Theorem
    from derive.library.verification import TheoremResult

__all__ = [
    "claim_latex",
    "counterexample_html",
    "counterexample_latex",
    "expr_latex",
    "html_table",
    "latex_block",
    "latex_text",
    "math_html",
    "side_latex",
    "status_html",
    "status_latex",
    "theorem_latex",
    "theorem_result_html",
    "theorem_result_latex",
    "verdict_html",
    "verdict_latex",
    "with_softmax_hats",
]

#: Vectors longer than this show their first entries, a ⋮ and the last one.
MAX_ENTRIES = 6
#: A definition with more terms than this is shown as first + second + ... + last.
MAX_TERMS = 4
#: Digits shown for a value in a counterexample (it was evaluated at many more).
SHOWN_DIGITS = 12

_HAT = sp.IndexedBase(r"\hat{y}", real=True)
_ATOM_NAMES = {"Σexp": "S", "Σy": "Y"}


# -- expressions -------------------------------------------------------------------------------

def with_softmax_hats(expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr] | None = None) -> sp.Expr:
    """``expr`` with every ``exp(z_i) / Σ_n exp(z_n)`` written as ``ŷ_i`` (notation only).

    The denominator may be an unevaluated ``Sum`` (symbolic sizes) or a shared atom whose
    definition is a sum of exponentials (fixed sizes). The result is for printing: ŷ is a
    fresh ``IndexedBase`` named ``\\hat{y}``, not the softmax the engine reasons about.

    Examples:
        >>> import sympy as sp
        >>> k, i = sp.symbols("k i", integer=True, positive=True)
        >>> n = sp.Symbol("n", integer=True)
        >>> z = sp.IndexedBase("z")
        >>> S = sp.Sum(sp.exp(z[n]), (n, 1, k))
        >>> sp.latex(with_softmax_hats(1 - sp.exp(z[i]) / S))
        '1 - {\\\\hat{y}}_{i}'
    """
    defs = definitions or {}
    if not isinstance(expr, sp.Basic) or not expr.has(sp.exp):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Mul), lambda e: _hat_mul(e, defs))


def _hat_mul(mul: sp.Mul, defs: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    factors = list(mul.args)
    changed = False
    for pos, factor in enumerate(list(factors)):
        if not (isinstance(factor, sp.Pow) and factor.exp.is_Integer and factor.exp < 0):
            continue
        denominator, power = factor.base, int(-factor.exp)
        matcher = _denominator_matcher(denominator, defs)
        if matcher is None:
            continue
        hats: list[sp.Expr] = []
        for n, other in enumerate(factors):
            if power == 0:
                break
            if not isinstance(other, sp.exp):
                continue
            base, count = _split_multiple(other.args[0])
            index = matcher(base)
            if index is None or count > power:
                continue
            hats.append(_HAT[index] ** count)
            power -= count
            factors[n] = sp.S.One
        if hats:
            factors[pos] = denominator ** (-power) if power else sp.S.One
            factors.extend(hats)
            changed = True
    return sp.Mul(*factors) if changed else mul


def _split_multiple(arg: sp.Expr) -> tuple[sp.Expr, int]:
    # exp(z_i)**2 is stored as exp(2 z_i): read it back as ŷ_i² when it stands over S².
    coeff, rest = arg.as_coeff_Mul()
    if coeff.is_Integer and int(coeff) > 1:
        return rest, int(coeff)
    return arg, 1


def _denominator_matcher(denominator: sp.Expr, defs: Mapping[sp.Symbol, sp.Expr]) -> Any:
    """A function exponent -> ŷ's index (or None), if ``denominator`` is a softmax denominator."""
    if isinstance(denominator, sp.Sum) and len(denominator.limits) == 1 and isinstance(denominator.function, sp.exp):
        n = denominator.limits[0][0]
        body = denominator.function.args[0]
        wild = sp.Wild("w")
        pattern = body.xreplace({n: wild})
        if pattern == body:
            return None
        # Indices the denominator depends on (a sample t of a batch), not sizes in its limits.
        in_indices = {s for ix in denominator.atoms(sp.Indexed) for i in ix.indices for s in i.free_symbols}
        outer = sorted(in_indices & denominator.free_symbols - _limit_symbols(denominator), key=str)

        def match_sum(exponent: sp.Expr) -> tuple[sp.Expr, ...] | None:
            found = exponent.match(pattern)
            if not found or wild not in found:
                return None
            return (*outer, found[wild])
        return match_sum
    if isinstance(denominator, sp.Symbol) and denominator in defs:
        terms = sp.Add.make_args(defs[denominator])
        if len(terms) < 2 or not all(isinstance(t, sp.exp) for t in terms):
            return None
        exponents = {t.args[0] for t in terms}

        def match_atom(exponent: sp.Expr) -> tuple[sp.Expr, ...] | None:
            if exponent in exponents and isinstance(exponent, sp.Indexed):
                return tuple(exponent.indices)
            return None
        return match_atom
    return None


def _limit_symbols(expr: sp.Expr) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    for s in expr.atoms(sp.Sum):
        for _, lo, hi in s.limits:
            out |= lo.free_symbols | hi.free_symbols
    return out


def _atom_names(atoms: Sequence[sp.Symbol] | set[sp.Symbol]) -> dict[sp.Symbol, str]:
    """Shared atoms named by what they are, numbered from 1 within their kind.

    The engine counts atoms with one counter (``h·0, h·1, s·2, s·3, Σexp·4``); read as indices
    those look 0-based and "s_2" would be logit 1. Here each kind is numbered on its own, in
    the engine's order (the order of the components): h_1, h_2, s_1, s_2; a kind with a single
    atom (one softmax denominator) has no number: S.
    """
    kinds: dict[str, list[sp.Symbol]] = {}
    for atom in sorted(atoms, key=lambda a: int(a.name.partition("·")[2] or 0)):
        kinds.setdefault(atom.name.partition("·")[0], []).append(atom)
    names = {}
    for prefix, members in kinds.items():
        short = _ATOM_NAMES.get(prefix, prefix if prefix.isascii() and prefix.isalpha() else r"\sigma")
        for number, atom in enumerate(members, start=1):
            names[atom] = short if len(members) == 1 else f"{short}_{{{number}}}"
    return names


def _symbol_names(expr: sp.Basic, defs: Mapping[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, str]:
    # atoms, not free_symbols: a bound index of a Sum (ι0) is renamed too.
    symbols = expr.atoms(sp.Symbol)
    shared = {s for s in symbols if "·" in s.name}
    # Number against every atom the definitions know, so that h_2 is the same atom in every line.
    names = _atom_names(shared | {s for s in defs if isinstance(s, sp.Symbol) and "·" in s.name})
    names = {s: names[s] for s in shared}
    for s in symbols:
        if s.name.startswith("ι") and s.name[1:].isdigit():
            names[s] = rf"\iota_{{{s.name[1:]}}}"
    return names


def expr_latex(expr: sp.Expr, definitions: Mapping[sp.Symbol, sp.Expr] | None = None, *, hats: bool = True) -> str:
    """SymPy LaTeX of ``expr`` with ŷ for softmax probabilities and short names for shared atoms.

    Examples:
        >>> import sympy as sp
        >>> z = sp.IndexedBase("z")
        >>> S = sp.Symbol("Σexp·0", positive=True)
        >>> expr_latex(sp.exp(z[1]) / S - 1, {S: sp.exp(z[1]) + sp.exp(z[2])})
        '{\\\\hat{y}}_{1} - 1'
        >>> expr_latex(sp.exp(z[1]) / S, {S: sp.exp(z[1]) + sp.exp(z[2])}, hats=False)
        '\\\\frac{e^{{z}_{1}}}{S}'
    """
    defs = definitions or {}
    # strict: a string is never parsed (it is not an expression, and text is never sympified).
    value = sp.sympify(expr, strict=True)
    if hats:
        value = with_softmax_hats(value, defs)
    return sp.latex(value, symbol_names=_symbol_names(value, defs))


def side_latex(side: Side, definitions: Mapping[sp.Symbol, sp.Expr] | None = None) -> str:
    """One side of a claim: a scalar, a column vector, a matrix, or diag + outer products.

    Long vectors are cut to their first entries, ⋮ and the last one (see ``MAX_ENTRIES``).
    """
    defs = definitions or {}
    if isinstance(side, LowRankMatrix):
        if side.size <= 4:
            return _matrix_latex(side.dense(), defs)
        return _low_rank_latex(side, defs)
    if isinstance(side, tuple):
        if side and isinstance(side[0], tuple):
            return _matrix_latex(side, defs)
        cells = [_cell(e, defs, r"\vdots") for e in _cut(list(side))]
        return r"\begin{pmatrix}" + r"\\ ".join(cells) + r"\end{pmatrix}"
    return expr_latex(side, defs)


def _cut(items: list[Any]) -> list[Any]:
    if len(items) <= MAX_ENTRIES:
        return items
    return [*items[: MAX_ENTRIES - 2], _Ellipsis(), items[-1]]


class _Ellipsis:
    """Stands for the entries left out of a long vector."""


def _cell(value: Any, defs: Mapping[sp.Symbol, sp.Expr], dots: str) -> str:
    return dots if isinstance(value, _Ellipsis) else expr_latex(value, defs)


def _matrix_latex(rows: Sequence[Sequence[sp.Expr]], defs: Mapping[sp.Symbol, sp.Expr]) -> str:
    shown = []
    for row in _cut(list(rows)):
        if isinstance(row, _Ellipsis):
            shown.append(r"\vdots")
            continue
        shown.append(" & ".join(_cell(v, defs, r"\cdots") for v in _cut(list(row))))
    return r"\begin{pmatrix}" + r"\\ ".join(shown) + r"\end{pmatrix}"


def _low_rank_latex(m: LowRankMatrix, defs: Mapping[sp.Symbol, sp.Expr]) -> str:
    diagonal = [m.diagonal.get((i, i), sp.S.Zero) for i in range(m.size)]
    out = r"\operatorname{diag}" + _row_vector(diagonal, defs)
    if any(key[0] != key[1] for key in m.diagonal):
        out += r" + \text{off-diagonal terms}"
    for col, row in m.outer:
        out += " + " + _row_vector(list(col), defs) + "^{T}" + _row_vector(list(row), defs)
    return out


def _row_vector(items: list[sp.Expr], defs: Mapping[sp.Symbol, sp.Expr]) -> str:
    return r"\left(" + ", ".join(_cell(v, defs, r"\dots") for v in _cut(items)) + r"\right)"


def _atoms_in(sides: Sequence[Any], defs: Mapping[sp.Symbol, sp.Expr]) -> list[sp.Symbol]:
    """The shared atoms the sides use, directly or through other atoms' definitions."""
    seen: set[sp.Symbol] = set()
    todo: list[sp.Basic] = []
    for side in sides:
        todo.extend(_leaves(side))
    while todo:
        e = todo.pop()
        for s in e.free_symbols if isinstance(e, sp.Basic) else ():
            if s in defs and s not in seen:
                seen.add(s)
                todo.append(defs[s])
    return sorted(seen, key=lambda s: (s.name.partition("·")[0], int(s.name.partition("·")[2] or 0)))


def _leaves(side: Any) -> list[sp.Basic]:
    if isinstance(side, LowRankMatrix):
        out = list(side.diagonal.values())
        for col, row in side.outer:
            out += [*col, *row]
        return out
    if isinstance(side, tuple):
        return [leaf for item in side for leaf in _leaves(item)]
    return [sp.sympify(side, strict=True)]


def _term_key(term: sp.Expr) -> tuple[Any, ...]:
    # e^{z_1} + e^{z_2} + ... + e^{z_10} in index order, not SymPy's string order (1, 10, 2, ...).
    indexed = sorted(term.atoms(sp.Indexed), key=sp.default_sort_key)
    numbers = tuple(int(i) for i in indexed[0].indices if i.is_Integer) if indexed else ()
    return numbers, sp.default_sort_key(term)


def _definition_latex(atom: sp.Symbol, defs: Mapping[sp.Symbol, sp.Expr]) -> str:
    terms = sorted(sp.Add.make_args(defs[atom]), key=_term_key)
    names = _symbol_names(atom, defs)
    for term in terms:
        names.update(_symbol_names(term, defs))
    shown = [sp.latex(t, symbol_names=names) for t in terms]
    if len(shown) > MAX_TERMS:
        shown = [*shown[:2], r"\dots", shown[-1]]
    return f"{names[atom]} = " + " + ".join(shown).replace("+ -", "- ")


# -- claims, verdicts, counterexamples -----------------------------------------------------------

def _hypotheses_line(claim: Claim) -> str | None:
    if not claim.hypotheses:
        return None
    return r"\text{if } " + r",\; ".join(h.latex for h in claim.hypotheses)


def _claim_lines(claim: Claim) -> list[str]:
    defs = claim.definitions
    lhs, rhs = side_latex(claim.lhs, defs), side_latex(claim.rhs, defs)
    lines = []
    if claim.latex:
        lines.append(r"\text{claim: }" + claim.latex)
    if len(lhs) + len(rhs) > 140:
        lines += [lhs, r"\quad = " + rhs]
    else:
        lines.append(f"{lhs} = {rhs}")
    hyps = _hypotheses_line(claim)
    if hyps is not None:
        lines.append(hyps)
    atoms = _atoms_in((claim.lhs, claim.rhs), defs)
    if atoms:
        # One definition a row, so a long "where" wraps instead of running off to the side.
        shown = [_definition_latex(a, defs) for a in atoms[:MAX_ENTRIES]]
        lines.append(r"\text{where } " + shown[0])
        lines += [r"\phantom{\text{where }} " + d for d in shown[1:]]
    return lines


def claim_latex(claim: Claim) -> str:
    """The claim ``lhs = rhs``, its hypotheses and its shared atoms, as display math."""
    return latex_block(_claim_lines(claim), title=claim.name)


def _point_latex(point: Mapping[str, Any]) -> str:
    parts = []
    for name, value in point.items():
        parts.append(f"{_name_latex(name)} = {_value_latex(value)}")
    return r",\; ".join(parts)


def _name_latex(name: str) -> str:
    return r"\ell" if name == "ell" else (name if re.fullmatch(r"[A-Za-z]", name) else latex_text(name))


def _value_latex(value: Any) -> str:
    if isinstance(value, list):
        items = _cut(value)
        return r"\left(" + ", ".join(r"\dots" if isinstance(v, _Ellipsis) else _value_latex(v) for v in items) \
            + r"\right)"
    return sp.latex(_shown(value))


def _shown(value: Any) -> Any:
    if isinstance(value, sp.Float):
        return sp.Float(value, SHOWN_DIGITS)
    if isinstance(value, float):
        # A sampled point is exact (often a short decimal); 4/7 need not show 16 digits.
        return sp.Float(f"{value:.{SHOWN_DIGITS}g}")
    return value


def counterexample_latex(counterexample: Counterexample) -> str:
    """The point and both sides' values as display math."""
    return latex_block(_counterexample_lines(counterexample), title="counterexample")


def _counterexample_lines(c: Counterexample) -> list[str]:
    entry = "" if c.entry is None else r"\text{, entry }" + ",".join(str(i + 1) for i in c.entry)
    return [
        r"\text{at } " + _point_latex(c.point) + entry,
        r"\text{lhs} = " + sp.latex(_shown(c.lhs)) + r",\quad \text{rhs} = " + sp.latex(_shown(c.rhs))
        + r",\quad \text{lhs} - \text{rhs} = " + sp.latex(sp.Float(c.lhs - c.rhs, SHOWN_DIGITS)),
    ]


def counterexample_html(counterexample: Counterexample) -> str:
    """A table: each variable of the point, then both sides' values and their difference."""
    c = counterexample
    rows = [(html.escape(name), _value_html(value)) for name, value in c.point.items()]
    if c.entry is not None:
        rows.append(("entry", html.escape(", ".join(str(i + 1) for i in c.entry)) + " (1-based)"))
    rows += [
        ("lhs", html.escape(str(_shown(c.lhs)))),
        ("rhs", html.escape(str(_shown(c.rhs)))),
        ("lhs − rhs", html.escape(str(sp.Float(c.lhs - c.rhs, SHOWN_DIGITS)))),
    ]
    caption = f"counterexample (both sides evaluated at {c.digits} digits)"
    return html_table(rows, header=("variable", "value"), caption=caption)


def _value_html(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_value_html(v) for v in value) + ")"
    if isinstance(value, float):
        return html.escape(f"{value:.{SHOWN_DIGITS}g}")
    return html.escape(str(_shown(value)))


def _missing_latex(verdict: Verdict) -> str:
    # The engine names the hypothesis by its text; find the same candidate the engine built
    # (a label sum for each labels array) to show its LaTeX.
    for spec in verdict.claim.arrays.values():
        if spec.role == Role.LABELS:
            candidate = SumToOne(spec.base, spec.shape[-1])
            if candidate.text == verdict.missing_hypothesis:
                return candidate.latex
    return latex_text(verdict.missing_hypothesis or "")


def _verdict_lines(verdict: Verdict) -> list[str]:
    lines = [r"\Rightarrow\ " + status_latex(verdict.status)
             + (r"\ " + latex_text("by " + verdict.strategy) if verdict.strategy else "")]
    if verdict.counterexample is not None:
        lines += _counterexample_lines(verdict.counterexample)
    if verdict.missing_hypothesis is not None:
        lines.append(r"\text{holds under the missing hypothesis } " + _missing_latex(verdict))
    if verdict.residual is not None and not verdict.proved:
        lines.append(r"\text{residual: lhs} - \text{rhs} = " + expr_latex(verdict.residual, verdict.claim.definitions))
    return lines


def verdict_latex(verdict: Verdict) -> str:
    """The claim, then the verdict: status and strategy, the counterexample, the residual."""
    return latex_block([*_claim_lines(verdict.claim), *_verdict_lines(verdict)], title=verdict.claim.name)


def verdict_html(verdict: Verdict) -> str:
    """The claim as math above a table: status, strategy, reason, missing hypothesis, residual."""
    claim = verdict.claim
    defs = claim.definitions
    rows = [("status", status_html(verdict.status))]
    if verdict.strategy:
        rows.append(("strategy", html.escape(verdict.strategy)))
    if verdict.reason:
        rows.append(("reason", html.escape(_reason_without_residual(verdict))))
    if verdict.missing_hypothesis is not None:
        rows.append(("missing hypothesis", math_html(_missing_latex(verdict))))
    if verdict.residual is not None and not verdict.proved:
        rows.append(("residual", math_html(r"\text{lhs} - \text{rhs} = " + expr_latex(verdict.residual, defs))))
    rows.append(("time", f"{verdict.seconds:.3g} s"))
    # The engine's notes define the shared atoms of the residual in SymPy's text; show those
    # definitions as math under the names the formulas above use, and any other note as text.
    atoms = _atoms_in((verdict.residual,), defs) if verdict.residual is not None and not verdict.proved else []
    if atoms:
        rows.append(("where", math_html(r",\; ".join(_definition_latex(a, defs) for a in atoms))))
    defined = {f"{a} = " for a in atoms}
    for note in verdict.notes:
        if not any(note.startswith(prefix) for prefix in defined):
            rows.append(("note", html.escape(note)))
    parts = [
        f'<div class="derive-verdict"><p><code>{html.escape(claim.name)}</code></p>',
        # A long side scrolls sideways instead of running off the page (MathJax does not wrap).
        f'<div style="overflow-x:auto">{math_html(_claim_math(claim), display=True)}</div>',
        html_table(rows),
    ]
    if verdict.counterexample is not None:
        parts.append(counterexample_html(verdict.counterexample))
    parts.append("</div>")
    return "\n".join(parts)


def _reason_without_residual(verdict: Verdict) -> str:
    # The engine's reason ends with the factored residual in SymPy's text form; the table
    # shows that residual as math in its own row, so the text copy is left out here.
    head, marker, _ = verdict.reason.partition(" (the residual factors as ")
    return head if marker and verdict.residual is not None else verdict.reason


def _claim_math(claim: Claim) -> str:
    lines = _claim_lines(claim)
    return r"\begin{aligned}" + r"\\ ".join(line if has_alignment(line) else "&" + line for line in lines) \
        + r"\end{aligned}"


# -- theorems -----------------------------------------------------------------------------------

def theorem_latex(theorem: Theorem) -> str:
    """The theorem's name and statement as display math."""
    return latex_block([theorem.latex], title=theorem.name)


def theorem_result_latex(result: TheoremResult) -> str:
    """The theorem, its overall status, and each part's status."""
    lines = [result.theorem.latex, r"\Rightarrow\ " + status_latex(result.status)]
    lines.append(r"\text{for every size: }" + status_latex(result.symbolic.status)
                 + (r"\ " + latex_text("by " + result.symbolic.strategy) if result.symbolic.strategy else ""))
    for verdict in result.instances:
        lines.append(title_latex(verdict.claim.name) + r"\text{: }" + status_latex(verdict.status))
    for sizes, report in result.numeric:
        label = ", ".join(f"{k} = {v}" for k, v in sizes.items())
        lines.append(latex_text(f"central differences at {label}: ")
                     + (r"\text{agree}" if report.agreed else r"\textbf{disagree}"))
    return latex_block(lines, title=result.theorem.name)


def theorem_result_html(result: TheoremResult) -> str:
    """The statement as math above a table with one row per check (symbolic, each size, numeric)."""
    checks = [(f"for every size ({html.escape(result.symbolic.claim.name)})", _verdict_cell(result.symbolic))]
    for verdict in result.instances:
        checks.append((html.escape(verdict.claim.name), _verdict_cell(verdict)))
    for sizes, report in result.numeric:
        label = ", ".join(f"{k}={v}" for k, v in sizes.items())
        outcome = status_html(Status.PROVED).replace(">proved<", ">agree<") if report.agreed else \
            status_html(Status.REFUTED).replace(">refuted<", ">disagree<")
        detail = f" at {report.points} points, worst relative error {report.worst_relative_error:.1e}"
        if report.detail:
            detail += " — " + report.detail
        checks.append((f"central differences ({label})", outcome + html.escape(detail)))
    reason = f"<p>{html.escape(result.reason)}</p>" if result.reason else ""
    return "\n".join([
        f'<div class="derive-theorem"><p><code>{html.escape(result.theorem.name)}</code>: '
        f"{status_html(result.status)} in {result.seconds:.2f} s</p>",
        f'<div style="overflow-x:auto">{math_html(result.theorem.latex, display=True)}</div>',
        reason,
        html_table(checks, header=("check", "result")),
        "</div>",
    ])


def _verdict_cell(verdict: Verdict) -> str:
    out = status_html(verdict.status)
    if verdict.strategy:
        out += " by " + html.escape(verdict.strategy)
    elif verdict.reason:
        out += ": " + html.escape(verdict.reason)
    return out + f" ({verdict.seconds:.2g} s)"
