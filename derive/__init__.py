"""derive: a symbolic derivation verifier for the gradients of machine learning.

Build a claim (``lhs == rhs`` under hypotheses), decide it, read the verdict:

    >>> import sympy as sp
    >>> from derive import Claim, decide
    >>> x = sp.Symbol("x", real=True)
    >>> decide(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)).proved
    True

The package follows the pipeline, one subpackage a stage: :mod:`derive.engine` (claims,
hypotheses, differentiation, the decision), :mod:`derive.model` (your own network, written like
numpy), :mod:`derive.library` (the building blocks,
theorems and proofs), :mod:`derive.audit` (reading written derivations), :mod:`derive.render`
(LaTeX, PDF, Markdown, Jupyter) and :mod:`derive.testing` (assertions and the pytest plugin).
Names and subpackages load on first use, so ``import derive`` (and ``derive --help``) stay fast.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derive import audit, engine, library, model, render, testing
    from derive.engine.claims import Claim
    from derive.engine.decide import Settings, decide
    from derive.engine.differentiate import Differentiator, LowRankMatrix, derivative
    from derive.engine.hypotheses import Between, Distinct, Equal, Holds, Hypothesis, InRange, OneHot, SumToOne
    from derive.engine.space import Role, Space, Vector
    from derive.engine.verdict import Counterexample, Status, Verdict
    from derive.library.functions import cross_entropy, log_softmax, softmax, two_layer
    from derive.library.theorems import LIBRARY, Theorem
    from derive.library.verification import TheoremResult, verify_theorem

try:
    __version__ = metadata.version("derive")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# Where each public name lives; looked up on first use (PEP 562).
_NAMES = {
    "Between": "derive.engine.hypotheses",
    "Claim": "derive.engine.claims",
    "Counterexample": "derive.engine.verdict",
    "Differentiator": "derive.engine.differentiate",
    "Distinct": "derive.engine.hypotheses",
    "Equal": "derive.engine.hypotheses",
    "Holds": "derive.engine.hypotheses",
    "Hypothesis": "derive.engine.hypotheses",
    "InRange": "derive.engine.hypotheses",
    "LIBRARY": "derive.library.theorems",
    "LowRankMatrix": "derive.engine.differentiate",
    "OneHot": "derive.engine.hypotheses",
    "Role": "derive.engine.space",
    "Settings": "derive.engine.decide",
    "Space": "derive.engine.space",
    "Status": "derive.engine.verdict",
    "SumToOne": "derive.engine.hypotheses",
    "Theorem": "derive.library.theorems",
    "TheoremResult": "derive.library.verification",
    "Vector": "derive.engine.space",
    "Verdict": "derive.engine.verdict",
    "cross_entropy": "derive.library.functions",
    "decide": "derive.engine.decide",
    "derivative": "derive.engine.differentiate",
    "log_softmax": "derive.library.functions",
    "softmax": "derive.library.functions",
    "two_layer": "derive.library.functions",
    "verify_theorem": "derive.library.verification",
}
_SUBPACKAGES = frozenset({"audit", "engine", "library", "model", "render", "testing"})

__all__ = [
    "LIBRARY",
    "Between",
    "Claim",
    "Counterexample",
    "Differentiator",
    "Distinct",
    "Equal",
    "Holds",
    "Hypothesis",
    "InRange",
    "LowRankMatrix",
    "OneHot",
    "Role",
    "Settings",
    "Space",
    "Status",
    "SumToOne",
    "Theorem",
    "TheoremResult",
    "Vector",
    "Verdict",
    "__version__",
    "audit",
    "cross_entropy",
    "decide",
    "derivative",
    "engine",
    "library",
    "log_softmax",
    "model",
    "render",
    "softmax",
    "testing",
    "two_layer",
    "verify_theorem",
]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"derive.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'derive' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
