"""Benchmark: this engine against the naive baseline, side by side, on the same jobs.

The naive baseline is what SYMPY-NOTES.md measured: explicit symbols, SymPy ``diff``, then
``simplify(diff - claim) == 0`` for every component. Each naive job runs in its own process
and is killed at the budget (a timed-out ``simplify`` thread would otherwise keep a core
busy and skew every later number). Ours runs in this process after ``import derive``.

    python benchmarks/bench_engine.py            # full run, naive budget 60 s per job
    python benchmarks/bench_engine.py --budget 10 --quick
    python benchmarks/bench_engine.py --startup  # only the cold start of derive --help / --version
    python benchmarks/bench_engine.py --audit     # only: a typical post cold, the median step warm

Prints one row per job: ours, naive, the ratio naive/ours (">" where the naive job hit the
budget), and the issue's target.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from markdown_report import markdown_report  # the sibling module (run as a script)


@dataclass
class Row:
    job: str
    ours: float | None
    ours_status: str
    naive: float | None
    naive_status: str
    target: str

    def ratio(self) -> str:
        if self.ours is None or self.naive is None or self.naive_status not in ("proved", "timeout"):
            return "-"  # no ratio against a baseline that did not establish the claim
        sign = ">" if self.naive_status == "timeout" else ""
        return f"{sign}{self.naive / self.ours:,.0f}x"


# -- the naive baseline ----------------------------------------------------------------------

def naive_cross_entropy(k: int) -> bool:
    z = sp.symbols(f"z1:{k + 1}", real=True)
    y = list(sp.symbols(f"y1:{k + 1}", real=True))
    y[-1] = 1 - sum(y[:-1])  # soft labels: Σy = 1
    total = sum(sp.exp(v) for v in z)
    loss = -sum(yi * sp.log(sp.exp(zi) / total) for yi, zi in zip(y, z, strict=True))
    return all(sp.simplify(sp.diff(loss, z[j]) - (sp.exp(z[j]) / total - y[j])) == 0 for j in range(k))


def naive_jacobian(k: int) -> bool:
    z = sp.symbols(f"z1:{k + 1}", real=True)
    total = sum(sp.exp(v) for v in z)
    p = [sp.exp(v) / total for v in z]
    return all(sp.simplify(sp.diff(p[i], z[j]) - p[i] * (int(i == j) - p[j])) == 0
               for i in range(k) for j in range(k))


def naive_two_layer(c: int, d: int, p: int) -> bool:
    A = sp.Matrix(d, p, lambda i, j: sp.Symbol(f"A{i}_{j}", real=True))
    B = sp.Matrix(c, d, lambda i, j: sp.Symbol(f"B{i}_{j}", real=True))
    x = sp.Matrix(p, 1, lambda i, j: sp.Symbol(f"x{i}", real=True))
    ys = [sp.Symbol(f"y{i}", real=True) for i in range(c)]
    ys[-1] = 1 - sum(ys[:-1])
    y = sp.Matrix(ys)
    s = B * A * x
    total = sum(sp.exp(v) for v in s)
    yhat = sp.Matrix([sp.exp(v) / total for v in s])
    loss = -sum(y[i] * sp.log(yhat[i]) for i in range(c))
    gB = (yhat - y) * (A * x).T
    gA = B.T * (yhat - y) * x.T
    ok = all(sp.simplify(sp.diff(loss, B[i, j]) - gB[i, j]) == 0 for i in range(c) for j in range(d))
    return ok and all(sp.simplify(sp.diff(loss, A[i, j]) - gA[i, j]) == 0 for i in range(d) for j in range(p))


def naive_symbolic(theorem: str) -> bool:
    """SymPy alone on the every-size claim: diff, doit, simplify (it knows no hypotheses such as Σy = 1)."""
    from derive.library.theorems import LIBRARY

    claim = LIBRARY[theorem].symbolic()
    return sp.simplify((claim.lhs - claim.rhs).doit()) == 0


def _child(fn: Callable[..., bool], args: tuple, queue: mp.Queue) -> None:
    start = time.perf_counter()
    ok = fn(*args)
    queue.put((time.perf_counter() - start, ok))


def _guarded(fn: Callable[..., bool], args: tuple, queue: mp.Queue) -> None:
    try:
        _child(fn, args, queue)
    except Exception as exc:  # the baseline failing is a result, reported as such
        queue.put((None, f"error: {type(exc).__name__}"))


def run_naive(fn: Callable[..., bool], args: tuple, budget: float) -> tuple[float | None, str]:
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_guarded, args=(fn, args, queue))
    proc.start()
    proc.join(budget)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return budget, "timeout"
    if queue.empty():
        return None, "error"
    seconds, ok = queue.get()
    if isinstance(ok, str):
        return None, ok
    return seconds, "proved" if ok else "not shown"


# -- ours ------------------------------------------------------------------------------------

def run_ours(theorem: str, sizes: dict[str, int] | None) -> tuple[float, str]:
    from derive.engine.decide import decide
    from derive.library.theorems import LIBRARY

    start = time.perf_counter()
    claim = LIBRARY[theorem].symbolic() if sizes is None else LIBRARY[theorem].concrete(sizes)
    verdict = decide(claim)
    seconds = time.perf_counter() - start
    return seconds, verdict.status.value + (f" ({verdict.strategy})" if verdict.strategy else "")


def cold(command: list[str], ok: tuple[int, ...] = (0,)) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} failed with exit status {done.returncode}")
        best = min(best, time.perf_counter() - start)
    return best


def audit_rows() -> list[Row]:
    """A typical post audited from a cold start, and the median step of the corpus in a warm process."""
    import statistics

    import derive.audit.post as post

    corpus = Path(__file__).parent.parent / "tests" / "data" / "corpus"
    typical = corpus / "10_ridge_index.md"
    cold_post = cold([sys.executable, "-m", "derive", "audit", str(typical)], ok=(0, 1))
    times: list[float] = []
    checked = post._checked_step

    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return checked(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            times.append(time.perf_counter() - start)

    posts = sorted(corpus.glob("*.md"))
    for p in posts:  # warm: imports, SymPy's caches of the first post
        post.audit_file(p)
    post._checked_step = timed  # type: ignore[assignment]
    try:
        for p in posts:
            post.audit_file(p)
    finally:
        post._checked_step = checked
    median = statistics.median(times)
    return [Row(f"derive audit of a typical post ({typical.name}), cold", cold_post, "-", None, "-", "≤ 1 s"),
            Row(f"median step of the corpus ({len(times)} steps, {len(posts)} posts), warm", median, "-", None, "-",
                "≤ 0.05 s")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds before a naive job is killed")
    parser.add_argument("--quick", action="store_true", help="skip the largest naive jobs")
    parser.add_argument("--startup", action="store_true", help="only time derive --help and --version")
    parser.add_argument("--audit", action="store_true", help="only the audit rows (a post cold, a step warm)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as a Markdown page with its date "
                        "and machine (e.g. docs/performance/engine.md)")
    args = parser.parse_args()
    title = "Audit timings" if args.audit else "Startup" if args.startup else "The engine against naive SymPy"
    with markdown_report(args.markdown, title, AUDIT_NOTES if args.audit else NOTES):
        _run(args)


NOTES = ("Each row: the job, derive's time, the naive baseline's (SymPy `simplify(diff - claim)`, each in its own "
         "process, killed at `--budget` seconds), their ratio, the target, and both verdicts. \"not shown\": "
         "SymPy returned without an exact zero.")


AUDIT_NOTES = ("The first row: `python -m derive audit` of one post in a fresh process (the interpreter's start, "
               "the imports, reading, deciding every step in a worker process, the report, the exit), best of 3. "
               "The second: the median time of deciding one step of the corpus (tests/data/corpus), in a process "
               "that has audited the corpus once already.")


def _run(args: argparse.Namespace) -> None:
    budget = args.budget
    rows: list[Row] = []
    if args.startup:
        _startup(rows)
        _print(rows)
        return
    if args.audit:
        _print(audit_rows())
        return

    def job(name: str, theorem: str, sizes: dict[str, int] | None, naive: tuple | None, target: str) -> None:
        ours, status = run_ours(theorem, sizes)
        if naive is None:
            rows.append(Row(name, ours, status, None, "-", target))
        else:
            seconds, naive_status = run_naive(naive[0], naive[1], budget)
            rows.append(Row(name, ours, status, seconds, naive_status, target))
        print(f"  done: {name}", file=sys.stderr, flush=True)

    import derive.library.theorems  # noqa: F401 - warm import, so 'ours' is the work alone

    job("∂CE/∂z soft labels, k=50, all components", "cross_entropy_gradient_soft", {"k": 50},
        (naive_cross_entropy, (50,)), "naive: > 60 s")
    job("∂CE/∂z soft labels, k=1000, all components", "cross_entropy_gradient_soft", {"k": 1000},
        None if args.quick else (naive_cross_entropy, (1000,)), "≤ 2 s")
    job("softmax Jacobian k×k, k=50", "softmax_jacobian", {"k": 50}, (naive_jacobian, (50,)), "naive: 26 s")
    job("softmax Jacobian k×k, k=200 (40,000 entries)", "softmax_jacobian", {"k": 200},
        None if args.quick else (naive_jacobian, (200,)), "≤ 5 s")
    job("∂L/∂A and ∂L/∂B at (c,d,p)=(5,4,6)", "two_layer_gradient_A", {"c": 5, "d": 4, "p": 6},
        (naive_two_layer, (5, 4, 6)), "naive: > 60 s")
    ours_b, status_b = run_ours("two_layer_gradient_B", {"c": 10, "d": 8, "p": 12})
    ours_a, status_a = run_ours("two_layer_gradient_A", {"c": 10, "d": 8, "p": 12})
    naive_ab = (None, "-") if args.quick else run_naive(naive_two_layer, (10, 8, 12), budget)
    rows.append(Row("∂L/∂A and ∂L/∂B at (c,d,p)=(10,8,12)", ours_a + ours_b,
                    f"A {status_a}; B {status_b}", naive_ab[0], naive_ab[1], "≤ 1 s"))
    rows[-2].ours = (rows[-2].ours or 0) + run_ours("two_layer_gradient_B", {"c": 5, "d": 4, "p": 6})[0]

    from derive.library.theorems import LIBRARY

    for name in LIBRARY:
        ours, status = run_ours(name, None)
        seconds, naive_status = run_naive(naive_symbolic, (name,), budget)
        target = "≤ 0.3 s" if name.startswith("mlp_") else "≤ 0.1 s"  # the model layer's tanh MLP: 0.3 s
        rows.append(Row(f"{name}, every size (symbolic)", ours, status, seconds, naive_status, target))

    verify = cold([sys.executable, "-m", "derive", "verify", "--json"])
    rows.append(Row("derive verify, whole library + cross-checks, cold process", verify, "proved", None, "-",
                    "≤ 10 s"))
    document = cold([sys.executable, "-m", "derive", "prove", "--all", "--tex", os.devnull])
    rows.append(Row("derive prove --all --tex (22 proofs, every step decided), cold", document, "proved", None, "-",
                    "≤ 5 s"))
    seeds = sorted(str(p) for p in (Path(__file__).parent.parent / "tests" / "data" / "declared").glob("*.md"))
    audited = cold([sys.executable, "-m", "derive", "audit", "--json", *seeds], ok=(0, 1))
    rows.append(Row(f"derive audit of the {len(seeds)} declared seeds, cold", audited, "-", None, "-", "≤ 5 s"))
    imported = cold([sys.executable, "-c", "import derive"])
    rows.append(Row("import derive, cold process", imported, "-", None, "-", "≤ 1 s"))
    rows += audit_rows()
    _startup(rows)
    _print(rows)


def _startup(rows: list[Row]) -> None:
    """The command line's cold start: the engine (SymPy) must not load for --help or --version."""
    for flag in ("--help", "--version"):
        seconds = cold([sys.executable, "-m", "derive", flag])
        rows.append(Row(f"derive {flag}, cold process", seconds, "-", None, "-", "≤ 0.2 s"))


def _print(rows: list[Row]) -> None:
    width = max(len(r.job) for r in rows)
    print(f"{'job':<{width}}  {'ours':>9}  {'naive':>10}  {'ratio':>8}  target     our verdict / naive verdict")
    for r in rows:
        ours = f"{r.ours:.3f} s" if r.ours is not None else "-"
        naive = "-" if r.naive is None else (f">{r.naive:.0f} s" if r.naive_status == "timeout"
                                            else f"{r.naive:.2f} s")
        print(f"{r.job:<{width}}  {ours:>9}  {naive:>10}  {r.ratio():>8}  {r.target:<9}  "
              f"{r.ours_status} / {r.naive_status}")


if __name__ == "__main__":
    main()
