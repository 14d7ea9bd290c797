"""Auditing written derivations: read a post's math, give it meaning, decide every step.

The pipeline: :mod:`~derive.audit.scan` finds display math and declarations in Markdown or
LaTeX; :mod:`~derive.audit.reader` reads each side of a step into SymPy (never ``eval``);
:mod:`~derive.audit.semantics` says what the names mean (shapes, definitions, components);
:mod:`~derive.audit.post` decides each step with the engine; :mod:`~derive.audit.report`
writes the result as text, JSON or HTML.
"""

from derive.audit.post import (
    MAX_BYTES,
    AuditInputError,
    AuditReport,
    AuditSettings,
    AuditStep,
    StepStatus,
    audit_file,
    audit_text,
    check_step,
)

__all__ = [
    "MAX_BYTES",
    "AuditInputError",
    "AuditReport",
    "AuditSettings",
    "AuditStep",
    "StepStatus",
    "audit_file",
    "audit_text",
    "check_step",
]
