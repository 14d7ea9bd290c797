"""Benchmark: derive against its peers, tensorgrad 0.3 and naive SymPy, on the same claims.

Every job runs in a fresh process and times the work after the imports (building the
functions, differentiating, deciding); each figure is the median of ``--repeats`` runs
(5 by default). tensorgrad runs in its own virtual environment, benchmarks/.venv-tensorgrad
(git-ignored), holding torch==2.13.0 (CPU) and tensorgrad==0.3.0, both pinned so that pip
never pulls a CUDA build; ``--setup`` creates it. Without it the tensorgrad column says so.

    python benchmarks/bench_peers.py --setup     # once: create the tensorgrad environment
    python benchmarks/bench_peers.py             # every-size claims, then the fixed-size families
    python benchmarks/bench_peers.py --repeats 3 --no-families

The claims, every size (symbolic k, or c, d, p):

- softmax Jacobian = diag(ŷ) − ŷŷᵀ;
- ∂CE/∂z = ŷ − y for soft labels (Σy = 1);
- ∂L/∂B = (ŷ − y) hᵀ and ∂L/∂A = Bᵀ(ŷ − y) xᵀ for L = CE(y, softmax(B A x)).

Then tensorgrad's model claims, the matrix-form gradients of three models (every size):
derive finds the form with ``derive.model.gradient`` and proves it; tensorgrad is given the
same form and checks it with ``full_simplify``:

- tanh MLP, L = CE(y, softmax(V tanh(W x))): ∂L/∂W = ((Vᵀ(ŷ − y)) ⊙ (1 − h ⊙ h)) xᵀ;
- ridge, L = ‖Xw − t‖²/(2N) + (λ/2)‖w‖²: ∂L/∂w = Xᵀ(Xw − t)/N + λw;
- logistic regression with ridge, L = mean BCE(t, σ(Xw)) + (λ/2)‖w‖²: ∂L/∂w = Xᵀ(p − t)/N + λw.

In tensorgrad a claim is proved when ``(lhs - rhs).full_simplify()`` is its ``Zero``; naive
SymPy is ``simplify((lhs - rhs).doit()) == 0`` on derive's Sum form (it knows no Σy = 1).
The fixed-size families (derive alone: tensorgrad's sizes are symbols) print a growth
exponent, the slope of log time against log entries (least squares).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from markdown_report import markdown_report  # the sibling module (run as a script)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv-tensorgrad"
TG_PYTHON = VENV / "bin" / "python"
PINS = ("torch==2.13.0", "tensorgrad==0.3.0")

#: The every-size claims: derive's theorem and the label shown.
CLAIMS = {
    "softmax_jacobian": "softmax Jacobian = diag(ŷ) − ŷŷᵀ",
    "cross_entropy_gradient_soft": "∂CE/∂z = ŷ − y, soft labels",
    "two_layer_gradient_B": "∂L/∂B for s = BAx",
    "two_layer_gradient_A": "∂L/∂A for s = BAx",
}

#: tensorgrad's model claims (issue 23): the matrix-form gradient of a model's loss, the form derive
#: must print. derive finds the form and proves it (derive.model.gradient); tensorgrad is given it.
MODEL_CLAIMS = {
    "tanh_mlp_W": ("tanh MLP ∂L/∂W", "∂L/∂W = ((Vᵀ(ŷ - y)) ⊙ (1 - h ⊙ h))xᵀ"),
    "ridge_w": ("ridge ∂L/∂w", "∂L/∂w = Xᵀ(Xw - t)/N + λw"),
    "logistic_w": ("logistic + ridge ∂L/∂w", "∂L/∂w = Xᵀ(p - t)/N + λw"),
}

#: The fixed-size families: theorems decided in one process, the sizes, and the entries.
FAMILIES = {
    "∂CE/∂z soft labels, k = 100…3000": (["cross_entropy_gradient_soft"],
                                          [{"k": k} for k in (100, 300, 1000, 3000)], lambda s: s["k"]),
    "softmax Jacobian k×k, k = 50…400 (k² entries)": (["softmax_jacobian"],
                                                      [{"k": k} for k in (50, 100, 200, 400)],
                                                      lambda s: s["k"] ** 2),
    "∂L/∂B then ∂L/∂A, (c,d,p) = (10,8,12)…(40,32,48)": (
        ["two_layer_gradient_B", "two_layer_gradient_A"],
        [{"c": c, "d": d, "p": p} for c, d, p in ((10, 8, 12), (20, 16, 24), (40, 32, 48))],
        lambda s: s["c"] * s["d"] + s["d"] * s["p"]),
}


# -- the jobs, each run in a child process ------------------------------------------------------

def _job_derive(claims: list[str], sizes: dict[str, int] | None) -> tuple[float, float, str]:
    from derive.engine.decide import decide
    from derive.library.theorems import LIBRARY

    wall, cpu = time.perf_counter(), time.process_time()
    verdicts = []
    for name in claims:
        theorem = LIBRARY[name]
        verdicts.append(decide(theorem.symbolic() if sizes is None else theorem.concrete(sizes)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, "; ".join(v.status.value for v in verdicts)


def _job_derive_model(claims: list[str], sizes: dict[str, int] | None) -> tuple[float, float, str]:
    from derive.model import Matrix, Scalar, Size, Vector, binary_cross_entropy, gradient, l2, mse, sigmoid
    from derive.model.examples import tanh_classifier

    (name,) = claims
    # Every repeat proves: a proof read back from the on-disk cache would time a file read, not a proof.
    os.environ["DERIVE_PROOF_CACHE"] = "off"
    wall, cpu = time.perf_counter(), time.process_time()
    if name == "tanh_mlp_W":
        m = tanh_classifier()
        g = gradient(m.L, m.W, names=m.names)
    else:
        N, p = Size("N"), Size("p")
        X, w, t = Matrix("X", N, p), Vector("w", p), Vector("t", N)
        lam = Scalar("lambda", positive=True)
        if name == "ridge_w":
            g = gradient(mse(X @ w, t) / 2 + l2(w, lam), w, names={})
        else:
            prob = sigmoid(X @ w)
            g = gradient(binary_cross_entropy(t, prob) + l2(w, lam), w, names={"p": prob})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    form = g.text().split("   [")[0]
    status = "proved" if g.proved and form == MODEL_CLAIMS[name][1] else f"not the claim: {form}"
    return wall, cpu, status


def _job_naive(claims: list[str], sizes: dict[str, int] | None) -> tuple[float, float, str]:
    import sympy as sp

    from derive.library.theorems import LIBRARY

    (name,) = claims
    wall, cpu = time.perf_counter(), time.process_time()
    claim = LIBRARY[name].symbolic()
    try:
        ok = sp.simplify((claim.lhs - claim.rhs).doit()) == 0
        status = "proved" if ok else "not proved"
    except Exception as exc:  # SymPy failing is the baseline's result, reported as such
        status = f"error: {type(exc).__name__}"
    return time.perf_counter() - wall, time.process_time() - cpu, status


def _job_tensorgrad(claims: list[str], sizes: dict[str, int] | None) -> tuple[float, float, str]:
    import sympy
    import tensorgrad.functions as F
    from tensorgrad import Delta, Variable
    from tensorgrad.tensor import Zero

    (name,) = claims
    wall, cpu = time.perf_counter(), time.process_time()
    if name in MODEL_CLAIMS:
        lhs, rhs = _tensorgrad_model_claim(name)
    elif name == "softmax_jacobian":
        k = sympy.Symbol("k")
        z = Variable("z", i=k)
        yhat = F.softmax(z, dim="i")
        lhs = yhat.grad(z, {"i": "j"})
        rhs = yhat * Delta(k, "i", "j") - yhat @ yhat.rename(i="j")
    elif name == "cross_entropy_gradient_soft":
        k = sympy.Symbol("k")
        z = Variable("z", i=k)
        y = Variable("y", i=k)
        y = y.with_eq_constraint(F.sum(y, ["i"]), 1)
        lhs = F.cross_entropy(z, y, dim="i").grad(z)
        rhs = F.softmax(z, dim="i") - y
    else:
        c, d, p = sympy.symbols("c d p")
        A = Variable("A", h=d, inp=p)
        B = Variable("B", out=c, h=d)
        x = Variable("x", inp=p)
        y = Variable("y", out=c)
        y = y.with_eq_constraint(F.sum(y, ["out"]), 1)
        h = A @ x
        s = B @ h
        loss = F.cross_entropy(s, y, dim="out")
        error = F.softmax(s, dim="out") - y
        if name == "two_layer_gradient_B":
            lhs, rhs = loss.grad(B), error * h
        else:
            lhs, rhs = loss.grad(A), (B @ error) * x
    proved = isinstance((lhs - rhs).full_simplify(), Zero)
    return time.perf_counter() - wall, time.process_time() - cpu, "proved" if proved else "not proved"


def _tensorgrad_model_claim(name: str) -> tuple[object, object]:
    """The model claims in tensorgrad: named edges for the axes, the same losses and forms as derive's."""
    import sympy
    import tensorgrad.functions as F
    from tensorgrad import Variable

    if name == "tanh_mlp_W":
        c, d, p = sympy.symbols("c d p")
        W, V, x = Variable("W", h=d, inp=p), Variable("V", out=c, h=d), Variable("x", inp=p)
        y = Variable("y", out=c)
        y = y.with_eq_constraint(F.sum(y, ["out"]), 1)
        h = F.tanh(W @ x)
        s = V @ h
        error = F.softmax(s, dim="out") - y
        return F.cross_entropy(s, y, dim="out").grad(W), ((V @ error) * (1 - h * h)) * x
    N, p = sympy.symbols("N p")
    X, w, t, lam = Variable("X", n=N, inp=p), Variable("w", inp=p), Variable("t", n=N), Variable("lam")
    if name == "ridge_w":
        r = X @ w - t
        loss = F.mean(r * r, "n") / 2 + lam * (w @ w) / 2
        return loss.grad(w), F.mean(X * r, "n") + lam * w
    prob = F.sigmoid(X @ w)
    loss = F.mean(-(t * F.log(prob) + (1 - t) * F.log(1 - prob)), "n") + lam * (w @ w) / 2
    return loss.grad(w), F.mean(X * (prob - t), "n") + lam * w


def _child(tool: str, claims: list[str], sizes: dict[str, int] | None) -> None:
    run = {"derive": _job_derive, "derive_model": _job_derive_model, "naive": _job_naive,
           "tensorgrad": _job_tensorgrad}[tool]
    wall, cpu, status = run(claims, sizes)
    print(json.dumps({"wall": wall, "cpu": cpu, "status": status}))


# -- the parent: fresh processes, medians, ratios -------------------------------------------------

@dataclass
class Timing:
    wall: float | None
    cpu: float | None
    status: str

    def show(self) -> str:
        return "-" if self.wall is None or self.cpu is None else f"{self.wall:.3f} s ({self.cpu:.3f})"


def run_job(tool: str, claims: list[str], sizes: dict[str, int] | None, repeats: int,
            timeout: float) -> Timing:
    python = str(TG_PYTHON) if tool == "tensorgrad" else sys.executable
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [python, str(Path(__file__).resolve()), "--job", tool, ",".join(claims), json.dumps(sizes)]
    walls, cpus, status = [], [], ""
    for _ in range(repeats):
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Timing(None, None, f"timeout ({timeout:g} s)")
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return Timing(None, None, f"error: {last[:60]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        walls.append(result["wall"])
        cpus.append(result["cpu"])
        status = result["status"]
    return Timing(statistics.median(walls), statistics.median(cpus), status)


def growth_exponent(entries: list[int], seconds: list[float]) -> float:
    """The least-squares slope of log seconds against log entries."""
    xs, ys = [math.log(e) for e in entries], [math.log(s) for s in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def setup() -> None:
    """Create benchmarks/.venv-tensorgrad: torch (CPU) first, so tensorgrad's dependency is met."""
    if not TG_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    for pin in PINS:
        subprocess.run([str(TG_PYTHON), "-m", "pip", "install", "-q", pin], check=True)
    print(f"tensorgrad environment ready: {VENV}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help="create the tensorgrad environment and exit")
    parser.add_argument("--repeats", type=int, default=5, help="runs per job; the median is shown")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a job is killed")
    parser.add_argument("--no-families", action="store_true", help="skip the fixed-size families")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables as a Markdown page with their "
                        "date and machine (e.g. docs/performance/peers.md)")
    parser.add_argument("--job", nargs=3, metavar=("TOOL", "CLAIMS", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        tool, claims, sizes = args.job
        _child(tool, claims.split(","), json.loads(sizes))
        return
    if args.setup:
        setup()
        return
    if args.repeats < 1:
        parser.error("--repeats must be at least 1, e.g. --repeats 5")

    with markdown_report(args.markdown, "Against tensorgrad and naive SymPy"):
        _run(args)


def _run(args: argparse.Namespace) -> None:
    have_tg = TG_PYTHON.exists()
    print(f"every-size claims: medians of {args.repeats} fresh processes, seconds of work after imports "
          "(wall, CPU in brackets; ratios of wall, of CPU in brackets)")
    header = f"{'claim, every size':<36}  {'derive':>16}  {'tensorgrad':>16}  {'naive':>16}  {'tg/derive':>12}  " \
             f"{'naive/derive':>14}  verdicts: derive / tensorgrad / naive"
    print(header)
    for name, label in CLAIMS.items():
        ours = run_job("derive", [name], None, args.repeats, args.timeout)
        peer = run_job("tensorgrad", [name], None, args.repeats, args.timeout) if have_tg else \
            Timing(None, None, "no venv: run --setup")
        naive = run_job("naive", [name], None, args.repeats, args.timeout)

        def ratio(other: Timing, ours: Timing = ours) -> str:
            if other.wall is None or ours.wall is None or other.cpu is None or ours.cpu is None:
                return "-"
            return f"{other.wall / ours.wall:.1f}x ({other.cpu / ours.cpu:.1f}x)"

        print(f"{label:<36}  {ours.show():>16}  {peer.show():>16}  {naive.show():>16}  {ratio(peer):>12}  "
              f"{ratio(naive):>14}  {ours.status} / {peer.status} / {naive.status}", flush=True)
    print()
    _run_models(args, have_tg)
    if args.no_families:
        return
    print()
    print(f"fixed sizes, derive: medians of {args.repeats} fresh processes (wall; CPU in brackets)")
    for label, (claims, sizes_list, count) in FAMILIES.items():
        entries, walls, cpus, cells = [], [], [], []
        for sizes in sizes_list:
            timing = run_job("derive", claims, sizes, args.repeats, args.timeout)
            shown = ",".join(str(v) for v in sizes.values())
            if timing.wall is None or timing.cpu is None:
                cells.append(f"{shown}: {timing.status}")
                continue
            entries.append(count(sizes))
            walls.append(timing.wall)
            cpus.append(timing.cpu)
            cells.append(f"{shown}: {timing.wall:.3f} s ({timing.cpu:.3f}) {timing.status}")
        exponent = "-" if len(entries) < 2 else \
            f"entries^{growth_exponent(entries, walls):.2f} (CPU: ^{growth_exponent(entries, cpus):.2f})"
        if len(entries) >= 2 and "k²" in label:
            # The Jacobian is decided in its rank-one form, so say how it grows with k too.
            ks = [round(math.sqrt(e)) for e in entries]
            exponent += f"; k^{growth_exponent(ks, walls):.2f} (CPU: ^{growth_exponent(ks, cpus):.2f})"
        print(f"{label}: {exponent}")
        for cell in cells:
            print(f"    {cell}")


def _run_models(args: argparse.Namespace, have_tg: bool) -> None:
    """tensorgrad's model claims: derive finds and proves the matrix form, tensorgrad checks the form given."""
    print(f"model gradients, every size: derive finds the matrix form and proves it, tensorgrad is given it; "
          f"medians of {args.repeats} fresh processes")
    print(f"{'claim, every size':<36}  {'derive':>16}  {'tensorgrad':>16}  {'tg/derive':>12}  "
          "verdicts: derive / tensorgrad   (the form)")
    for name, (label, form) in MODEL_CLAIMS.items():
        ours = run_job("derive_model", [name], None, args.repeats, args.timeout)
        peer = run_job("tensorgrad", [name], None, args.repeats, args.timeout) if have_tg else \
            Timing(None, None, "no venv: run --setup")
        if peer.status == "not proved":
            peer = Timing(peer.wall, peer.cpu, "not proved (full_simplify does not reach Zero)")
        ratio = "-" if None in (ours.wall, peer.wall, ours.cpu, peer.cpu) else \
            f"{peer.wall / ours.wall:.1f}x ({peer.cpu / ours.cpu:.1f}x)"  # type: ignore[operator]
        print(f"{label:<36}  {ours.show():>16}  {peer.show():>16}  {ratio:>12}  {ours.status} / {peer.status}"
              f"   ({form.split(' = ')[1]})", flush=True)


if __name__ == "__main__":
    main()
