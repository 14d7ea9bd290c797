"""Containers that remember which keys were written since they were last asked.

The symbol table takes a post's names after each declaration and definition (see
:meth:`derive.audit.symbols.SymbolTable.observe`). Rebuilding every entry each time made a post of n
declarations take n² steps; with these, it rebuilds only the names the post's state wrote since the
last time, whoever wrote them, so that reading stays linear in the post's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

#: What :func:`take_written` returns for a container that was cleared (or is not tracked): every key may differ.
EVERYTHING = None


class TrackedDict(dict[K, V]):
    """A dict that records each key set or deleted, in the order written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: dict[Any, None] | None = dict.fromkeys(self)

    def _mark(self, key: Any) -> None:
        if self.written is not None:
            self.written[key] = None

    def __setitem__(self, key: K, value: V) -> None:
        self._mark(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        self._mark(key)
        super().__delitem__(key)

    def pop(self, key: K, *default: Any) -> Any:
        self._mark(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        self._mark(key)
        return key, value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self:
            self._mark(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> TrackedDict[K, V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        self.written = EVERYTHING
        super().clear()


class TrackedSet(set[T]):
    """A set that records each element added or removed, in the order written."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self.written: dict[Any, None] | None = dict.fromkeys(self)

    def _mark(self, items: Iterable[Any]) -> None:
        if self.written is not None:
            self.written.update(dict.fromkeys(items))

    def add(self, item: T) -> None:
        self._mark((item,))
        super().add(item)

    def discard(self, item: object) -> None:
        self._mark((item,))
        super().discard(item)

    def remove(self, item: T) -> None:
        self._mark((item,))
        super().remove(item)

    def pop(self) -> T:
        item = super().pop()
        self._mark((item,))
        return item

    def update(self, *others: Iterable[T]) -> None:
        for other in others:
            items = list(other)
            self._mark(items)
            super().update(items)

    def difference_update(self, *others: Iterable[Any]) -> None:
        for other in others:
            items = list(other)
            self._mark(items)
            super().difference_update(items)

    def intersection_update(self, *others: Iterable[Any]) -> None:
        kept = set(self).intersection(*others)
        self._mark(set(self) - kept)
        super().intersection_update(kept)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        items = list(other)
        self._mark(items)
        super().symmetric_difference_update(items)

    def __ior__(self, other: Any) -> TrackedSet[T]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __isub__(self, other: Any) -> TrackedSet[T]:  # type: ignore[misc]
        self.difference_update(other)
        return self

    def __iand__(self, other: Any) -> TrackedSet[T]:  # type: ignore[misc]
        self.intersection_update(other)
        return self

    def __ixor__(self, other: Any) -> TrackedSet[T]:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self

    def clear(self) -> None:
        self.written = EVERYTHING
        super().clear()


def take_written(container: Mapping[Any, Any] | set[Any]) -> list[Any] | None:
    """The keys written to ``container`` since the last call, in order; None if any key may have changed."""
    if not isinstance(container, (TrackedDict, TrackedSet)):
        return EVERYTHING
    keys = container.written
    container.written = {}
    return None if keys is None else list(keys)
