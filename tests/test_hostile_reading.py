r"""Reading a hostile post: linear in its size, bounded in time and memory, and never a pass when cut short.

Before, each unclosed ``\[``, ``$$``, ``\begin{...}`` or ``<!--`` searched to the end of the text
for its closer (16,000 ``\[``: 6 s), and a reading that ran out of time gave "0 steps: 0 wrong",
exit status 0.
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from pathlib import Path

import pytest

from derive.audit.clock import ReadingTimeout, check, paused, reading
from derive.audit.closers import Closers
from derive.audit.post import AuditSettings, StepStatus, audit_text
from derive.audit.scan import Display, Unclosed, extract
from derive.cli import main

WRONG = "<!-- derive: scalar x -->\n\n$$ x^2 = 3x $$\n\n"  # x declared: an undeclared x is undecided


def test_each_closer_is_where_re_search_finds_it() -> None:
    searches = {"$$": re.compile(r"(?<!\\)\$\$"), "\\]": re.compile(r"\\\]"), "-->": re.compile(r"-->"),
                "\\end{align*}": re.compile(r"\\end\{align\*\}")}
    rng = random.Random(25)
    pieces = ["$", "\\", "]", "-", ">", "\\end{align*}", "\\end{align}", "x", "\n"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        closers = Closers(text)
        for closer, search in searches.items():
            for pos in range(len(text) + 1):
                m = search.search(text, pos)
                assert closers.next(closer, pos) == (m.start() if m else None), (text, closer, pos)


@pytest.mark.slow
@pytest.mark.parametrize(("text", "latex"), [
    ("\\[" * 40_000, False),
    ("<!--" * 100_000, False),
    ("\\begin{align*}" * 20_000, True),
    ("\\begin{align*}\n" * 20_000, False),
    ("$$ x\n\n" * 20_000, False),
], ids=["brackets", "comments", "align-tex", "align-lines", "dollars"])
def test_unclosed_openers_are_read_in_linear_time(text: str, latex: bool) -> None:
    # Quadratic reading took 100 s and more at these sizes; linear takes a few seconds on a busy machine.
    started = time.perf_counter()
    items = extract(WRONG + text, inline=True, latex=latex)
    assert time.perf_counter() - started < 30
    assert [i.body.strip() for i in items if isinstance(i, Display)][:1] == ["x^2 = 3x"]
    if text.startswith("\\["):
        assert sum(isinstance(i, Unclosed) for i in items) == 40_000


@pytest.mark.parametrize("run", [",\\,", "   ", "\\quad "])
def test_a_long_run_of_spacing_inside_a_side_is_read_in_linear_time(run: str) -> None:
    # The trailing-spacing pattern was tried from each start in the run: 16 KB of ",\," took 7 s.
    started = time.process_time()
    report = audit_text("$$ x = x" + run * (12_000 // len(run)) + "y $$\n", path="p.md")  # 12 KB
    assert time.process_time() - started < 3
    assert len(report.steps) == 1


@pytest.mark.slow
def test_a_long_paragraph_is_read_in_bounded_memory() -> None:
    row = "|" + "|".join(["$x$"] * 200) + "|\n"
    text = WRONG + row * 100  # 80 KB, 20,000 inline math cells in one paragraph
    extract("x", inline=True)
    tracemalloc.start()
    try:
        items = extract(text, inline=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(items) == 20_002
    # With every token of the paragraph kept, 14 MB here (314 MB for the 200 x 2,000 table); now 6 MB.
    assert peak < 9 * 2**20, f"{peak / 2**20:.1f} MB"


def test_reading_time_excludes_deciding_and_runs_out() -> None:
    with reading(0.05):
        with paused():
            time.sleep(0.1)
        check()  # the pause does not count
        time.sleep(0.1)
        with pytest.raises(ReadingTimeout):
            check()
    check()  # outside a reading, no deadline


def test_a_reading_out_of_time_is_not_audited_and_never_passes() -> None:
    text = WRONG + "$$ x\n\n" * 100_000
    started = time.perf_counter()
    report = audit_text(text, path="post.md", settings=AuditSettings(reading=0.3))
    assert time.perf_counter() - started < 0.3 + 3
    assert report.not_audited.startswith("reading the post took more than 0.3 s")
    assert report.exit_status == 1 and report.strict_exit_status == 1
    assert "NOT AUDITED" in report.summary() and report.as_dict()["not_audited"] == report.not_audited
    # The same post with time to read it: its one wrong step is found.
    done = audit_text(WRONG + "$$ x\n\n" * 100, path="post.md")
    assert not done.not_audited and [s.status for s in done.steps] == [StepStatus.WRONG]


def test_inline_math_that_cannot_define_is_read_once() -> None:
    # The inline f = x^2 is a definition step (inline math is read as a display is), reported once.
    report = audit_text("Let $f = x^2$ and $x$ and $x$.\n\n$$ f = x x $$\n", path="p.md")
    assert [s.status for s in report.steps] == [StepStatus.DEFINITION, StepStatus.VALID]


@pytest.mark.slow
def test_the_issue_reproduction_does_not_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text(WRONG + "\\[" * 40_000 + "\n", encoding="utf-8")
    assert main(["audit", "--strict", "--budget", "1", str(post)]) == 1
    out = capsys.readouterr().out
    assert ":3:4: wrong: x^2 = 3x" in out and "40001 steps: 1 wrong, 40000 not read" in out


@pytest.mark.slow
def test_a_post_stopped_in_its_worker_is_not_audited() -> None:
    """A worker stopped before the post is read (here by the run's deadline) leaves a report that fails."""
    from derive.audit.isolated import Job, run_audits

    job = Job("post.md", WRONG + "$$ x\n\n" * 300_000)  # 1.8 MB: seconds of reading
    run_audits([job], AuditSettings(budget=1), deadline=time.monotonic() + 1)
    assert job.report is not None and job.timed_out
    assert job.report.not_audited.startswith("stopped by --timeout")
    assert job.report.exit_status == 1 and "NOT AUDITED" in job.report.summary()
