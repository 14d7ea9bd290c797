"""``gradient(L, W)``: ∂L/∂W in matrix form, proved equal to ``grad(L, W)`` for every size.

The candidates come from the chain rule on the model's recorded graph
(:mod:`derive.model.backprop`): first with the losses read whole (ŷ - y), then operation by
operation. Each candidate is decided by the engine against SymPy's gradient at free indices;
the first one proved is returned. If none is, the result says why and holds the index form,
simplified (deltas summed, hypotheses such as Σy = 1 applied, bound indices named n, m, q...).

Layout: the gradient has W's shape (entry (i, j) is ∂L/∂W_ij).

Examples:
    >>> from derive.model import Size, Vector, Matrix, Labels, tanh, softmax, cross_entropy
    >>> c, d, p = Size("c"), Size("d"), Size("p")
    >>> x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    >>> y = Labels("y", c, soft=True)
    >>> h = tanh(W @ x); yhat = softmax(V @ h)
    >>> g = gradient(cross_entropy(y, yhat), W)
    >>> print(g)
    ∂L/∂W = ((Vᵀ(ŷ - y)) ⊙ (1 - h ⊙ h))xᵀ   [proved for every size]
      where h = tanh(Wx), ŷ = softmax(Vh)
    >>> g.proved
    True
"""

from __future__ import annotations

import functools
import html
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from derive.engine.decide import Settings, decide
from derive.engine.memo import memoized_sum_symbols
from derive.engine.sums import normalize_sums, split_exponentials
from derive.engine.verdict import Status, Verdict
from derive.model import proof_cache
from derive.model.backprop import backprop
from derive.model.claims import claim
from derive.model.form_print import latex, text
from derive.model.functions import grad
from derive.model.matrix_form import Form, NoMatrixForm, from_tensor
from derive.model.proof_cache import Recalled
from derive.model.tensor import Tensor, as_tensor

__all__ = ["Gradient", "gradient"]


@dataclass(frozen=True, eq=False)
class Gradient:
    """∂L/∂W: the matrix form (``form``, None if none was proved) with its verdict, and the index form.

    ``exact`` is SymPy's gradient (``grad(L, W)``); ``index`` its entry at free indices
    ``indices``, simplified; ``note`` says what was tried when no matrix form was proved.
    """

    loss: Tensor
    wrt: Tensor
    form: Form | None
    verdict: Verdict | Recalled | None
    exact_tensor: Tensor | None
    note: str = ""
    loss_name: str = "L"
    tried: tuple[tuple[Form, Verdict | Recalled], ...] = field(default=())

    @functools.cached_property
    def exact(self) -> Tensor:
        """SymPy's gradient, ``grad(L, W)`` (built on demand when the proof was recalled from the cache)."""
        return self.exact_tensor if self.exact_tensor is not None else grad(self.loss, self.wrt)

    @functools.cached_property
    def _index_form(self) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
        return _index_form(self.exact)  # on demand: simplifying the index form costs as much as the proof

    @property
    def index(self) -> sp.Expr:
        """The entry at the free indices, simplified."""
        return self._index_form[0]

    @property
    def indices(self) -> tuple[sp.Symbol, ...]:
        return self._index_form[1]

    @property
    def proved(self) -> bool:
        return self.form is not None and self.verdict is not None and self.verdict.status == Status.PROVED

    @property
    def wrt_name(self) -> str:
        return next(iter(self.wrt.declarations)).name

    def definitions(self) -> list[Form]:
        """The named intermediates the form uses (h, ŷ, ...), in the order they are computed."""
        if self.form is None:
            return []
        return [v for v in self.form.variables() if v.definition is not None]

    def text(self) -> str:
        lhs = f"∂{self.loss_name}/∂{self.wrt_name}"
        if self.form is None or not self.proved:
            ix = ", ".join(map(str, self.indices))
            return f"{lhs}[{ix}] = {sp.sstr(self.index)}   [index form: {self.note}]"
        where = ", ".join(f"{text(v)} = {text(v.definition)}" for v in self.definitions()
                          if v.definition is not None)
        return f"{lhs} = {text(self.form)}   [proved for every size]" + (f"\n  where {where}" if where else "")

    __str__ = text

    def __repr__(self) -> str:
        return f"Gradient({self.text()!r})"

    def latex(self) -> str:
        """``\\frac{\\partial L}{\\partial W} = ...`` (math mode), the intermediates after "where"."""
        wrt = sp.latex(sp.Symbol(self.wrt_name))
        lhs = rf"\frac{{\partial {sp.latex(sp.Symbol(self.loss_name))}}}{{\partial {wrt}}}"
        if self.form is None or not self.proved:
            ix = ", ".join(sp.latex(i) for i in self.indices)
            return rf"\left[{lhs}\right]_{{{ix}}} = {sp.latex(self.index)}"
        out = f"{lhs} = {latex(self.form)}"
        where = [rf"{latex(v)} = {latex(v.definition)}" for v in self.definitions() if v.definition is not None]
        if where:
            out += r", \quad \text{where } " + r", \; ".join(where)
        return out


    def numpy_code(self, name: str = "") -> str:
        """Python source of a function of the model's arrays that computes the gradient with numpy."""
        if self.form is None or not self.proved:
            raise ValueError(f"no proved matrix form to write as numpy: {self.note}")
        from derive.model.form_numpy import source  # numpy loads when numpy code is asked for, not with the model

        return source(self.form, name or f"grad_{self.wrt_name}")

    def numpy(self) -> Callable[..., Any]:
        """The gradient as a callable of the arrays (keyword arguments by declared name), at float64."""
        if self.form is None or not self.proved:
            raise ValueError(f"no proved matrix form to evaluate: {self.note}")
        from derive.model.form_numpy import evaluator

        return evaluator(self.form)

    # Jupyter: the math, and whether it is proved.
    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def _repr_html_(self) -> str:
        status = "proved for every size" if self.proved else "index form: no matrix form proved"
        colour = "#1a7f37" if self.proved else "#9a6700"
        badge = (f'<span class="derive-badge" style="background:{colour};color:white;border-radius:4px;'
                 f'padding:1px 6px;font-size:85%">{html.escape(status)}</span>')
        return f"<div>{badge} \\[{html.escape(self.latex())}\\]</div>"


def _names_from(frame_locals: Mapping[str, Any]) -> dict[int, str]:
    return {id(v): k for k, v in frame_locals.items()
            if isinstance(v, Tensor) and k.isidentifier() and not k.startswith("_") and v.kind not in ("array",
                                                                                                     "labels")}


def gradient(loss: Any, wrt: Tensor, *, names: Mapping[str, Tensor] | None = None,
             settings: Settings | None = None, loss_name: str = "L") -> Gradient:
    """∂loss/∂wrt in matrix form, proved by the engine for every size; else the simplified index form.

    ``names`` maps names to the intermediate tensors the form may use (``{"h": h}``); by
    default the caller's local variables that hold tensors, so that ``h = tanh(W @ x)``
    prints as ``h``. ``settings`` bounds the engine (see :class:`derive.engine.decide.Settings`).
    """
    L = as_tensor(loss)
    if names is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        by_id = _names_from(caller.f_locals) if caller is not None else {}
        del frame, caller
    else:
        by_id = {id(t): k for k, t in names.items()}
    by_id.pop(id(L), None)
    with memoized_sum_symbols():  # building the claim's sides asks each nested sum for its free symbols many times
        return _gradient(L, wrt, by_id, names is None, settings, loss_name)


def _gradient(L: Tensor, wrt: Tensor, by_id: dict[int, str], hints: bool, settings: Settings | None,
              loss_name: str) -> Gradient:
    exact: Tensor | None = None
    # The candidates are the chain rule's own matrix forms: their residuals are sums of products, which the
    # canonical multi-index form decides first (see Settings.canonical_first).
    settings = replace(settings or Settings(budget=20.0, search_budget=5.0), canonical_first=True)
    tried: list[tuple[Form, Verdict | Recalled]] = []
    reasons: list[str] = []
    for fused in (True, False):
        try:
            form = backprop(from_tensor(L, by_id, hints=hints), wrt, fused=fused)
        except NoMatrixForm as exc:
            if str(exc) not in reasons:
                reasons.append(str(exc))
            continue
        if any(f is not None and _same(f, form) for f, _ in tried):
            continue
        title = f"∂{loss_name}/∂{_name(wrt)}"
        content = proof_cache.key(L, wrt, form)
        recalled = proof_cache.recall(content, title)
        if recalled is not None:  # this very claim, proved before by this very code
            tried.append((form, recalled))
            return Gradient(L, wrt, form, recalled, exact, loss_name=loss_name, tried=tuple(tried))
        exact = grad(L, wrt) if exact is None else exact
        try:
            verdict = decide(claim(exact, form.tensor(), name=title), settings)
        except (TypeError, NoMatrixForm) as exc:
            reasons.append(f"the candidate {text(form)} could not be built ({exc})")
            continue
        proof_cache.remember(content, verdict.status, verdict.strategy, title)
        tried.append((form, verdict))
        if verdict.status == Status.PROVED:
            return Gradient(L, wrt, form, verdict, exact, loss_name=loss_name, tried=tuple(tried))
        reasons.append(f"the candidate {text(form)} was {verdict.status.value}"
                       + (f": {verdict.reason}" if verdict.reason else ""))
    note = "no matrix form was proved; " + "; ".join(reasons) if reasons else "no matrix form was found"
    return Gradient(L, wrt, None, None, exact, note=note, loss_name=loss_name, tried=tuple(tried))


def _name(t: Tensor) -> str:
    return next(iter(t.declarations)).name if len(t.declarations) == 1 else "X"


def _same(a: Form, b: Form) -> bool:
    return text(a) == text(b)


def _index_form(exact: Tensor) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """The entry at free indices, deltas summed and the hypotheses applied, bound indices lettered."""
    c = claim(exact, exact)
    assert isinstance(c.lhs, sp.Expr)
    indices = tuple(sorted(c.ranges, key=str))
    reduced = normalize_sums(c.rewrite(split_exponentials(c.lhs)), c.ranges, rewrite=c.rewrite)
    return lettered(reduced), indices


def lettered(expr: sp.Basic) -> sp.Expr:
    """Bound indices named by nesting depth with letters (n, m, q, ...) the expression does not use.

    The engine's canonical names count from the innermost sum (its normal form); a reader
    counts from the outermost, so the outermost sum of every term is n. Scoped: a name
    bound twice, nested, is renamed per binding. Used for the lines of matrix gradients and of proofs.
    """
    taken = {str(s) for s in expr.free_symbols}
    letters = [x for x in "nmqrstuvw" if x not in taken]

    def letter(depth: int) -> sp.Symbol:
        return sp.Symbol(letters[depth] if depth < len(letters) else f"ι{depth}", integer=True)

    def rename(node: sp.Basic, env: dict[sp.Basic, sp.Basic], depth: int) -> sp.Basic:
        if not node.args:
            return env.get(node, node)
        if isinstance(node, sp.Sum):
            inner = dict(env)
            limits = []
            for v, lo, hi in node.limits:
                target = letter(depth)
                depth += 1
                limits.append((target, rename(lo, env, depth), rename(hi, env, depth)))
                inner[v] = target
            return sp.Sum(rename(node.function, inner, depth), *limits)
        return node.func(*[rename(a, env, depth) for a in node.args])

    out = rename(expr, {}, 0)
    assert isinstance(out, sp.Expr)
    return out
