"""Building blocks, built symbolically: softmax, log-softmax, cross-entropy, the two-layer classifier.

Every function is built in a :class:`~derive.engine.space.Space`, which decides how a sum over
a vector is written (symbolic sizes with Sums, or fixed sizes with shared atoms, which is what
makes k = 1000 take seconds); :mod:`derive.engine.space` says how.

Nothing here differentiates; these are the functions a claim is about.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from derive.engine.space import Role, Space, Vector, memoized

__all__ = [
    "Role",
    "Space",
    "TwoLayer",
    "Vector",
    "cross_entropy",
    "log_softmax",
    "softmax",
    "two_layer",
]


def exponentials(space: Space, z: Vector) -> Callable[[sp.Expr], sp.Expr]:
    """n -> exp(z_n), each built once per space (the denominator, ŷ and derivatives share them)."""
    return space.once("exp", z, lambda: memoized(lambda n: sp.exp(z[n])))


def sum_exp(space: Space, z: Vector) -> sp.Expr:
    """The softmax denominator: the sum of exp(z_n) over the vector."""
    exp_z = exponentials(space, z)
    return space.once("Σexp", z, lambda: space.sum(exp_z, z.size, index="n", shared=True, positive=True,
                                                   name="Σexp"))


def softmax(space: Space, z: Vector) -> Vector:
    """ŷ = softmax(z): the vector exp(z_i) / Σ_n exp(z_n)."""
    denominator = sum_exp(space, z)
    exp_z = exponentials(space, z)
    return space.once("softmax", z, lambda: Vector(z.size, memoized(lambda i: exp_z(i) / denominator)))


def log_softmax(space: Space, z: Vector) -> Vector:
    """log softmax(z) in log-sum-exp form: z_i - log Σ_n exp(z_n).

    The library's theorem ``log_softmax`` proves this equals log(softmax(z)_i).
    """
    lse = sp.log(sum_exp(space, z))
    return space.once("log softmax", z, lambda: Vector(z.size, memoized(lambda i: z[i] - lse)))


def cross_entropy(space: Space, y: Vector, z: Vector) -> sp.Expr:
    """CE(y, softmax(z)) = -Σ_n y_n log softmax(z)_n, with log-softmax in log-sum-exp form.

    In a fixed space the sum is written out by linearity,
    -Σ_n y_n (z_n - LSE) = -Σ_n y_n z_n + (Σ_n y_n) LSE, with the label sum Σ_n y_n a
    shared atom, so that each partial derivative touches O(1) terms. The theorem
    ``cross_entropy_lse`` checks this form against the definition.
    """
    if not space.fixed_sizes:
        logp = log_softmax(space, z)
        return -space.sum(lambda n: y[n] * logp[n], z.size, index="m")
    lse = sp.log(sum_exp(space, z))
    label_sum = space.sum(lambda n: y[n], z.size, shared=True, name="Σy")
    return -space.sum(lambda n: y[n] * z[n], z.size) + label_sum * lse


@dataclass(frozen=True)
class TwoLayer:
    """The two-layer linear classifier s = B A x and its loss, built in one space."""

    space: Space
    A: sp.IndexedBase
    B: sp.IndexedBase
    x: sp.IndexedBase
    y: sp.IndexedBase
    c: sp.Expr
    d: sp.Expr
    p: sp.Expr
    N: sp.Expr | None
    hidden: Callable[..., sp.Expr]
    logits: Callable[..., sp.Expr]
    probabilities: Callable[..., sp.Expr]
    loss: sp.Expr


def two_layer(space: Space, *, c: int | None = None, d: int | None = None, p: int | None = None,
              batch: int | None = None, batched: bool = False) -> TwoLayer:
    """Build h = A x, s = B h, ŷ = softmax(s) and L = CE(y, ŷ) (or its batch mean with 1/N).

    A is d×p, B is c×d, x has p entries; with ``batched`` the samples are rows
    t = 1..N of x and y and L = (1/N) Σ_t CE(y_t, softmax(B A x_t)).
    """
    cs, ds, ps = space.size("c", c), space.size("d", d), space.size("p", p)
    N = space.size("N", batch) if batched else None
    A = space.array("A", ds, ps, role=Role.WEIGHTS)
    B = space.array("B", cs, ds, role=Role.WEIGHTS)
    if batched:
        assert N is not None
        x = space.array("x", N, ps, role=Role.INPUTS)
        y = space.array("y", N, cs, role=Role.LABELS)
    else:
        x = space.array("x", ps, role=Role.INPUTS)
        y = space.array("y", cs, role=Role.LABELS)

    def row(base: sp.IndexedBase, t: sp.Expr | None, n: sp.Expr) -> sp.Expr:
        return base[t, n] if t is not None else base[n]

    # Each hidden unit and logit is built once: rebuilding them for every use would cost
    # O(size) per use in a fixed space (a sum is written out before it is shared).
    @functools.cache
    def hidden(m: sp.Expr, t: sp.Expr | None = None) -> sp.Expr:
        return space.sum(lambda q: A[m, q] * row(x, t, q), ps, index="q", shared=True, name="h")

    @functools.cache
    def logits(i: sp.Expr, t: sp.Expr | None = None) -> sp.Expr:
        return space.sum(lambda m: B[i, m] * hidden(m, t), ds, index="r", shared=True, name="s")

    def sample_loss(t: sp.Expr | None) -> sp.Expr:
        s = Vector(cs, lambda i: logits(i, t))
        labels = Vector(cs, lambda i: row(y, t, i))
        return cross_entropy(space, labels, s)

    @functools.cache
    def _softmax(t: sp.Expr | None) -> Vector:
        return softmax(space, Vector(cs, lambda n: logits(n, t)))

    def probabilities(i: sp.Expr, t: sp.Expr | None = None) -> sp.Expr:
        return _softmax(t)[i]

    if batched:
        assert N is not None
        loss = space.sum(lambda t: sample_loss(t), N, index="t") / N
    else:
        loss = sample_loss(None)
    return TwoLayer(space, A, B, x, y, cs, ds, ps, N, hidden, logits, probabilities, loss)
