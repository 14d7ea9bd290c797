"""What an audit gives back: the status of each step, the report, the settings, and the input it accepts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derive.audit.source import SourceError, read_source
from derive.audit.symbols import Entry
from derive.engine.decide import Settings
from derive.engine.printable import printable
from derive.engine.verdict import Verdict

#: Posts larger than this are refused (a post is a few hundred KB at most).
MAX_BYTES = 2_000_000



def step_count(n: int) -> str:
    """``1 step``, ``2 steps``: the count a summary opens with.

    Examples:
        >>> step_count(1), step_count(40001)
        ('1 step', '40001 steps')
    """
    return f"{n} step" if n == 1 else f"{n} steps"

class StepStatus(enum.Enum):
    VALID = "valid"
    WRONG = "wrong"
    UNDECIDED = "undecided"
    NOT_READ = "not read"
    DEFINITION = "definition"


class AuditInputError(ValueError):
    """A file that cannot be audited at all (empty, binary, too large); the message says why."""


@dataclass(frozen=True)
class AuditSettings:
    """How hard to try on each step: the engine's budgets, plus one for reading and meaning."""

    budget: float = 5.0
    samples: int = 8
    seed: int = 0
    #: Seconds reading the post may take in all (everything but deciding its steps; see
    #: derive.audit.clock). Past them the post is reported as not audited.
    reading: float = 60.0

    def engine(self) -> Settings:
        return Settings(budget=self.budget, search_budget=self.budget, samples=self.samples, seed=self.seed)


@dataclass(frozen=True)
class AuditStep:
    """One step ``lhs = rhs`` of the post, where it is, and what the engine says of it."""

    line: int
    column: int
    lhs: str
    rhs: str
    status: StepStatus
    reason: str = ""
    verdict: Verdict | None = None
    assumptions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.lhs} = {self.rhs}" if self.rhs else self.lhs

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "column": self.column, "step": self.text,
                               "status": self.status.value, "reason": self.reason,
                               "assumptions": list(self.assumptions)}
        if self.verdict is not None:
            out["strategy"] = self.verdict.strategy
            if self.verdict.counterexample is not None:
                out["counterexample"] = self.verdict.counterexample.as_dict()
        return out


@dataclass(frozen=True)
class AuditReport:
    """The audit of one post: its steps in order, what would help, and the time it took."""

    path: str
    steps: tuple[AuditStep, ...]
    hints: tuple[str, ...] = ()
    seconds: float = 0.0
    source: str = field(default="", repr=False)
    #: Why the post was not audited to its end (reading ran out of time, the worker stopped), or "".
    #: Such a report never passes: its exit status is 1.
    not_audited: str = ""
    #: The post's symbol table: what the audit took each name to be (:mod:`derive.audit.symbols`).
    names: tuple[Entry, ...] = ()

    def count(self, status: StepStatus) -> int:
        return sum(s.status is status for s in self.steps)

    @property
    def exit_status(self) -> int:
        """1 if any step is wrong or the post was not audited to its end, else 0 (unusable input raises)."""
        return 1 if self.count(StepStatus.WRONG) or self.not_audited else 0

    @property
    def strict_exit_status(self) -> int:
        """1 if any step is wrong, undecided or not read (``--strict``), else 0."""
        doubtful = (StepStatus.WRONG, StepStatus.UNDECIDED, StepStatus.NOT_READ)
        return 1 if any(self.count(s) for s in doubtful) or self.not_audited else 0

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s.value}" for s in StepStatus if self.count(s) or s is StepStatus.WRONG]
        name = printable(self.path, newlines=False)
        summary = f"{name}: {step_count(len(self.steps))}: " + ", ".join(parts) + f" ({self.seconds:.1f} s)"
        return summary + (f"; NOT AUDITED: {self.not_audited}" if self.not_audited else "")

    def _repr_html_(self) -> str:
        from derive.audit.report import steps_table_html  # rendering lives in report.py

        return steps_table_html(self)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "steps": [s.as_dict() for s in self.steps],
                "summary": {s.value: self.count(s) for s in StepStatus}, "hints": list(self.hints),
                "seconds": round(self.seconds, 3), "names": [e.as_dict() for e in self.names],
                **({"not_audited": self.not_audited} if self.not_audited else {})}


# -- reading the file ------------------------------------------------------------------------------

def read_post(path: str | Path) -> str:
    """The text of a post, or AuditInputError saying why it cannot be audited."""
    try:
        return read_source(path, limit=MAX_BYTES)  # at most MAX_BYTES + 1 bytes, from files, devices, pipes, -
    except SourceError as exc:
        raise AuditInputError(str(exc)) from None
