"""A @theorem that returns what cannot be decided fails with one line naming it and the fix."""

from __future__ import annotations

import pytest

BAD_THEOREMS = """
from derive.testing.assertions import theorem

@theorem
def test_returns_none():
    pass

@theorem
def test_returns_a_number():
    return 42

@theorem
def test_returns_a_misspelled_name():
    return "cross_entropy_gradient_sfot"
"""


def test_a_theorem_returning_none_a_number_or_a_misspelled_name_is_one_clear_line(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad=BAD_THEOREMS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    failures = result.stdout.str().split("= FAILURES =")[1].split("short test summary")[0]
    assert "site-packages" not in failures and "Traceback" not in failures
    result.stdout.fnmatch_lines([
        "test_returns_none: the @theorem returned nothing (None): return a Claim, a Theorem, or a library "
        "theorem's name*",
        "test_returns_a_number: the @theorem returned int 42: return a Claim*",
        "test_returns_a_misspelled_name: the @theorem returned 'cross_entropy_gradient_sfot', which is no theorem "
        "of the library: did you mean 'cross_entropy_gradient_soft'?*",
    ])


def test_a_gradient_function_that_never_returns_is_stopped() -> None:
    import threading
    import time

    from derive.engine.space import Role
    from derive.model import Labels, Size, Vector, cross_entropy, softmax
    from derive.testing.assertions import assert_gradient

    k = Size("k")
    z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
    spins = [0]

    def endless(z: object, y: object) -> object:
        while True:
            spins[0] += 1

    stopped = (r"endless did not return within the check's timeout=0\.3 s \([\d.]+ s of it were left for the "
               r"call\); it was stopped; look for an endless loop, or pass a larger timeout")
    with pytest.raises(AssertionError, match=stopped):
        assert_gradient(endless, cross_entropy(y, softmax(z)), wrt=[z], args=[z, y], timeout=0.3)
    seen = spins[0]
    time.sleep(0.3)
    assert spins[0] == seen, "the endless loop runs on after the failure"
    assert not [t for t in threading.enumerate() if t.name == "derive-gradient-call"]


def test_a_call_stuck_in_c_code_is_said_to_run_on() -> None:
    import time

    from derive.testing.calls import call_with_timeout

    with pytest.raises(AssertionError, match="could not be stopped"):
        call_with_timeout(time.sleep, [2.5], 0.2)
