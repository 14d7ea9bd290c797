"""Differential reading: a drawn SymPy expression, printed as LaTeX in several styles, reads back to itself.

Hypothesis draws expressions over scalars, vector and matrix entries, sums, elementwise
functions and derivatives; each is printed by SymPy's printer and by derive's proof printer,
then restyled (``\\left( \\right)`` dropped, ``W_{i j}`` and ``W_{ij}`` for ``W_{i,j}``,
``\\cdot`` for juxtaposition, ``\\operatorname{tanh}``). The reader's expression must equal
the drawn one at a random point (exact rationals, compared at 30 digits). Any mismatch is a
misreading. ``HYPOTHESIS_PROFILE=thorough`` draws many more (see the README).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.audit.reader import MATMUL, TRANSPOSE, ReaderContext, ReadError, read_latex
from derive.engine.budget import run_with_budget
from derive.render.latex import to_latex

z, y, W = (sp.IndexedBase(name, real=True) for name in ("z", "y", "W"))
i, j, k, ell = (sp.Symbol(name, integer=True, positive=True) for name in ("i", "j", "k", "ell"))
n = sp.Symbol("n", integer=True)
x, w, theta = (sp.Symbol(name, real=True) for name in ("x", "w", "theta"))
LABELS = ReaderContext().labels
#: x and w are declared scalars, as a post would: `x (w + x)` is then a product, never x applied.
CONTEXT = ReaderContext(scalars=frozenset({"x", "w", "theta"}))
SIZE = 3  # k at the point: every entry z_1..z_3, W_11..W_33 gets a value

# -- drawing expressions -----------------------------------------------------------------------

LEAVES = [x, w, theta, z[i], z[j], y[i], W[i, j], W[j, i], W[i, ell], sp.Integer(2), sp.Integer(3),
          sp.Rational(1, 2)]
UNARY: list[Callable[[sp.Expr], sp.Expr]] = [sp.exp, sp.log, sp.tanh, sp.sqrt, sp.Abs, sp.sin]


def _combine(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] / ab[1]),
        st.tuples(children, st.integers(2, 3)).map(lambda ab: ab[0] ** ab[1]),
        st.tuples(st.sampled_from(UNARY), children).map(lambda fa: fa[0](fa[1])),
    )


def _sum_of(body: sp.Expr) -> sp.Expr:
    """A sum over n of the body with one of its entries re-indexed by n."""
    entry = z[n] if body.has(z[i]) or not body.has(W[i, j]) else W[i, n]
    return sp.Sum(body.xreplace({z[i]: z[n], W[i, j]: W[i, n]}) * entry, (n, 1, k))


EXPRESSIONS = st.recursive(st.sampled_from(LEAVES), _combine, max_leaves=6)
DRAWN = st.one_of(
    EXPRESSIONS,
    EXPRESSIONS.map(_sum_of),
    st.tuples(EXPRESSIONS, st.sampled_from([x, z[j], W[i, j]])).map(
        lambda ev: sp.Derivative(ev[0], ev[1], evaluate=False)),
).filter(lambda e: not e.has(sp.I))  # log(log(1/2)) evaluates to ... + iπ: not the notation of posts

# -- printing in several styles ----------------------------------------------------------------


def _no_sizing(tex: str) -> str:
    return tex.replace(r"\left(", "(").replace(r"\right)", ")")


def _spaced_indices(tex: str) -> str:
    return re.sub(r"_\{([a-z]),\s*([a-z])\}", r"_{\1 \2}", tex)


def _joined_indices(tex: str) -> str:
    # W_{in} is the name W_in by the reader's convention (a label such as `in`, `out`): leave those.
    return re.sub(r"_\{([a-z]),\s*([a-z])\}",
                  lambda m: m.group(0) if m.group(1) + m.group(2) in LABELS else "_{" + m.group(1) + m.group(2) + "}",
                  tex)


def _operatorname(tex: str) -> str:
    return re.sub(r"\\(tanh|sin|log|exp)(?![A-Za-z])", r"\\operatorname{\1}", tex)


STYLES: dict[str, Callable[[sp.Expr], str]] = {
    "sympy": sp.latex,
    "sympy, \\cdot": lambda e: sp.latex(e, mul_symbol="dot"),
    "sympy, no \\left": lambda e: _no_sizing(sp.latex(e)),
    "sympy, W_{i j}": lambda e: _spaced_indices(sp.latex(e)),
    "sympy, W_{ij}, \\operatorname": lambda e: _operatorname(_joined_indices(sp.latex(e))),
    "derive": to_latex,
    "derive, no \\left, \\cdot": lambda e: _no_sizing(sp.latex(e, mul_symbol="dot")),
}

# -- comparing at a point ----------------------------------------------------------------------


def _value(key: str, seed: int) -> sp.Rational:
    """A value in [1/4, 2] for one entry or scalar, the same whichever side asks (crc32, not hash())."""
    return sp.Rational(1, 4) + sp.Rational(zlib.crc32(f"{seed}:{key}".encode()) % 1750, 1000)


def _at_point(expr: sp.Basic, ij: tuple[int, int], seed: int) -> sp.Expr:
    """Sizes and free indices by name, then sums and derivatives done, then every value by name."""
    names = {"k": SIZE, "i": ij[0], "j": ij[1], "ell": 3 - ij[1] % 3}
    expr = expr.xreplace({s: sp.Integer(names[s.name]) for s in expr.free_symbols
                          if isinstance(s, sp.Symbol) and s.is_integer and s.name in names})
    expr = expr.doit()
    values: dict[sp.Basic, sp.Expr] = {}
    for atom in expr.atoms(sp.Indexed):
        values[atom] = _value(f"{atom.base.label}{tuple(int(q) for q in atom.indices)}", seed)
    for sym in expr.free_symbols:
        if isinstance(sym, sp.Symbol):
            values[sym] = _value(sym.name, seed)
    return expr.xreplace(values)


@settings(max_examples=2 * settings.default.max_examples, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(DRAWN, st.sampled_from(sorted(STYLES)), st.sampled_from([(1, 2), (2, 2), (3, 1)]),
       st.integers(0, 10_000))
def test_printed_expressions_read_back_to_the_same_value(drawn: sp.Expr, style: str, ij: tuple[int, int],
                                                        seed: int) -> None:
    tex = STYLES[style](drawn)
    try:
        read = run_with_budget(lambda: read_latex(tex, context=CONTEXT), 10.0, what="reading a printed expression")
    except ReadError as exc:
        # Refusing is allowed only for what the reader documents as undefined.
        assert drawn.has(sp.zoo, sp.nan) or "not zero" in str(exc) or "defined value" in str(exc), (
            f"{style}: could not read {tex!r} (drawn {drawn}): {exc}")
        return
    want = _at_point(drawn, ij, seed)
    got = _at_point(read, ij, seed)
    if want.has(sp.zoo, sp.nan, sp.oo):
        return  # e.g. a log of 0 after the sum is done: nothing to compare at this point
    a, b = sp.N(want, 30), sp.N(got, 30)
    tolerance = sp.Float("1e-20", 30) * (1 + abs(a))
    assert abs(a - b) <= tolerance, (
        f"{style}: {tex!r} read as {read}, drawn {drawn}; at i, j = {ij}, seed {seed}: {a} != {b}")


# -- products of arrays in their written order, transposed in every style -----------------------

ARRAY_CONTEXT = ReaderContext(vectors=frozenset({"x", "v"}), matrices=frozenset({"A", "B"}))
TRANSPOSES = ["^T", "^{T}", r"^\top", r"^{\top}", r"^\intercal", r"^{\mathsf{T}}"]
ARRAY_NAMES = {"A": sp.Symbol("A", real=True), "B": sp.Symbol("B", real=True),
               "x": sp.IndexedBase("x", real=True), "v": sp.IndexedBase("v", real=True)}


@settings(max_examples=settings.default.max_examples, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(ARRAY_NAMES)), st.booleans()), min_size=2, max_size=5),
       st.lists(st.sampled_from(TRANSPOSES), min_size=5, max_size=5),
       st.sampled_from([" ", r" \cdot ", r"\,"]))
def test_products_of_arrays_read_in_written_order_in_every_transpose_style(
        factors: list[tuple[str, bool]], styles: list[str], joiner: str) -> None:
    tex = joiner.join(name + (styles[q] if transposed else "") for q, (name, transposed) in enumerate(factors))
    expected = MATMUL(*[TRANSPOSE(ARRAY_NAMES[name]) if transposed else ARRAY_NAMES[name]
                        for name, transposed in factors])
    assert read_latex(tex, context=ARRAY_CONTEXT) == expected, tex
