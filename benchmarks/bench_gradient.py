"""Benchmark: assert_gradient at real sizes against the same check done with torch.autograd and jax.grad.

    python benchmarks/bench_gradient.py [--markdown]

For each model: derive's check of a correct numpy backward pass (first run, which proves the
gradient in matrix form; a new process's first run, which reads the proof back from the on-disk
proof cache, see derive/model/proof_cache.py; then a warm run, which reuses it), the same check with
torch.autograd as the reference (same points, same comparison), the same with jax.grad jitted
(its build included, if jax is installed), the ratios, and whether each planted bug fails.
Points: ``samples`` per check. Targets (issue 23): warm ≤ 1 s, first ≤ 3× the jax comparison's
time including its build; torch, which builds nothing, is printed beside it. A wrong backward pass
is planted for each model and must fail.
"""

from __future__ import annotations

import os

# One BLAS thread for both sides: on a shared machine, idle BLAS threads spinning for cores turn a
# 128 × 64 matmul into a tenth of a second, for numpy and torch alike.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import numpy.random  # noqa: E402  (numpy loads it lazily; both checks draw with it, so neither pays the import)

from derive.engine.space import Role  # noqa: E402
from derive.model import Labels, Matrix, Scalar, Size, Vector, cross_entropy, relu, softmax, sqrt  # noqa: E402
from derive.model import batch_norm as batch_norm_block  # noqa: E402
from derive.model import layer_norm as layer_norm_block  # noqa: E402
from derive.model.matrix_gradient import gradient  # noqa: E402
from derive.testing import assert_gradient  # noqa: E402

SAMPLES = 6


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- the models ---------------------------------------------------------------------------------

def relu_mlp() -> dict[str, Any]:
    """Two layers with biases on a batch: Z1 = X W1 + b1, H = relu(Z1), Ŷ = softmax(H W2 + b2), mean CE."""
    N, p, d, c = Size("N"), Size("p"), Size("d"), Size("c")
    X, W1, b1 = Matrix("X", N, p, role=Role.INPUTS), Matrix("W1", p, d), Vector("b1", d)
    W2, b2 = Matrix("W2", d, c), Vector("b2", c)
    Y = Labels("Y", c, soft=True, batch=N)
    L = cross_entropy(Y, softmax(relu(X @ W1 + b1) @ W2 + b2))

    def backward(X, Y, W1, b1, W2, b2, bug=""):  # type: ignore[no-untyped-def]
        Z1 = X @ W1 + b1
        H = np.maximum(Z1, 0)
        G = (_softmax(H @ W2 + b2) - (0 if bug == "dropped term" else Y)) / len(X)
        back = G @ W2.T
        G1 = back if bug == "missing mask" else back * (Z1 > 0)
        dW2 = (G.T @ H).reshape(W2.shape) if bug == "missing transpose" else H.T @ G
        return X.T @ G1, G1.sum(axis=0), dW2, G.sum(axis=0)

    def torch_loss(torch, X, Y, W1, b1, W2, b2):  # type: ignore[no-untyped-def]
        return -(Y * torch.log_softmax(torch.relu(X @ W1 + b1) @ W2 + b2, dim=1)).sum(dim=1).mean()

    def jax_loss(jax, X, Y, W1, b1, W2, b2):  # type: ignore[no-untyped-def]
        return -(Y * jax.nn.log_softmax(jax.nn.relu(X @ W1 + b1) @ W2 + b2, axis=1)).sum(axis=1).mean()

    return {"name": "ReLU MLP with biases (p, d, c) = (512, 256, 10), batch N = 64", "loss": L,
            "wrt": [W1, b1, W2, b2], "args": [X, Y, W1, b1, W2, b2],
            "sizes": {"N": 64, "p": 512, "d": 256, "c": 10}, "backward": backward, "torch_loss": torch_loss,
            "jax_loss": jax_loss, "bugs": ("missing mask", "missing transpose", "dropped term")}


def layer_norm() -> dict[str, Any]:
    """Layer norm y = γ ⊙ (x - μ)/√(σ² + ε) + β with an upstream gradient u, by x, at n = 1024."""
    n = Size("n")
    x, u, gamma, beta = Vector("x", n), Vector("u", n), Vector("gamma", n), Vector("beta", n)
    eps = Scalar("epsilon", positive=True)
    L = (u * layer_norm_block(x, gamma, beta, eps)).sum()  # the library's block, as a user calls it

    def backward(x, u, gamma, beta, epsilon, bug=""):  # type: ignore[no-untyped-def]
        def mean(v):  # type: ignore[no-untyped-def]
            return v.sum() / 2 if bug == "hard-coded /2" else v.mean()  # /2: the mean only at n = 2
        sigma = np.sqrt(((x - x.mean()) ** 2).mean() + epsilon)
        xhat = (x - x.mean()) / sigma
        g = u * gamma
        return (g - mean(g) - xhat * mean(g * xhat)) / sigma

    def torch_loss(torch, x, u, gamma, beta, epsilon):  # type: ignore[no-untyped-def]
        c = x - x.mean()
        return (u * (gamma * c / torch.sqrt((c * c).mean() + epsilon) + beta)).sum()

    def jax_loss(jax, x, u, gamma, beta, epsilon):  # type: ignore[no-untyped-def]
        c = x - x.mean()
        return (u * (gamma * c / jax.numpy.sqrt((c * c).mean() + epsilon) + beta)).sum()

    return {"name": "layer norm at n = 1024, by x", "loss": L, "wrt": [x], "args": [x, u, gamma, beta, eps],
            "sizes": {"n": 1024}, "backward": backward, "torch_loss": torch_loss, "jax_loss": jax_loss,
            "bugs": ("hard-coded /2",)}


def batch_norm() -> dict[str, Any]:
    """Batch norm Y = γ ⊙ (X - μ)/√(σ² + ε) + β, each feature over the batch, with an upstream gradient U, by X,
    γ and β, at (N, d) = (64, 256)."""
    N, d = Size("N"), Size("d")
    X, U, gamma, beta = Matrix("X", N, d), Matrix("U", N, d), Vector("gamma", d), Vector("beta", d)
    L = (U * batch_norm_block(X, gamma, beta)).sum()  # the library's block, ε = 1e-5 as in PyTorch

    def backward(X, U, gamma, beta, bug=""):  # type: ignore[no-untyped-def]
        axis = 1 if bug == "mean over the features" else 0  # the batch's axis is 0: a row is one sample
        sigma = np.sqrt(X.var(axis=0) + 1e-5)
        xhat = (X - X.mean(axis=0)) / sigma
        g = U * gamma
        dX = (g - g.mean(axis=axis, keepdims=True) - xhat * (g * xhat).mean(axis=axis, keepdims=True)) / sigma
        return dX, (U * xhat).sum(axis=0), U.sum(axis=0)

    def torch_loss(torch, X, U, gamma, beta):  # type: ignore[no-untyped-def]
        c = X - X.mean(dim=0)
        return (U * (gamma * c / torch.sqrt((c * c).mean(dim=0) + 1e-5) + beta)).sum()

    def jax_loss(jax, X, U, gamma, beta):  # type: ignore[no-untyped-def]
        c = X - X.mean(axis=0)
        return (U * (gamma * c / jax.numpy.sqrt((c * c).mean(axis=0) + 1e-5) + beta)).sum()

    return {"name": "batch norm at (N, d) = (64, 256), by X, γ, β", "loss": L, "wrt": [X, gamma, beta],
            "args": [X, U, gamma, beta], "sizes": {"N": 64, "d": 256}, "backward": backward,
            "torch_loss": torch_loss, "jax_loss": jax_loss, "bugs": ("mean over the features",)}


def attention() -> dict[str, Any]:
    """Attention O = softmax(QKᵀ/√d) V with an upstream gradient G, by Q, K and V, at (T, d) = (128, 64)."""
    T, d = Size("T"), Size("d")
    Q, K, V, G = Matrix("Q", T, d), Matrix("K", T, d), Matrix("V", T, d), Matrix("G", T, d)
    L = (G * (softmax(Q @ K.T / sqrt(d)) @ V)).sum()

    def backward(Q, K, V, G, bug=""):  # type: ignore[no-untyped-def]
        scale = 1 / np.sqrt(Q.shape[1])
        A = _softmax(Q @ K.T * scale)
        dA = G @ V.T
        dS = A * (dA - (A * dA).sum(axis=1, keepdims=True)) * scale
        return dS @ K, dS.T @ Q, (A @ G if bug == "missing transpose" else A.T @ G)

    def torch_loss(torch, Q, K, V, G):  # type: ignore[no-untyped-def]
        return (G * (torch.softmax(Q @ K.T / Q.shape[1] ** 0.5, dim=-1) @ V)).sum()

    def jax_loss(jax, Q, K, V, G):  # type: ignore[no-untyped-def]
        return (G * (jax.nn.softmax(Q @ K.T / Q.shape[1] ** 0.5, axis=-1) @ V)).sum()

    return {"name": "attention at (T, d) = (128, 64), by Q, K, V", "loss": L, "wrt": [Q, K, V],
            "args": [Q, K, V, G], "sizes": {"T": 128, "d": 64}, "backward": backward, "torch_loss": torch_loss,
            "jax_loss": jax_loss, "bugs": ("missing transpose",)}


# -- the two checks -----------------------------------------------------------------------------

#: CPU seconds (every thread of this process) of the last check each side ran: the load of a shared
#: machine stretches wall time, not CPU time.
CPU: dict[str, float] = {}


def derive_check(model: dict[str, Any], fn: Callable[..., Any]) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    assert_gradient(fn, model["loss"], wrt=model["wrt"], args=model["args"], sizes=model["sizes"],
                    samples=SAMPLES, timeout=600)
    CPU["derive"] = time.process_time() - cpu
    return time.perf_counter() - start


def _draw(model: dict[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One point for the reference checks: the same kinds of values derive draws (labels that sum to 1)."""
    values = {}
    for a in model["args"]:
        decl = next(iter(a.declarations))
        shape = tuple(model["sizes"][s.name] for s in decl.shape)
        if decl.kind == "scalar":
            values[decl.name] = np.array(rng.uniform(0.5, 2.0))
        elif decl.kind == "labels":
            w = rng.uniform(0.05, 1.0, shape)
            values[decl.name] = w / w.sum(axis=-1, keepdims=True)
        else:
            values[decl.name] = rng.normal(size=shape)
    return values


def _compare(model: dict[str, Any], fn: Callable[..., Any], values: dict[str, np.ndarray],
             exact: dict[str, np.ndarray], side: str) -> None:
    mine = fn(*values.values())
    mine = mine if len(model["wrt"]) > 1 else (mine,)
    for (name, want), got in zip(exact.items(), mine, strict=True):
        if not np.allclose(got, want, rtol=1e-6, atol=1e-9):
            raise AssertionError(f"{side} check: dL/d{name} differs")


def _wrt_names(model: dict[str, Any]) -> list[str]:
    return [next(iter(w.declarations)).name for w in model["wrt"]]


def torch_check(model: dict[str, Any], fn: Callable[..., Any]) -> float:
    """The same check with torch.autograd as the reference: same kind of points, same tolerance."""
    import torch

    torch.set_num_threads(1)
    start, cpu = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(0)
    wrt_names = _wrt_names(model)
    for _ in range(SAMPLES):
        values = _draw(model, rng)
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in wrt_names) for k, v in values.items()}
        model["torch_loss"](torch, *tensors.values()).backward()
        _compare(model, fn, values, {name: tensors[name].grad.numpy() for name in wrt_names}, "torch")
    CPU["torch"] = time.process_time() - cpu
    return time.perf_counter() - start


def jax_check(model: dict[str, Any], fn: Callable[..., Any]) -> float | None:
    """The same check with jax.grad as the reference, jitted, its build (tracing and XLA's compile) included:
    the comparison the issue names. None without jax (it is optional: pip install jax)."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    start, cpu = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(0)
    wrt_names = _wrt_names(model)
    names = [next(iter(a.declarations)).name for a in model["args"]]
    grad = jax.jit(jax.grad(lambda *a: model["jax_loss"](jax, *a), argnums=[names.index(n) for n in wrt_names]))
    for _ in range(SAMPLES):
        values = _draw(model, rng)
        found = grad(*values.values())
        _compare(model, fn, values, {n: np.asarray(g) for n, g in zip(wrt_names, found, strict=True)}, "jax")
    CPU["jax"] = time.process_time() - cpu
    return time.perf_counter() - start


def run(model: dict[str, Any], cache: str) -> dict[str, Any]:
    print(f"\n{model['name']}")
    correct = model["backward"]
    os.environ["DERIVE_PROOF_CACHE"] = cache  # empty: nothing proved before this run
    first = derive_check(model, correct)  # cold: the proofs are made here
    first_cpu = CPU["derive"]
    warm = derive_check(model, correct)
    recalled = _first_in_new_process(model["builder"], cache)  # a new process: the proofs read back from disk
    for g in (gradient(model["loss"], w, names={}) for w in model["wrt"]):
        print(f"  {g.text().splitlines()[0][:110]}")
    torch_seconds = torch_check(model, correct)
    torch_cpu = CPU["torch"]
    jax_seconds = jax_check(model, correct)
    against_jax = "jax not installed" if jax_seconds is None else \
        ("met" if first <= 3 * jax_seconds else "MISSED")
    if jax_seconds is not None:
        print(f"  jax.grad, jitted, build included {jax_seconds:.3f} s: derive first / jax "
              f"{first / jax_seconds:.1f}x")
    print(f"  CPU: derive first {first_cpu:.3f} s, torch {torch_cpu:.3f} s, ratio {first_cpu / torch_cpu:.1f}x")
    print(f"  derive first {first:.3f} s (proof included), first in a new process {recalled:.3f} s (proof recalled "
          f"from disk), warm {warm:.3f} s; torch.autograd {torch_seconds:.3f} s")
    print(f"  ratios to torch: first {first / torch_seconds:.1f}x, new process {recalled / torch_seconds:.1f}x, "
          f"warm {warm / torch_seconds:.1f}x")
    print(f"  targets: warm <= 1 s {'met' if warm <= 1 else 'MISSED'}; first <= 3x jax (build included) "
          f"{against_jax}")
    caught = []
    for bug in model["bugs"]:
        try:
            derive_check(model, lambda *a, bug=bug: correct(*a, bug=bug))
        except AssertionError:
            print(f"  planted bug '{bug}': fails, as it must")
            caught.append(f"{bug}: fails")
        else:
            print(f"  planted bug '{bug}': PASSED (not caught)")
            caught.append(f"{bug}: NOT CAUGHT")
    return {"name": model["name"], "first_cpu": first_cpu, "torch_cpu": torch_cpu,
            "first": first, "recalled": recalled, "warm": warm, "torch": torch_seconds, "jax": jax_seconds,
            "bugs": ", ".join(caught)}


def _first_in_new_process(builder: str, cache: str) -> float:
    """The first check of a fresh process whose proofs are on disk (the test run after the first)."""
    import subprocess
    import sys

    env = {**os.environ, "DERIVE_PROOF_CACHE": cache}
    out = subprocess.run([sys.executable, __file__, "--first-only", builder], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


MODELS = {"relu_mlp": relu_mlp, "layer_norm": layer_norm, "batch_norm": batch_norm, "attention": attention}


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--first-only", metavar="MODEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_only:  # the child of _first_in_new_process
        model = MODELS[args.first_only]()
        print(f"{derive_check(model, model['backward']):.6f}")
        return
    rows = []
    for name, build in MODELS.items():
        with tempfile.TemporaryDirectory(prefix="derive-proofs-") as cache:
            model = build()
            model["builder"] = name
            rows.append(run(model, cache))
    if args.markdown:
        print("\n| model | derive, first (proof made) | derive, first in a new process (proof recalled) | "
              "derive, warm | torch.autograd | jax.grad, build included | first / jax | first / torch | "
              "new process / torch | first / torch, CPU | planted bugs |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            jax = (f"{r['jax']:.3f} s | {r['first'] / r['jax']:.1f}×" if r["jax"] is not None else "not installed | –")
            print(f"| {r['name']} | {r['first']:.2f} s | {r['recalled']:.3f} s | {r['warm']:.3f} s | "
                  f"{r['torch']:.3f} s | {jax} | {r['first'] / r['torch']:.1f}× | {r['recalled'] / r['torch']:.1f}× | "
                  f"{r['first_cpu']:.2f} s / {r['torch_cpu']:.3f} s = {r['first_cpu'] / r['torch_cpu']:.1f}× | "
                  f"{r['bugs']} |")


if __name__ == "__main__":
    main()
