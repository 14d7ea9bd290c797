"""Building blocks, built symbolically: softmax, log-softmax, cross-entropy, the two-layer classifier.

Every function is built in a :class:`Space`, which decides how a sum over a vector
is written:

- :meth:`Space.symbolic`: sizes are symbols (k, c, d, p, N), vectors are
  ``IndexedBase`` objects, and a sum is an unevaluated ``Sum(f(n), (n, 1, k))``.
  One proof in this space holds for every size.
- :meth:`Space.fixed`: sizes are integers, and every shared sum (the softmax
  denominator, the sum of the labels, each logit of the linear model) is a *named
  atom*: a positive or real symbol with its definition recorded in
  ``space.definitions``. Derivatives then cost O(1) per component instead of
  walking a k-term sum every time (see :mod:`derive.differentiate`), which is what
  makes k = 1000 take seconds.

Nothing here differentiates; these are the functions a claim is about.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

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


class Role:
    """What an array holds, so counterexamples are drawn where such values live."""

    LOGITS = "logits"
    LABELS = "labels"
    WEIGHTS = "weights"
    INPUTS = "inputs"


@dataclass(frozen=True)
class ArraySpec:
    """An array the claim is about: its base, its shape (symbols or integers), its role."""

    base: sp.IndexedBase
    shape: tuple[sp.Expr, ...]
    role: str


@dataclass(frozen=True)
class Vector:
    """A vector of a given size whose n-th entry (1-based) is ``entry(n)``."""

    size: sp.Expr
    entry: Callable[[sp.Expr], sp.Expr]

    def __getitem__(self, n: sp.Expr | int) -> sp.Expr:
        return self.entry(sp.sympify(n))


@dataclass
class Space:
    """Where functions are built: symbolic sizes with Sums, or fixed sizes with shared atoms."""

    fixed_sizes: bool
    definitions: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    arrays: dict[str, ArraySpec] = field(default_factory=dict)
    _atoms_by_definition: dict[sp.Expr, sp.Symbol] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def symbolic(cls) -> Space:
        return cls(fixed_sizes=False)

    @classmethod
    def fixed(cls) -> Space:
        return cls(fixed_sizes=True)

    # -- names ---------------------------------------------------------------------------
    def size(self, name: str, value: int | None = None) -> sp.Expr:
        """A size: the integer ``value`` in a fixed space, else a positive integer symbol."""
        if self.fixed_sizes:
            if value is None:
                raise TypeError(f"size {name!r} needs a value in a fixed-size space, e.g. {name}=3")
            return sp.Integer(value)
        return sp.Symbol(name, integer=True, positive=True)

    def index(self, name: str) -> sp.Symbol:
        return sp.Symbol(name, integer=True, positive=True)

    def array(self, name: str, *shape: sp.Expr, role: str) -> sp.IndexedBase:
        base = sp.IndexedBase(name, real=True)
        self.arrays[name] = ArraySpec(base, tuple(sp.sympify(s) for s in shape), role)
        return base

    def vector(self, name: str, size: sp.Expr, *, role: str) -> Vector:
        base = self.array(name, size, role=role)
        return Vector(size, lambda n: base[n])

    # -- sums ----------------------------------------------------------------------------
    def sum(self, body: Callable[[sp.Expr], sp.Expr], size: sp.Expr, *, index: str = "n",
            shared: bool = False, positive: bool = False, name: str = "s") -> sp.Expr:
        """The sum of ``body(n)`` for n = 1..size.

        In a fixed space with ``shared=True`` the sum becomes a named atom (one per
        distinct definition), so the expressions that use it stay small.
        """
        if not self.fixed_sizes:
            n = sp.Symbol(index, integer=True)
            return sp.Sum(body(n), (n, 1, size))
        total = sp.Add(*[body(sp.Integer(n)) for n in range(1, int(size) + 1)])
        if not shared:
            return total
        return self.share(total, name=name, positive=positive)

    def share(self, definition: sp.Expr, *, name: str, positive: bool = False) -> sp.Expr:
        """A named atom standing for ``definition`` (the same atom for the same definition)."""
        known = self._atoms_by_definition.get(definition)
        if known is not None:
            return known
        atom = sp.Symbol(f"{name}·{next(self._counter)}", positive=True) if positive else \
            sp.Symbol(f"{name}·{next(self._counter)}", real=True)
        self.definitions[atom] = definition
        self._atoms_by_definition[definition] = atom
        return atom

    def expand_atoms(self, expr: sp.Expr) -> sp.Expr:
        """Replace every atom by its definition, innermost last, until none is left."""
        out = expr
        for _ in range(len(self.definitions) + 1):
            if not (out.free_symbols & self.definitions.keys()):
                return out
            out = out.xreplace(self.definitions)
        return out


def sum_exp(space: Space, z: Vector) -> sp.Expr:
    """The softmax denominator: the sum of exp(z_n) over the vector."""
    return space.sum(lambda n: sp.exp(z[n]), z.size, index="n", shared=True, positive=True, name="Σexp")


def softmax(space: Space, z: Vector) -> Vector:
    """ŷ = softmax(z): the vector exp(z_i) / Σ_n exp(z_n)."""
    denominator = sum_exp(space, z)
    return Vector(z.size, lambda i: sp.exp(z[i]) / denominator)


def log_softmax(space: Space, z: Vector) -> Vector:
    """log softmax(z) in log-sum-exp form: z_i - log Σ_n exp(z_n).

    The library's theorem ``log_softmax`` proves this equals log(softmax(z)_i).
    """
    lse = sp.log(sum_exp(space, z))
    return Vector(z.size, lambda i: z[i] - lse)


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
