"""Hostile use of the command line: pages over inputs, escapes in names, closed pipes, odd names.

Most tests call ``derive.cli.main`` in this process (fast); those about pipes and standard input
run the real command in a subprocess with this checkout on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
STEP = "$$ x^2 = x x $$\n"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def run(*args: str, cwd: Path, stdin: int | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=cwd, env=_env(), stdin=stdin,
                          capture_output=True, text=True, timeout=timeout)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- 5: --html never destroys a file --------------------------------------------------------------

def test_a_page_over_its_own_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "p.md"
    post.write_text(STEP, encoding="utf-8")
    assert main(["audit", str(post), "--html", str(post)]) == 2
    assert "would write over the input" in _one_line(capsys.readouterr().err)
    assert post.read_text(encoding="utf-8") == STEP


def test_a_page_over_an_input_through_a_link_or_among_several_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.md").write_text(STEP, encoding="utf-8")
    (tmp_path / "link.md").symlink_to(tmp_path / "p.md")
    assert main(["audit", str(tmp_path / "p.md"), "--html", str(tmp_path / "link.md")]) == 2
    assert "would write over the input" in _one_line(capsys.readouterr().err)
    # Several posts with their pages in the posts' own folder: the posts stay, a page each is added.
    (tmp_path / "q.md").write_text(STEP, encoding="utf-8")
    assert main(["audit", str(tmp_path / "p.md"), str(tmp_path / "q.md"), "--html", str(tmp_path)]) == 0
    assert (tmp_path / "p.md").read_text(encoding="utf-8") == STEP
    assert {p.name for p in tmp_path.glob("*.html")} == {"p.html", "q.html"}


def test_posts_with_the_same_name_get_distinct_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder, step in (("a", STEP), ("b", "$$ \\frac{d}{dx} x^2 = 3 x $$\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hw.md").write_text(step, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["audit", str(tmp_path / "a"), str(tmp_path / "b"), "--html", str(out)]) == 1
    pages = sorted(p.name for p in out.iterdir())
    assert pages == ["a-hw.html", "b-hw.html"]
    # One page each, not one over the other: the true step's page and the wrong step's page differ.
    assert (out / "a-hw.html").read_text(encoding="utf-8") != (out / "b-hw.html").read_text(encoding="utf-8")


def test_several_pages_onto_an_existing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(STEP, encoding="utf-8")
    existing = tmp_path / "report.html"
    existing.write_text("old report", encoding="utf-8")
    assert main(["audit", str(tmp_path / "a.md"), str(tmp_path / "b.md"), "--html", str(existing)]) == 2
    assert "is a file; give a folder" in _one_line(capsys.readouterr().err)
    assert existing.read_text(encoding="utf-8") == "old report"


def test_a_failed_write_leaves_the_previous_report_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.audit import files

    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def fail_midway(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", fail_midway)
    with pytest.raises(OSError):
        files.write_atomic(str(target), "<html>new</html>")
    assert target.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind
    monkeypatch.undo()
    files.write_atomic(str(target), "<html>new</html>")
    assert target.read_text(encoding="utf-8") == "<html>new</html>"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- 7: control characters are shown escaped -------------------------------------------------------

def test_escapes_in_a_step_and_a_file_name_never_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "title\x1b]0;PWNED\x07.md"
    post.write_text("$$ x \x1b]0;PWNED\x07 = x \x9b2J $$\n$$ y \u202e = y $$\n", encoding="utf-8")
    main(["audit", str(post)])
    out, err = capsys.readouterr()
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out and raw not in err
    assert "\\x1b]0;PWNED\\x07" in out  # the file name and the step, shown as escapes
    main(["audit", str(post), "--json"])
    out, _ = capsys.readouterr()
    assert "\x9b" not in out and "\u202e" not in out
    assert json.loads(out)["files"][0]["path"] == str(post)  # the escapes are JSON's: same value


def test_an_error_naming_a_file_escapes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "gone\x1b[2J\n.md")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J\\n.md" in _one_line(err)


# -- 8: --timeout covers reading -------------------------------------------------------------------

@pytest.mark.slow
def test_a_pipe_that_never_ends_stops_at_the_timeout(tmp_path: Path) -> None:
    writer = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE)
    try:
        began = time.monotonic()
        out = run("audit", "-", "--timeout", "3", cwd=tmp_path,
                  stdin=writer.stdout.fileno() if writer.stdout else None)
        took = time.monotonic() - began
    finally:
        writer.kill()
        writer.wait()
    assert out.returncode == 2
    assert "stopped by --timeout 3 s" in _one_line(out.stderr)
    assert took < 20  # far below the 30 s of the writer, even on a loaded machine


@pytest.mark.slow
def test_a_fifo_nobody_writes_stops_at_the_timeout(tmp_path: Path) -> None:
    fifo = tmp_path / "post.md"
    os.mkfifo(fifo)
    began = time.monotonic()
    out = run("audit", str(fifo), "--timeout", "3", cwd=tmp_path)
    assert out.returncode == 2 and time.monotonic() - began < 20
    assert "still reading when the time ran out" in _one_line(out.stderr)


def test_a_fifo_with_a_writer_is_read_whole(tmp_path: Path) -> None:
    import threading

    from derive.audit.source import read_source

    fifo = tmp_path / "post.md"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.3)
        with open(fifo, "w", encoding="utf-8") as f:
            f.write("$$ x = ")
            f.flush()
            time.sleep(0.2)
            f.write("x $$\n")

    threading.Thread(target=write, daemon=True).start()
    assert read_source(fifo, limit=1000, deadline=time.monotonic() + 10) == "$$ x = x $$\n"


# -- 9: a closed pipe is no traceback --------------------------------------------------------------

@pytest.mark.slow
def test_output_into_head_is_no_traceback_and_the_pages_are_still_written(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    command = (f"{sys.executable} -m derive audit {ROOT / 'tests/data/declared'} --html {pages} | head -1; "
               "exit ${PIPESTATUS[0]}")
    out = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr
    assert len(out.stdout.splitlines()) == 1
    posts = sorted(p.stem for p in (ROOT / "tests/data/declared").glob("*.md"))
    assert sorted(p.stem for p in pages.glob("*.html")) == posts


def test_without_pages_a_closed_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text(STEP * 3, encoding="utf-8")
    command = f"{sys.executable} -m derive audit p.md | head -c 1; exit ${{PIPESTATUS[0]}}"
    out = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=120)
    assert "Traceback" not in out.stderr and out.stderr.strip() == ""
    assert out.returncode in (0, 141)


# -- 10: smaller ones ------------------------------------------------------------------------------

def test_an_empty_file_name_is_an_error_not_the_current_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.md").write_text(STEP, encoding="utf-8")
    assert main(["audit", ""]) == 2
    assert "'' is not a file name" in _one_line(capsys.readouterr().err)
    assert main(["audit", "p.md", "--html", ""]) == 2
    assert "--html ''" in _one_line(capsys.readouterr().err)


def test_html_to_stdout_with_json_or_several_files_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(STEP, encoding="utf-8")
    assert main(["audit", "a.md", "--json", "--html", "-"]) == 2
    out, err = capsys.readouterr()
    assert "--json and --html -" in _one_line(err)
    assert json.loads(out)["exit_status"] == 2  # the refusal, as JSON too
    assert main(["audit", "a.md", "b.md", "--html", "-"]) == 2
    assert "writes one page to standard output" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "-").exists()


def test_html_to_stdout_is_the_page_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text(STEP, encoding="utf-8")
    assert main(["audit", str(tmp_path / "a.md"), "--html", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.lstrip().lower().startswith("<!doctype html") and out.rstrip().endswith("</html>")
    assert "valid: x^2 = x x" in err  # the text report goes to standard error


def test_errors_under_json_are_a_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "missing.md"), "--json"]) == 2
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert "missing.md" in document["error"] and document["exit_status"] == 2
    assert document["error"] in _one_line(err)
    assert main(["check", "x = \\frac{", "--json"]) == 2
    assert "cannot read" in json.loads(capsys.readouterr().out)["error"]


def test_a_link_out_of_the_audited_folder_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("$$ password = hunter2 $$\n", encoding="utf-8")
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "hw.md").write_text(STEP, encoding="utf-8")
    (folder / "evil.md").symlink_to(secret)
    (folder / "inside.md").symlink_to(folder / "hw.md")  # a link within the folder is read
    assert main(["audit", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "hunter2" not in out and "hunter2" not in err
    assert f"skipped {folder / 'evil.md'}: a link to {secret}, outside {folder}" in err
    assert "inside.md:1:4: valid" in out


@pytest.mark.parametrize("step, given", [("\\\\", ["vector x"]), ("\\begin{aligned} \n", ["logits z", "labels y soft"]),
                                         ("=\n\\begin{aligned}x\\begin{aligned}", ["vector x"]), ("x\n= y =", [])])
def test_no_position_says_line_0(step: str, given: list[str]) -> None:
    from derive.audit.post import check_step
    from derive.audit.report import render_text

    text = render_text(check_step(step, given=given))
    assert ":0:" not in text and "line 0" not in text
    assert all(f":{s.line}:{s.column}:" in text and s.line >= 1 and s.column >= 1
               for s in check_step(step, given=given).steps)


def test_a_reason_counts_lines_as_the_step_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x\n= y ="]) == 2
    assert "<step>:2:6:" in (err := _one_line(capsys.readouterr().err)) and "at line 2, column 6" in err
