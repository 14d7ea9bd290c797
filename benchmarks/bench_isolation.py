"""Benchmark: what deciding each step in a worker process costs, side by side with deciding it in this process.

The CLI audits in worker processes (derive/audit/isolated.py) so that a step past its budget can
be killed; the Python API decides in the caller's process under a thread budget. This runs both on
the same posts and prints the ratio (target: isolation costs at most 20%).

    python benchmarks/bench_isolation.py            # the three declared seeds, 3 rounds
    python benchmarks/bench_isolation.py --rounds 5 tests/data/declared/002_two_layer.md

Each measurement is a fresh interpreter that has imported derive (the import is not timed), so
SymPy's caches start cold in both modes, as in one run of ``derive audit``. The isolated time
includes starting the worker (a fork: some 15 to 40 ms on a loaded 2-core machine, which shows on a
0.1 s post). The ``cold`` rows are what a user waits for: ``derive audit --json`` in a new process,
for each post and for all of them (the benchmark's own audit job, bench_engine.py), against the
same audit done in one process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "tests" / "data" / "declared").glob("*.md"))

TIMED = """
import sys, time
from derive.audit.isolated import Job, run_audits
from derive.audit.post import AuditSettings, audit_text, read_post
texts = [(path, read_post(path)) for path in sys.argv[2:]]
settings = AuditSettings()
start = time.perf_counter()
if sys.argv[1] == "process":
    jobs = run_audits([Job(path, text) for path, text in texts], settings)
    steps = [len(j.report.steps) for j in jobs]
else:
    steps = [len(audit_text(text, path=path, settings=settings).steps) for path, text in texts]
print(time.perf_counter() - start, *steps)
"""

IN_PROCESS_CLI = """
import sys
from derive.audit.post import audit_file
from derive.audit.report import render_json
print(render_json([audit_file(p) for p in sys.argv[1:]]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(mode: str, paths: list[str]) -> tuple[float, list[int]]:
    out = subprocess.run([sys.executable, "-c", TIMED, mode, *paths], capture_output=True, text=True,
                         timeout=600, env=_env(), check=True)
    seconds, *steps = out.stdout.split()
    return float(seconds), [int(s) for s in steps]


def cold(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, timeout=600, env=_env())
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-400:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("posts", nargs="*", default=SEEDS, help="posts to audit (default: the declared seeds)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each mode; the median is shown")
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    for post in args.posts:
        thread, process = [], []
        for _ in range(args.rounds):  # interleaved, so that a busy machine weighs on both modes alike
            t, steps_t = timed("thread", [post])
            p, steps_p = timed("process", [post])
            assert steps_t == steps_p, f"{post}: the modes disagree on the steps ({steps_t} vs {steps_p})"
            thread.append(t)
            process.append(p)
        rows.append((Path(post).name, statistics.median(thread), statistics.median(process)))
        print(f"  done: {post}", file=sys.stderr, flush=True)
    groups = [[post] for post in args.posts] + ([list(args.posts)] if len(args.posts) > 1 else [])
    for group in groups:
        thread_cli, process_cli = [], []
        for _ in range(args.rounds):
            thread_cli.append(cold([sys.executable, "-c", IN_PROCESS_CLI, *group]))
            process_cli.append(cold([sys.executable, "-m", "derive", "audit", "--json", *group]))
        name = Path(group[0]).name if len(group) == 1 else f"{len(group)} posts"
        rows.append((f"derive audit --json {name}, cold", statistics.median(thread_cli),
                     statistics.median(process_cli)))
    width = max(len(r[0]) for r in rows)
    print(f"{'job':<{width}}  {'in process':>10}  {'isolated':>9}  {'ratio':>6}  target")
    worst = 0.0
    for name, t, p in rows:
        worst = max(worst, p / t)
        print(f"{name:<{width}}  {t:>8.3f} s  {p:>7.3f} s  {p / t:>6.2f}  ≤ 1.20")
    print(f"worst ratio {worst:.2f} (isolated / in process)")


if __name__ == "__main__":
    main()
