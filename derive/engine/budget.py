"""Time budgets for SymPy calls that can blow up.

SymPy is pure Python, so a runaway ``simplify`` can be stopped by raising an
exception inside the thread that runs it. ``signal.alarm`` would only work in
the main thread (pytest-xdist workers, Jupyter kernels and web servers call us
from others), so the work runs in a worker thread and the caller waits with a
timeout. When the budget runs out the caller gets :class:`BudgetExceeded` at
once, whether or not the worker has noticed yet: nobody waits on a hang.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["BudgetExceeded", "check_seconds", "run_with_budget"]

T = TypeVar("T")


class BudgetExceeded(Exception):
    """A computation ran past its time budget and was abandoned."""

    def __init__(self, seconds: float, what: str = "computation") -> None:
        super().__init__(f"{what} exceeded its time budget of {seconds:g} s")
        self.seconds = seconds
        self.what = what

    def __reduce__(self) -> tuple[type, tuple[float, str]]:  # crosses process boundaries (derive.engine.isolate)
        return (BudgetExceeded, (self.seconds, self.what))


def check_seconds(value: float, what: str = "a budget") -> float:
    """``value`` if it is a positive finite number of seconds, else ValueError saying so.

    0 or less would decide nothing, NaN compares false everywhere (a wrong step would pass) and
    infinity overflows the clock: none is a budget.

    Examples:
        >>> check_seconds(2.5)
        2.5
        >>> check_seconds(float("nan"))
        Traceback (most recent call last):
        ...
        ValueError: a budget must be a positive finite number of seconds, got nan
    """
    if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
        raise ValueError(f"{what} must be a positive finite number of seconds, got {value!r}")
    return float(value)


class _Abandoned(BaseException):
    """Raised inside an abandoned worker so that it unwinds and stops."""


def _raise_in_thread(thread: threading.Thread) -> None:
    ident = thread.ident
    if ident is None:  # pragma: no cover - the thread always started
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Abandoned))


def run_with_budget(fn: Callable[[], T], seconds: float, *, what: str = "computation") -> T:
    """Run ``fn()`` and return its value, or raise :class:`BudgetExceeded` after ``seconds``.

    Exceptions raised by ``fn`` propagate unchanged. Works from any thread.

    Examples:
        >>> run_with_budget(lambda: 6 * 7, 1.0)
        42
    """
    if not seconds > 0:  # also NaN: a budget that compares false everywhere would never end
        raise BudgetExceeded(seconds, what)
    # Beyond threading's largest timeout (about 292 years) join() raises OverflowError: no real budget.
    seconds = min(seconds, threading.TIMEOUT_MAX)
    result: list[T] = []
    error: list[BaseException] = []

    def work() -> None:
        try:
            result.append(fn())
        except _Abandoned:
            pass
        except BaseException as exc:
            error.append(exc)

    worker = threading.Thread(target=work, name=f"derive-budget:{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        # Ask the worker to stop at its next bytecode; a long C call (a huge
        # integer power) cannot be interrupted, but the caller does not wait for it.
        _raise_in_thread(worker)
        worker.join(0.05)
        raise BudgetExceeded(seconds, what)
    if error:
        raise error[0]
    return result[0]


class Deadline:
    """A wall-clock deadline shared by the steps of one decision."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.perf_counter() + seconds

    def remaining(self) -> float:
        return self.end - time.perf_counter()

    def run(self, fn: Callable[[], T], *, what: str) -> T:
        return run_with_budget(fn, self.remaining(), what=what)
