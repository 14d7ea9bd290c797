"""Memoized free symbols of SymPy's sums, for the duration of derive's own computations.

SymPy recomputes ``Sum.free_symbols`` on every call: it rebuilds the summand with
``xreplace`` and walks it again, and nothing on the way is cached. Assumption queries
(``is_number``, ``is_positive``) ask for it at every level of a nested sum, so
differentiating the two-layer loss Σ_t Σ_i y_ti log Σ_n exp(Σ_r B_nr Σ_q A_rq x_tq) walks
the same subtrees hundreds of times: about half the time of the every-size two-layer
theorems.

A SymPy expression is immutable and equal expressions have equal free symbols, so the
answer can be kept per expression. :func:`memoized_sum_symbols` does that while it is
entered, and puts SymPy's own property back when the last user leaves, so nothing
outside derive's computations (or after them) sees a change. Callers of
``free_symbols`` may mutate the set they get, so each call returns a fresh copy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

__all__ = ["memoized_sum_symbols"]

_ORIGINAL = ExprWithLimits.__dict__["free_symbols"]
_lock = threading.Lock()
_users = 0


def _memoized(cache: dict[sp.Basic, frozenset[sp.Basic]]) -> property:
    compute = _ORIGINAL.fget

    def free_symbols(self: ExprWithLimits) -> set[sp.Basic]:
        known = cache.get(self)
        if known is None:
            known = cache[self] = frozenset(compute(self))
        return set(known)

    return property(free_symbols, doc=_ORIGINAL.__doc__)


@contextmanager
def memoized_sum_symbols() -> Iterator[None]:
    """Within the block, each sum's free symbols are computed once (re-entrant, thread-safe).

    Examples:
        >>> n, k = sp.symbols("n k", integer=True)
        >>> with memoized_sum_symbols():
        ...     sp.Sum(n**2, (n, 1, k)).free_symbols
        {k}
    """
    global _users
    with _lock:
        if _users == 0:
            ExprWithLimits.free_symbols = _memoized({})
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                ExprWithLimits.free_symbols = _ORIGINAL
