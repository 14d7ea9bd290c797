"""The reader's vocabulary: what the context declares, the markers it writes, and its limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

#: The transpose marker: ``x^T`` is read as ``TRANSPOSE(x)``.
TRANSPOSE = sp.Function("T")

#: A product of declared vectors and matrices in its written order: ``B A x`` is
#: ``MATMUL(B, A, x)``, because SymPy's Mul would sort its factors and lose the order
#: that a missing transpose shows in.
MATMUL = sp.Function("matmul")

#: The elementwise (Hadamard) product ``a \odot b`` / ``a \circ b``: ``HADAMARD(a, b)``, its
#: factors in their written order; never SymPy's Mul (which would read ``h \odot h`` as hᵀh).
HADAMARD = sp.Function("hadamard")
#: ``\operatorname{diag}(v)``: the diagonal matrix of a vector.
DIAG = sp.Function("diag")
#: ``\operatorname{tr}(M)``: the trace of a matrix.
TRACE = sp.Function("trace")
#: ``\|v\|`` (also ``\|v\|_2``, ``\|M\|_F``): the Euclidean (Frobenius) norm of a vector or matrix.
NORM = sp.Function("norm")
#: ``\mathbf{1}`` (``\mathbb{1}``, ``\boldsymbol{1}``, ``\vec{1}``): the vector of ones, ``ONES()``.
ONES = sp.Function("ones")
#: ``\left[M\right]_{ab}``, ``(y - t)_j``: an entry of a bracketed vector or matrix expression,
#: ``ENTRY(M, a, b)``.
ENTRY = sp.Function("entry")
#: ``\mathbb{E}[X]``, ``\mathbb{E}_{x}[X]``: ``EXPECT(X)``, ``EXPECT(X, x)``; read only when
#: ``context.expectations`` (a post that declares what its expectations are over).
EXPECT = sp.Function("expect")

MAX_LENGTH = 20_000
MAX_DEPTH = 50
MAX_DIGITS = 30
MAX_EXPONENT = 1000
MAX_POWER_DIGITS = 2000
MAX_TOTAL_DIGITS = 100_000


def default_size_symbol() -> sp.Symbol:
    return sp.Symbol("k", integer=True, positive=True)


def component_symbol() -> sp.Symbol:
    return sp.Symbol("j", integer=True, positive=True)


@dataclass(frozen=True)
class ReaderContext:
    """What the reader needs to know about a post's names; the defaults fit the seeds.

    Examples:
        >>> ReaderContext(vectors=frozenset({"z"})).vectors
        frozenset({'z'})
    """

    #: Bare names read as ``IndexedBase`` (whole vectors) rather than scalars.
    vectors: frozenset[str] = frozenset()
    #: Names whose run-of-letters subscripts are always split into indices.
    matrices: frozenset[str] = frozenset()
    #: Letters read as integer index symbols wherever they appear.
    indices: frozenset[str] = frozenset()
    #: Letters read as sizes (positive integers) wherever they appear.
    sizes: frozenset[str] = frozenset({"k", "K", "N", "C"})
    #: Subscript words that are part of a name, never indices (``y_{true}``).
    labels: frozenset[str] = frozenset({"true", "pred", "out", "in", "old", "new", "max", "min"})
    #: Names read as scalar values: a declared scalar followed by ``(`` multiplies (``a(b+c)``).
    scalars: frozenset[str] = frozenset()
    #: Names applied as undefined functions when followed by ``(``.
    functions: frozenset[str] = frozenset({
        "f", "g", "h", "softmax", "sigmoid", "logsoftmax", "CE", "ce",
        "softplus", "NLL", "MSE", "BCE", "KL", "LSE", "logsumexp", "loss",
    })
    #: Functions the post defines with a subscript (``g_k(u) = ...``, ``h_\theta(x) = ...``): ``g_k(z)`` applies
    #: g to z with the subscript as its last arguments (``g(z, k)``), never the product g_k·z.
    indexed_functions: frozenset[str] = frozenset()
    #: Functions of a whole vector whose components are an extra argument.
    vector_functions: frozenset[str] = frozenset({"softmax", "logsoftmax"})
    #: What ``\sigma(...)`` applies: the function of that name.
    sigma: str = "softmax"
    #: Range of a sum written without limits: 1..default_size.
    default_size: sp.Symbol = field(default_factory=default_size_symbol)
    #: The component a whole-vector gradient ``\nabla_z`` is read at.
    component_index: sp.Symbol = field(default_factory=component_symbol)
    #: Drop sample indices ``z^{(i)}``. Off by default: ``z^{(1)}_j`` and ``z^{(2)}_j`` are
    #: different entries (``z[1, j]``, ``z[2, j]``); dropping them can prove a false step.
    drop_sample_index: bool = False
    #: Arrays declared with a sample index (``vector x d per sample``): theirs is never dropped (x^{(i)} is the
    #: sample i of x, x[i]; x alone would be all the samples).
    per_sample: frozenset[str] = frozenset()
    #: Letters the post says count layers ("in layer $l$"): a superscript of one (``z^l_j``, ``a^{l-1}_k``) is
    #: a layer's label, part of the name, never a power.
    layer_letters: frozenset[str] = frozenset()
    #: Read a number in parentheses in a superscript as a sample index (``x^{(1)}``: sample 1), as a
    #: ``samples`` declaration says. Off: it labels a layer and is part of the name (``h^{(1)}``, ``W^{(2)}``).
    numbered_samples: bool = False
    #: Read a superscript of index letters as indices (``Q^{ia}``, ``\delta^j_m``), where the post writes
    #: index notation with the summation convention; off: a letter superscript is a power.
    upper_indices: bool = False
    #: Read ``\mathbb{E}[X]`` as the marker ``EXPECT(X)``; off: an expectation is not read.
    expectations: bool = False
    #: Read ``e`` as Euler's number (``e^{x}`` -> ``exp(x)``).
    euler: bool = True


@dataclass(frozen=True)
class Membership:
    r"""A statement ``name \in \mathbb{R}^{shape}``: the name, its object, its shape (``()`` for scalars)."""

    name: str
    target: sp.Expr
    shape: tuple[sp.Expr, ...]
    #: The values every entry takes when the space is a finite set (``\{0, 1\}^K``), else None (real).
    values: tuple[int, ...] | None = None
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9']*\Z")


# -- the math layer --------------------------------------------------------------------------

GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "varrho", "sigma", "tau", "upsilon", "phi",
    "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
    "Upsilon", "Phi", "Psi", "Omega", "ell", "varsigma",
})
BUILTINS: dict[str, Callable[..., sp.Expr]] = {
    "log": sp.log, "ln": sp.log, "exp": sp.exp, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "arctan": sp.atan, "max": sp.Max,
    "min": sp.Min, "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "sec": sp.sec, "csc": sp.csc,
    "cot": sp.cot, "arcsin": sp.asin, "arccos": sp.acos,
}
#: Named operations read as markers of their argument (``\operatorname{diag}(v)`` -> ``DIAG(v)``).
MARKERS: dict[str, sp.FunctionClass] = {"diag": DIAG, "tr": TRACE, "Tr": TRACE, "trace": TRACE}
#: Names read as max(0, x) of their one argument.
RELU_NAMES = frozenset({"ReLU", "relu", "Relu"})
#: Single letters that, followed by ``(``, are functions by convention (not products).
FUNCTION_LETTERS = frozenset({"f", "g", "h", "phi", "varphi", "Phi", "psi", "Psi"})
DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
                "widetilde": "tilde", "dot": "dot", "ddot": "ddot"}
TRANSPARENT = frozenset({"boldsymbol", "mathbf", "vec", "bm", "pmb", "mathbfit", "mathcal", "mathscr",
                          "overrightarrow", "underline", "cal", "bf"})
#: Styles whose letter followed by ``(`` is a function applied: ``\mathcal{J}(\theta)``.
CALLIGRAPHIC = frozenset({"mathcal", "mathscr", "cal"})
MULOPS = frozenset({"\\cdot", "\\times", "\\ast", "\\odot", "\\circ"})
ELEMENTWISE_OPS = frozenset({"\\odot", "\\circ"})
RELATIONS = frozenset({"\\neq", "\\ne", "\\leq", "\\le", "\\geq", "\\ge", "\\approx", "\\equiv", "\\sim",
                        "\\propto", "\\to", "\\rightarrow", "\\Rightarrow", "\\implies", "\\iff",
                        "\\mapsto", "\\leftarrow", "\\coloneqq", "\\simeq", "\\cong", "\\ll", "\\gg"})
#: The relations an indicator ``[i = k]``, ``\mathbb{1}[a > 0]`` may hold besides ``=``, ``<`` and ``>``.
INDICATOR_RELATIONS = ("neq", "ne", "le", "leq", "ge", "geq")
FRACS = frozenset({"\\frac", "\\dfrac", "\\tfrac", "\\cfrac"})


def letters_ok(name: str) -> bool:
    return name.isalpha() and name.isascii()
