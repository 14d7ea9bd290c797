"""Values handed to the engine: SymPy objects and numbers only, never a string to be run as code.

``sympy.sympify("...")`` evaluates its string with ``eval``: ``"__import__('os').system(...)"`` would
run. Every public entry point that takes an expression goes through :func:`expression`, which
refuses strings with a TypeError that says what to pass instead (written math in LaTeX is read by
:func:`derive.audit.check_step`, whose reader never evaluates anything).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["StringGivenError", "expression"]


class StringGivenError(TypeError):
    """A string was given where the engine takes a SymPy expression."""


def expression(value: Any, *, what: str = "an expression") -> Any:
    """``value`` as a SymPy object (numbers are converted); a string or an unknown type is a TypeError.

    Examples:
        >>> expression(3)
        3
        >>> expression("x + 1")
        Traceback (most recent call last):
        ...
        derive.engine.strict.StringGivenError: ...
    """
    if isinstance(value, (str, bytes)):
        raise StringGivenError(
            f"{what} must be a SymPy expression, not the string {_clip(value)}: strings are never evaluated; "
            "build it with SymPy (x = sympy.Symbol('x', real=True); x**2 + 1), or check written LaTeX with "
            "derive.audit.check_step(r'a = b')")
    if isinstance(value, sp.Basic):
        return value
    try:
        return sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        raise TypeError(f"{what} must be a SymPy expression or a number, got {type(value).__name__} "
                        f"{_clip(value)}") from None


def _clip(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 4] + "...'"
