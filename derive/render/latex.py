r"""Rendering proofs: a standalone LaTeX document, an align* fragment, or a Markdown post.

The renderers only read verdicts; they never decide anything. A proof with a step
the engine did not prove is not rendered as a proof: :func:`document`,
:func:`fragment` and :func:`markdown` raise :class:`~derive.library.proofs.UnprovedStepError`
naming the step, unless ``mark_unproved=True`` asks for a draft in which such steps
are marked (refuted or undecided, with the reason).

Notation follows the seeds: ``\hat{y}``, ``\operatorname{softmax}``,
``\frac{\partial \hat{y}_i}{\partial z_j}``, ``\delta_{ij}``, ``\sum_{n=1}^{k}``.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import sympy as sp
from sympy.printing.latex import LatexPrinter, _between_two_numbers_p

from derive.engine.identities import latex_of
from derive.engine.verdict import Status
from derive.library.proofs import Notation, Proof, ProofStep, UnprovedStepError
from derive.render.declarations import declarations

__all__ = [
    "TEX_PACKAGES",
    "ProofPrinter",
    "TexMissingError",
    "TexRunError",
    "aligned",
    "compile_pdf",
    "document",
    "fragment",
    "markdown",
    "to_latex",
]

#: Debian's packages that provide what :func:`compile_pdf` runs (pdflatex, amsmath, latexmk).
TEX_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "latexmk")


class ProofPrinter(LatexPrinter):
    """SymPy's LaTeX printer, in the notation of the proof (ŷ for yhat, ∂f/∂z_j, δ_ij)."""

    def __init__(self, notations: Iterable[Notation] = ()) -> None:
        super().__init__()
        self._names = {n.name: n for n in notations}

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        # ŷ_j - y_j, not -y_j + ŷ_j: terms with a minus sign go last (stable otherwise).
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda t: t.could_extract_minus_sign())

    def _print_Mul(self, expr: sp.Expr) -> str:
        # The notation page's order, not SymPy's sort: coefficient, then plain letters
        # (y_m, ŷ_i, δ_ij), then a difference with a constant (1 - ŷ_i), then the rest
        # (log, exp, sums, derivatives): y_m log ŷ_m, ŷ_i (1 - ŷ_i), (ŷ_a - y_a) h_b.
        # Fractions keep SymPy's layout (their numerator comes back here).
        sign, body = "", expr
        if isinstance(expr, sp.Mul) and expr.could_extract_minus_sign():
            sign, body = "- ", -expr
        if not isinstance(body, sp.Mul):
            return super()._print_Mul(expr)
        numer, denom = sp.fraction(body, exact=True)
        if isinstance(denom, sp.Symbol) and isinstance(numer, sp.Sum):
            # A mean reads as the statements write it: \frac{1}{N} \sum_n ..., not \frac{\sum_n ...}{N}.
            return sign + rf"\frac{{1}}{{{self._print(denom)}}} {self._print(numer)}"
        if denom != 1:
            return super()._print_Mul(expr)
        args = sorted(body.as_ordered_factors(), key=_factor_rank)  # stable: SymPy's order within a rank
        tex = ""
        for n, term in enumerate(args):
            # log ŷ_m e^{z} would read as the log of a product: a log followed by more keeps its parentheses.
            term_tex = super()._print_log(term) if isinstance(term, sp.log) and n < len(args) - 1 \
                else self._print(term)
            if self._needs_mul_brackets(term, first=n == 0, last=n == len(args) - 1):
                term_tex = rf"\left({term_tex}\right)"
            if tex and _between_two_numbers_p[0].search(tex) and _between_two_numbers_p[1].match(term_tex):
                tex += r" \cdot "
            elif tex:
                tex += " "
            tex += term_tex
        return sign + tex

    def _print_Sum(self, expr: sp.Sum) -> str:
        # One sum per index (the last limit outermost, as SymPy nests them): the audit's reader
        # reads \sum_{m=1}^{k} \sum_{n=1}^{d}, not SymPy's \substack of ranges under one sum.
        if len(expr.limits) == 1:
            return str(super()._print_Sum(expr))
        tex = self._print(sp.Sum(expr.function, expr.limits[0]))
        for v, lo, hi in expr.limits[1:]:
            tex = rf"\sum_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}} {tex}"
        return tex

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        # log ŷ_m, as the notation page writes it; parentheses only around a compound argument.
        arg = expr.args[0]
        if not isinstance(arg, (sp.Symbol, sp.Indexed)):
            return super()._print_log(expr, exp)
        tex = rf"\log {self._print(arg)}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _index_list(self, indices: Sequence[sp.Basic]) -> str:
        parts = [self._print(i) for i in indices]
        short = all((isinstance(i, sp.Symbol) and len(p) == 1) or p == r"\ell" for i, p in zip(indices, parts,
                                                                                             strict=True))
        return (" " if short else ", ").join(parts)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        note = self._names.get(expr.base)
        indices = list(expr.indices)
        if note is None:
            name = self._print(expr.base.label)
            if "_" in name:  # the array W2 is W_{2}; its entry is {W_{2}}_{ij}, as W_{2}_{ij} is a TeX error
                name = "{" + name + "}"
        else:
            name = note.latex
            indices = indices[note.hidden_indices:]
        return f"{name}_{{{self._index_list(indices)}}}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        note = self._names.get(expr)
        if note is not None:
            return note.latex
        if expr.name == "ell":
            return r"\ell"
        return super()._print_Symbol(expr, style=style)

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: str | None = None) -> str:
        tex = rf"\delta_{{{self._index_list(sorted(expr.args, key=sp.default_sort_key))}}}"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Heaviside(self, expr: sp.Heaviside, exp: str | None = None) -> str:
        # ReLU's derivative: the indicator 1[z > 0] (Heaviside at 0 taken as 0), as textbooks and the
        # reader write it; SymPy's \theta(z, 0) reads as a product with the parameter θ.
        arg, at_zero = expr.args[0], expr.args[1] if len(expr.args) > 1 else sp.S.Half
        relation = {sp.S.Zero: ">", sp.S.One: r"\geq"}.get(at_zero)
        if relation is None:
            return super()._print_Heaviside(expr, exp)
        tex = rf"\mathbb{{1}}\left[{self._print(arg)} {relation} 0\right]"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _needs_mul_brackets(self, expr: sp.Basic, first: bool = False, last: bool = False) -> bool:
        # An operator ∂/∂x applies to the whole product that follows it (as the audit reads it,
        # and as SymPy prints Derivative(x*y, x)), so a derivative that is not the last factor
        # is bracketed: (∂/∂z e^z) Σ..., never ∂/∂z e^z Σ... that would mean ∂/∂z (e^z Σ...).
        if not last and any(isinstance(d, sp.Derivative) and not isinstance(d.expr, (sp.Indexed, sp.Symbol))
                            for d in sp.preorder_traversal(expr)):
            return True
        return bool(super()._needs_mul_brackets(expr, first=first, last=last))

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        (var, order), = expr.variable_count
        wrt = self._print(var) if order == 1 else f"{self._print(var)}^{{{order}}}"
        top = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        body = expr.expr
        if isinstance(body, (sp.Indexed, sp.Symbol)):
            return rf"\frac{{{top} {self._print(body)}}}{{\partial {wrt}}}"
        inner = self._print(body)
        if isinstance(body, (sp.Add, sp.Sum)) or body.could_extract_minus_sign() or inner.startswith(r"\frac{1}"):
            inner = rf"\left({inner}\right)"
        return rf"\frac{{{top}}}{{\partial {wrt}}} {inner}"


def _factor_rank(factor: sp.Expr) -> int:
    if factor.is_Number:
        return -1
    base = factor.base if isinstance(factor, sp.Pow) and factor.exp.is_Integer else factor
    if isinstance(base, (sp.Symbol, sp.Indexed)) or (
            isinstance(base, sp.Derivative) and isinstance(base.expr, (sp.Symbol, sp.Indexed))):
        return 1
    if isinstance(base, sp.KroneckerDelta):
        return 2  # ŷ_i δ_ij, as the notation page writes it
    if isinstance(factor, sp.Add):
        # A difference of letters leads, (ŷ_a - y_a) h_b; others follow the letters: ŷ_i (1 - ŷ_i).
        letters = all(isinstance(-t if t.could_extract_minus_sign() else t, (sp.Symbol, sp.Indexed))
                      for t in factor.args)
        return 0 if letters else 3
    return 4


def to_latex(expr: sp.Basic, notations: Iterable[Notation] = ()) -> str:
    r"""One expression in the proof's notation.

    Examples:
        >>> import sympy as sp
        >>> z = sp.IndexedBase("z", real=True)
        >>> j = sp.Symbol("j", integer=True, positive=True)
        >>> print(to_latex(sp.Derivative(sp.exp(z[j]), z[j])))
        \frac{\partial}{\partial z_{j}} e^{z_{j}}
    """
    return ProofPrinter(notations).doprint(expr)


_MATH_CHARS = {"∂": r"\partial ", "Σ": r"\Sigma ", "ŷ": r"\hat{y}", "ℓ": r"\ell ", "≠": r"\neq ", "δ": r"\delta ",
               "·": r"\cdot "}
_SUBSCRIPTED = re.compile(r"([A-Za-zΣŷδ]+)_([A-Za-z0-9ℓ]+)")


def _text(s: str) -> str:
    """Prose for \\text{...}: TeX specials escaped, ``δ_ij`` and Unicode math letters as inline math."""
    out = []
    for n, part in enumerate(_SUBSCRIPTED.split(s)):
        kind = n % 3  # split with two groups: text, base, subscript, text, ...
        if kind == 0:
            for special in ("&", "%", "#", "_", "{", "}"):
                part = part.replace(special, "\\" + special)
            out.append("".join(f"${_MATH_CHARS[c].strip()}$" if c in _MATH_CHARS else c for c in part))
        elif kind == 1:
            out.append("$" + "".join(_MATH_CHARS.get(c, c) for c in part).strip())
        else:
            out.append("_{" + "".join(_MATH_CHARS.get(c, c) for c in part).strip() + "}$")
    # Two inline maths side by side ("$\partial$$s_i$") would open a display in Markdown.
    return "".join(out).replace("$$", " ")


def _is_math_word(word: str, previous_math: bool) -> bool:
    if re.fullmatch(r"\(\w, \w\)", word):  # (i, j)
        return True
    core = word.rstrip(":;,")
    if core in ("-", "+", "/") or core.isdigit():
        return previous_math
    if core == "=" or any(c in core for c in "_=≠Σδŷℓ∂·/"):
        return True
    # A single letter is a symbol (s, A, i), except the article "a".
    return len(core) == 1 and core.isalpha() and core != "a"


def _math(words: str) -> str:
    """Words of a rule that are math (``δ_ij = 0``, ``Σ_m y_m = 1``) as LaTeX."""
    def plain(part: str) -> str:
        return "".join(_MATH_CHARS.get(c, c) for c in part).replace(r"\Sigma ", r"\textstyle\sum").strip()
    parts = _SUBSCRIPTED.split(words)
    out: list[str] = []
    for n, part in enumerate(parts):
        if n % 3 == 2:  # text, base, subscript, text, ...: the subscript joins its base
            out[-1] += "_{" + plain(part) + "}"
        else:
            out.append(plain(part))
    return re.sub(r" +", " ", " ".join(p for p in out if p))


def _rule_parts(rule: str) -> list[tuple[bool, str, bool]]:
    """A rule as runs (is math, text, space before): ``case i ≠ j: δ_ij = 0`` is prose, math, prose, math."""
    pieces: list[tuple[bool, str, bool]] = []
    previous = False
    for n, word in enumerate(re.findall(r"\(\w, \w\)|\S+", rule)):
        is_math = _is_math_word(word, previous)
        core = word.rstrip(":;,") if is_math else word
        for kind, text, space in ((is_math, core, n > 0), (False, word[len(core):], False)):
            if not text:
                continue
            if pieces and pieces[-1][0] == kind:
                last = pieces[-1]
                pieces[-1] = (kind, last[1] + (" " if space else "") + text, last[2])
            else:
                pieces.append((kind, text, space))
        previous = is_math
    return pieces


def _prose_escape(text: str) -> str:
    for special in ("&", "%", "#", "_", "{", "}"):
        text = text.replace(special, "\\" + special)
    return text


def _rule_math(rule: str) -> str:
    r"""A rule as an annotation inside math: prose in ``\text``, symbols as math.

    Examples:
        >>> print(_rule_math("case i ≠ j: δ_ij = 0"))
        \text{case } i \neq j \text{: } \delta_{ij} = 0
    """
    pieces = _rule_parts(rule)
    out = []
    for n, (is_math, text, space) in enumerate(pieces):
        if is_math:
            out.append(_math(text))
        else:
            after = " " if n + 1 < len(pieces) and pieces[n + 1][2] else ""
            out.append(rf"\text{{{' ' if space else ''}{_prose_escape(text)}{after}}}")
    return " ".join(out)


def _rule_prose(rule: str) -> str:
    """A rule in running text (the Verification table): prose, with its symbols as inline math."""
    return "".join((" " if space else "") + (f"${_math(text)}$" if is_math else _prose_escape(text))
                   for is_math, text, space in _rule_parts(rule))


def _check(proofs: Sequence[Proof], mark_unproved: bool) -> None:
    if mark_unproved:
        return
    for proof in proofs:
        for step in proof.steps:
            if not step.proved:
                raise UnprovedStepError(proof, step)


def _annotation(step: ProofStep) -> str:
    text = _rule_math(step.rule)
    if step.verdict.identities:
        # The engine's named identities that proved the step (tanh = sinh/cosh, the order of sums).
        text += r" \text{; by } " + r", \ ".join(latex_of(name) for name in step.verdict.identities)
    if step.verdict.status is Status.PROVED:
        return text
    mark = rf"\textbf{{{step.verdict.status.value.upper()}}}"
    return rf"\text{{{mark}: }} {text}"


def _chain(proof: Proof, *, tag: str = "&&") -> list[str]:
    """The lines ``lhs &= step_1 && rule \\`` of a proof's align*/aligned block."""
    notes = proof.notations
    lines = [f"{to_latex(proof.start, notes)}"]
    for n, step in enumerate(proof.steps):
        end = r" \\" if n < len(proof.steps) - 1 else ""
        lines.append(f"  &= {to_latex(step.expr, notes)} {tag} {_annotation(step)}{end}")
    return lines


def _statement(proof: Proof) -> str:
    # The library's statement carries its condition after \quad; the proof states its own.
    return proof.latex.split(r" \quad")[0]


#: A chain whose longest line has more LaTeX than this is wider than the text (the chains of
#: SymPy's derivatives through a whole network): it is scaled down to the text width instead of
#: running off the page. amsmath cannot break a single equation line by itself.
_WIDE_LINE = 100


def _proof_lines(proof: Proof) -> list[str]:
    """The proof's chain as an align*, or scaled to the text width when a line is too wide for it."""
    chain = _chain(proof)
    if max(len(line) for line in chain) <= _WIDE_LINE:
        return [r"\begin{align*}", *chain, r"\end{align*}"]
    return [rf"\[ {_FIT}{{$\displaystyle \begin{{aligned}}", *chain, r"\end{aligned}$} \]"]


#: Scaled down only: \width is the box's natural width, so a display that fits keeps its size.
_FIT = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}"


def _statement_display(proof: Proof) -> str:
    """The statement with its conditions as a display, scaled to the text width when it is too wide."""
    condition = rf" \quad ({proof.conditions})" if proof.conditions else ""
    line = _statement(proof) + condition
    return rf"\[ {line} \]" if len(line) <= _WIDE_LINE else rf"\[ {_FIT}{{$\displaystyle {line}$}} \]"


def aligned(proof: Proof) -> str:
    """One proof as ``$$\\begin{aligned}...\\end{aligned}$$`` (Jupyter, MathJax); unproved steps marked."""
    return "\n".join(["$$", r"\begin{aligned}", *_chain(proof), r"\end{aligned}", "$$"])


def fragment(proofs: Sequence[Proof], *, mark_unproved: bool = False) -> str:
    """Only the align* blocks, one per proof, to paste into one's own paper (amsmath)."""
    _check(proofs, mark_unproved)
    blocks = []
    for proof in proofs:
        blocks.append("\n".join([f"% {proof.theorem}: {proof.statement}", r"\begin{align*}", *_chain(proof),
                                 r"\end{align*}"]))
    return "\n\n".join(blocks) + "\n"


def _notation_items(proofs: Sequence[Proof]) -> list[str]:
    seen: dict[str, None] = {}
    for proof in proofs:
        for note in proof.notations:
            seen.setdefault(note.where, None)
    return list(seen)


def _tt(name: str) -> str:
    r"""A name as code: ``\texttt``, each underscore the typewriter font's own glyph (copyable, found by search).

    Examples:
        >>> print(_tt("softmax_jacobian"))
        \texttt{softmax\char95{}jacobian}
    """
    return r"\texttt{" + _prose_escape(name).replace(r"\_", r"\char95{}") + "}"


def _footer_rows(proofs: Sequence[Proof]) -> list[str]:
    """The Verification table: each theorem's name (\texttt, as ``derive`` spells it) over its steps."""
    rows = []
    for proof in proofs:
        rows.append(rf"\multicolumn{{4}}{{@{{}}l}}{{{_tt(proof.theorem)}}} \\*")
        for step in proof.steps:
            strategy = step.verdict.strategy or step.verdict.reason or ""
            rows.append(rf"{step.number} & {_rule_prose(step.rule)} & {step.verdict.status.value} & "
                        rf"{_text(strategy)} \\")
        rows.append(r"\addlinespace")
    return rows


def document(proofs: Sequence[Proof], *, title: str | None = None, mark_unproved: bool = False,
             date: str | None = None) -> str:
    """A standalone LaTeX document: notation, one theorem and proof per entry, a verification footer."""
    import derive

    _check(proofs, mark_unproved)
    title = title or ("Gradients of softmax cross-entropy, machine-checked" if len(proofs) > 1
                      else proofs[0].title)
    today = date or datetime.date.today().isoformat()
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb,amsthm}",
        r"\usepackage{longtable,array,booktabs,graphicx}",
        r"\newtheorem{theorem}{Theorem}",
        rf"\title{{{_text(title)}}}",
        rf"\author{{derive {derive.__version__}}}",
        rf"\date{{{today}}}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        r"\maketitle",
        "",
        r"Every displayed equality below was checked by the \texttt{derive} engine: both sides were",
        r"written out from the definitions, differentiated by SymPy, and their difference reduced to an",
        r"exact zero under the stated hypotheses, for every size (symbolic $k$, $c$, $d$, $p$, $N$).",
        "",
        r"\section*{Notation}",
        r"\begin{itemize}",
        *[rf"  \item ${item}$" for item in _notation_items(proofs)],
        r"  \item $\delta_{ij}$ is the Kronecker delta; $\log$ is the natural logarithm.",
        r"\end{itemize}",
    ]
    for proof in proofs:
        out += [
            "",
            *[f"% derive: {d}" for d in declarations(proof)],
            rf"\begin{{theorem}}[{_text(proof.title)}]\label{{thm:{proof.theorem}}}",
            _statement_display(proof),
            r"\end{theorem}",
            r"\begin{proof}",
            *_proof_lines(proof),
            r"\end{proof}",
        ]
    out += [
        "",
        r"\section*{Verification}",
        rf"Engine \texttt{{derive}} {derive.__version__}, SymPy {sp.__version__}. Each step was decided by",
        r"the strategy named in the last column.",
        "",
        r"{\small",
        # Fixed columns that add up to the text width, so the table wraps instead of running off the page.
        r"\begin{longtable}{@{}r>{\raggedright\arraybackslash}p{0.50\textwidth}l"
        r">{\raggedright\arraybackslash}p{0.30\textwidth}@{}}",
        r"step & rule & verdict & strategy \\ \midrule \endhead",
        *_footer_rows(proofs),
        r"\end{longtable}}",
        r"\end{document}",
    ]
    return "\n".join(out) + "\n"


def markdown(proofs: Sequence[Proof], *, mark_unproved: bool = False) -> str:
    """A post in Markdown with MathJax display math, like the seeds, each step with its rule."""
    _check(proofs, mark_unproved)
    out = ["# Gradients of softmax cross-entropy, step by step", "",
           "Every step below was checked by `derive`: an exact symbolic zero, for every size.", "",
           "**Notation.**", ""]
    out += [f"- ${item}$" for item in _notation_items(proofs)]
    for proof in proofs:
        condition = rf" \quad ({proof.conditions})" if proof.conditions else ""
        declared = f"<!-- derive: {'; '.join(declarations(proof))} -->"
        out += ["", f"## {proof.title}", "", declared, "", "$$", _statement(proof) + condition, "$$", "",
                "*Proof.*", "", "$$", r"\begin{aligned}", *_chain(proof), r"\end{aligned}", "$$"]
    return "\n".join(out) + "\n"


class TexMissingError(RuntimeError):
    """latexmk or pdflatex is not installed."""


class TexRunError(RuntimeError):
    """latexmk ran and failed; the message names the log."""


#: latexmk's options: PDF through pdflatex, no questions, the first error ends the run, errors as
#: file:line, and never \write18 (an explicit -no-shell-escape, whatever a latexmkrc or texmf.cnf says).
LATEXMK = ("latexmk", "-pdf", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error")


def compile_pdf(tex: str, pdf: Path, *, timeout: float = 180.0) -> str:
    """Compile a LaTeX document with latexmk (pdflatex) and write ``pdf``; returns the text of the log.

    The work happens in a ``derive-tex-*`` temporary folder, removed afterwards whatever happens;
    when the run fails, its log is kept next to ``pdf`` (``.log``) and the error names it.
    """
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        raise TexMissingError(f"{' and '.join(missing)} not found; install TeX Live with "
                              f"'sudo apt-get install {' '.join(TEX_PACKAGES)}' (or write the LaTeX with --tex)")
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as folder:
        work = Path(folder)
        source = work / "proofs.tex"
        source.write_text(tex, encoding="utf-8")
        log = work / "proofs.log"
        try:
            run = subprocess.run([*LATEXMK, source.name], cwd=work, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TexRunError(f"latexmk did not finish in {timeout:g} s{_keep_log(log, pdf)}") from None
        if run.returncode != 0 or not (work / "proofs.pdf").exists():
            first = _first_error(log)
            raise TexRunError(f"latexmk failed (exit {run.returncode}){': ' + first if first else ''}"
                              f"{_keep_log(log, pdf)}")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "proofs.pdf", pdf)
        return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def _keep_log(log: Path, pdf: Path) -> str:
    """Copy a failed run's log next to the PDF it was to make; ``; see FILE``, or nothing without a log."""
    if not log.exists():
        return ""
    kept = pdf.with_suffix(".log")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, kept)
    except OSError:
        return ""
    return f"; see {kept}"


def _first_error(log: Path) -> str:
    """The first error line of a TeX log (``file:line: message`` with -file-line-error)."""
    if not log.exists():
        return ""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("!") or (".tex:" in line and ": " in line):
            return line.strip()
    return ""
