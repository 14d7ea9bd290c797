"""The pytest plugin: proofs collected as test items, with a summary line.

Registered through the ``pytest11`` entry point, so installing derive is enough. A test
function marked with :func:`derive.testing.assertions.theorem` returns what to prove (a Claim, a
Theorem or a library theorem's name); the plugin collects it as one item that decides it::

    from derive.testing.assertions import theorem

    @theorem
    def test_cross_entropy():
        return "cross_entropy_gradient_soft"

Undecided fails by default (``--derive-undecided=xfail`` to mark it xfail instead); it
never passes. The terminal summary ends with ``derive: N proved, M refuted, K undecided``.
Items report their verdict through ``user_properties``, which pytest-xdist carries from
the workers to the controller, so the summary is right under ``-n auto`` too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

__all__ = ["DeriveItem"]

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("derive", "derive: proofs as tests")
    group.addoption("--derive-budget", type=float, default=20.0, metavar="SECONDS",
                    help="time budget of each proof and each counterexample search (default 20)")
    group.addoption("--derive-samples", type=int, default=12, metavar="N",
                    help="points tried when searching for a counterexample (default 12)")
    group.addoption("--derive-seed", type=int, default=0, metavar="SEED", help="seed of the point sampler (default 0)")
    group.addoption("--derive-undecided", choices=("fail", "xfail"), default="fail",
                    help="what an undecided proof is: a failure (default) or an expected failure")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "derive_theorem: a proof collected by the derive plugin")
    config.pluginmanager.register(_Summary(), "derive-summary")


class DeriveError(Exception):
    """A proof whose verdict is not the one expected; the message is the verdict's evidence."""


class DeriveItem(pytest.Item):
    """One proof: builds the claim, decides it, passes when the verdict is the one expected."""

    def __init__(self, *, fn: Any, expect: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fn = fn
        self.expect = expect
        self.add_marker("derive_theorem")

    def runtest(self) -> None:
        from derive.engine.decide import Settings, decide
        from derive.testing.assertions import _claim, _verdict_message

        options = self.config.option
        settings = Settings(budget=options.derive_budget, search_budget=options.derive_budget,
                            samples=options.derive_samples, seed=options.derive_seed)
        claim, rebuild = _claim(self.fn())
        verdict = decide(claim, settings)
        status = verdict.status.value
        self.user_properties.append(("derive_status", status))
        if status == "undecided" and options.derive_undecided == "xfail":
            pytest.xfail(_verdict_message(f"Undecided: {claim.name}", verdict, rebuild, settings))
        if status != self.expect:
            raise DeriveError(_verdict_message(f"Claim not {self.expect}: {claim.name}", verdict, rebuild, settings))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DeriveError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        code = getattr(self.fn, "__code__", None)
        return self.path, (code.co_firstlineno - 1) if code else None, f"proof {self.name}"


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> list[DeriveItem] | None:
    expect = getattr(obj, "__derive_theorem__", None)
    if expect is None or not callable(obj):
        return None
    return [DeriveItem.from_parent(collector, name=name, fn=obj, expect=expect)]


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
