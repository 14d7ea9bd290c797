"""Lines a failure message ends with, to run the failing check again: real code, not placeholders.

The names are those the caller used: the objects passed to ``assert_gradient`` are looked up
by identity among the calling frame's variables (a lambda is written out from its source).
Under pytest, the test's node id is given too, so that one command reruns it.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
import types
from collections.abc import Callable
from typing import Any

__all__ = ["Names", "pytest_rerun"]


class Names:
    """The caller's names of the objects it passed (by identity)."""

    def __init__(self, frame: types.FrameType | None) -> None:
        self.by_id: dict[int, str] = {}
        if frame is not None:
            for scope in (frame.f_globals, frame.f_locals):  # locals win
                for name, value in scope.items():
                    if not name.startswith("__"):
                        self.by_id[id(value)] = name

    def of(self, obj: Any, fallback: str) -> str:
        return self.by_id.get(id(obj), fallback)

    def of_function(self, fn: Callable[..., Any]) -> str:
        """The caller's name for fn; for an unnamed lambda its source; else its own name."""
        if id(fn) in self.by_id:
            return self.by_id[id(fn)]
        name = getattr(fn, "__name__", "fn")
        if name == "<lambda>":
            text = _lambda_source(fn)
            if text is not None:
                return text
        return name


def _lambda_source(fn: Callable[..., Any]) -> str | None:
    """The text of a lambda as written (one of several on a line: the one with the same parameters)."""
    try:
        lines, _ = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        try:
            tree = ast.parse("(" + source.strip().rstrip(",") + ")")
            source = "(" + source.strip().rstrip(",") + ")"
        except SyntaxError:
            return None
    code = getattr(fn, "__code__", None)
    params = code.co_varnames[:code.co_argcount] if code is not None else ()
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and tuple(a.arg for a in node.args.args) == tuple(params):
            text = ast.get_source_segment(source, node)
            if text is not None and "\n" not in text:
                return f"({text})"
    return None


def pytest_rerun() -> str | None:
    """``pytest 'file::test'`` for the test now running, or None outside pytest."""
    current = os.environ.get("PYTEST_CURRENT_TEST")
    if not current:
        return None
    node = current.rsplit(" (", 1)[0]
    return f"pytest '{node}'"
