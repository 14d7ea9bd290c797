"""Hard limits, as a user meets them on the command line: each example of issue 13, with a timeout.

Every run is a subprocess with ``timeout=``: a limit that regresses fails the test instead of
hanging it. Memory is read from the children's peak resident size (the CLI and its workers).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

GB = 1 << 30
#: Seconds for the interpreter to start and import derive on a loaded 2-core machine (not budget).
START = 2.5
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: bytes | None = None, timeout: float = 60,
        cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "derive", *args], input=stdin.decode() if stdin else None,
                         capture_output=True, text=True, timeout=timeout, cwd=cwd,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return out, time.perf_counter() - start


def peak_child_memory() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("step, words", [
    (r"\prod_{i=1}^{10^{29}} 2 = 1", "10^29 terms"),
    (r"\prod_{i=1}^{1000}\prod_{j=1}^{1000} 9^{999} = 1", "digits"),
])
def test_huge_products_end_within_the_budget_with_one_line(step: str, words: str) -> None:
    out, seconds = run("check", step, "--budget", "1", timeout=30)
    assert out.returncode == 2
    assert words in one_line(out.stderr) and out.stderr.startswith("derive: error: <step>:1:1:")
    assert seconds < 1 + 2 + START  # budget + 2 s, and the interpreter's start
    assert peak_child_memory() < GB


def test_dev_zero_is_refused_after_reading_the_limit() -> None:
    out, _ = run("audit", "/dev/zero", timeout=30)
    assert out.returncode == 2
    assert "a device that goes on past the limit of 2 MB" in one_line(out.stderr)
    assert peak_child_memory() < GB


def test_standard_input_is_bounded_like_a_file(tmp_path: Path) -> None:
    big = b"$$ a = b $$\n" * 300_000  # 3.6 MB: refused by name, and through a pipe
    (tmp_path / "big.md").write_bytes(big)
    by_name, _ = run("audit", str(tmp_path / "big.md"), timeout=30)
    assert by_name.returncode == 2 and "too large" in one_line(by_name.stderr)
    for name in ("-", "/dev/stdin"):
        piped, _ = run("audit", name, stdin=big, timeout=30)
        assert piped.returncode == 2 and "too large" in one_line(piped.stderr), name


def test_dash_reads_standard_input() -> None:
    out, _ = run("audit", "-", stdin=b"$$ \\frac{d}{dx} x^2 = 2 x $$\n", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("-:1:4: valid:")


def test_a_directory_without_posts_is_one_line(tmp_path: Path) -> None:
    out, _ = run("audit", str(tmp_path), timeout=30)
    assert out.returncode == 2 and "a folder with no" in one_line(out.stderr)


def test_a_folder_of_other_files_says_how_to_audit_one() -> None:
    """tests/data/seeds holds the posts as .txt: the error names one to audit by name, which works."""
    out, _ = run("audit", "tests/data/seeds", timeout=30, cwd=ROOT)
    assert out.returncode == 2
    assert "name a file to audit it as Markdown: derive audit tests/data/seeds/000_" in one_line(out.stderr)


@pytest.mark.parametrize("command", [["audit", "post.md"], ["check", "x = x"]])
@pytest.mark.parametrize("option", ["--budget", "--timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_budgets_and_timeouts_must_be_positive_finite(command: list[str], option: str, value: str) -> None:
    out, _ = run(*command, f"{option}={value}", timeout=30)
    assert out.returncode == 2
    assert f"argument {option}:" in one_line(out.stderr) and repr(value) in out.stderr


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_jobs_must_be_a_positive_whole_number(value: str) -> None:
    out, _ = run("audit", "-j", value, "post.md", timeout=30)
    assert out.returncode == 2 and "argument -j/--jobs:" in one_line(out.stderr)


HANGS = r"""<!-- derive: define g(x) = 7^{x} -->

$$ \frac{d}{dx} x^2 = 2 x $$

$$ g(10^{20}) = 1 $$

$$ \frac{d}{dx} x^3 = 3 x^2 $$
"""


def test_timeout_bounds_the_run_and_steps_print_as_they_are_decided(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(HANGS, encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "derive", "audit", str(post), "--timeout", "4", "--budget", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        first_at = time.perf_counter() - start
        rest, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    elapsed = time.perf_counter() - start
    assert ":3:4: valid:" in first
    assert first_at < elapsed - 1  # printed before the run ended, not with the report
    assert proc.returncode == 1 and elapsed < 4 + 2 + START
    assert "stopped by --timeout 4 s: of 1 files, 1 audited only in part and 0 not audited" in one_line(err)
    assert "1 step: 1 valid" in rest


def test_timeout_stops_check_with_one_line() -> None:
    # 7^(10^20), hidden behind a definition: only a killed process stops it.
    out, seconds = run("check", "g(10^{20}) = 1", "--given", "define g(x) = 7^{x}", "--timeout", "2",
                       "--budget", "60", timeout=30)
    assert seconds < 2 + 2 + START
    assert out.returncode == 1, out.stderr
    assert "stopped by --timeout 2 s" in one_line(out.stderr)


def test_many_files_in_parallel_from_a_folder(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(6):
        right = "2 x" if n % 2 == 0 else "3 x"
        (subs / f"s{n}.md").write_text(f"$$ \\frac{{d}}{{dx}} x^2 = {right} $$\n", encoding="utf-8")
    (subs / "notes.txt").write_text("not a post", encoding="utf-8")
    out, _ = run("audit", "-j", "3", str(subs), "--json", timeout=120)
    assert out.returncode == 1, out.stderr
    files = json.loads(out.stdout)["files"]
    assert [Path(f["path"]).name for f in files] == [f"s{n}.md" for n in range(6)]
    assert [f["summary"]["wrong"] for f in files] == [0, 1, 0, 1, 0, 1]
