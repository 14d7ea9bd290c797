"""Where the audit decides each step and reports the steps it has: this process, or a worker's driver.

By default a step is decided here under a thread budget (the Python API: ``audit_text``,
``check_step``). The CLI runs the audit in a worker process (:mod:`derive.audit.isolated`); the worker
installs a :class:`StepHook` that tells the driver when a step begins and ends, so that the driver
can kill a step that overruns its budget and print the steps as they come.

Whoever decides, a step whose numbers are too large to compute (:mod:`derive.engine.guard`) is
refused before anything is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from derive.audit.clock import paused
from derive.audit.semantics import SemanticsError
from derive.engine.budget import run_with_budget
from derive.engine.guard import too_large

__all__ = ["StepHook", "decide_step", "hook", "note_steps"]

T = TypeVar("T")


class StepHook(Protocol):
    def decide(self, fn: Callable[[], Any], seconds: float, hints: dict[str, None]) -> Any: ...

    def steps(self, steps: Sequence[object]) -> None: ...


hook: ContextVar[StepHook | None] = ContextVar("derive_audit_step_hook", default=None)


def decide_step(fn: Callable[[], T], seconds: float, *, sides: Sequence[object], hints: dict[str, None]) -> T:
    """``fn()`` (the decision of one step) under a budget of ``seconds``; ``hints`` are the post's.

    Raises SemanticsError (the step is not read) when a side would make SymPy build a huge number.
    """
    reason = too_large(*sides)
    if reason:
        raise SemanticsError(reason)
    current = hook.get()
    with paused():  # deciding has its own budget: not the post's reading time
        if current is None:
            return run_with_budget(fn, seconds, what="step")
        result: T = current.decide(fn, seconds, hints)
    return result


def note_steps(steps: Sequence[object]) -> None:
    """The audit's steps so far (the driver prints the new ones)."""
    current = hook.get()
    if current is not None:
        current.steps(steps)
