"""The error a misused model operation raises: a TypeError that says what to write instead."""

from __future__ import annotations

__all__ = ["ModelTypeError"]


class ModelTypeError(TypeError):
    """A model operation given shapes, ranks or arguments it cannot take (a TypeError, so old handlers still catch it).

    Examples:
        >>> issubclass(ModelTypeError, TypeError)
        True
    """
