from __future__ import annotations

import threading
import time

import pytest

from derive.engine.budget import BudgetExceeded, run_with_budget


def test_returns_the_value() -> None:
    assert run_with_budget(lambda: 6 * 7, 1.0) == 42


def test_propagates_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        run_with_budget(lambda: 1 / 0, 1.0)


def _spin() -> None:
    while True:
        sum(range(1000))


def test_stops_a_runaway_computation_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded, match=r"0\.2 s"):
        run_with_budget(_spin, 0.2, what="spin")
    assert time.perf_counter() - start < 1.0


def test_works_outside_the_main_thread() -> None:
    seen: list[BaseException] = []

    def worker() -> None:
        try:
            run_with_budget(_spin, 0.2)
        except BudgetExceeded as exc:
            seen.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert len(seen) == 1 and isinstance(seen[0], BudgetExceeded)
