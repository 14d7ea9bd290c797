"""How long reading a post may take: a deadline that deciding the steps does not use up.

Deciding each step has its own budget (``AuditSettings.budget``); everything else the audit does
(parsing the Markdown, finding the displays, reading the sides, the declarations) is reading, and
reading a post has ``AuditSettings.reading`` seconds in all. The reading code calls :func:`check`
now and then (the scan's loop, markdown-it's rules, the audit's loop over items); past the
deadline it raises :class:`ReadingTimeout`, and the audit reports the post as not audited.
Time spent deciding (:func:`paused`) moves the deadline on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["ReadingTimeout", "check", "paused", "reading"]


class ReadingTimeout(Exception):
    """Reading the post took longer than its budget."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"reading the post took more than {seconds:g} s")
        self.seconds = seconds


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds


_clock: ContextVar[_Clock | None] = ContextVar("derive_audit_reading_clock", default=None)


@contextmanager
def reading(seconds: float) -> Iterator[None]:
    """Within the block, reading has ``seconds`` (outside the time :func:`paused` takes)."""
    token = _clock.set(_Clock(seconds))
    try:
        yield
    finally:
        _clock.reset(token)


def check() -> None:
    """Raise :class:`ReadingTimeout` if the reading in force is past its deadline."""
    clock = _clock.get()
    if clock is not None and time.monotonic() > clock.deadline:
        raise ReadingTimeout(clock.seconds)


@contextmanager
def paused() -> Iterator[None]:
    """The time the block takes (deciding a step) is not reading time."""
    clock = _clock.get()
    began = time.monotonic()
    try:
        yield
    finally:
        if clock is not None:
            clock.deadline += time.monotonic() - began
