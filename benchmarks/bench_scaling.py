"""Scaling that users see, as ratios: one claim does not slow the next; fixed sizes grow with the entries.

Usage::

    python benchmarks/bench_scaling.py [--rounds 2]

Each side runs in a fresh process (so neither inherits the other's caches), timed as CPU time of
the work after the imports, the best of ``--rounds`` runs (the machine may be shared). It prints:

- ∂L/∂A of the two-layer network at (c, d, p) = (20, 16, 24), alone and after ∂L/∂B, and the ratio
  (the slowdown this guards against was 10-30x: a cache keyed by SymPy expressions kept the first
  claim's definitions, and the second claim's equal ones were compared deeply; about 1.0 is right);
- the soft-label cross-entropy gradient at k = 300 and k = 3000, and the ratio (ten times the
  entries; about 10-12 is linear, SymPy's constructor cache of the last 1000 calls once made it 13).

These were timed tests once; timing belongs in a benchmark, where a loaded machine gives a
number to read, not a failing suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """
import json, sys, time
from derive.engine.decide import decide
from derive.library.theorems import LIBRARY
sizes = json.loads(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    start = time.process_time()
    verdict = decide(LIBRARY[name].concrete(sizes))
    out[name] = [time.process_time() - start, verdict.status.value]
print(json.dumps(out))
"""


def run(sizes: dict[str, int], *names: str) -> dict[str, list]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(sizes), *names], capture_output=True,
                          text=True, env=env, timeout=600, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side; the best counts (default 2)")
    rounds = parser.parse_args().rounds
    sizes = {"c": 20, "d": 16, "p": 24}
    alone, after = [], []
    for _ in range(rounds):
        solo = run(sizes, "two_layer_gradient_A")
        both = run(sizes, "two_layer_gradient_B", "two_layer_gradient_A")
        alone.append(solo["two_layer_gradient_A"][0])
        after.append(both["two_layer_gradient_A"][0])
        statuses = {solo["two_layer_gradient_A"][1], *(v[1] for v in both.values())}
    print(f"dL/dA at (c, d, p) = (20, 16, 24): alone {min(alone):.3f} s, after dL/dB {min(after):.3f} s, "
          f"ratio {min(after) / min(alone):.2f} ({', '.join(sorted(statuses))})")
    small, large = [], []
    for _ in range(rounds):
        small.append(run({"k": 300}, "cross_entropy_gradient_soft")["cross_entropy_gradient_soft"])
        large.append(run({"k": 3000}, "cross_entropy_gradient_soft")["cross_entropy_gradient_soft"])
    statuses = {s for _, s in small + large}
    t_small, t_large = min(t for t, _ in small), min(t for t, _ in large)
    print(f"soft-label CE gradient: k = 300 {t_small:.3f} s, k = 3000 {t_large:.3f} s, "
          f"ratio {t_large / t_small:.1f} for 10x the entries ({', '.join(sorted(statuses))})")
    return 0 if statuses == {"proved"} else 1


if __name__ == "__main__":
    sys.exit(main())
