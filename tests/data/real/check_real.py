r"""Independent numeric checks of the keys of the real corpus (numpy central differences, never derive).

Each post ``NN_slug`` has a function here that, given a random generator, returns for every keyed step
``(line, rank)`` the values of its two sides at a random point of the post (the author's meaning: the
case the prose states, one-hot labels where the post says so). :func:`verify` evaluates them at several
points and compares with the key in ``NN_slug.json``: a step keyed true must agree at every point, a
step keyed false must differ clearly at one of them, and every step keyed true or false must be checked.

Run ``python3 tests/data/real/check_real.py`` to verify every post (exit status 1 on a mismatch).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
Sides = dict[tuple[int, int], tuple[object, object]]
CHECKS: dict[str, Callable[[np.random.Generator], Sides]] = {}
H = 1e-5


def check(slug: str) -> Callable[[Callable[[np.random.Generator], Sides]], Callable[[np.random.Generator], Sides]]:
    """Register the numeric check of the post ``slug``."""
    def register(fn: Callable[[np.random.Generator], Sides]) -> Callable[[np.random.Generator], Sides]:
        CHECKS[slug] = fn
        return fn
    return register


# -- numeric helpers ---------------------------------------------------------------------------------

def sigmoid(x: object) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def softmax(v: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def diff(f: Callable[[float], float], x: float) -> float:
    """d f / dx at a scalar x, by a central difference."""
    return (f(x + H) - f(x - H)) / (2 * H)


def grad(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """The gradient of a scalar function of an array, entry by entry, by central differences."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[ix] += H
        down[ix] -= H
        out[ix] = (f(up) - f(down)) / (2 * H)
    return out


def partial(f: Callable[[np.ndarray], float], x: np.ndarray, ix: int | tuple[int, ...]) -> float:
    """∂f/∂x[ix] by a central difference."""
    up, down = np.array(x, dtype=float), np.array(x, dtype=float)
    up[ix] += H
    down[ix] -= H
    return float((f(up) - f(down)) / (2 * H))


def jac(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """J[i, j] = ∂f_i/∂x_j of a vector function, by central differences."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        up, down = x.copy(), x.copy()
        up[j] += H
        down[j] -= H
        cols.append((f(up) - f(down)) / (2 * H))
    return np.stack(cols, axis=-1)


def distinct(rng: np.random.Generator, n: int, k: int = 2) -> list[int]:
    return [int(v) for v in rng.choice(n, size=k, replace=False)]


# -- the posts ---------------------------------------------------------------------------------------

@check("01_softmax_ce_zakariapz")
def _zakariapz(rng: np.random.Generator) -> Sides:
    C = 4
    a = rng.normal(size=C)
    c = int(rng.integers(C))
    y = np.eye(C)[c]
    p, S = softmax(a), np.exp(a).sum()
    # By the first display, L = -sum_j l_j with L = -sum_j y_j log p_j: l_j = y_j log p_j.
    dl = np.array([diff(lambda q, j=j: y[j] * np.log(q), p[j]) for j in range(C)])
    J = jac(softmax, a)  # J[j, i] = dp_j/da_i
    dL = grad(lambda v: -np.sum(y * np.log(softmax(v))), a)
    i = int(rng.integers(C))
    out: Sides = {(15, 0): (dL[i], -sum(dl[j] * J[j, i] for j in range(C)))}
    # The claim is for every j; at j = c, where y_j = 1, the two signs differ.
    minus_l = diff(lambda q: -y[c] * np.log(q), p[c])
    out[(19, 0)] = (dl[c], minus_l)
    out[(19, 1)] = (minus_l, -y[c] / p[c])
    j = int(rng.integers(C))  # case i = j
    as_product = lambda v, j=j: np.exp(v[j]) * np.exp(v).sum() ** -1  # noqa: E731
    d_product = partial(as_product, a, j)
    out[(24, 1)] = (partial(lambda v: np.exp(v[j]) / np.exp(v).sum(), a, j), d_product)
    out[(25, 0)] = (d_product, np.exp(a[j]) * S ** -1 - np.exp(a[j]) * S ** -2 * np.exp(a[j]))
    out[(26, 0)] = (np.exp(a[j]) * S ** -1 - np.exp(a[j]) * S ** -2 * np.exp(a[j]), p[j] - p[j] ** 2)
    out[(27, 0)] = (p[j] - p[j] ** 2, p[j] * (1 - p[j]))
    i, j = distinct(rng, C)  # case i != j
    inv_sum = partial(lambda v: np.exp(v).sum() ** -1, a, i)
    out[(32, 1)] = (partial(lambda v: np.exp(v[j]) / np.exp(v).sum(), a, i), np.exp(a[j]) * inv_sum)
    out[(33, 0)] = (np.exp(a[j]) * inv_sum, -np.exp(a[j]) * S ** -2 * np.exp(a[i]))
    out[(34, 0)] = (-np.exp(a[j]) * S ** -2 * np.exp(a[i]), -p[j] * p[i])
    eye = np.eye(C)
    out[(39, 0)] = (J, p[:, None] * (eye - p[None, :]))  # [j, i]
    chain = J.T @ dl  # sum_j dl_j/dp_j dp_j/da_i, for every i
    substituted = np.array([sum(-y[j] / p[j] * p[j] * (eye[i, j] - p[i]) for j in range(C)) for i in range(C)])
    out[(43, 0)] = (dL, chain)
    out[(43, 1)] = (chain, substituted)
    out[(44, 0)] = (substituted, np.array([sum(y[j] * (p[i] - eye[i, j]) for j in range(C)) for i in range(C)]))
    return out


def _softmax_ce_sides(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Logits o, one-hot labels y, p = softmax(o) and J[i, k] = dp_i/do_k."""
    C = 4
    o = rng.normal(size=C)
    y = np.eye(C)[int(rng.integers(C))]
    return o, y, softmax(o), jac(softmax, o)


@check("02_softmax_ce_sunhaozhe")
def _sunhaozhe(rng: np.random.Generator) -> Sides:
    o, y, p, J = _softmax_ce_sides(rng)
    C = o.size
    E, S = np.exp(o), np.exp(o).sum()
    i, k = distinct(rng, C)
    quotient = lambda i, k: ((i == k) * E[i] * S - E[k] * E[i]) / S ** 2  # noqa: E731
    out: Sides = {}
    kk = int(rng.integers(C))  # case i = k
    out[(12, 0)] = (J[i, k], partial(lambda v: np.exp(v[i]) / np.exp(v).sum(), o, k))
    out[(12, 1)] = (J[i, k], quotient(i, k))
    out[(16, 0)] = (J[kk, kk], (E[kk] * S - E[kk] * E[kk]) / S ** 2)
    out[(16, 1)] = ((E[kk] * S - E[kk] * E[kk]) / S ** 2, E[kk] / S * (S - E[kk]) / S)
    out[(17, 0)] = (E[kk] / S * (S - E[kk]) / S, p[kk] * (1 - p[kk]))
    out[(22, 0)] = (J[i, k], quotient(i, k))
    out[(22, 1)] = (quotient(i, k), -E[k] * E[i] / (S * S))
    out[(23, 0)] = (-E[k] * E[i] / (S * S), -p[k] * p[i])
    L = lambda v: -np.sum(y * np.log(softmax(v)))  # noqa: E731
    dlogp = np.array([[partial(lambda v, i=i: np.log(softmax(v)[i]), o, k) for k in range(C)] for i in range(C)])
    k = int(rng.integers(C))
    out[(28, 0)] = (partial(L, o, k), -np.sum(y * dlogp[:, k]))
    out[(28, 1)] = (-np.sum(y * dlogp[:, k]), -sum(y[i] * diff(np.log, p[i]) * J[i, k] for i in range(C)))
    out[(29, 0)] = (-sum(y[i] * diff(np.log, p[i]) * J[i, k] for i in range(C)), -np.sum(y / p * J[:, k]))
    rest = sum(y[i] * p[k] for i in range(C) if i != k)
    out[(30, 0)] = (-np.sum(y / p * J[:, k]), -y[k] * (1 - p[k]) + rest)
    out[(31, 0)] = (-y[k] * (1 - p[k]) + rest, -y[k] + np.sum(y) * p[k])
    out[(32, 0)] = (-y[k] + np.sum(y) * p[k], p[k] - y[k])
    return out


@check("03_softmax_ce_postnetwork")
def _postnetwork(rng: np.random.Generator) -> Sides:
    z, y, yhat, J = _softmax_ce_sides(rng)
    C = z.size
    L = lambda v: -np.sum(y * np.log(v))  # noqa: E731  (as a function of yhat)
    i, j = distinct(rng, C)
    out: Sides = {(12, 0): (partial(L, yhat, i), -y[i] / yhat[i])}
    out[(29, 0)] = (J[i, i], yhat[i] * (1 - yhat[i]))
    out[(35, 0)] = (J[i, j], -yhat[i] * yhat[j])
    cases = np.where(np.eye(C, dtype=bool), yhat[:, None] * (1 - yhat[:, None]), -yhat[:, None] * yhat[None, :])
    out[(42, 0)] = (J, cases)
    dL_dz = grad(lambda v: -np.sum(y * np.log(softmax(v))), z)
    dL_dyhat = grad(L, yhat)
    out[(51, 0)] = (dL_dz[j], np.sum(dL_dyhat * J[:, j]))
    out[(58, 0)] = (dL_dz[j], -y[j] * (1 - yhat[j]) + sum(y[i] * yhat[j] for i in range(C) if i != j))
    out[(64, 0)] = (dL_dz[j], yhat[j] - y[j])
    return out


def _sigmoid_chain(rng: np.random.Generator) -> tuple[float, Callable[[float], float], float]:
    x = float(rng.normal() * 2)
    s = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    return x, s, float(np.exp(-x))


@check("04_sigmoid_mikelmg")
def _mikelmg(rng: np.random.Generator) -> Sides:
    x, s, e = _sigmoid_chain(rng)
    ds = diff(s, x)
    d_inner = diff(lambda t: 1 + np.exp(-t), x)
    return {
        (13, 0): (ds, s(x) * (1 - s(x))),
        (20, 0): (s(x), 1 / (1 + e)),
        (21, 0): (ds, diff(lambda t: 1 / (1 + np.exp(-t)), x)),
        (21, 1): (ds, diff(lambda t: (1 + np.exp(-t)) ** -1, x)),
        (21, 2): (ds, (-1) * (1 + e) ** -2 * d_inner),
        (22, 0): ((-1) * (1 + e) ** -2 * d_inner, (-1) * (1 + e) ** -2 * (-e)),
        (22, 1): ((-1) * (1 + e) ** -2 * (-e), e / (1 + e) ** 2),
        (23, 0): (e / (1 + e) ** 2, 1 / (1 + e) * e / (1 + e)),
        (23, 1): (1 / (1 + e) * e / (1 + e), s(x) * e / (1 + e)),
        (24, 0): (s(x) * e / (1 + e), s(x) * (1 + e - 1) / (1 + e)),
        (24, 1): (s(x) * (1 + e - 1) / (1 + e), s(x) * ((1 + e) / (1 + e) - 1 / (1 + e))),
        (24, 2): (s(x) * ((1 + e) / (1 + e) - 1 / (1 + e)), s(x) * (1 - s(x))),
    }


@check("05_sigmoid_yoursdata")
def _yoursdata(rng: np.random.Generator) -> Sides:
    x, s, e = _sigmoid_chain(rng)
    ds = diff(s, x)
    return {
        (10, 0): (s(x), (1 + e) ** -1),
        (14, 0): (ds, diff(lambda t: (1 + np.exp(-t)) ** -1, x)),
        (16, 0): (ds, (-1) * (1 + e) ** -2 * diff(lambda t: 1 + np.exp(-t), x)),
        (18, 0): (ds, (-1) * (1 + e) ** -2 * (-1) * e),
        (20, 0): (ds, (1 + e) ** -2 * e),
        (22, 0): (ds, e / (1 + e) ** 2),
        (24, 0): (ds, 1 / (1 + e) * e / (1 + e)),
        (26, 0): (ds, 1 / (1 + e) * (1 + e - 1) / (1 + e)),
        (28, 0): (ds, 1 / (1 + e) * ((1 + e) / (1 + e) - 1 / (1 + e))),
        (30, 0): (ds, 1 / (1 + e) * (1 - 1 / (1 + e))),
        (32, 0): (ds, s(x) * (1 - s(x))),
    }


@check("06_logsumexp_indii")
def _indii(rng: np.random.Generator) -> Sides:
    x = rng.normal(size=5) * 2
    c = float(x.max())
    lse = float(np.log(np.sum(np.exp(x))))
    sm = np.exp(x) / np.sum(np.exp(x))
    return {
        (10, 0): (softmax(x), np.exp(x) / np.sum(np.exp(x))),
        (10, 1): (sm, np.exp(np.log(sm))),
        (11, 0): (np.exp(np.log(sm)), np.exp(x - np.log(np.sum(np.exp(x))))),
        (12, 0): (np.exp(x - np.log(np.sum(np.exp(x)))), np.exp(x - lse)),
        (18, 0): (softmax(x - 0.7), softmax(x)),
        (25, 0): (lse, float(np.log(np.sum(np.exp(x - c))) + c)),
    }


@check("07_logreg_stats258709")
def _stats258709(rng: np.random.Generator) -> Sides:
    N, d = 5, 3
    X = rng.normal(size=(N, d))
    y = rng.integers(0, 2, size=N).astype(float)
    w = rng.normal(size=d)
    s = sigmoid
    nll = lambda v: -np.sum((1 - y) * np.log(1 - s(X @ v)) + y * np.log(s(X @ v)))  # noqa: E731
    t, i = float(rng.normal()), int(rng.integers(N))
    u = s(X @ w)
    term = sum((1 - y[k]) * X[k] * (1 - u[k]) * u[k] / (1 - u[k]) - y[k] * X[k] * (1 - u[k]) * u[k] / u[k]
               for k in range(N))
    return {
        (16, 0): (diff(lambda q: float(s(q)), t), s(t) * (1 - s(t))),
        (16, 1): (grad(lambda v: float(s(v @ X[i])), w), X[i] * (1 - s(w @ X[i])) * s(w @ X[i])),
        (16, 2): (diff(np.log, abs(t) + 0.5), 1 / (abs(t) + 0.5)),
        (20, 0): (grad(nll, w), term),
    }


@check("08_backprop_behnamasadi")
def _behnamasadi(rng: np.random.Generator) -> Sides:
    w, b, a0, y = rng.normal(size=4)
    s = lambda t: float(sigmoid(t))  # noqa: E731  (any differentiable activation; the sigmoid here)
    z = w * a0 + b
    a = s(z)
    cost = lambda w, b, a0: (s(w * a0 + b) - y) ** 2  # noqa: E731
    dC_da, da_dz = 2 * (a - y), diff(s, z)
    dC_dw, dC_db, dC_da0 = (diff(lambda t: cost(t, b, a0), w), diff(lambda t: cost(w, t, a0), b),
                            diff(lambda t: cost(w, b, t), a0))
    return {
        (16, 0): (dC_dw, dC_da * da_dz * diff(lambda t: t * a0 + b, w)),
        (18, 0): (diff(lambda t: (t - y) ** 2, a), 2 * (a - y)),
        (20, 0): (diff(s, z), da_dz),
        (22, 0): (diff(lambda t: t * a0 + b, w), a0),
        (26, 0): (dC_dw, 2 * (a - y) * da_dz * a0),
        (30, 0): (dC_db, dC_da * da_dz * diff(lambda t: w * a0 + t, b)),
        (32, 0): (dC_db, 2 * (a - y) * da_dz * 1),
        (36, 0): (dC_da0, dC_da * da_dz * diff(lambda t: w * t + b, a0)),
        (38, 0): (dC_db, 2 * (a - y) * da_dz * w),
    }


# -- verification ------------------------------------------------------------------------------------

def key(slug: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((HERE / f"{slug}.json").read_text())
    return loaded


def evaluate(slug: str, seeds: range = range(6)) -> dict[tuple[int, int], bool | None]:
    """Each checked step's truth: True if its sides agree at every point, False if they clearly differ at
    one, None if the difference is too small to tell from the differences' error."""
    agree: dict[tuple[int, int], bool] = {}
    differ: dict[tuple[int, int], bool] = {}
    for seed in seeds:
        for where, (lhs, rhs) in CHECKS[slug](np.random.default_rng(seed)).items():
            left, right = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
            gap = float(np.max(np.abs(left - right)))
            scale = 1.0 + float(np.max(np.abs(left)))
            agree[where] = agree.get(where, True) and gap <= 1e-6 * scale
            differ[where] = differ.get(where, False) or gap > 1e-3 * scale
    return {w: True if agree[w] else (False if differ[w] else None) for w in agree}


def verify(slug: str) -> list[str]:
    """Every way the numeric check and the key of ``slug`` disagree (empty when they agree)."""
    found = evaluate(slug)
    problems = []
    steps = key(slug)["steps"]
    assert isinstance(steps, list)
    for step in steps:
        where, truth = (step["line"], step["rank"]), step["true"]
        if truth is None:
            continue
        if where not in found:
            problems.append(f"{slug} {where}: keyed {truth} but not checked numerically")
        elif found[where] is not truth:
            problems.append(f"{slug} {where}: keyed {truth}, numerically {found[where]}: {step['text']}")
    keyed = {(s["line"], s["rank"]) for s in steps}
    problems += [f"{slug} {w}: checked but not keyed" for w in sorted(set(found) - keyed)]
    return problems


def main() -> int:
    posts = sorted(p.stem for p in HERE.glob("[0-9]*.md"))
    problems = [f"{slug}: no numeric check" for slug in posts if slug not in CHECKS]
    for slug in posts:
        if slug in CHECKS:
            problems += verify(slug)
    print("\n".join(problems) or f"{len(posts)} posts: every keyed step agrees with its numeric check")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
