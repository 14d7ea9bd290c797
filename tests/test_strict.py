"""No code from strings: a payload given to any public entry point stays inert."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from derive import Claim, Distinct, Equal, InRange, OneHot, Space, SumToOne, decide
from derive.audit import audit_text, check_step
from derive.audit.post import AuditInputError
from derive.engine.strict import StringGivenError, expression
from derive.testing import assert_equivalent, assert_proved

x = sp.Symbol("x", real=True)
i = sp.Symbol("i", integer=True)
y = sp.IndexedBase("y", real=True)


def payload(marker: Path) -> str:
    return f"__import__('os').system('touch {marker}') or 1"


def entry_points(p: str) -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("Claim lhs", lambda: Claim("s", p, sp.Integer(1))),
        ("Claim rhs", lambda: Claim("s", x, p)),
        ("Claim vector", lambda: Claim("s", (x, p), (x, x))),
        ("Claim definitions", lambda: Claim("s", x, x, definitions={x: p})),  # type: ignore[dict-item]
        ("InRange", lambda: InRange(i, 1, p)),
        ("Equal", lambda: Claim("s", x, x, (Equal(i, p),))),  # type: ignore[arg-type]
        ("Distinct", lambda: Claim("s", x, x, (Distinct(p, i),))),  # type: ignore[arg-type]
        ("SumToOne", lambda: SumToOne(y, p)),
        ("OneHot", lambda: OneHot(y, p, 3)),
        ("Space.array", lambda: Space(fixed_sizes=False).array("A", p, role="weights")),
        ("decide", lambda: decide(p)),  # type: ignore[arg-type]
        ("assert_equivalent", lambda: assert_equivalent(p, x)),  # type: ignore[arg-type]
        ("assert_proved", lambda: assert_proved(p)),
        ("check_step", lambda: check_step(f"{p} = 1")),
        ("audit_text", lambda: audit_text(f"$$ {p} = 1 $$\n")),
    ]


@pytest.mark.timeout(120)
def test_payloads_stay_inert_through_every_entry_point(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for name, call in entry_points(payload(marker)):
        try:
            result = call()
        except (TypeError, AttributeError, AuditInputError) as exc:
            if name not in ("decide", "assert_equivalent", "assert_proved"):  # these name what they take
                assert isinstance(exc, StringGivenError), (name, exc)
        else:
            # The LaTeX reader takes text and never evaluates it: a step that is not read, or not proved.
            assert name in ("check_step", "audit_text"), name
            assert all(s.status.value != "valid" for s in result.steps), name
        assert not marker.exists(), f"{name} ran the string as code"


@pytest.mark.parametrize("make", [
    lambda p: Claim("s", p, sp.Integer(1)), lambda p: InRange(i, p, 3),
    lambda p: Space(fixed_sizes=False).array("A", p, role="weights"),
])
def test_a_string_is_a_type_error_that_says_what_to_pass(make: Callable[[str], object]) -> None:
    with pytest.raises(TypeError, match=r"must be a SymPy expression, not the string.*sympy\.Symbol"):
        make("x + 1")


def test_numbers_are_still_taken() -> None:
    assert decide(Claim("two", sp.Integer(1) + 1, 2)).proved
    assert expression(2.5) == sp.Float(2.5)
    with pytest.raises(StringGivenError):
        expression(b"x")
    with pytest.raises(TypeError, match="got NoneType"):
        expression(None)


def test_the_cli_never_evaluates_a_payload(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    out = subprocess.run([sys.executable, "-m", "derive", "check", f"{payload(marker)} = 1"], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 2 and not marker.exists()


PLUGIN_PAYLOAD = '''
import sympy as sp
from derive import Claim
from derive.testing import theorem

@theorem
def test_payload():
    return Claim("s", "__import__('os').system('touch {marker}') or 1", sp.Integer(1))
'''


@pytest.mark.timeout(120)
def test_a_plugin_theorem_returning_a_payload_fails_without_running_it(pytester: pytest.Pytester) -> None:
    marker = pytester.path / "pwned"
    pytester.makepyfile(test_user=PLUGIN_PAYLOAD.format(marker=marker))
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*must be a SymPy expression, not the string*"])
    assert not marker.exists()
