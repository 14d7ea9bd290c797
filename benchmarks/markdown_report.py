"""`--markdown FILE` for the benchmark scripts: what they print, as a page of the docs with its date and machine.

A benchmark table in the documentation is never typed by hand: the script that measured it writes it,
saying when, on what machine (CPU, cores, load, Python, SymPy) and with which command, so a reader can
tell how old and how comparable the figures are.
"""

from __future__ import annotations

import io
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal: io.TextIOBase, copy: io.StringIO) -> None:
        self.terminal, self.copy = terminal, copy

    def write(self, text: str) -> int:
        self.terminal.write(text)
        return self.copy.write(text)

    def flush(self) -> None:
        self.terminal.flush()


def machine() -> str:
    """One line: CPU model, cores, load average at the start, OS, Python and SymPy versions."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    import sympy
    return (f"{model}, {os.cpu_count()} cores, load average {load} at the start; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, SymPy {sympy.__version__}")


@contextmanager
def markdown_report(path: str | None, title: str, notes: str = "") -> Iterator[None]:
    """Tee standard output; when the block ends, write it to PATH as a Markdown page (nothing if PATH is None)."""
    if path is None:
        yield
        return
    started = datetime.now(UTC)
    where = machine()
    copy = io.StringIO()
    with redirect_stdout(_Tee(sys.stdout, copy)):  # type: ignore[type-var]
        yield
    seconds = (datetime.now(UTC) - started).total_seconds()
    command = " ".join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    page = [f"# {title}", "",
            f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC ({seconds:.0f} s in all).", "",
            f"Machine: {where}.", ""]
    if notes:
        page += [notes, ""]
    page += ["```text", copy.getvalue().rstrip("\n"), "```", ""]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(page), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
