"""Hostile runs of the processes: workers that outlive a killed CLI, input that never ends.

Each test starts the real command line in a subprocess with this checkout on PYTHONPATH.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = r"(x+1)^{1000} (x-1)^{1000} = (x^2-1)^{1000}"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc; zombies count as gone)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _kill_main_and_watch(argv: list[str], cwd: Path) -> list[int]:
    """Start ``argv``, wait for its workers, SIGKILL the main process; the workers still alive 2 s later."""
    main = subprocess.Popen(argv, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        end = time.monotonic() + 30
        while not workers and time.monotonic() < end and main.poll() is None:
            time.sleep(0.2)
            workers = _descendants(main.pid)
        assert workers, "the command started no worker process"
        time.sleep(0.5)  # let the worker begin its computation
        workers = _descendants(main.pid)
        main.send_signal(signal.SIGKILL)
        main.wait(5)
        time.sleep(2)
        return [w for w in workers if _alive(w)]
    finally:
        if main.poll() is None:
            main.kill()
            main.wait()


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


@needs_proc
@pytest.mark.slow
def test_check_workers_die_with_a_killed_cli(tmp_path: Path) -> None:
    left = _kill_main_and_watch([sys.executable, "-m", "derive", "check", HEAVY, "--budget", "60"], tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived the killed 'derive check'"


@needs_proc
@pytest.mark.slow
def test_audit_workers_die_with_a_killed_cli(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(f"$$ {HEAVY} $$\n", encoding="utf-8")
    left = _kill_main_and_watch([sys.executable, "-m", "derive", "audit", str(post), "-j", "2", "--budget", "60"],
                                tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived the killed 'derive audit'"


@needs_proc
@pytest.mark.slow
def test_plugin_isolated_workers_die_with_a_killed_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_heavy.py").write_text(
        "import sympy as sp\nfrom derive.engine.claims import Claim\nfrom derive.testing.assertions import theorem\n"
        "x = sp.Symbol('x', real=True)\n\n@theorem\ndef test_heavy():\n"
        "    return Claim('heavy', sp.expand((x + 1)**3000 * (x - 1)**3000), sp.expand((x**2 - 1)**3000))\n",
        encoding="utf-8")
    left = _kill_main_and_watch([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--derive-isolate",
                                 "--derive-budget", "60", "test_heavy.py"], tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived the killed pytest"


@needs_proc
@pytest.mark.slow
def test_fork_server_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    # A second thread makes the workers come from the fork server (as in Jupyter or under xdist).
    script = tmp_path / "threaded.py"
    script.write_text(
        "import threading, time\nimport sympy as sp\nfrom derive.engine.isolate import run_isolated\n"
        "if __name__ == '__main__':\n"
        "    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "    x = sp.Symbol('x')\n    run_isolated(sp.expand, (x + 1)**20000, seconds=120)\n", encoding="utf-8")
    left = _kill_main_and_watch([sys.executable, str(script)], tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"the fork server or its workers {left} outlived their killed parent"
