"""derive: a symbolic derivation verifier for the gradients of machine learning.

Build a claim (``lhs == rhs`` under hypotheses), decide it, read the verdict:

    >>> import sympy as sp
    >>> from derive import Claim, decide
    >>> x = sp.Symbol("x", real=True)
    >>> decide(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)).proved
    True
"""

from derive.claims import Claim
from derive.decide import Settings, decide
from derive.differentiate import Differentiator, LowRankMatrix, derivative
from derive.functions import Role, Space, Vector, cross_entropy, log_softmax, softmax, two_layer
from derive.hypotheses import Distinct, Equal, Hypothesis, InRange, OneHot, SumToOne
from derive.theorems import LIBRARY, Theorem
from derive.verdict import Counterexample, Status, Verdict
from derive.verification import TheoremResult, verify_theorem

__version__ = "0.1.0"

__all__ = [
    "LIBRARY",
    "Claim",
    "Counterexample",
    "Differentiator",
    "Distinct",
    "Equal",
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
    "cross_entropy",
    "decide",
    "derivative",
    "log_softmax",
    "softmax",
    "two_layer",
    "verify_theorem",
]
