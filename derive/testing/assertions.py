"""Proofs as tests: assertion helpers with clear failures, and checking a hand-written gradient.

    >>> from derive.testing import assert_proved
    >>> assert_proved("cross_entropy_gradient_soft").strategy
    'index calculus'

- :func:`assert_proved`, :func:`assert_refuted`, :func:`assert_equivalent` decide a claim
  (or a library theorem) and fail in the numpy.testing style: the claim, the verdict,
  the residual, the counterexample with both sides' values, and a line to paste.
- :func:`assert_gradient` checks a numeric gradient function (numpy, or torch where it is
  installed) for any loss built with :mod:`derive.model` (the library's four named losses are
  such models) against the engine's exact gradient: derived by
  SymPy from the built loss and evaluated with mpmath at 50 digits, so logits of ±1000
  are no trouble for the reference (unlike finite differences, or float64).
- :func:`theorem` marks a test function whose return value (a Claim, a Theorem or a
  library name) the pytest plugin collects as a proof (:mod:`derive.testing.plugin`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import sympy as sp

from derive.engine.claims import Claim
from derive.engine.decide import Settings, decide
from derive.engine.hypotheses import Hypothesis
from derive.engine.space import Role, Space
from derive.engine.verdict import Status, Verdict
from derive.library.theorems import LIBRARY, Theorem
from derive.model import Labels, Matrix, Size, Tensor, Vector, cross_entropy, softmax
from derive.testing.calls import GradientCallError, as_real_array, call_with_timeout
from derive.testing.reproduce import Names, pytest_rerun

__all__ = ["LOSSES", "assert_equivalent", "assert_gradient", "assert_proved", "assert_refuted", "theorem"]

Subject = Claim | Theorem | str
_F = TypeVar("_F", bound=Callable[..., Any])


# -- claims ---------------------------------------------------------------------------------------

def _claim(subject: Subject) -> tuple[Claim, str]:
    """The claim to decide and the expression that rebuilds it (for the reproduce line)."""
    if isinstance(subject, str):
        if subject not in LIBRARY:
            raise TypeError(f"no theorem named {subject!r}; known: {', '.join(LIBRARY)}")
        subject = LIBRARY[subject]
    if isinstance(subject, Theorem):
        return subject.symbolic(), f"derive.LIBRARY[{subject.name!r}].symbolic()"
    if isinstance(subject, Claim):
        return subject, "claim"
    raise TypeError(f"expected a Claim, a Theorem or a theorem name, got {type(subject).__name__}")


def _verdict_message(header: str, verdict: Verdict, rebuild: str, settings: Settings) -> str:
    claim = verdict.claim
    stated = claim.statement or claim.name
    if stated in ("", "model claim"):  # an unnamed model claim: say what it claims, not its placeholder name
        stated = _clip(f"{sp.sstr(claim.lhs)} = {sp.sstr(claim.rhs)}", 200)
    lines = [header, "", f" claim:     {stated}"]
    if claim.hypotheses:
        lines.append(f" assuming:  {', '.join(h.text for h in claim.hypotheses)}")
    lines.append(f" verdict:   {verdict.status.value}" + (f" ({verdict.reason})" if verdict.reason else
                                                           f" by {verdict.strategy}" if verdict.strategy else ""))
    if verdict.missing_hypothesis:
        lines.append(f" missing:   {verdict.missing_hypothesis}")
    if verdict.residual is not None:
        lines.append(f" residual:  lhs - rhs = {_clip(sp.sstr(verdict.residual), 200)}")
    ce = verdict.counterexample
    if ce is not None:
        at = ", ".join(f"{name} = {_clip(str(value), 60)}" for name, value in ce.point.items())
        lines += [f" at:        {at}" + (f" (entry {ce.entry})" if ce.entry is not None else ""),
                  f" lhs:       {_float(ce.lhs)}",
                  f" rhs:       {_float(ce.rhs)}"]
    lines.append(f" reproduce: derive.decide({rebuild}, derive.Settings(seed={settings.seed}, "
                 f"samples={settings.samples}))")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _float(value: Any) -> str:
    try:
        return f"{float(value):.15g}"
    except (TypeError, ValueError):
        return str(value)


def _expect(subject: Subject, status: Status, settings: Settings | None) -> Verdict:
    __tracebackhide__ = True
    settings = settings or Settings()
    claim, rebuild = _claim(subject)
    verdict = decide(claim, settings)
    if verdict.status is not status:
        raise AssertionError(_verdict_message(f"Claim not {status.value}: {claim.name}", verdict, rebuild, settings))
    return verdict


def assert_proved(subject: Subject, *, settings: Settings | None = None) -> Verdict:
    """Fail unless the engine proves ``subject`` (a Claim, a Theorem, or a library theorem's name).

    Returns the verdict (its strategy says how it was proved). Undecided fails too: an
    identity that was not shown is not a passing test.
    """
    __tracebackhide__ = True
    return _expect(subject, Status.PROVED, settings)


def assert_refuted(subject: Subject, *, settings: Settings | None = None) -> Verdict:
    """Fail unless the engine refutes ``subject`` with a counterexample (for teaching: a wrong step is caught)."""
    __tracebackhide__ = True
    return _expect(subject, Status.REFUTED, settings)


def assert_equivalent(lhs: sp.Expr, rhs: sp.Expr, *, assuming: Sequence[Hypothesis] = (), name: str = "lhs == rhs",
                      space: Space | None = None, settings: Settings | None = None) -> Verdict:
    """Fail unless ``lhs == rhs`` is proved under the hypotheses ``assuming``.

    Pass the ``space`` the expressions were built in (:class:`derive.library.functions.Space`) so
    that a counterexample can give its arrays values (logits, labels) that honor the
    hypotheses.
    """
    __tracebackhide__ = True
    if not isinstance(lhs, sp.Basic) or not isinstance(rhs, sp.Basic):
        raise TypeError("assert_equivalent compares SymPy expressions; strings are never parsed "
                        "(build them with sympy or derive.library.functions)")
    settings = settings or Settings()
    claim = Claim.in_space(space, name, lhs, rhs, *assuming) if space is not None else \
        Claim(name, lhs, rhs, tuple(assuming), name)
    verdict = decide(claim, settings)
    if verdict.status is not Status.PROVED:
        raise AssertionError(_verdict_message(f"Not equivalent: {name}", verdict, "claim", settings))
    return verdict


def theorem(fn: _F | None = None, *, expect: str = "proved") -> Any:
    """Mark a test function that returns a Claim, a Theorem or a theorem name as a proof to collect.

    The pytest plugin runs it as one test item: it passes when the verdict is ``expect``
    ("proved", or "refuted" for a wrong step that must be caught). Undecided fails unless
    ``--derive-undecided=xfail``.
    """
    if expect not in ("proved", "refuted"):
        raise TypeError(f"expect is 'proved' or 'refuted', not {expect!r}")

    def mark(f: _F) -> _F:
        f.__derive_theorem__ = expect  # type: ignore[attr-defined]
        return f
    return mark(fn) if fn is not None else mark


# -- gradients ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Loss:
    """A library loss: its inputs, the ones the gradient is taken by, and how to draw points."""

    name: str
    description: str
    inputs: tuple[str, ...]
    wrt: tuple[str, ...]
    sizes: tuple[str, ...]
    defaults: Mapping[str, int]


LOSSES: dict[str, _Loss] = {
    "cross_entropy": _Loss("cross_entropy", "softmax cross-entropy, one-hot labels: fn(z, y) -> dL/dz",
                           ("z", "y"), ("z",), ("k",), {"k": 5}),
    "cross_entropy_soft": _Loss("cross_entropy_soft", "softmax cross-entropy, soft labels: fn(z, y) -> dL/dz",
                                ("z", "y"), ("z",), ("k",), {"k": 5}),
    "two_layer": _Loss("two_layer", "L = CE(y, softmax(B A x)): fn(A, B, x, y) -> (dL/dA, dL/dB)",
                       ("A", "B", "x", "y"), ("A", "B"), ("c", "d", "p"), {"c": 3, "d": 4, "p": 5}),
    "two_layer_batch": _Loss("two_layer_batch", "L = (1/N) Σ_n CE(y_n, softmax(B A x_n)): fn(A, B, X, Y) -> "
                             "(dL/dA, dL/dB) with X of shape (N, p), Y of shape (N, c)",
                             ("A", "B", "x", "y"), ("A", "B"), ("c", "d", "p", "N"), {"c": 3, "d": 4, "p": 5, "N": 3}),
}


def library_loss(loss: str, sizes: Mapping[str, int]) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """A library loss as a model of :mod:`derive.model`: the loss, the arrays it is differentiated by,
    and its inputs in the order of ``LOSSES[loss].inputs``."""
    if loss.startswith("cross_entropy"):
        k = Size("k", sizes["k"])
        z, y = Vector("z", k, role=Role.LOGITS), Labels("y", k, soft=True)
        return cross_entropy(y, softmax(z)), [z], [z, y]
    c, d, p = Size("c", sizes["c"]), Size("d", sizes["d"]), Size("p", sizes["p"])
    A, B = Matrix("A", d, p), Matrix("B", c, d)
    if loss == "two_layer_batch":
        N = Size("N", sizes["N"])
        X, Y = Matrix("x", N, p, role=Role.INPUTS), Labels("y", c, soft=True, batch=N)
        return cross_entropy(Y, softmax(X @ A.T @ B.T)), [A, B], [A, B, X, Y]
    x, y = Vector("x", p), Labels("y", c, soft=True)
    return cross_entropy(y, softmax(B @ (A @ x))), [A, B], [A, B, x, y]


@functools.cache
def _reference(loss: str, sizes: tuple[tuple[str, int], ...]) -> tuple[Callable[..., list[Any]], list[tuple[int, ...]],
                                                                   dict[str, tuple[int, ...]]]:
    """The exact gradient of a library loss at these sizes, as an mpmath function of the inputs.

    The loss is built with :mod:`derive.model`; SymPy differentiates it and every partial
    derivative is compiled once with lambdify (mpmath), as for any model loss.
    """
    from derive.testing.model_gradient import model_check

    L, wrt, args = library_loss(loss, dict(sizes))
    check = model_check(L, wrt, args, None)
    out_shapes = [check.shapes[d.name] for d in check.wrt]
    return check.compiled(), out_shapes, dict(check.shapes)


def _points(loss: _Loss, sizes: Mapping[str, int], count: int, seed: int) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Random points, then extreme ones: logits up to ±1000, probabilities near 0 and 1."""
    rng = np.random.default_rng(seed)
    out = []
    for n in range(count):
        extreme = n % 2 == 1
        values: dict[str, np.ndarray] = {}
        if loss.name.startswith("cross_entropy"):
            k = sizes["k"]
            z = rng.choice([1000.0, -1000.0, 999.0, 0.0, 500.0, -999.5], size=k) if extreme else rng.normal(0, 3, k)
            values["z"] = z
            values["y"] = _labels(rng, (k,), soft=loss.name.endswith("soft"), extreme=extreme)
        else:
            c, d, p = sizes["c"], sizes["d"], sizes["p"]
            rows = (sizes["N"],) if loss.name.endswith("batch") else ()
            values["A"] = rng.normal(0, 1, (d, p))
            values["B"] = rng.normal(0, 1, (c, d))
            x = rng.normal(0, 1, (*rows, p))
            if extreme:
                # Scale the input so the logits s = B A x reach hundreds: softmax saturates.
                s = np.einsum("cd,dp,...p->...c", values["B"], values["A"], x)
                x = x * (800.0 / max(np.abs(s).max(), 1e-12))
            values["x"] = x
            values["y"] = _labels(rng, (*rows, c), soft=True, extreme=extreme)
        out.append(("extreme" if extreme else "random", values))
    return out


def _labels(rng: np.random.Generator, shape: tuple[int, ...], *, soft: bool, extreme: bool) -> np.ndarray:
    classes = shape[-1]
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    out = np.zeros((rows, classes))
    for r in range(rows):
        if not soft:
            out[r, rng.integers(classes)] = 1.0
        elif extreme:
            out[r] = 1e-12
            out[r, rng.integers(classes)] = 1.0 - 1e-12 * (classes - 1)
        else:
            w = rng.uniform(0.05, 1.0, classes)
            out[r] = w / w.sum()
    return out.reshape(shape)


def _exact(loss: _Loss, sizes: Mapping[str, int], values: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    import mpmath

    compiled, out_shapes, _ = _reference(loss.name if loss.name != "cross_entropy_soft" else "cross_entropy",
                                         tuple(sorted(sizes.items())))
    args = [mpmath.mpf(float(v)) for name in loss.inputs for v in np.asarray(values[name], dtype=float).ravel()]
    with mpmath.workdps(50):
        flat = compiled(*args)
        numbers = [float(v) for v in flat]
    out, pos = [], 0
    for shape in out_shapes:
        size = int(np.prod(shape))
        out.append(np.array(numbers[pos:pos + size]).reshape(shape))
        pos += size
    return out


def _call(fn: Callable[..., Any], loss: _Loss, values: Mapping[str, np.ndarray], backend: str,
          timeout: float = 30.0, total: float | None = None) -> list[np.ndarray]:
    __tracebackhide__ = True
    args: list[Any] = [np.array(values[name], dtype=float) for name in loss.inputs]
    if backend == "torch":
        import torch

        args = [torch.tensor(a, dtype=torch.float64) for a in args]
    result = call_with_timeout(fn, args, timeout, total)
    if len(loss.wrt) > 1 and not isinstance(result, (tuple, list)):
        raise GradientCallError(f"your gradient function {getattr(fn, '__name__', 'fn')} must return a tuple of "
                                f"{len(loss.wrt)} arrays ({', '.join('dL/d' + w for w in loss.wrt)}); it returned "
                                f"{type(result).__name__}: {result!r:.60}")
    results = list(result) if isinstance(result, (tuple, list)) and len(loss.wrt) > 1 else [result]
    if len(results) != len(loss.wrt):
        raise TypeError(f"the gradient function for {loss.name} must return {len(loss.wrt)} arrays "
                        f"({', '.join('dL/d' + w for w in loss.wrt)}), got {len(results)}")
    return [as_real_array(r, f"dL/d{w}") for r, w in zip(results, loss.wrt, strict=True)]


def _show(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=6, separator=", ", threshold=12, max_line_width=100)


def assert_gradient(fn: Callable[..., Any], loss: str | Tensor, *, wrt: Sequence[Tensor] = (),
                    args: Sequence[Tensor] = (), sizes: Mapping[Any, int] | None = None, samples: int = 6,
                    seed: int = 0, rtol: float = 1e-6, atol: float = 1e-9, backend: str = "numpy",
                    timeout: float = 30.0) -> None:
    """Check a hand-written gradient against the engine's exact gradient.

    Args:
        fn: the gradient function, called with numpy arrays (``backend="torch"``: float64
            tensors); it returns the gradient, or a tuple of them (one for each of ``wrt``).
        loss: a scalar loss built with :mod:`derive.model` (then ``wrt`` and ``args`` say by
            which arrays and with which arguments, in order), or a library loss by name:
            ``"cross_entropy"`` (one-hot labels), ``"cross_entropy_soft"``, ``"two_layer"``
            or ``"two_layer_batch"`` (the arguments are ``LOSSES[loss].inputs``).
        sizes: the sizes (a model: Size objects or names; unfixed ones get distinct small values).
        samples: points tried: random ones and extreme ones (logits up to ±1000,
            probabilities near 0 and 1) in turn, every one honoring the declarations.
        rtol, atol: a component fails when ``|yours - exact| > atol + rtol * |exact|``.
        timeout: seconds each call of ``fn`` may take (a library loss); with a model loss, seconds the whole
            check may take: building the reference and every call.

    With a model loss, the reference is the gradient in matrix form that the engine proved equal to
    SymPy's for every size (:func:`derive.model.gradient`), evaluated at float64 at the real sizes;
    unfixed sizes get distinct defaults from 3 up. Where nothing is proved (or float64 overflows),
    and for the library losses, the exact gradient is SymPy's derivative of the built loss,
    evaluated at 50 digits.
    A nan or inf in your gradient fails at once (a backward pass without the max-shift
    overflows at logits near 1000); so do complex values and results that are not arrays.

    Examples:
        >>> import numpy as np
        >>> from derive.model import Size, Matrix, Vector, Scalar, mse, l2
        >>> N, p = Size("N"), Size("p")
        >>> X, w, t, lam = Matrix("X", N, p), Vector("w", p), Vector("t", N), Scalar("lam", positive=True)
        >>> L = mse(X @ w, t) / 2 + l2(w, lam)
        >>> def backward(X, w, t, lam):
        ...     return X.T @ (X @ w - t) / len(t) + lam * w
        >>> assert_gradient(backward, L, wrt=[w], args=[X, w, t, lam])
    """
    __tracebackhide__ = True
    if backend not in ("numpy", "torch"):
        raise TypeError(f"backend is 'numpy' or 'torch', not {backend!r}")
    frame = inspect.currentframe()
    names = Names(frame.f_back if frame is not None else None)
    del frame
    if isinstance(loss, Tensor):
        _assert_model_gradient(fn, loss, wrt, args, sizes, samples, seed, rtol, atol, backend, timeout, names)
        return
    if loss not in LOSSES:
        raise TypeError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}, or a loss built with derive.model")
    spec = LOSSES[loss]
    chosen = dict(spec.defaults)
    for key, value in (sizes or {}).items():
        if key not in spec.sizes:
            raise TypeError(f"{loss} has sizes {', '.join(spec.sizes)}; got {key!r}")
        chosen[key] = int(value)
    for number, (kind, values) in enumerate(_points(spec, chosen, samples, seed), start=1):
        exact = _exact(spec, chosen, values)
        yours = _call(fn, spec, values, backend, timeout)
        for name, mine, truth in zip(spec.wrt, yours, exact, strict=True):
            problem = _compare(mine, truth, rtol, atol)
            if problem is not None:
                raise AssertionError(_gradient_message(names.of_function(fn), spec, chosen, seed, samples, number,
                                                       kind, values, name, mine, truth, problem, rtol, atol, backend))


def _assert_model_gradient(fn: Callable[..., Any], loss: Tensor, wrt: Sequence[Tensor], args: Sequence[Tensor],
                           sizes: Mapping[Any, int] | None, samples: int, seed: int, rtol: float, atol: float,
                           backend: str, timeout: float, names: Names) -> None:
    """The model path: the proved gradient at float64 at the real sizes; the exact mpmath path where it is needed.

    ``timeout`` bounds everything: building the references, every call of ``fn``, the comparisons.
    """
    __tracebackhide__ = True
    from derive.engine.budget import BudgetExceeded, Deadline
    from derive.testing.model_gradient import ModelCheck, ProvedCheck, choose_sizes, model_check, validated

    if not wrt or not args:
        raise TypeError("assert_gradient(fn, L, wrt=[...], args=[...]): with a model loss, wrt lists the arrays "
                        "the gradient is taken by and args the arguments fn takes, in order")
    deadline = Deadline(timeout)
    arg_decls, wrt_decls = validated(loss, wrt, args)
    chosen = choose_sizes(loss, args, sizes)
    names_in = tuple(d.name for d in arg_decls)
    spec = _Loss("model", f"your model's loss L: fn({', '.join(names_in)}) -> "
                 f"({', '.join('dL/d' + d.name for d in wrt_decls)})", names_in, tuple(d.name for d in wrt_decls),
                 tuple(chosen), chosen)
    size_text = "{" + ", ".join(f"{k!r}: {v}" for k, v in chosen.items()) + "}"
    rebuild = (f"derive.testing.assert_gradient({names.of_function(fn)}, {names.of(loss, 'L')}, "
               f"wrt=[{', '.join(names.of(w, d.name) for w, d in zip(wrt, wrt_decls, strict=True))}], "
               f"args=[{', '.join(names.of(a, d.name) for a, d in zip(args, arg_decls, strict=True))}], "
               f"sizes={size_text}, samples={samples}, seed={seed}"
               + (f", backend={backend!r})" if backend != "numpy" else ")"))

    def within(build: Callable[[], Any], what: str) -> Any:
        try:
            return deadline.run(build, what=what)
        except BudgetExceeded:
            raise GradientCallError(f"the check ran out of its timeout={timeout:g} s while {what}; pass a "
                                    "larger timeout, or smaller sizes") from None

    proved = within(lambda: ProvedCheck(loss, wrt, args, chosen, deadline.remaining() * 0.8),
                    "proving the gradient in matrix form")
    exact_check: list[ModelCheck] = []

    def exact_reference() -> ModelCheck:
        if not exact_check:
            exact_check.append(within(lambda: model_check(loss, wrt, args, chosen),
                                      "writing out the exact gradient entry by entry"))
        return exact_check[0]

    if proved.proved:
        points = proved.points(samples, seed)
    else:
        check = exact_reference()
        points = [(p.kind, check.values(p)) for p in check.points(samples, seed)]
    for number, (kind, values) in enumerate(points, start=1):
        exact = proved.exact(values) if proved.proved else None
        if exact is None or not all(np.isfinite(e).all() for e in exact):
            # float64 overflowed in the reference (or nothing was proved): the exact path, at 50 digits
            check = exact_reference()
            compiled = within(check.compiled, "compiling the exact gradient")
            exact = check.exact(compiled, values)
        left = deadline.remaining()
        if left <= 0:
            raise GradientCallError(f"the check ran out of its timeout={timeout:g} s after {number - 1} of "
                                    f"{samples} points; pass a larger timeout")
        yours = _call(fn, spec, values, backend, left, timeout)
        for name, mine, truth in zip(spec.wrt, yours, exact, strict=True):
            problem = _compare(mine, truth, rtol, atol)
            if problem is not None:
                raise AssertionError(_gradient_message(names.of_function(fn), spec, chosen, seed, samples, number,
                                                       kind, values, name, mine, truth, problem, rtol, atol, backend,
                                                       reproduce=rebuild))


def _compare(mine: np.ndarray, truth: np.ndarray, rtol: float, atol: float) -> str | None:
    if mine.shape != truth.shape:
        return f"shape {mine.shape}, expected {truth.shape}"
    bad = ~np.isfinite(mine) | (np.abs(mine - truth) > atol + rtol * np.abs(truth))
    if not bad.any():
        return None
    return f"{int(bad.sum())} / {bad.size} ({100 * bad.sum() / bad.size:.0f}%)"


def _gradient_message(fn_text: str, spec: _Loss, sizes: Mapping[str, int], seed: int, samples: int,
                      number: int, kind: str, values: Mapping[str, np.ndarray], name: str, mine: np.ndarray,
                      truth: np.ndarray, problem: str, rtol: float, atol: float, backend: str,
                      reproduce: str | None = None) -> str:
    lines = [f"Gradient check failed: {spec.description}", ""]
    where = "logits up to ±1000, probabilities near 0 and 1" if kind == "extreme" else "random"
    lines.append(f" point {number} of {samples} ({where}); sizes {', '.join(f'{k}={v}' for k, v in sizes.items())}")
    if mine.shape != truth.shape:
        lines.append(f" dL/d{name}: wrong shape: {problem}")
    else:
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            diff = np.abs(mine - truth)
            # Relative to a nonzero exact value only: where the exact value is 0 the absolute difference is the news.
            rel = np.where(truth != 0, diff / np.abs(np.where(truth != 0, truth, 1.0)), np.nan)
        diff = np.where(np.isfinite(diff), diff, np.inf)
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
        at_zero = " (the exact value there is 0)" if truth[worst] == 0 else ""
        lines += [f" Mismatched elements of dL/d{name}: {problem} (rtol={rtol:g}, atol={atol:g})",
                  f" Max absolute difference: {diff[worst]:.6g} at dL/d{name}{[int(i) for i in worst]}{at_zero}"]
        nonzero = truth != 0
        if nonzero.any():
            over = rel[nonzero]
            lines.append(f" Max relative difference: {np.max(np.where(np.isfinite(over), over, np.inf)):.6g}"
                         + ("" if nonzero.all() else " (over the entries whose exact value is not 0)"))
        else:
            lines.append(" Max relative difference: none (the exact gradient is 0 in every entry; the absolute "
                         "difference above is the measure)")
        if not np.isfinite(mine).all():
            lines.append(f" yours has {int((~np.isfinite(mine)).sum())} non-finite entries (nan or inf): "
                         "a softmax without the max-shift overflows at large logits")
        with np.errstate(invalid="ignore"):
            lines.append(f" relative error per component: {_show(rel)}")
    for key in spec.inputs:
        lines.append(f" {key:>6} = {_show(values[key])}")
    lines += [f" {'yours':>6} = {_show(mine)}", f" {'exact':>6} = {_show(truth)}"]
    size_text = "{" + ", ".join(f"{k!r}: {v}" for k, v in sizes.items()) + "}"
    torch_text = f", backend={backend!r}" if backend != "numpy" else ""
    if reproduce is None:
        reproduce = (f"derive.testing.assert_gradient({fn_text}, {spec.name!r}, sizes={size_text}, samples={samples}, "
                     f"seed={seed}{torch_text})")
    lines.append(f" reproduce: {reproduce}")
    rerun = pytest_rerun()
    if rerun is not None:
        lines.append(f" rerun:     {rerun}")
    return "\n".join(lines)

