"""Worker processes: a budget that holds against SymPy in C code, memory bounded, other threads unharmed."""

from __future__ import annotations

import itertools
import os
import threading
import time

import pytest

from derive.audit.isolated import Job, run_audits
from derive.audit.post import AuditSettings, StepStatus
from derive.engine.budget import BudgetExceeded
from derive.engine.isolate import MEMORY_LIMIT, pid_of_idle, run_isolated


def _huge_power() -> int:
    return 10 ** (10**10)  # C code holding the GIL: a thread budget cannot stop it


def _allocate(size: int) -> int:
    return len(bytearray(size))


def _fail() -> None:
    raise ZeroDivisionError("from the worker")


@pytest.mark.timeout(60)
def test_returns_values_and_reuses_a_warm_worker() -> None:
    assert run_isolated(pow, 6, 2, seconds=30) == 36
    first = pid_of_idle()
    assert run_isolated(pow, 2, 10, seconds=30) == 1024
    assert pid_of_idle() == first  # the same worker answered


@pytest.mark.timeout(60)
def test_errors_come_back_and_the_worker_lives_on() -> None:
    with pytest.raises(ZeroDivisionError, match="from the worker"):
        run_isolated(_fail, seconds=30)
    assert run_isolated(pow, 3, 3, seconds=30) == 27


@pytest.mark.timeout(60)
def test_a_computation_holding_the_gil_is_killed_at_its_budget() -> None:
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="1 s"):
        run_isolated(_huge_power, seconds=1.0, what="power")
    assert time.perf_counter() - start < 3.0
    assert run_isolated(pow, 2, 5, seconds=30) == 32  # a fresh worker took its place


@pytest.mark.timeout(60)
def test_memory_is_bounded_in_the_worker() -> None:
    with pytest.raises(MemoryError):
        run_isolated(_allocate, 2 * MEMORY_LIMIT, seconds=30)
    assert run_isolated(_allocate, 10_000_000, seconds=30) == 10_000_000


@pytest.mark.timeout(60)
def test_other_threads_keep_running_while_a_step_is_killed() -> None:
    # As in a Jupyter kernel: a thread of the process must not freeze while a budgeted step runs.
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.02)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        start = time.perf_counter()
        with pytest.raises(BudgetExceeded):
            run_isolated(_huge_power, seconds=1.5)
        end = time.perf_counter()
    finally:
        stop.set()
        ticker.join(5)
    during = [t for t in ticks if start <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert len(during) > 20 and max(gaps) < 0.5


POST = r"""<!-- derive: define g(x) = 7^{x} -->

$$ \frac{d}{dx} x^2 = 2 x $$

$$ g(10^{20}) = 1 $$

$$ \frac{d}{dx} x^3 = 3 x^2 $$
"""


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_an_audit_step_past_its_budget_is_killed_and_the_audit_goes_on() -> None:
    # g(10^20) = 7^(10^20) escapes the reader's limit on exponents (it is written with a
    # definition): the worker is killed at the step's budget and the post resumes after it.
    settings = AuditSettings(budget=0.5)
    job = Job("post.md", POST)
    seen: list[int] = []
    start = time.perf_counter()
    run_audits([job], settings, on_steps=lambda j, steps: seen.extend(s.line for s in steps))
    elapsed = time.perf_counter() - start
    assert job.report is not None
    statuses = [(s.line, s.status) for s in job.report.steps]
    assert statuses == [(3, StepStatus.VALID), (5, StepStatus.UNDECIDED), (7, StepStatus.VALID)]
    assert "time budget" in job.report.steps[1].reason
    assert seen == [3, 5, 7]
    assert elapsed < settings.budget * 3 + 5 + 6


@pytest.mark.timeout(60)
def test_a_deadline_ends_the_run_with_the_steps_so_far() -> None:
    job = Job("post.md", POST)
    start = time.perf_counter()
    run_audits([job], AuditSettings(budget=5), deadline=time.monotonic() + 3)
    assert time.perf_counter() - start < 5
    assert job.timed_out and job.report is not None
    assert [s.status for s in job.report.steps] == [StepStatus.VALID]
    assert "--timeout" in job.report.hints[0]


def test_workers_are_not_this_process() -> None:
    assert os.getpid() not in pid_of_idle()
