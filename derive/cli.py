"""The ``derive`` command line: ``derive list``, ``verify``, ``prove``, ``audit`` and ``check``.

Exit status: 0 when every selected theorem is proved, 1 when any is refuted or
undecided, 2 on wrong usage (a one-line message, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

# The engine (SymPy) loads only when a command needs it, so --help and --version stay fast.
if TYPE_CHECKING:
    from rich.console import Console

    from derive.engine.decide import Settings
    from derive.engine.printable import Output
    from derive.library.theorems import Theorem
    from derive.library.verification import TheoremResult

__all__ = ["main", "run"]


# derive.engine.printable is imported when used, in these two alone: --help loads no engine.
def printable(text: str, *, newlines: bool = True) -> str:
    from derive.engine.printable import printable as escaped
    return escaped(text, newlines=newlines)


def _output(*, keep_going: bool = False, stream: TextIO | None = None) -> Output:
    """Standard output (or ``stream``) that survives its reader leaving (derive.engine.printable.Output)."""
    from derive.engine.printable import Output
    return Output(keep_going=keep_going, stream=stream)

#: When the command started (--timeout counts from here: loading SymPy takes seconds on a busy machine).
STARTED = time.monotonic()

COMMANDS = ("list", "verify", "prove", "audit", "check", "grad")

EPILOG = """\
verdicts:
  proved     lhs - rhs was rewritten to exact zero (the strategy says how), for
             symbolic sizes and at every concrete size, and central differences agree
  refuted    a concrete point honoring the hypotheses where both sides, evaluated at
             high precision, differ (the point and both values are shown)
  undecided  neither: the reason and the residual are shown

examples:
  derive list
  derive verify
  derive verify cross_entropy_gradient_soft --k 1000
  derive verify two_layer_gradient_A two_layer_gradient_B --cdp 10 8 12
  derive verify --json > verdicts.json
  derive prove --all --pdf proofs.pdf
  derive prove cross_entropy_gradient_soft --fragment -
  derive audit post.md --html post-audit.html
  derive check '\\frac{d}{dx} \\tanh(x) = 1 - \\tanh(x)^2'
"""

PROVE_EPILOG = """\
Each step of a proof is proposed by a named rule and decided by the engine; a proof
with a step that is not proved is not written (the step is named, exit status 1).

outputs (give any number; FILE may be - for standard output):
  --tex FILE       a standalone LaTeX document (amsmath, amsthm)
  --pdf FILE       the same document compiled with latexmk; needs TeX Live:
                   sudo apt-get install texlive-latex-base texlive-latex-recommended latexmk
  --fragment FILE  only the align* blocks, to paste into your own paper
  --markdown FILE  a Markdown post with $$ display math (MathJax, KaTeX, Pandoc)
  (none)           a table of the steps, their rules and verdicts

examples:
  derive prove --all --pdf proofs.pdf
  derive prove softmax_jacobian_diagonal softmax_jacobian_offdiagonal --tex jacobian.tex
  derive prove cross_entropy_gradient_onehot_other --fragment -
  derive prove --all --markdown post.md
"""


AUDIT_EPILOG = """\
Reads the display math of a Markdown or LaTeX post ($$...$$, \\[...\\], align
environments), splits every chain a = b = c into steps, and decides each step:
  valid       proved (an exact zero)
  wrong       refuted at a point that honors the hypotheses; both sides shown
  undecided   neither; the reason, and the declaration that would help
  not read    the reader could not take it (line, column, reason)
  definition  name = expression introducing a name (not checked)

Declarations are HTML comments, invisible in the rendered post (in a LaTeX file,
% derive: ... comment lines):
  <!-- derive: logits z; labels y one-hot at \\ell -->
  <!-- derive: assume j \\neq \\ell -->          (until the next heading)
  <!-- derive: matrix A d p; vector x p per sample; samples N n; size C -->
  <!-- derive: define \\sum_C = \\sum_{c=1}^C e^{s_{nc}} -->
  <!-- derive: define \\sigma(x) = \\frac{1}{1+e^{-x}}; scalar x t -->

exit status: 0 no step is wrong, 1 a step is wrong, 2 the input cannot be used

examples:
  derive audit post.md
  derive audit post.md --html post-audit.html
  derive audit post.md --json
"""


CHECK_EPILOG = """\
Decides one equality written in LaTeX, as the audit decides a step of a post (the
same reader, the same meanings): a step 'a = b' or a chain 'a = b = c'. Quote it
for the shell with single quotes.

  valid       proved (an exact zero)
  wrong       refuted at a point that honors the hypotheses; both sides shown
  undecided   neither; the reason, and the declaration that would help
  not read    the reader could not take it: an error with line, column, reason

exit status: 0 every step valid, 1 a step wrong or undecided, 2 the step cannot be read

--given takes what a post would declare (see 'derive audit --help'):
  --given 'logits z; labels y soft'    ŷ = softmax(z), labels on the simplex
  --given 'labels y one-hot at \\ell'  --given 'assume j \\neq \\ell'

examples:
  derive check '\\frac{d}{dx} \\tanh(x) = 1 - \\tanh(x)^2'
  derive check '\\frac{\\partial \\hat{y}_i}{\\partial z_j} = \\hat{y}_i (1 - \\hat{y}_j)' --given 'logits z'
  derive check '\\frac{\\partial}{\\partial z_j} \\left(-\\sum_n y_n \\log \\hat{y}_n\\right) = \\hat{y}_j - y_j' \\
      --given 'logits z; labels y soft' --json
"""


class UsageError(Exception):
    """Wrong usage: reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see 'derive {self.prog.split()[-1]} --help')"
                         if " " in self.prog else f"{message} (see 'derive --help')")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _console() -> Console:
    """Output as wide as the terminal (or $COLUMNS); a pipe or CI log without $COLUMNS gets 160 columns."""
    from rich.console import Console

    narrow = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(highlight=False, soft_wrap=False, width=None if narrow else 160)


def _parser() -> argparse.ArgumentParser:
    from derive import __version__

    parser = _Parser(prog="derive", description="A symbolic derivation verifier for the gradients of "
                     "machine learning: proves, refutes with a counterexample, or says why it cannot.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    lister = sub.add_parser("list", help="name the theorems with their statements")
    lister.add_argument("--json", action="store_true", help="print JSON instead of a table")
    verify = sub.add_parser("verify", help="prove the theorem library (or the named theorems)",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("names", nargs="*", metavar="NAME", help="theorems to verify (default: all)")
    verify.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    verify.add_argument("--k", type=_positive, action="append", default=[], metavar="K",
                        help="also prove the softmax and cross-entropy theorems exactly at k = K (repeatable)")
    verify.add_argument("--cdp", type=_positive, nargs=3, action="append", default=[], metavar=("C", "D", "P"),
                        help="also prove the two-layer theorems exactly at these sizes (repeatable)")
    verify.add_argument("--batch", type=_positive, metavar="N",
                        help="batch size N for the batch-mean instances given with --cdp (default 2)")
    verify.add_argument("--budget", type=_seconds, default=30.0, metavar="SECONDS",
                        help="time budget of each proof and of each counterexample search (default 30)")
    verify.add_argument("--samples", type=_positive, default=12, help="points tried when searching for "
                        "a counterexample (default 12)")
    verify.add_argument("--seed", type=int, default=0, help="seed of the point sampler (default 0)")
    verify.add_argument("--no-numeric", action="store_true", help="skip the central-difference cross-check")
    prove = sub.add_parser("prove", help="write step-by-step proofs as LaTeX, PDF or Markdown",
                           epilog=PROVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    prove.add_argument("names", nargs="*", metavar="NAME", help="theorems to prove ('derive list' names them)")
    prove.add_argument("--all", action="store_true", help="every theorem of the library, in one document")
    prove.add_argument("--tex", metavar="FILE", help="write a standalone LaTeX document")
    prove.add_argument("--pdf", metavar="FILE", help="compile the document to PDF with latexmk")
    prove.add_argument("--fragment", metavar="FILE", help="write only the align* blocks")
    prove.add_argument("--markdown", metavar="FILE", help="write a Markdown post with $$ display math")
    prove.add_argument("--json", action="store_true", help="print the steps and verdicts as JSON")
    prove.add_argument("--budget", type=_seconds, default=10.0, metavar="SECONDS",
                       help="time budget of each step's proof and counterexample search (default 10)")
    audit = sub.add_parser("audit", help="check a written derivation (Markdown/LaTeX) step by step",
                           epilog=AUDIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("files", nargs="+", metavar="FILE", help="Markdown or LaTeX files, folders of them, "
                       "or - for standard input")
    audit.add_argument("--json", action="store_true", help="print one JSON document")
    audit.add_argument("--html", metavar="OUT", help="write the post as HTML (MathML, offline) with every step marked "
                       "(one file: OUT; several: OUT is a directory)")
    audit.add_argument("--verbose", action="store_true", help="show the strategy of valid steps too")
    audit.add_argument("--names", action="store_true",
                       help="print each post's symbol table: what the audit took each name to be, and why")
    audit.add_argument("--budget", type=_seconds, default=5.0, metavar="SECONDS",
                       help="time budget of each step's proof and counterexample search (default 5)")
    audit.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                       help="stop the whole run after SECONDS (the steps decided so far are reported; exit status 1)")
    audit.add_argument("-j", "--jobs", type=_positive, default=1, metavar="N",
                       help="audit N files at a time, each in its own worker process (default 1)")
    audit.add_argument("--strict", action="store_true",
                       help="exit 1 also when a step is undecided or not read (for CI)")
    check = sub.add_parser("check", help="decide one equality written in LaTeX (a step or a chain)",
                           epilog=CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("step", metavar="STEP", help="LaTeX math, e.g. '\\frac{d}{dx} e^{2x} = 2 e^{2x}'")
    check.add_argument("--given", action="append", default=[], metavar="DECLARATION",
                       help="a declaration as a post writes it, e.g. 'logits z; labels y soft' (repeatable)")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.add_argument("--budget", type=_seconds, default=10.0, metavar="SECONDS",
                       help="time budget of the proof and of the counterexample search (default 10)")
    check.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                       help="stop after SECONDS whatever the step is doing")
    check.add_argument("--strict", action="store_true",
                       help="exit 1 unless every step is valid (check always does; accepted as in audit)")
    from derive.render.gradient import add_parser  # argparse only: --help stays free of SymPy
    add_parser(sub)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _seconds(text: str) -> float:
    """A positive finite number of seconds (0, negative numbers, nan and inf are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive finite number of seconds, got {text!r}")
    return value


def _select(names: Sequence[str]) -> list[Theorem]:
    from derive.library.theorems import LIBRARY

    unknown = [n for n in names if n not in LIBRARY]
    if unknown:
        hint = _did_you_mean(unknown[0], list(LIBRARY)) or f" (e.g. {next(iter(LIBRARY))})"
        raise UsageError(f"unknown theorem {unknown[0]!r}{hint}; 'derive list' names them all")
    return [LIBRARY[n] for n in names] if names else list(LIBRARY.values())


def _instances(args: argparse.Namespace) -> list[dict[str, int]]:
    out: list[dict[str, int]] = [{"k": k} for k in args.k]
    for c, d, p in args.cdp:
        out.append({"c": c, "d": d, "p": p, "N": args.batch or 2})
    if args.batch and not args.cdp:
        raise UsageError("--batch sets N for the --cdp instances; give --cdp C D P too")
    return out


def _list(args: argparse.Namespace) -> int:
    from derive.library.theorems import LIBRARY

    if args.json:
        print(json.dumps([{"name": t.name, "statement": t.statement, "latex": t.latex, "family": t.family}
                          for t in LIBRARY.values()], indent=2, ensure_ascii=False))
        return 0
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("theorem", no_wrap=True)
    table.add_column("statement", overflow="fold")
    for t in LIBRARY.values():
        table.add_row(escape(t.name), escape(t.statement))  # a statement's [..] is text, not rich markup
    _console().print(table)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from derive.engine.decide import Settings
    from derive.engine.verdict import Status

    theorems = _select(args.names)
    instances = _instances(args)
    settings = Settings(budget=args.budget, search_budget=args.budget, samples=args.samples, seed=args.seed)
    results = _run_with_progress(theorems, instances, settings, numeric=not args.no_numeric,
                                 show=not args.json and sys.stderr.isatty())
    if args.json:
        summary = {s.value: sum(r.status is s for r in results) for s in Status}
        print(json.dumps({"theorems": [r.as_dict() for r in results], "summary": summary,
                          "all_proved": all(r.status is Status.PROVED for r in results)},
                         indent=2, ensure_ascii=False))
    else:
        _print_table(results)
    return 0 if all(r.status is Status.PROVED for r in results) else 1


def _run_with_progress(theorems: list[Theorem], instances: list[dict[str, int]], settings: Settings, *,
                       numeric: bool, show: bool) -> list[TheoremResult]:
    from derive.library.verification import verify_theorem

    results = []
    if not show:
        for t in theorems:
            results.append(verify_theorem(t, instances=instances, settings=settings, numeric=numeric))
        return results
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), transient=True) as progress:
        task = progress.add_task("verifying", total=len(theorems))
        for t in theorems:
            progress.update(task, description=f"verifying {t.name}")
            results.append(verify_theorem(t, instances=instances, settings=settings, numeric=numeric))
            progress.advance(task)
    return results


def _print_table(results: list[TheoremResult]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from derive.engine.verdict import Status

    console = _console()
    # A narrow terminal gets the theorem (its statement below its name), the verdict and the time;
    # the strategy and the checks need the width of a wide one.
    narrow = console.width < 110
    table = Table(show_lines=narrow, pad_edge=False)
    table.add_column("theorem", overflow="fold", min_width=min(max(len(r.theorem.name) for r in results), 30))
    if not narrow:
        table.add_column("statement", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    if not narrow:
        table.add_column("strategy", overflow="fold")
        table.add_column("checks", overflow="fold")
    table.add_column("time", no_wrap=True)
    colors = {Status.PROVED: "green", Status.REFUTED: "red", Status.UNDECIDED: "yellow"}
    for r in results:
        verdict = f"[{colors[r.status]}]{r.status.value}[/]"
        time = f"{r.seconds:.2f} s"
        if narrow:
            table.add_row(f"{r.theorem.name}\n[dim]{escape(r.theorem.statement)}[/]", verdict, time)
            continue
        checks = ", ".join(_instance_label(v.claim.name) + (" ✓" if v.proved else " ✗") for v in r.instances)
        if r.numeric:
            checks += ", numeric " + ("✓" if all(rep.agreed for _, rep in r.numeric) else "✗")
        table.add_row(escape(r.theorem.name), escape(r.theorem.statement), verdict,
                      escape(r.symbolic.strategy or "-"), checks, time)
    console.print(table)
    for r in results:
        if r.status is not Status.PROVED:
            console.print(f"[{colors[r.status]}]{escape(r.theorem.name)}[/]: {escape(r.reason)}")
            for v in (r.symbolic, *r.instances):
                if not v.proved:
                    console.print(v.explain(), markup=False)
    counts = {s: sum(r.status is s for r in results) for s in Status}
    console.print(f"{counts[Status.PROVED]} proved, {counts[Status.REFUTED]} refuted, "
                  f"{counts[Status.UNDECIDED]} undecided in {sum(r.seconds for r in results):.2f} s")


def _prove(args: argparse.Namespace) -> int:
    from pathlib import Path

    from derive.engine.decide import Settings
    from derive.engine.verdict import Status
    from derive.library.proofs import UnprovedStepError, build_proof, proof_names
    from derive.render import latex

    if args.all and args.names:
        raise UsageError("give theorem names or --all, not both")
    if not args.all and not args.names:
        raise UsageError("name the theorems to prove, or use --all (e.g. 'derive prove --all --pdf proofs.pdf')")
    names = proof_names() if args.all else [t.name for t in _select(args.names)]
    if args.pdf and args.pdf != "-" and not all(_which(tool) for tool in ("latexmk", "pdflatex")) \
            and not args.tex:
        # Fail before the work when the PDF cannot be made (with --tex, the LaTeX is still written first).
        raise UsageError(f"--pdf needs latexmk and pdflatex: install them with 'sudo apt-get install "
                         f"{' '.join(latex.TEX_PACKAGES)}', or write the LaTeX with --tex FILE")
    settings = Settings(budget=args.budget, search_budget=args.budget, samples=8)
    proofs = [build_proof(n, settings=settings) for n in names]
    if args.json:
        print(json.dumps({"proofs": [_proof_dict(p) for p in proofs],
                          "all_proved": all(p.status is Status.PROVED for p in proofs)}, indent=2,
                         ensure_ascii=False))
    failed = [(p, s) for p in proofs for s in p.steps if not s.proved]
    if failed:
        for proof, step in failed:
            print(f"derive: {UnprovedStepError(proof, step)}", file=sys.stderr)
        return 1
    outputs = {"tex": args.tex, "fragment": args.fragment, "markdown": args.markdown}
    render = {"tex": latex.document, "fragment": latex.fragment, "markdown": latex.markdown}
    for kind, target in outputs.items():
        if target:
            _write(target, render[kind](proofs))
    if args.pdf:
        if args.pdf == "-":
            raise UsageError("--pdf needs a file name, not -")
        try:
            latex.compile_pdf(latex.document(proofs), Path(args.pdf))
        except latex.TexMissingError as exc:
            raise UsageError(f"--pdf: {exc}") from None
        except latex.TexRunError as exc:
            print(f"derive: error: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.pdf}", file=sys.stderr)
    if not args.json and not any(outputs.values()) and not args.pdf:
        _print_proofs(proofs)
    return 0


def _step_lines(path: str, steps: Sequence[object], *, verbose: bool) -> str:
    """The text report's lines for ``steps`` (without the summary)."""
    from derive.audit.post import AuditReport
    from derive.audit.report import render_text

    text = render_text(AuditReport(path, tuple(steps)), verbose=verbose)  # type: ignore[arg-type]
    return text[:text.rstrip("\n").rfind("\n") + 1]


def _audit(args: argparse.Namespace) -> int:
    from derive.audit.files import FilesError, page_targets, posts, write_atomic
    from derive.audit.isolated import Job, run_audits
    from derive.audit.post import MAX_BYTES, AuditSettings, AuditStep
    from derive.audit.report import render_html, render_json, render_names
    from derive.audit.source import SourceError, SourceTimeout, read_source
    deadline = STARTED + args.timeout if args.timeout else None
    try:
        names, skipped = posts(args.files)
        # Where the pages go is settled before any work: a page over an input is refused, not written.
        targets = page_targets(names, args.html, json=args.json) if args.html is not None else {}
    except FilesError as exc:
        raise UsageError(str(exc)) from None
    for line in skipped:
        print(f"derive: {printable(line, newlines=False)}", file=sys.stderr)
    jobs = []
    for name in names:
        try:
            jobs.append(Job(name, read_source(name, limit=MAX_BYTES, deadline=deadline)))
        except SourceTimeout as exc:
            raise UsageError(f"stopped by --timeout {args.timeout:g} s: {exc}") from None
        except SourceError as exc:
            raise UsageError(str(exc)) from None
    # With the page on standard output, the text report goes to standard error.
    out = _output(keep_going=bool(targets), stream=sys.stderr if STDOUT_NAME in targets.values() else None)

    def show_steps(job: Job, steps: list[AuditStep]) -> None:
        out.write(_step_lines(job.path, steps, verbose=args.verbose))

    def show_end(job: Job) -> None:
        if job.report is not None:
            out.write("\n".join([job.report.summary(), *(f"hint: {printable(h, newlines=False)}"
                                                        for h in job.report.hints)]) + "\n")
            if args.names:
                out.write(printable(render_names(job.report)))

    stream = not args.json
    run_audits(jobs, AuditSettings(budget=args.budget), workers=args.jobs, deadline=deadline,
               on_steps=show_steps if stream else None, on_done=show_end if stream else None)
    failed = next((j.error for j in jobs if j.error is not None), None)
    if failed is not None:
        raise UsageError(str(failed))
    reports = [j.report for j in jobs if j.report is not None]
    if args.json:
        out.write(render_json(reports) + "\n")
    for report in reports:
        target = targets.get(report.path)
        if target == STDOUT_NAME:
            _output(keep_going=False).write(render_html(report))
        elif target is not None:
            try:
                write_atomic(target, render_html(report))
            except OSError as exc:
                raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
            print(f"wrote {printable(target, newlines=False)}", file=sys.stderr)
    if any(j.timed_out for j in jobs):
        unaudited = sum(j.report is None for j in jobs)
        partly = sum(j.timed_out and j.report is not None for j in jobs)
        print(f"derive: stopped by --timeout {args.timeout:g} s: of {len(jobs)} files, {partly} audited only in "
              f"part and {unaudited} not audited; give more time with --timeout", file=sys.stderr)
        return 1
    return 1 if any(r.strict_exit_status if args.strict else r.exit_status for r in reports) else 0


#: The name of standard output for --html and the --tex/--fragment/--markdown outputs.
STDOUT_NAME = "-"


def _check(args: argparse.Namespace) -> int:
    from derive.audit.isolated import Job, run_audits
    from derive.audit.post import STEP_PATH, AuditSettings, StepStatus
    from derive.audit.report import render_json, render_text
    deadline = STARTED + args.timeout if args.timeout else None
    job = Job(STEP_PATH, step=args.step, given=args.given)
    run_audits([job], AuditSettings(budget=args.budget), deadline=deadline)
    if job.error is not None:
        raise UsageError(str(job.error))
    report = job.report
    if report is None or job.timed_out:
        print(f"derive: stopped by --timeout {args.timeout:g} s before the step was decided; give more time "
              "with --timeout", file=sys.stderr)
        return 1
    unread = [s for s in report.steps if s.status is StepStatus.NOT_READ]
    if unread:
        first = unread[0]
        raise UsageError(f"{report.path}:{first.line}:{first.column}: cannot read '{first.text}': {first.reason}")
    _output(keep_going=False).write(render_json([report]) + "\n" if args.json else render_text(report, verbose=True))
    return 0 if all(s.status is StepStatus.VALID for s in report.steps) else 1


def _which(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


def _write(target: str, text: str) -> None:
    """``text`` to standard output (``-``) or to ``target``, through a temporary file renamed into place."""
    from derive.audit.files import write_atomic
    if target == STDOUT_NAME:
        _output(keep_going=False).write(text)
        return
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(f"wrote {printable(target, newlines=False)}", file=sys.stderr)


def _proof_dict(proof: object) -> dict[str, object]:
    from derive.library.proofs import Proof
    from derive.render.latex import to_latex

    assert isinstance(proof, Proof)
    return {"theorem": proof.theorem, "statement": proof.statement, "status": proof.status.value,
            "start": to_latex(proof.start, proof.notations),
            "steps": [{"number": s.number, "rule": s.rule, "latex": to_latex(s.expr, proof.notations),
                       "verdict": s.verdict.status.value, "strategy": s.verdict.strategy,
                       "identities": list(s.verdict.identities),
                       "reason": s.verdict.reason or None} for s in proof.steps],
            "seconds": round(proof.seconds, 4)}


def _print_proofs(proofs: Sequence[object]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from derive.library.proofs import Proof

    console = _console()
    for proof in proofs:
        assert isinstance(proof, Proof)
        table = Table(title=escape(f"{proof.theorem}: {proof.statement}"), pad_edge=False, title_justify="left")
        for column in ("step", "rule", "verdict", "strategy"):
            table.add_column(column, overflow="fold")
        for s in proof.steps:
            rule = s.rule + (f"; by {', '.join(s.verdict.identities)}" if s.verdict.identities else "")
            table.add_row(str(s.number), escape(rule), s.verdict.status.value,
                          escape(s.verdict.strategy or s.verdict.reason))
        console.print(table)
    console.print(f"{len(proofs)} proofs, every step proved; write them with --tex, --pdf, --fragment or --markdown")


def _instance_label(name: str) -> str:
    return name[name.index("[") + 1:-1] if "[" in name else name


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``derive`` command."""
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
            raise UsageError(f"unknown command {argv[0]!r}{_did_you_mean(argv[0], COMMANDS)}; "
                             f"the commands are {', '.join(COMMANDS)} (see 'derive --help')")
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        if args.command == "list":
            return _list(args)
        if args.command == "prove":
            return _prove(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "check":
            return _check(args)
        if args.command == "grad":
            from derive.render.gradient import run
            return run(args)
        return _verify(args)
    except UsageError as exc:
        message = printable(str(exc), newlines=False)
        print(f"derive: error: {message}", file=sys.stderr)
        if "--json" in argv:
            # A script reading the JSON gets a document too, with the same message.
            _output(keep_going=False).write(json.dumps({"error": message, "exit_status": 2}, indent=2) + "\n")
        return 2
    except BrokenPipeError:  # printable.PipeClosed too
        from derive.engine.printable import silence_stdout

        silence_stdout()  # the reader is gone: nothing more to say, and no traceback at exit
        return 141  # as a process killed by SIGPIPE, which is what a shell reports for 'yes | head -1'
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``derive`` program (``python -m derive`` too): :func:`main`, then exit with its status."""
    status = main()
    # On exit the interpreter looks for cycles among every object SymPy made: 0.1-0.25 s after an audit,
    # a fifth of its cold start. Frozen, they are only freed. Not in main(): its in-process callers keep
    # their collector.
    import gc

    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
