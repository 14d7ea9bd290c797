"""Run a theorem all the way: the symbolic proof, exact instances at concrete sizes, numeric checks.

A theorem counts as proved only when every part agrees: the symbolic claim is
proved, every concrete instance is proved, and central differences of the function
match the claimed gradient. A disagreement between the parts (which would mean a bug
in the engine) makes the theorem undecided, never proved.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.engine.budget import BudgetExceeded, run_with_budget
from derive.engine.claims import Claim
from derive.engine.crosscheck import NumericReport
from derive.engine.decide import Settings, decide
from derive.engine.fixed import with_sizes
from derive.engine.verdict import Status, Verdict
from derive.library.theorems import Theorem

__all__ = ["TheoremResult", "verify_theorem"]


@dataclass(frozen=True)
class TheoremResult:
    """Everything established about one theorem."""

    theorem: Theorem
    symbolic: Verdict
    instances: tuple[Verdict, ...]
    numeric: tuple[tuple[Mapping[str, int], NumericReport], ...]
    seconds: float

    def __bool__(self) -> bool:
        raise TypeError("a TheoremResult has no truth value: use result.status")

    @property
    def status(self) -> Status:
        verdicts = (self.symbolic, *self.instances)
        if any(v.refuted for v in verdicts):
            return Status.REFUTED
        if all(v.proved for v in verdicts) and all(r.agreed for _, r in self.numeric):
            return Status.PROVED
        return Status.UNDECIDED

    @property
    def reason(self) -> str:
        for v in (self.symbolic, *self.instances):
            if not v.proved:
                return f"{v.claim.name}: {v.status.value}: {v.reason}"
        for sizes, report in self.numeric:
            if not report.agreed:
                return f"numeric check at {dict(sizes)} disagrees: {report.detail}"
        return ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.theorem.name,
            "statement": self.theorem.statement,
            "status": self.status.value,
            "strategy": self.symbolic.strategy,
            "reason": self.reason,
            "seconds": round(self.seconds, 4),
            "symbolic": self.symbolic.as_dict(),
            "instances": [v.as_dict() for v in self.instances],
            "numeric": [
                {"sizes": dict(sizes), "points": r.points, "agreed": r.agreed,
                 "worst_relative_error": r.worst_relative_error, "detail": r.detail}
                for sizes, r in self.numeric
            ],
        }

    # Jupyter display: the rendering lives in derive.render.display, imported on first use so that
    # `import derive` stays fast; a rendering error is raised, never shown as the result.
    def _repr_latex_(self) -> str:
        from derive.render import display

        return display.theorem_result_latex(self)

    def _repr_html_(self) -> str:
        from derive.render import display

        return display.theorem_result_html(self)


def _built_and_decided(name: str, build: Callable[[], Claim], settings: Settings) -> Verdict:
    """Build the claim (SymPy differentiates here, so it can blow up too) under the budget, then decide."""
    try:
        claim = run_with_budget(build, settings.budget, what=f"building {name}")
    except BudgetExceeded:
        stand_in = Claim(name, sp.S.Zero, sp.S.Zero, statement=name)
        return Verdict(stand_in, Status.UNDECIDED, seconds=settings.budget,
                       reason=f"building and differentiating took longer than the budget of {settings.budget:g} s; "
                              "try a smaller size or a larger --budget")
    return decide(claim, settings)


def verify_theorem(theorem: Theorem, *, instances: Sequence[Mapping[str, int]] = (),
                   settings: Settings | None = None, numeric: bool = True,
                   numeric_samples: int = 3) -> TheoremResult:
    """Prove ``theorem`` for symbolic sizes, then at its default sizes and at ``instances``."""
    start = time.perf_counter()
    settings = settings or Settings()
    symbolic = _built_and_decided(theorem.name, theorem.symbolic, settings)
    sizes_list = [theorem.sizes()]
    for extra in instances:
        sized = theorem.sizes(extra)
        if sized not in sizes_list:
            sizes_list.append(sized)
    concrete = tuple(
        _built_and_decided(f"{theorem.name}[{_label(sizes)}]", functools.partial(_at, theorem, sizes), settings)
        for sizes in sizes_list
    )
    reports: tuple[tuple[Mapping[str, int], NumericReport], ...] = ()
    if numeric:
        small = sizes_list[0]
        reports = ((small, theorem.numeric(small).run(samples=numeric_samples)),)
    return TheoremResult(theorem, symbolic, concrete, reports, time.perf_counter() - start)


#: Entries above which a concrete instance is the claim at free indices (sizes fixed), not every entry.
ENTRY_FORM_ABOVE = 64


def _at(theorem: Theorem, sizes: Mapping[str, int]) -> Claim:
    """The theorem at these sizes: every entry written out when they are few, else one entry at free indices.

    At k = 1000 the every-entry claim has a thousand entries, each with a thousand-term sum:
    building it took most of ``derive verify --k 1000``. The claim at free indices i, j with
    ranges 1..1000 is about the same entries and is decided once, by the index calculus.
    """
    if math.prod(sizes.values()) > ENTRY_FORM_ABOVE:
        entry = with_sizes(theorem.symbolic(), sizes)
        if entry is not None:
            return entry
    return theorem.concrete(sizes)


def _label(sizes: Mapping[str, int]) -> str:
    return ",".join(f"{key}={value}" for key, value in sizes.items())
