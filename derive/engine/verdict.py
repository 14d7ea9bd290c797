"""Verdicts: the three-valued result of deciding a claim, with its evidence."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy as sp

if TYPE_CHECKING:
    from derive.engine.claims import Claim

__all__ = ["IDENTITY_NOTE", "Counterexample", "Status", "Verdict"]


class Status(enum.Enum):
    """What the engine established about a claim."""

    PROVED = "proved"
    REFUTED = "refuted"
    UNDECIDED = "undecided"

    def __bool__(self) -> bool:
        raise TypeError("a Status has no truth value: compare it with Status.PROVED")


@dataclass(frozen=True)
class Counterexample:
    """A concrete point, honoring the hypotheses, where the two sides differ.

    ``point`` maps each symbol's name (``z[2]``, ``k``, ``j``) to the exact value used;
    ``lhs`` and ``rhs`` are both sides evaluated there at ``digits`` significant digits.
    ``entry`` names the component of a vector or matrix claim that differs.
    """

    point: Mapping[str, Any]
    lhs: sp.Float
    rhs: sp.Float
    digits: int
    entry: tuple[int, ...] | None = None
    #: The exact point: every size, index and array entry as an Integer or a Rational.
    values: Mapping[sp.Basic, sp.Rational] = field(default_factory=dict, compare=False, repr=False)

    def describe(self) -> str:
        where = ", ".join(f"{name} = {_short(value)}" for name, value in self.point.items())
        at = f" entry {self.entry}" if self.entry is not None else ""
        return f"at {where}{at}: lhs = {_short(self.lhs)}, rhs = {_short(self.rhs)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "point": {name: str(value) for name, value in self.point.items()},
            "lhs": str(self.lhs),
            "rhs": str(self.rhs),
            "digits": self.digits,
            "entry": list(self.entry) if self.entry is not None else None,
            # The point itself, exact: "89/200", "34/163" (``point`` shows them as decimals).
            "exact": {str(name): str(value) for name, value in sorted(self.values.items(), key=lambda kv: str(kv[0]))},
        }

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.counterexample_latex(self)

    def _repr_html_(self) -> str:
        from derive.render import display

        return display.counterexample_html(self)


def _short(value: Any) -> str:
    if isinstance(value, sp.Float):
        return str(sp.Float(value, 12))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


#: How a note names an identity the proof used (``identity used: tanh = sinh/cosh``).
IDENTITY_NOTE = "identity used: "


@dataclass(frozen=True)
class Verdict:
    """The outcome of deciding one claim.

    A verdict has no truth value: ``if verdict:`` raises, so an undecided claim can
    never pass as proved. Ask ``verdict.proved`` (or compare ``verdict.status``).
    """

    claim: Claim
    status: Status
    strategy: str | None = None
    reason: str = ""
    residual: sp.Basic | None = None
    counterexample: Counterexample | None = None
    missing_hypothesis: str | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        raise TypeError(
            "a Verdict has no truth value (undecided must never pass as proved): "
            "use verdict.proved, verdict.refuted or verdict.undecided"
        )

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    @property
    def identities(self) -> tuple[str, ...]:
        """The names of the identities the proof used (elementwise rules, the order of nested sums)."""
        return tuple(n[len(IDENTITY_NOTE):] for n in self.notes if n.startswith(IDENTITY_NOTE))

    @property
    def refuted(self) -> bool:
        return self.status is Status.REFUTED

    @property
    def undecided(self) -> bool:
        return self.status is Status.UNDECIDED

    def explain(self) -> str:
        """One paragraph a person can read: the verdict and its evidence."""
        head = f"{self.claim.name}: {self.status.value}"
        if self.proved:
            return f"{head} by {self.strategy}"
        lines = [head + (f": {self.reason}" if self.reason else "")]
        if self.counterexample is not None:
            lines.append("  counterexample " + self.counterexample.describe())
        if self.missing_hypothesis is not None:
            lines.append(f"  holds under the missing hypothesis {self.missing_hypothesis}")
        if self.residual is not None:
            lines.append(f"  residual lhs - rhs = {sp.sstr(self.residual)}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.claim.name,
            "statement": self.claim.statement,
            "status": self.status.value,
            "strategy": self.strategy,
            "reason": self.reason,
            "residual": None if self.residual is None else sp.sstr(self.residual),
            "counterexample": None if self.counterexample is None else self.counterexample.as_dict(),
            "missing_hypothesis": self.missing_hypothesis,
            "seconds": round(self.seconds, 6),
            "notes": list(self.notes),
        }

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.verdict_latex(self)

    def _repr_html_(self) -> str:
        from derive.render import display

        return display.verdict_html(self)
