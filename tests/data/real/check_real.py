r"""Independent numeric checks of the keys of the real corpus (numpy central differences, never derive).

Each post ``NN_slug`` has a function, here or in ``real_checks_models.py``, that given a random generator
returns for every keyed step ``(line, rank)`` the values of its two sides at a random point of the post
(the author's meaning: the case the prose states, one-hot labels where the post says so). :func:`verify`
evaluates them at several points and compares with the key in ``NN_slug.json``: a step keyed true must
agree at every point, a step keyed false must differ clearly at one of them, and every step keyed true or
false must be checked.

Run ``python3 tests/data/real/check_real.py`` to verify every post (exit status 1 on a mismatch).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # the sibling modules below, when this file is loaded by path

import real_checks_models  # noqa: E402, F401  (registers the checks of the posts on models)
from real_numeric import CHECKS, Sides, check, diff, distinct, grad, jac, partial, sigmoid, softmax  # noqa: E402

# -- the posts on softmax, sigmoid, tanh, log-sum-exp and cross-entropy (the others: real_checks_models.py)


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
    out[(8, 1)] = (yhat[i], np.exp(z[i]) / np.sum(np.exp(z)))
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


@check("24_sigmoid_jaekookang")
def _jaekookang(rng: np.random.Generator) -> Sides:
    x, s, e = _sigmoid_chain(rng)
    ds = diff(s, x)
    u = 1 + e
    chain = diff(lambda t: t ** -1, u) * diff(lambda t: 1 + t, e) * diff(lambda t: np.exp(-t), x)
    return {
        (10, 0): (ds, diff(lambda t: 1 / (1 + np.exp(-t)), x)),
        (10, 1): (ds, diff(lambda t: (1 + np.exp(-t)) ** -1, x)),
        (11, 0): (ds, chain),
        (12, 0): (chain, -(u ** -2) * -e),
        (13, 0): (-(u ** -2) * -e, e / u ** 2),
        (14, 0): (e / u ** 2, 1 / u * e / u),
        (15, 0): (1 / u * e / u, 1 / u * (1 - 1 / u)),
        (16, 0): (1 / u * (1 - 1 / u), s(x) * (1 - s(x))),
        (17, 0): (s(x) * (1 - s(x)), ds),
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


@check("28_logsoftmax_math4258008")
def _math4258008(rng: np.random.Generator) -> Sides:
    z = rng.normal(size=4)
    c = float(z.max())
    ls = lambda v: v - c - np.log(np.sum(np.exp(v - c)))  # noqa: E731  (c held fixed, as the asker does)
    i = int(rng.integers(z.size))
    S = np.sum(np.exp(z - c))
    upstream = rng.normal(size=z.size)
    return {
        (6, 1): (np.log(np.exp(z - c) / S), z - c - np.log(S)),
        (10, 0): (partial(lambda v: ls(v)[i], z, i), 1 - partial(lambda v: np.log(np.sum(np.exp(v - c))), z, i)),
        (12, 0): (1 - partial(lambda v: np.log(np.sum(np.exp(v - c))), z, i),
                  1 - 1 / S * partial(lambda v: np.sum(np.exp(v - c)), z, i)),
        (14, 0): (1 - 1 / S * partial(lambda v: np.sum(np.exp(v - c)), z, i), 1 - np.exp(z[i] - c) / S),
        (16, 0): (1 - np.exp(z[i] - c) / S, 1 - softmax(z)[i]),
        (20, 0): (1 - softmax(z)[i], 1 - np.exp(ls(z)[i])),
        # The derivative by the vector z, applied to an upstream gradient as the asker's code does.
        (24, 0): (jac(ls, z).T @ upstream, (1 - np.exp(ls(z))) * upstream),
    }


@check("26_softmax_ce_planted")
def _sunhaozhe_planted(rng: np.random.Generator) -> Sides:
    return _sunhaozhe(rng, planted=True)


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
