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
def _sunhaozhe(rng: np.random.Generator, *, planted: bool = False) -> Sides:
    """Post 02, or (``planted``) its copy 26 whose lines 18 and 33 carry a planted error."""
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
    out[(17, 0)] = (E[kk] / S * (S - E[kk]) / S, p[kk] * (1 + p[kk]) if planted else p[kk] * (1 - p[kk]))
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
    out[(32, 0)] = (-y[k] + np.sum(y) * p[k], y[k] - p[k] if planted else p[k] - y[k])
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


@check("09_binary_ce_stats370723")
def _stats370723(rng: np.random.Generator) -> Sides:
    n = 4
    o = rng.uniform(0.05, 0.95, size=n)
    t = rng.uniform(0, 1, size=n)
    E = lambda v: -np.sum(t * np.log(v) + (1 - t) * np.log(1 - v))  # noqa: E731
    inner = lambda v: np.sum(t * np.log(v) + (1 - t) * np.log(1 - v))  # noqa: E731
    j = int(rng.integers(n))
    dE = partial(E, o, j)
    only_j = partial(lambda v: t[j] * np.log(v[j]) + (1 - t[j]) * np.log(1 - v[j]), o, j)
    return {
        (6, 0): (dE, t[j] / o[j] + (1 - t[j]) / (1 - o[j])),
        (10, 0): (dE, -t[j] / o[j] + (1 - t[j]) / (1 - o[j])),
        (12, 0): (dE, -t[j] / o[j] - (1 - t[j]) / (1 - o[j])),
        (16, 1): (dE, -partial(inner, o, j)),
        (17, 0): (-partial(inner, o, j), -only_j),
        (18, 0): (-only_j, -(t[j] / o[j] - (1 - t[j]) / (1 - o[j]))),
        (19, 0): (-(t[j] / o[j] - (1 - t[j]) / (1 - o[j])), -t[j] / o[j] + (1 - t[j]) / (1 - o[j])),
    }


@check("10_tanh_deeplearningai")
def _deeplearningai(rng: np.random.Generator) -> Sides:
    x = float(rng.normal())
    u, v = np.exp(x), np.exp(-x)
    dy = diff(np.tanh, x)
    du, dv = diff(np.exp, x), diff(lambda t: np.exp(-t), x)
    return {
        (6, 0): (np.tanh(x), (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))),
        (10, 0): (np.tanh(x), (u - v) / (u + v)),
        (14, 0): (np.tanh(x), (u - v) / (u + v)),
        (18, 0): (dy, (v * du - u * dv) / (v + u) ** 2),
        (20, 0): (du, np.exp(x)),
        (20, 1): (dv, -np.exp(-x)),
        (22, 0): (dy, (np.exp(-x) * np.exp(x) - np.exp(x) * (-np.exp(-x))) / (np.exp(-x) + np.exp(x)) ** 2),
        (24, 0): (dy, (np.exp(x - x) + np.exp(x - x)) / (u + v) ** 2),
        (26, 0): (np.exp(0.0), 1.0),
        (28, 0): (dy, (1 + 1) / (u + v) ** 2),
        (30, 0): (dy, 2 / (u + v) ** 2),
        (32, 0): (u + v, 2 * np.cosh(x)),
        (34, 0): (dy, 2 / (2 * np.cosh(x)) ** 2),
        (36, 0): (dy, 1 / np.cosh(x) ** 2),
        (38, 0): (dy, (1 / np.cosh(x)) ** 2),
    }


@check("11_tanh_specialfunctionswiki")
def _specialfunctionswiki(rng: np.random.Generator) -> Sides:
    z = float(rng.normal())
    dt = diff(np.tanh, z)
    sech2 = (1 / np.cosh(z)) ** 2
    return {
        (6, 0): (dt, sech2),
        (10, 0): (np.tanh(z), np.sinh(z) / np.cosh(z)),
        (14, 0): (dt, diff(lambda t: np.sinh(t) / np.cosh(t), z)),
        (14, 1): (dt, (np.cosh(z) ** 2 - np.sinh(z) ** 2) / np.cosh(z) ** 2),
        (15, 0): ((np.cosh(z) ** 2 - np.sinh(z) ** 2) / np.cosh(z) ** 2, 1 / np.cosh(z) ** 2),
        (16, 0): (1 / np.cosh(z) ** 2, sech2),
    }


@check("12_tanh_emathzone")
def _emathzone(rng: np.random.Generator) -> Sides:
    x = float(rng.normal())
    p, m = np.exp(x) + np.exp(-x), np.exp(x) - np.exp(-x)
    dt = diff(np.tanh, x)
    dm = diff(lambda t: np.exp(t) - np.exp(-t), x)
    return {
        (10, 0): (np.tanh(x), m / p),
        (14, 0): (dt, diff(lambda t: (np.exp(t) - np.exp(-t)) / (np.exp(t) + np.exp(-t)), x)),
        (18, 0): (dt, (p * dm - p * dm) / p ** 2),
        (22, 0): (dt, (p * p - p * p) / p ** 2),
        (23, 0): (dt, (p ** 2 - p ** 2) / p ** 2),
        (24, 0): (dt, ((np.exp(2 * x) + np.exp(-2 * x) + 2 * np.exp(x) * np.exp(-x))
                       - (np.exp(2 * x) + np.exp(-2 * x) - 2 * np.exp(x) * np.exp(-x))) / p ** 2),
    }


@check("13_linreg_mlcourse")
def _mlcourse(rng: np.random.Generator) -> Sides:
    n, d = 5, 3
    x, a, yv = rng.normal(size=d), rng.normal(size=d), rng.normal(size=d)
    A = rng.normal(size=(d, d)) + 3 * np.eye(d)
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    # A(s) = A0 + s B, a matrix depending on the scalar s (one entry of X in the cheat sheet's last row).
    B = rng.normal(size=(d, d))
    inv = lambda s: np.linalg.inv(A + s * B)  # noqa: E731
    d_inv = (inv(H) - inv(-H)) / (2 * H)
    loss = lambda v: np.sum((y - X @ v) ** 2) / (2 * n)  # noqa: E731
    expanded = lambda v: (y @ y - 2 * y @ X @ v + v @ X.T @ X @ v) / (2 * n)  # noqa: E731
    return {
        (7, 0): (grad(lambda v: v @ a, x), a),
        (8, 0): (grad(lambda v: v @ A @ v, x), (A + A.T) @ x),
        (9, 0): (grad(lambda M: x @ M @ yv, A), np.full((d, d), x @ yv)),
        (10, 0): (d_inv, -inv(0.0) @ B @ inv(0.0)),
        (15, 0): (grad(loss, w), grad(expanded, w)),
        (15, 1): (grad(expanded, w), (-2 * X.T @ y + 2 * X.T @ X @ w) / (2 * n)),
    }


@check("14_linreg_weirme")
def _weirme(rng: np.random.Generator) -> Sides:
    N, p = 6, 3
    X, y, w = rng.normal(size=(N, p)), rng.normal(size=N), rng.normal(size=p)
    stacked = np.array([X[k] @ w - y[k] for k in range(N)])
    return {
        (6, 1): (np.sum((X @ w - y) ** 2) / N, np.sum(stacked ** 2) / N),
        (7, 0): (np.sum(stacked ** 2) / N, np.linalg.norm(X @ w - y) ** 2 / N),
    }


@check("15_ridge_onenoughtone")
def _onenoughtone(rng: np.random.Generator, *, planted: bool = False) -> Sides:
    """Post 15, or (``planted``) its copy 27 whose lines 14 and 18 carry a planted error."""
    n, p = 6, 3
    X, y, b, lam = rng.normal(size=(n, p)), rng.normal(size=n), rng.normal(size=p), float(rng.uniform(0.1, 2))
    J = lambda v: np.sum((y - X @ v) ** 2) + lam * np.sum(v ** 2)  # noqa: E731
    quadratic = (y - X @ b) @ (y - X @ b) + lam * b @ b
    return {
        (10, 0): (J(b), quadratic),
        (14, 0): (quadratic, y @ y + (2 if planted else -2) * y @ X @ b + b @ X.T @ X @ b + lam * b @ b),
        (18, 0): (grad(J, b), -2 * X.T @ y + 2 * X.T @ X @ b + (1 if planted else 2) * lam * b),
    }


@check("16_backprop_compphysics")
def _compphysics(rng: np.random.Generator) -> Sides:
    n, m = 3, 4  # outputs, previous layer
    W, bias, a_prev, t = rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m), rng.normal(size=n)
    act = lambda M: sigmoid(M @ a_prev + bias)  # noqa: E731
    cost = lambda M: 0.5 * np.sum((act(M) - t) ** 2)  # noqa: E731
    a = act(W)
    j, k = int(rng.integers(n)), int(rng.integers(m))
    da = partial(lambda M: act(M)[j], W, (j, k))
    dz = partial(lambda M: (M @ a_prev + bias)[j], W, (j, k))
    return {
        (6, 1): (0.5 * np.sum((a - t) ** 2), 0.5 * np.sum((a - t) ** 2)),
        (10, 0): (partial(cost, W, (j, k)), (a[j] - t[j]) * da),
        (14, 0): (da, diff(lambda u: float(sigmoid(u)), (W @ a_prev + bias)[j]) * dz),
        (14, 1): (diff(lambda u: float(sigmoid(u)), (W @ a_prev + bias)[j]) * dz, a[j] * (1 - a[j]) * a_prev[k]),
    }


def _attention(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Q, K, V, the forward pass and a smooth loss of the output with its gradients by numerics."""
    T, d, e = 3, 2, 2
    Q, K, V = rng.normal(size=(T, d)), rng.normal(size=(T, d)), rng.normal(size=(T, e))
    C = rng.normal(size=(T, e))
    loss_O = lambda out: float(np.sum(C * out) + 0.5 * np.sum(out ** 2))  # noqa: E731
    S = Q @ K.T / np.sqrt(d)
    A = softmax(S, axis=1)
    output = A @ V
    return {"Q": Q, "K": K, "V": V, "S": S, "A": A, "O": output, "d": np.array(d),
            "dO": grad(loss_O, output), "dV": grad(lambda v: loss_O(A @ v), V), "dA": grad(lambda a: loss_O(a @ V), A),
            "dS": grad(lambda s: loss_O(softmax(s, axis=1) @ V), S)}


@check("17_attention_planckeon")
def _planckeon(rng: np.random.Generator) -> Sides:
    g = _attention(rng)
    A, V, dO, S, K, d = g["A"], g["V"], g["dO"], g["S"], g["K"], float(g["d"])
    T, e = V.shape
    eye_T, eye_e = np.eye(T), np.eye(e)
    # dO^{ib}/dV^{mn} as an array [i, b, m, n], by numerics and by the right sides (sums over repeated indices).
    dO_dV = np.stack([np.stack([grad(lambda v, i=i, b=b: (A @ v)[i, b], V) for b in range(e)]) for i in range(T)])
    dO_dA = np.stack([np.stack([grad(lambda a, i=i, b=b: (a @ V)[i, b], A) for b in range(e)]) for i in range(T)])
    dA_dS = np.stack([np.stack([grad(lambda s, i=i, j=j: softmax(s, axis=1)[i, j], S) for j in range(T)])
                      for i in range(T)])
    dS_dQ = np.stack([np.stack([grad(lambda q, i=i, j=j: (q @ K.T)[i, j] / np.sqrt(d), g["Q"]) for j in range(T)])
                      for i in range(T)])
    chain = lambda x_grad_y, dy_dx: np.einsum("i,ij->j", x_grad_y, dy_dx)  # noqa: E731
    y_vec = rng.normal(size=3)
    jacobian = rng.normal(size=(3, 4))
    dq = np.eye(g["Q"].shape[1])
    return {
        (6, 0): (grad(lambda x: float(np.sum(np.sin(jacobian @ x + y_vec))), np.zeros(4)),
                 chain(np.cos(y_vec), jacobian)),
        (14, 0): (dO_dV, np.einsum("ij,jm,bn->ibmn", A, eye_T, eye_e)),
        (14, 1): (np.einsum("ij,jm,bn->ibmn", A, eye_T, eye_e), np.einsum("im,bn->ibmn", A, eye_e)),
        (16, 0): (g["dV"], np.einsum("ib,im,bn->mn", dO, A, eye_e)),
        (16, 1): (np.einsum("ib,im,bn->mn", dO, A, eye_e), np.einsum("im,in->mn", A, dO)),
        (18, 0): (g["dV"], A.T @ dO),
        (20, 0): (dO_dA, np.einsum("im,nb->ibmn", eye_T, V)),
        (22, 0): (g["dA"], np.einsum("mb,nb->mn", dO, V)),
        (24, 0): (g["dA"], dO @ V.T),
        (26, 0): (dA_dS, np.einsum("im,ij,ijn->ijmn", eye_T, A, eye_T[None, :, :] - A[:, None, :])),
        (28, 0): (g["dS"], A * (g["dA"] - np.sum(A * g["dA"], axis=1, keepdims=True))),
        (32, 0): (dS_dQ, np.einsum("ik,al,ja->ijkl", eye_T, dq, K) / np.sqrt(d)),
        (32, 1): (np.einsum("ik,al,ja->ijkl", eye_T, dq, K) / np.sqrt(d),
                  np.einsum("ik,jl->ijkl", eye_T, K) / np.sqrt(d)),
    }


@check("18_attention_willetts")
def _willetts(rng: np.random.Generator) -> Sides:
    g = _attention(rng)
    A, V, G = g["A"], g["V"], g["dO"]
    T, e = V.shape
    dO_dV = np.stack([np.stack([grad(lambda v, a=a, b=b: (A @ v)[a, b], V) for b in range(e)]) for a in range(T)])
    dV_dV = np.einsum("cj,bp->cbjp", np.eye(T), np.eye(e))
    return {
        (10, 0): (g["dV"], np.einsum("ab,abjp->jp", G, dO_dV)),
        (10, 1): (np.einsum("ab,abjp->jp", G, dO_dV), np.einsum("ab,abjp->jp", G, dO_dV)),
        (18, 0): (dO_dV, np.stack([np.stack([grad(lambda v, a=a, b=b: sum(A[a, c] * v[c, b] for c in range(T)), V)
                                             for b in range(e)]) for a in range(T)])),
        (18, 1): (dO_dV, np.einsum("ac,cbjp->abjp", A, dV_dV)),
    }


def _norm_layer(rng: np.random.Generator, D: int = 5) -> dict[str, object]:
    x, gamma, beta = rng.normal(size=D), rng.normal(size=D), rng.normal(size=D)
    eps = 0.1
    c = rng.normal(size=D)
    loss_y = lambda y: float(c @ y + 0.5 * y @ y)  # noqa: E731
    xhat_of = lambda x, mu, var: (x - mu) / np.sqrt(var + eps)  # noqa: E731
    mu, var = float(x.mean()), float(np.mean((x - x.mean()) ** 2))
    loss = lambda x, mu, var, gamma=gamma, beta=beta: loss_y(gamma * xhat_of(x, mu, var) + beta)  # noqa: E731
    return dict(x=x, gamma=gamma, beta=beta, eps=eps, mu=mu, var=var, xhat=xhat_of(x, mu, var), loss=loss,
                loss_y=loss_y, xhat_of=xhat_of, dy=grad(loss_y, gamma * xhat_of(x, mu, var) + beta))


@check("19_layernorm_yueyiming")
def _yueyiming(rng: np.random.Generator) -> Sides:
    n = _norm_layer(rng)
    x, gamma, beta, eps, mu, var, xhat, dy = (n[k] for k in ("x", "gamma", "beta", "eps", "mu", "var", "xhat", "dy"))
    loss, loss_y, xhat_of = n["loss"], n["loss_y"], n["xhat_of"]
    assert callable(loss) and callable(loss_y) and callable(xhat_of)
    i = int(rng.integers(len(x)))
    dbeta = grad(lambda b: loss(x, mu, var, beta=b), beta)
    dgamma = grad(lambda g: loss(x, mu, var, gamma=g), gamma)
    dxhat = grad(lambda h: loss_y(gamma * h + beta), xhat)
    dvar = diff(lambda v: loss(x, mu, v), var)
    dxhat_dvar = np.array([diff(lambda v, j=j: xhat_of(x, mu, v)[j], var) for j in range(len(x))])
    dxhat_dmu = np.array([diff(lambda m, j=j: xhat_of(x, m, var)[j], mu) for j in range(len(x))])
    dvar_dmu = diff(lambda m: float(np.mean((x - m) ** 2)), mu)
    dmu = diff(lambda m: loss(x, m, float(np.mean((x - m) ** 2))), mu)
    return {
        (16, 0): (dbeta[i], dy[i] * 1),
        (16, 1): (dy[i] * 1, dy[i]),
        (18, 0): (dgamma[i], dy[i] * xhat[i]),
        (18, 1): (dy[i] * xhat[i], dy[i] * xhat[i]),
        (22, 0): (dxhat[i], dy[i] * gamma[i]),
        (26, 0): (dvar, np.sum(dxhat * dxhat_dvar)),
        (26, 1): (np.sum(dxhat * dxhat_dvar), np.sum(dxhat * (x - mu) * (-0.5 * (var + eps) ** -1.5))),
        (30, 0): (np.sum(dxhat * dxhat_dmu), np.sum(dxhat * -1 / np.sqrt(var + eps))),
        (34, 0): (dvar * dvar_dmu, dvar * (-2 / len(x)) * np.sum(x - mu)),
        (34, 1): (dvar * (-2 / len(x)) * np.sum(x - mu), 0.0),
        (38, 0): (dmu, -1 / np.sqrt(var + eps) * np.sum(dxhat)),
    }


@check("20_layernorm_shreyansh")
def _shreyansh(rng: np.random.Generator) -> Sides:
    n = _norm_layer(rng)
    x, gamma, beta, mu, var, xhat, dy = (n[k] for k in ("x", "gamma", "beta", "mu", "var", "xhat", "dy"))
    loss = n["loss"]
    assert callable(loss)
    N = len(x)
    y_of = lambda g, b: g * xhat + b  # noqa: E731
    dy_dg = np.stack([grad(lambda g, k=k: y_of(g, beta)[k], gamma) for k in range(N)])  # [k, j]
    dy_db = np.stack([grad(lambda b, k=k: y_of(gamma, b)[k], beta) for k in range(N)])
    j = int(rng.integers(N))
    dg = grad(lambda g: loss(x, mu, var, gamma=g), gamma)
    db = grad(lambda b: loss(x, mu, var, beta=b), beta)
    return {
        (12, 0): (dy_dg, np.eye(N) * xhat[None, :]),
        (12, 1): (dy_db, np.eye(N)),
        (16, 0): (dg[j], np.sum(dy * dy_dg[:, j])),
        (16, 1): (np.sum(dy * dy_dg[:, j]), dy[j] * dy_dg[j, j]),
        (16, 2): (dy[j] * dy_dg[j, j], dy[j] * xhat[j]),
        (16, 3): (db[j], np.sum(dy * dy_db[:, j])),
        (16, 4): (np.sum(dy * dy_db[:, j]), dy[j] * dy_db[j, j]),
        (16, 5): (dy[j] * dy_db[j, j], dy[j] * 1),
    }


@check("21_batchnorm_hingma")
def _hingma(rng: np.random.Generator) -> Sides:
    N, D, eps = 4, 3, 0.1
    x, gamma, beta, C = rng.normal(size=(N, D)), rng.normal(size=D), rng.normal(size=D), rng.normal(size=(N, D))
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    loss_y = lambda y: float(np.sum(C * y) + 0.5 * np.sum(y ** 2))  # noqa: E731
    dy = grad(loss_y, gamma * xhat + beta)
    i, j = int(rng.integers(N)), int(rng.integers(D))
    dbeta = grad(lambda b: loss_y(gamma * xhat + b), beta)
    dgamma = grad(lambda g: loss_y(g * xhat + beta), gamma)
    dxhat = grad(lambda h: loss_y(gamma * h + beta), xhat)
    dy_dg = np.array([partial(lambda g, r=r: (g * xhat + beta)[r, j], gamma, j) for r in range(N)])
    return {
        (15, 0): (dbeta[j], np.sum(dy[:, j])),
        (15, 1): (np.sum(dy[:, j]), np.sum(dy[:, j])),
        (19, 0): (dgamma[j], np.sum(dy[:, j] * dy_dg)),
        (19, 1): (np.sum(dy[:, j] * dy_dg), np.sum(dy[:, j] * xhat[:, j])),
        (23, 0): (dxhat[i, j], dy[i, j] * partial(lambda h: (gamma * h + beta)[i, j], xhat, (i, j))),
        (23, 1): (dy[i, j] * partial(lambda h: (gamma * h + beta)[i, j], xhat, (i, j)), dy[i, j] * gamma[j]),
        (25, 0): (xhat[i, j], (x[i, j] - mu[j]) * (var[j] + eps) ** -0.5),
        (27, 0): (diff(lambda v: (x[i, j] - mu[j]) / np.sqrt(v + eps), var[j]),
                  (x[i, j] - mu[j]) * (-0.5) * (var[j] + eps) ** -1.5),
    }


@check("22_l2_hypercode")
def _hypercode(rng: np.random.Generator) -> Sides:
    n = 4
    w, lam, c = rng.normal(size=n), float(rng.uniform(0.1, 2)), rng.normal(size=n)
    data = lambda v: float(np.sum(np.sin(c * v)))  # noqa: E731  (any differentiable data loss)
    reg = lambda v: data(v) + lam * np.sum(v ** 2)  # noqa: E731
    i = int(rng.integers(n))
    return {(10, 0): (partial(reg, w, i), partial(data, w, i) + 2 * lam * w[i])}


@check("23_logreg_numerade")
def _numerade(rng: np.random.Generator) -> Sides:
    n, d = 5, 3
    X, y, theta = rng.normal(size=(n, d)), rng.integers(0, 2, size=n).astype(float), rng.normal(size=d)
    g = lambda z: float(sigmoid(z))  # noqa: E731
    loss = lambda t: -np.mean(y * np.log(sigmoid(X @ t)) + (1 - y) * np.log(1 - sigmoid(X @ t)))  # noqa: E731
    i, j, z0 = int(rng.integers(n)), int(rng.integers(d)), float(rng.normal())
    z = float(theta @ X[i])
    h = sigmoid(X @ theta)
    return {
        (9, 2): (diff(g, z0), g(z0) * (1 - g(z0))),
        (13, 0): (partial(lambda t: g(t @ X[i]), theta, j), g(z) * (1 - g(z)) * X[i, j]),
        (15, 0): (partial(lambda t: np.log(g(t @ X[i])), theta, j), (1 - g(z)) * X[i, j]),
        (15, 1): (partial(lambda t: np.log(1 - g(t @ X[i])), theta, j), -g(z) * X[i, j]),
        (19, 0): (partial(loss, theta, j), np.mean((h - y) * X[:, j])),
    }


@check("24_sigmoid_jaekookang")
def _jaekookang(rng: np.random.Generator) -> Sides:
    x, s, e = _sigmoid_chain(rng)
    ds = diff(s, x)
    u = 1 + e
    chain = diff(lambda t: t ** -1, u) * diff(lambda t: 1 + t, e) * diff(lambda t: np.exp(-t), x)
    return {
        (12, 0): (ds, diff(lambda t: 1 / (1 + np.exp(-t)), x)),
        (12, 1): (ds, diff(lambda t: (1 + np.exp(-t)) ** -1, x)),
        (13, 0): (ds, chain),
        (14, 0): (chain, -(u ** -2) * -e),
        (15, 0): (-(u ** -2) * -e, e / u ** 2),
        (16, 0): (e / u ** 2, 1 / u * e / u),
        (17, 0): (1 / u * e / u, 1 / u * (1 - 1 / u)),
        (18, 0): (1 / u * (1 - 1 / u), s(x) * (1 - s(x))),
        (19, 0): (s(x) * (1 - s(x)), ds),
    }


@check("25_sigmoid_sntoshsah")
def _sntoshsah(rng: np.random.Generator) -> Sides:
    x, s, e = _sigmoid_chain(rng)
    p = np.exp(x) / (1 + np.exp(x))  # the p of the log-odds model, log(p/(1-p)) = x
    assert abs(np.log(p / (1 - p)) - x) < 1e-9
    ds = diff(s, x)
    return {
        (16, 0): (p, 1 / (1 + e)),
        (16, 1): (1 / (1 + e), s(x)),
        (20, 1): (s(x), 1 / (1 + e)),
        (24, 0): (ds, diff(lambda t: 1 / (1 + np.exp(-t)), x)),
        (28, 0): (s(x), (1 + e) ** -1),
        (30, 0): (ds, -1 * (1 + e) ** -2 * diff(lambda t: 1 + np.exp(-t), x)),
        (31, 0): (ds, -((1 + e) ** -2) * (-e)),
        (32, 0): (ds, e / (1 + e) ** 2),
        (36, 0): (s(x), 1 / (1 + e)),
        (36, 1): (1 - s(x), e / (1 + e)),
        (40, 0): (ds, s(x) * (1 - s(x))),
    }


@check("26_softmax_ce_planted")
def _sunhaozhe_planted(rng: np.random.Generator) -> Sides:
    return _sunhaozhe(rng, planted=True)


@check("27_ridge_planted")
def _onenoughtone_planted(rng: np.random.Generator) -> Sides:
    return _onenoughtone(rng, planted=True)


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
