"""What the numeric checks of the real corpus share: the registry of checks and central differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
