"""A size guard: refuse expressions whose exact value would be a huge number, before SymPy computes it.

SymPy evaluates ``2**(10**29)`` or ``Product(9**999, (i, 1, 1000), (j, 1, 1000))`` exactly: it builds
the integer while holding the GIL, so neither a thread budget nor Ctrl-C stops it, and memory grows
until the machine swaps. :func:`too_large` walks an expression and estimates, without computing
anything, how many decimal digits its powers, products and factorials would take (a bound index
counts at the largest value of its range). Past :data:`MAX_DIGITS` it returns the reason to refuse.

Symbols of unknown value count as size 1 (their values at a counterexample point are small), so a
symbolic claim such as ``x**1000 = ...`` is never refused.
"""

from __future__ import annotations

import math

import sympy as sp

__all__ = ["MAX_DIGITS", "MAX_TERMS", "too_large"]

#: Decimal digits of the largest exact number a step may ask SymPy to build (100,000 digits take
#: milliseconds; a billion take minutes and gigabytes).
MAX_DIGITS = 100_000
#: Terms of the longest concrete product or sum (a product is multiplied out term by term).
MAX_TERMS = 1_000_000

_INF = math.inf


def too_large(*exprs: object) -> str | None:
    """Why these expressions are too large to evaluate exactly, or None when they are not.

    Examples:
        >>> i = sp.Symbol("i", integer=True)
        >>> too_large(sp.Product(2, (i, 1, 10**29))).split(" has ")[1][:23]
        'about 10^29 terms (the '
        >>> too_large(sp.Symbol("x") ** 1000) is None
        True
    """
    for expr in exprs:
        if isinstance(expr, sp.Basic):
            try:
                _Walk().digits(expr, {})
            except _TooLarge as exc:
                return str(exc)
        elif isinstance(expr, (tuple, list)):
            reason = too_large(*expr)
            if reason:
                return reason
    return None


class _TooLarge(Exception):
    pass


def _log10(value: sp.Basic) -> float:
    """log10 of |value| for a number (0 for 0), as a float that may be inf."""
    if isinstance(value, sp.Integer):
        n = abs(int(value))
        return 0.0 if n == 0 else (n.bit_length() - 1) * math.log10(2) if n.bit_length() > 1000 else math.log10(n)
    if isinstance(value, sp.Rational):
        return max(_log10(sp.Integer(value.p)), _log10(sp.Integer(value.q)))
    if isinstance(value, sp.Float):
        v = abs(float(value))
        return math.log10(v) if 0 < v < _INF else 0.0
    return 0.0


class _Walk:
    def digits(self, e: sp.Basic, bounds: dict[sp.Basic, float]) -> float:
        """An upper estimate of log10 |e| (symbols of unknown value count as 1)."""
        if e.is_Number:
            return _log10(e)
        if e.is_Symbol or isinstance(e, sp.Indexed):
            return bounds.get(e, 0.0)
        if isinstance(e, sp.Pow):
            base = self.digits(e.base, bounds)
            exponent = self.digits(e.exp, bounds)
            if base <= 0:
                return 0.0  # |base| <= 1 (or unknown): the power stays small
            size = base * _power(exponent)
            self._check(size, lambda: f"the power {_short(e)}")
            return size
        if isinstance(e, sp.factorial):
            n = _power(self.digits(e.args[0], bounds))
            size = n * math.log10(n) if n > 1 else 0.0
            self._check(size, lambda: f"the factorial {_short(e)}")
            return size
        if isinstance(e, (sp.Product, sp.Sum)):
            return self._iterated(e, bounds)
        if isinstance(e, sp.Mul):
            return sum(max(self.digits(a, bounds), 0.0) for a in e.args)
        if isinstance(e, sp.exp):
            return _power(self.digits(e.args[0], bounds)) * math.log10(math.e)
        sizes = [self.digits(a, bounds) for a in e.args if isinstance(a, sp.Basic)]
        return max(sizes, default=0.0) + (math.log10(len(sizes)) if isinstance(e, sp.Add) else 0.0)

    def _iterated(self, e: sp.Product | sp.Sum, bounds: dict[sp.Basic, float]) -> float:
        inner = dict(bounds)
        terms = 1.0
        for var, lo, hi in e.limits:
            low, high = self.digits(lo, inner), self.digits(hi, inner)
            inner[var] = max(low, high)
            if lo.free_symbols or hi.free_symbols:
                continue  # a symbolic range is not multiplied out
            count = float(max(int(hi) - int(lo) + 1, 0)) if hi.is_Integer and lo.is_Integer else _power(high)
            terms *= count
            if terms > MAX_TERMS:
                kind = "product" if isinstance(e, sp.Product) else "sum"
                raise _TooLarge(f"the {kind} over {var} from {lo} to {_short(hi)} has {_count(terms)} terms "
                                f"(the limit is {MAX_TERMS:,}); write the bound as a symbol such as n")
        body = self.digits(e.function, inner)
        if isinstance(e, sp.Sum):
            return body + math.log10(terms) if terms >= 1 else body
        size = body * terms
        self._check(size, lambda: f"the product {_short(e)}")
        return size

    @staticmethod
    def _check(size: float, what: object) -> None:
        if size > MAX_DIGITS or math.isnan(size):
            described = what() if callable(what) else str(what)
            raise _TooLarge(f"{described} would be a number of {_count(size)} digits (the limit is "
                            f"{MAX_DIGITS:,}); such a number cannot be computed, write it with a symbol")


def _power(log10: float) -> float:
    """10**log10 as a float (inf past the float range)."""
    return 10.0 ** log10 if log10 < 300 else _INF


def _count(x: float) -> str:
    if x == _INF or math.isnan(x):
        return "more than 10^300"
    return f"{x:,.0f}" if x < 1e12 else f"about 10^{math.log10(x):.0f}"


def _short(e: sp.Basic, width: int = 60) -> str:
    text = str(e)
    return text if len(text) <= width else text[:width - 3] + "..."
