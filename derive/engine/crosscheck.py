"""An independent numeric path: central differences of the function itself, at high precision.

The exact proofs rest on SymPy's ``diff`` and on this project's rewriting. This check
rests on neither: it perturbs one variable at a time by h = 10⁻²⁵, evaluates the
*function* (not its derivative) at 80 digits, and compares the difference quotient
with the claimed gradient. The truncation error is O(h²) ≈ 10⁻⁵⁰, far below the
tolerance, and exact rational inputs keep logits of ±1000 finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from derive.engine.claims import Claim, entries
from derive.engine.evaluate import Point, evaluate, sample_points

__all__ = ["FiniteDifferenceCheck", "NumericReport"]

_STEP = sp.Rational(1, 10**25)
_DIGITS = 80
_TOLERANCE = sp.Float("1e-30")


@dataclass(frozen=True)
class NumericReport:
    """How the claimed gradient compared with central differences."""

    points: int
    worst_relative_error: float
    agreed: bool
    detail: str = ""


@dataclass(frozen=True)
class FiniteDifferenceCheck:
    """Compare ``claim.rhs`` with central differences of ``outputs`` by ``wrt``.

    ``outputs`` is the function (a scalar loss, or a tuple of outputs for a Jacobian);
    ``claim.rhs`` must be laid out like the derivative: for a scalar loss, entry n is
    d loss / d wrt[n] (``rows`` reshapes it into a matrix); for a tuple of outputs,
    row i column j is d outputs[i] / d wrt[j].
    """

    claim: Claim
    outputs: sp.Expr | tuple[sp.Expr, ...]
    wrt: Sequence[sp.Indexed]

    def run(self, *, samples: int = 6, seed: int = 1) -> NumericReport:
        claimed = [(index, rhs) for index, _, rhs in entries(self.claim.rhs, self.claim.rhs)]
        worst = 0.0
        count = 0
        # Points give values to what the function mentions too (a shift a that the claimed
        # derivative, 0, does not mention).
        outputs = self.outputs if isinstance(self.outputs, tuple) else (self.outputs,)
        both = tuple(outputs) + tuple(rhs for _, rhs in claimed)
        sampler = Claim(self.claim.name, both, both, self.claim.hypotheses, "", "", self.claim.definitions,
                        self.claim.arrays)
        for point in sample_points(sampler, count=samples, seed=seed):
            compared = False
            for n, (index, rhs) in enumerate(claimed):
                output, variable = self._locate(n, index)
                estimate = self._difference(output, variable, point)
                exact = evaluate(rhs, point, self.claim.definitions, _DIGITS)
                if not (estimate.is_number and exact.is_number) or estimate.has(sp.nan) or exact.has(sp.nan):
                    continue  # digits SymPy could not guarantee (saturated tanh at 80 digits): no evidence
                if not compared:
                    compared, count = True, count + 1
                error = abs(estimate - exact) / max(sp.Float(1), abs(exact))
                worst = max(worst, float(error))
                if error > _TOLERANCE:
                    return NumericReport(count, worst, False,
                                         f"entry {index} at a {point.kind} point: central difference "
                                         f"{sp.Float(estimate, 12)} but the claim gives {sp.Float(exact, 12)}")
        if count == 0:
            return NumericReport(0, worst, False, "no point could be evaluated to the digits needed")
        return NumericReport(count, worst, True)

    def _locate(self, n: int, index: tuple[int, ...] | None) -> tuple[sp.Expr, sp.Indexed]:
        if isinstance(self.outputs, tuple):
            assert index is not None and len(index) == 2
            return self.outputs[index[0]], self.wrt[index[1]]
        return self.outputs, self.wrt[n]

    def _difference(self, output: sp.Expr, variable: sp.Indexed | sp.Symbol, point: Point) -> sp.Expr:
        if isinstance(variable, sp.Symbol):  # a scalar of the claim (a shift, a temperature)
            value = point.scalars[variable]
            plus = Point({**point.scalars, variable: value + _STEP}, point.entries, point.kind)
            minus = Point({**point.scalars, variable: value - _STEP}, point.entries, point.kind)
        else:
            base = point.entries[variable]
            plus = Point(point.scalars, {**point.entries, variable: base + _STEP}, point.kind)
            minus = Point(point.scalars, {**point.entries, variable: base - _STEP}, point.kind)
        high = evaluate(output, plus, self.claim.definitions, _DIGITS + 30)
        low = evaluate(output, minus, self.claim.definitions, _DIGITS + 30)
        return (high - low) / (2 * _STEP)
