"""The model's recorded graph: which operation made each tensor, and from what.

A tensor is a shape and an entry rule (:mod:`derive.model.tensor`); the rule alone cannot say
how it was built. Each public operation of the model layer is wrapped by :func:`recorded`, which
notes the operation and its operands for the tensor it returns. :mod:`derive.model.matrix_gradient`
walks these records backwards (the chain rule) to write a gradient in matrix form.

The record of a tensor is its outermost operation: ``cross_entropy(y, softmax(z))`` is recorded as
a cross-entropy of ``y`` and a softmax, not as the sums it is made of. Records are weak: they go
when the tensor goes.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Record", "hint", "hinted", "origin", "recorded"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Record:
    """``op`` applied to ``args`` (tensors, numbers or None) with keyword options ``options``."""

    op: str
    args: tuple[Any, ...]
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


_RECORDS: weakref.WeakKeyDictionary[Any, Record] = weakref.WeakKeyDictionary()


def origin(t: Any) -> Record | None:
    """The operation that made ``t``, or None for a declared array, a number or an unrecorded tensor."""
    try:
        return _RECORDS.get(t)
    except TypeError:  # not weak-referenceable: a number
        return None


_HINTS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def hint(t: Any, name: str) -> Any:
    """Suggest the name a gradient in matrix form prints ``t`` by (a library block's x̂, A); returns ``t``.

    The caller's own names win; a block names what it builds inside, which the caller has no handle on.
    """
    _RECORDS.get(t)  # a tensor, weak-referenceable: hints go when it goes
    _HINTS[t] = name
    return t


def hinted(t: Any) -> str:
    """The name suggested for ``t``, or ""."""
    try:
        return _HINTS.get(t, "")
    except TypeError:
        return ""


def recorded(op: str, *, swap: bool = False) -> Callable[[F], F]:
    """Record ``op`` for the tensor a function returns; ``swap`` for reflected operators (``__radd__``)."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            operands = (args[1], args[0], *args[2:]) if swap and len(args) >= 2 else args
            try:
                _RECORDS[out] = Record(op, tuple(operands), tuple(sorted(kwargs.items())))
            except TypeError:  # a result that is not a tensor
                pass
            return out
        return inner  # type: ignore[return-value]
    return wrap
