"""Benchmark: ``derive verify`` (the whole library, cold) now against a baseline commit, per theorem, side by side.

The library grows, so the total time is not the measure: the time *per theorem* is. The baseline
is the code before the every-size work of issue 22 (``BASELINE``: no canonical sums, no broadcasting),
exported with ``git archive`` into a temporary folder. Both run as cold processes
(``python -m derive verify --json``), alternately (baseline, current, baseline, current, ...), so
that a load on the machine falls on both alike. Wall and CPU time (user + system of the child) are
both shown: on a shared machine the CPU time is the steadier one.

    python benchmarks/bench_verify.py                 # 2 rounds against BASELINE
    python benchmarks/bench_verify.py --rounds 3 --baseline <commit>

Prints one row per side (theorems, proved, best wall and CPU seconds, per theorem) and the ratios
current/baseline per theorem; the issue's target is at most 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: main before issue 22 (every size for real networks): the library's 28 theorems, the old engine.
BASELINE = "5dac98f"


@dataclass
class Run:
    wall: float
    cpu: float
    theorems: int
    proved: int


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` written under ``into`` (git archive: no worktree is registered)."""
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", commit, "derive"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def verify(tree: Path) -> Run:
    """One cold ``derive verify --json`` with ``tree`` first on the path; wall and child CPU seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "derive", "verify", "--json"], cwd=tree, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"derive verify in {tree} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    statuses = [t["status"] for t in report["theorems"]]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, len(statuses), statuses.count("proved"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit to compare with (default {BASELINE})")
    parser.add_argument("--rounds", type=int, default=2, help="cold runs of each side, alternated (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="derive-bench-verify-") as tmp:
        old_tree = export(args.baseline, Path(tmp))
        runs: dict[str, list[Run]] = {"baseline": [], "current": []}
        for n in range(args.rounds):
            for side, tree in (("baseline", old_tree), ("current", ROOT)):
                run = verify(tree)
                runs[side].append(run)
                print(f"round {n + 1} {side:8}: {run.theorems} theorems, {run.proved} proved, "
                      f"wall {run.wall:.1f} s, CPU {run.cpu:.1f} s", flush=True)
    best = {side: (min(r.wall for r in rs), min(r.cpu for r in rs), rs[-1]) for side, rs in runs.items()}
    print()
    print(f"{'side':20} {'theorems':>8} {'proved':>6} {'wall s':>8} {'CPU s':>8} {'wall/thm':>9} {'CPU/thm':>8}")
    per: dict[str, tuple[float, float]] = {}
    for side, (wall, cpu, last) in best.items():
        per[side] = (wall / last.theorems, cpu / last.theorems)
        label = f"{side} ({args.baseline})" if side == "baseline" else side
        print(f"{label:20} {last.theorems:>8} {last.proved:>6} {wall:>8.1f} {cpu:>8.1f} "
              f"{per[side][0]:>9.2f} {per[side][1]:>8.2f}")
    wall_ratio = per["current"][0] / per["baseline"][0]
    cpu_ratio = per["current"][1] / per["baseline"][1]
    print(f"\nper theorem, current/baseline: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x (target ≤ 2x; best of "
          f"{args.rounds} cold runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
