from __future__ import annotations

import pytest
import sympy as sp

from derive.engine.claims import Claim
from derive.engine.decide import decide
from derive.engine.verdict import Status

x = sp.Symbol("x", real=True)


def test_a_verdict_has_no_truth_value() -> None:
    verdict = decide(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1))
    with pytest.raises(TypeError, match="no truth value"):
        bool(verdict)
    with pytest.raises(TypeError):
        if verdict:
            pass
    assert verdict.proved and not verdict.refuted and not verdict.undecided


def test_a_status_has_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(Status.UNDECIDED)


def test_as_dict_is_json_ready() -> None:
    import json

    verdict = decide(Claim("sign", sp.exp(x), -sp.exp(x)))
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["status"] == "refuted"
    assert set(data["counterexample"]["point"]) == {"x"}
