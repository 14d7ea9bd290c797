"""Performance that users see: one claim does not slow the next, fixed sizes grow with the entries.

Timings are compared as ratios inside one test, never against absolute seconds, and each
side runs in a fresh process (so neither inherits the other's caches), timed as CPU time
of the work after the imports, the best of two runs (the machine is shared).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def _run(sizes: dict[str, int], *names: str) -> dict[str, list]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(sizes), *names], capture_output=True,
                          text=True, env=env, timeout=300, check=True)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_an_earlier_claim_does_not_slow_the_next() -> None:
    # The slowdown this guards against was 10-30x: a cache keyed by SymPy expressions kept
    # the first claim's definitions, and the second claim's equal ones were compared deeply.
    sizes = {"c": 20, "d": 16, "p": 24}
    alone, after = [], []
    for _ in range(2):
        solo = _run(sizes, "two_layer_gradient_A")
        both = _run(sizes, "two_layer_gradient_B", "two_layer_gradient_A")
        assert solo["two_layer_gradient_A"][1] == "proved"
        assert both["two_layer_gradient_B"][1] == both["two_layer_gradient_A"][1] == "proved"
        alone.append(solo["two_layer_gradient_A"][0])
        after.append(both["two_layer_gradient_A"][0])
    ratio = min(after) / min(alone)
    assert ratio <= 1.5, f"∂L/∂A took {min(after):.3f} s after ∂L/∂B, {min(alone):.3f} s alone ({ratio:.2f}x)"


@pytest.mark.slow
def test_fixed_size_cross_entropy_grows_with_the_entries() -> None:
    # Past k ≈ 1000 each entry once cost more than below it: SymPy's cache of constructors
    # (the last 1000 calls of each) no longer held the exp(z_j) and products an entry built
    # again in its right side, its derivative and its decision; k = 3000 took 12.9x the
    # time of k = 300, now 11.3x. Ten times the entries may cost ten times the time, with
    # room for noise.
    small, large = [], []
    for _ in range(2):
        small.append(_run({"k": 300}, "cross_entropy_gradient_soft")["cross_entropy_gradient_soft"])
        large.append(_run({"k": 3000}, "cross_entropy_gradient_soft")["cross_entropy_gradient_soft"])
    assert all(status == "proved" for _, status in small + large)
    ratio = min(t for t, _ in large) / min(t for t, _ in small)
    assert ratio <= 12.5, f"k = 3000 took {ratio:.1f}x the time of k = 300 (10x the entries)"
