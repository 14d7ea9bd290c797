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
