"""The pytest plugin: proofs collected as tests, with a summary line.

Registered through the ``pytest11`` entry point, so installing derive is enough. A test
function marked with :func:`derive.testing.assertions.theorem` returns what to prove (a Claim, a
Theorem or a library theorem's name); it is collected as an ordinary pytest test (so fixtures and
``@pytest.mark.parametrize`` work), and calling it decides what it returns::

    from derive.testing.assertions import theorem

    @theorem
    def test_cross_entropy():
        return "cross_entropy_gradient_soft"

Undecided fails by default (``--derive-undecided=xfail`` to mark it xfail instead); it
never passes. A failure prints the verdict's explanation, the point and a line to reproduce
it, not pytest's internals. ``--derive-isolate`` decides each claim in a worker process that
is killed when its budget runs out (for claims that may make SymPy build huge numbers). The
terminal summary ends with ``derive: N proved, M refuted, K undecided``. Items report their
verdict through ``user_properties``, which pytest-xdist carries from the workers to the
controller, so the summary is right under ``-n auto`` too.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import pytest

from derive.engine.budget import check_seconds

__all__ = ["DeriveError"]


def _seconds(text: str) -> float:
    try:
        return check_seconds(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive finite number of seconds, got {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("derive", "derive: proofs as tests")
    group.addoption("--derive-budget", type=_seconds, default=20.0, metavar="SECONDS",
                    help="time budget of each proof and each counterexample search (default 20)")
    group.addoption("--derive-samples", type=_count, default=12, metavar="N",
                    help="points tried when searching for a counterexample (default 12)")
    group.addoption("--derive-seed", type=int, default=0, metavar="SEED", help="seed of the point sampler (default 0)")
    group.addoption("--derive-undecided", choices=("fail", "xfail"), default="fail",
                    help="what an undecided proof is: a failure (default) or an expected failure")
    group.addoption("--derive-isolate", action="store_true", default=False,
                    help="decide each proof in a worker process, killed when its budget runs out")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "derive_theorem: a proof collected by the derive plugin")
    config.pluginmanager.register(_Summary(), "derive-summary")


class DeriveError(Exception):
    """A proof whose verdict is not the one expected; the message is the verdict's evidence."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _expected(item) is not None:
            item.add_marker("derive_theorem")


def _expected(item: pytest.Item) -> str | None:
    expect = getattr(getattr(item, "obj", None), "__derive_theorem__", None)
    return expect if isinstance(expect, str) else None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Call a theorem with its fixtures and parameters, then decide what it returned."""
    expect = _expected(pyfuncitem)
    if expect is None:
        return None
    __tracebackhide__ = True
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    _decide(pyfuncitem, pyfuncitem.obj(**args), expect)
    return True


def _decide(item: pytest.Function, subject: object, expect: str) -> None:
    __tracebackhide__ = True
    from derive.engine.decide import Settings, decide
    from derive.testing.assertions import _claim, _verdict_message

    options = item.config.option
    settings = Settings(budget=options.derive_budget, search_budget=options.derive_budget,
                        samples=options.derive_samples, seed=options.derive_seed)
    problem = _not_a_subject(subject)
    if problem is not None:
        raise DeriveError(f"{item.name}: the @theorem {problem}")
    claim, rebuild = _claim(subject)  # type: ignore[arg-type]
    if options.derive_isolate:
        try:
            verdict = _isolated(claim, settings)
        except DeriveError as exc:  # killed at its budget: undecided
            item.user_properties.append(("derive_status", "undecided"))
            if options.derive_undecided == "xfail":
                pytest.xfail(str(exc))
            raise
    else:
        verdict = decide(claim, settings)
    status = verdict.status.value
    item.user_properties.append(("derive_status", status))
    if status == "undecided" and options.derive_undecided == "xfail":
        pytest.xfail(_verdict_message(f"Undecided: {claim.name}", verdict, rebuild, settings))
    if status != expect:
        raise DeriveError(_verdict_message(f"Claim not {expect}: {claim.name}", verdict, rebuild, settings))


def _not_a_subject(subject: object) -> str | None:
    """What is wrong with a theorem's return value, with the fix; None when it can be decided."""
    import difflib

    from derive.engine.claims import Claim
    from derive.library.theorems import LIBRARY, Theorem

    if isinstance(subject, (Claim, Theorem)) or (isinstance(subject, str) and subject in LIBRARY):
        return None
    fix = "return a Claim, a Theorem, or a library theorem's name (derive list names them)"
    if subject is None:
        return f"returned nothing (None): {fix}, e.g. return 'cross_entropy_gradient_soft'"
    if isinstance(subject, str):
        close = difflib.get_close_matches(subject, list(LIBRARY), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"returned {subject!r}, which is no theorem of the library: {hint}{fix}"
    return f"returned {type(subject).__name__} {subject!r:.60}: {fix}"


def _isolated(claim: Any, settings: Any) -> Any:
    from derive.engine.budget import BudgetExceeded
    from derive.engine.isolate import WorkerDied, run_isolated

    # The proof, the search, and the missing-hypothesis check each have their budget; then the kill.
    seconds = settings.budget * 1.25 + settings.search_budget + 5
    try:
        verdict = run_isolated(_decide_in_worker, claim, settings, seconds=seconds, what=f"decision of {claim.name}")
    except (BudgetExceeded, WorkerDied) as exc:
        raise DeriveError(f"Claim not decided: {claim.name}\n\n {exc}; the worker process was stopped.\n "
                          "Give it more time with --derive-budget, or simplify the claim.") from None
    return replace(verdict, claim=claim)


def _decide_in_worker(claim: Any, settings: Any) -> Any:
    """In the worker: the verdict, without what could be costly to rebuild on arrival.

    Unpickling re-runs SymPy's constructors, which evaluate: the claim stays behind (the caller has
    it), and so does a residual whose numbers are too large to compute.
    """
    import sympy as sp

    from derive.engine.claims import Claim
    from derive.engine.decide import decide
    from derive.engine.guard import too_large

    verdict = decide(claim, settings)
    residual = verdict.residual
    return replace(verdict, claim=Claim(claim.name, sp.S.Zero, sp.S.Zero),
                   residual=None if too_large(residual) else residual)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if call.excinfo is None or _expected(item) is None or report.when != "call":
        return report
    if isinstance(call.excinfo.value, DeriveError):
        report.longrepr = str(call.excinfo.value)
    elif item.config.option.tbstyle == "auto":
        # The theorem itself raised: from the user's function on, one line per frame, and the error.
        excinfo = call.excinfo
        code = getattr(getattr(item, "obj", None), "__code__", None)
        if code is not None:
            cut = excinfo.traceback.cut(path=code.co_filename, firstlineno=code.co_firstlineno - 1)
            excinfo.traceback = cut.filter(excinfo) if len(cut) else excinfo.traceback
        report.longrepr = excinfo.getrepr(style="short", funcargs=False, truncate_locals=True)
    return report


class _Summary:
    """Counts verdicts from the reports (on the controller under xdist) and prints the summary line."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == "derive_status":
                self.counts[str(value)] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not sum(self.counts.values()):
            return
        terminalreporter.write_sep("-", "derive")
        terminalreporter.write_line(f"derive: {self.counts['proved']} proved, {self.counts['refuted']} refuted, "
                                    f"{self.counts['undecided']} undecided")
