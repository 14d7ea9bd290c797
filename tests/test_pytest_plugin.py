"""The pytest plugin, as a user meets it: a project whose tests import only derive.testing."""

from __future__ import annotations

import pytest

USER_TESTS = '''
import sympy as sp
from derive import Claim
from derive.testing import assert_gradient, theorem

@theorem
def test_cross_entropy_soft():
    return "cross_entropy_gradient_soft"

@theorem
def test_log_softmax():
    return "log_softmax"

@theorem(expect="refuted")
def test_the_wrong_step_is_caught():
    x = sp.Symbol("x", real=True)
    return Claim("sign", sp.exp(x), -sp.exp(x))

@theorem
def test_a_wrong_claim_fails():
    x = sp.Symbol("x", real=True)
    return Claim("square", (x + 1) ** 2, x**2 + 1)

def test_my_gradient():
    import numpy as np
    def grad(z, y):
        e = np.exp(z - z.max())
        return e / e.sum() - y
    assert_gradient(grad, "cross_entropy")
'''

UNDECIDED = '''
import sympy as sp
from derive import Claim
from derive.testing import theorem

@theorem
def test_cannot_tell():
    f = sp.Function("f")
    x = sp.Symbol("x", real=True)
    # g is an unknown function: no value to evaluate, no way to show g(x) = 0.
    return Claim("unknown", f(x), f(x) + sp.Function("g")(x))
'''


def test_proofs_are_collected_as_items_with_a_summary_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines([
        "*test_user.py::test_cross_entropy_soft PASSED*",
        "*test_user.py::test_log_softmax PASSED*",
        "*test_user.py::test_the_wrong_step_is_caught PASSED*",
        "*test_user.py::test_a_wrong_claim_fails FAILED*",
        "*test_user.py::test_my_gradient PASSED*",
        "*derive: 2 proved, 2 refuted, 0 undecided*",
    ])
    result.stdout.fnmatch_lines(["*Claim not proved: square*", "*lhs:*", "*rhs:*",
                                 "*reproduce: derive.decide(__import__('test_user').test_a_wrong_claim_fails(), *",
                                 "*rerun:     pytest 'test_user.py::test_a_wrong_claim_fails'"])
    result.assert_outcomes(passed=4, failed=1)


def test_undecided_fails_by_default_and_can_be_xfail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unknown=UNDECIDED)
    failed = pytester.runpytest_subprocess("--derive-budget", "2", "--derive-samples", "2")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*Claim not proved: unknown*", "*derive: 0 proved, 0 refuted, 1 undecided*"])
    xfailed = pytester.runpytest_subprocess("--derive-budget", "2", "--derive-samples", "2",
                                            "--derive-undecided=xfail")
    xfailed.assert_outcomes(xfailed=1)


def test_the_plugin_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist", reason="pytest-xdist is not installed (it is in the test extra)")
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*derive: 2 proved, 2 refuted, 0 undecided*"])


def test_options_are_in_the_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--derive-budget=SECONDS*", "*--derive-samples=N*", "*--derive-seed=SEED*",
                                 "*--derive-undecided={fail,xfail}*"])


FIXTURES = '''
import pytest
import sympy as sp
from derive import Claim
from derive.testing import theorem

@pytest.fixture
def x():
    return sp.Symbol("x", real=True)

@theorem
def test_with_a_fixture(x):
    return Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)

@theorem
@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(x, n):
    return Claim(f"power {n}", sp.diff(x**n, x), n * x ** (n - 1))

@theorem
@pytest.mark.parametrize("name", ["cross_entropy_gradient_soft", "log_softmax"])
def test_library(name):
    return name

@theorem
@pytest.mark.parametrize("k", [2, 3])
def test_parametrized_wrong(x, k):
    return Claim(f"wrong {k}", sp.diff(x**k, x), x ** (k - 1))
'''

RAISES = '''
from derive.testing import theorem

@theorem
def test_raises():
    raise ValueError("the model could not be built")
'''


@pytest.mark.timeout(180)
def test_theorems_take_fixtures_and_parametrize(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=FIXTURES)
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(["*test_parametrized?1? PASSED*", "*test_library?log_softmax? PASSED*",
                                 "*test_parametrized_wrong?2? FAILED*", "*derive: 6 proved, 2 refuted, 0 undecided*"])


@pytest.mark.timeout(180)
def test_a_failure_is_a_few_lines_not_pytest_internals(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=FIXTURES, test_raises=RAISES)
    result = pytester.runpytest_subprocess("-k", "wrong and 2 or raises", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    # The failures section only: with CI set, pytest's own short summary repeats each message in full.
    failures = text[text.index("= FAILURES ="):text.index("short test summary info")]
    assert "CallInfo" not in failures and "_pytest" not in failures and "pluggy" not in failures
    result.stdout.fnmatch_lines(["*test_raises.py:5: in test_raises", "E   ValueError: the model could not be built"])
    result.stdout.fnmatch_lines(["*Claim not proved: wrong 2*", "*reproduce: derive.decide(__import__('test_user')*",
                                 "FAILED test_raises.py::test_raises - ValueError: the model could not be built",
                                 "FAILED test_user.py::test_parametrized_wrong?2? - Claim not proved: wrong 2"])
    assert len(failures.splitlines()) < 25, failures


@pytest.mark.timeout(180)
def test_isolate_decides_in_a_worker_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--derive-isolate", "-k", "not gradient")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*Claim not proved: square*", "*derive: 2 proved, 2 refuted, 0 undecided*"])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("option", ["--derive-budget=0", "--derive-budget=nan", "--derive-budget=inf",
                                    "--derive-budget=-1", "--derive-samples=0"])
def test_options_are_checked(pytester: pytest.Pytester, option: str) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*argument {option.split('=')[0]}: expected a positive*"])


HUGE = '''
import sympy as sp
from derive import Claim
from derive.testing import theorem

@theorem
def test_huge():
    # 7^(10^20), unevaluated: whoever evaluates it holds the GIL for hours.
    x = sp.Symbol("x", real=True)
    return Claim("huge", sp.Mul(sp.Pow(7, sp.Integer(10) ** 20, evaluate=False), x, evaluate=False), x)
'''


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_isolate_kills_a_claim_past_its_budget(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_huge=HUGE)
    result = pytester.runpytest_subprocess("--derive-isolate", "--derive-budget", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Claim not decided: huge*", "*exceeded its time budget of 7.25 s; the worker "
                                 "process was stopped*", "*derive: 0 proved, 0 refuted, 1 undecided*"])


MODEL_CLAIM = '''
from derive.model import Size, Vector, claim
from derive.testing import theorem

@theorem
def test_model_claim_wrong():
    n = Size("n")
    x = Vector("x", n)
    return claim((x * x).sum(), x.sum() * x.sum())  # unnamed: Σx² is not (Σx)²
'''


@pytest.mark.timeout(180)
def test_an_unnamed_model_claim_is_headed_by_the_test_and_its_reproduce_line_runs(pytester: pytest.Pytester) -> None:
    import subprocess
    import sys

    pytester.makepyfile(test_model=MODEL_CLAIM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "Claim not proved: test_model_claim_wrong" in text and "model claim" not in text
    assert " claim:     Sum(x[" in text  # what it claims, written out
    line = next(x for x in text.splitlines() if "reproduce: " in x).split("reproduce: ", 1)[1]
    assert line.startswith("derive.decide(__import__('test_model').test_model_claim_wrong(), ")
    # pasted as it is, in the project's folder, it decides the same claim again
    run = subprocess.run([sys.executable, "-c", f"import derive; print(({line}).status.value)"],
                         cwd=pytester.path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "refuted"
