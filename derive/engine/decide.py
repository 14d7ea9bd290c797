"""The decision engine: proved, refuted or undecided, with the evidence.

Soundness first:

- **proved** only when ``lhs - rhs`` was rewritten to the exact zero ``0`` by
  equivalence-preserving steps (the strategy that got there is recorded);
- **refuted** only with a concrete point, honoring the hypotheses, where both sides
  were evaluated exactly-then-``evalf`` at two precisions and differ at both;
- **undecided** otherwise, with the reason and the residual.

Strategies run from cheap to expensive; everything runs under a time budget.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sympy as sp

from derive.engine.budget import BudgetExceeded, run_with_budget
from derive.engine.claims import Claim, entries
from derive.engine.differentiate import LowRankMatrix
from derive.engine.evaluate import differs, evaluate, sample_points
from derive.engine.fixed import at_sizes, symbolic_sizes
from derive.engine.hypotheses import InRange, OneHot, SumToOne
from derive.engine.memo import memoized_sum_symbols
from derive.engine.multisums import canonical_sums
from derive.engine.space import Role
from derive.engine.sums import expand_products, normalize_sums, split_exp_logs, split_exponentials
from derive.engine.verdict import IDENTITY_NOTE, Counterexample, Status, Verdict

__all__ = ["STRATEGIES", "Settings", "decide", "reduce_to_zero"]

#: Strategies in the order they are tried; the verdict names the strongest one needed.
STRATEGIES = (
    "identical",
    "hypotheses",
    "index calculus",
    "expand",
    "cancel",
    "atoms expanded",
    "functions as atoms",
    "canonical sums",
    "simplify",
)


@dataclass(frozen=True)
class Settings:
    """How hard to try.

    Args:
        budget: seconds for the proof phase (every strategy on every entry).
        search_budget: seconds for the counterexample search.
        samples: points tried in the search (random and extreme).
        seed: seed of the point sampler, for reproducible counterexamples.
        digits: significant digits of the evaluation (confirmed at twice as many).
        fixed_sizes: sizes (every size one of them) at which a claim left undecided for every
            size is tried again; empty to skip. Refuted there is refuted; proved there stays
            undecided, with the sizes in the reason.
        canonical_first: for a claim with no hypothesis but index ranges, try the canonical
            multi-index form on the residual before the index calculus's passes. The matrix-form
            gradients ask for it: their residuals are sums of products that the canonical form
            decides at once, where the passes ran first for nothing (layer norm: 0.7 s to 0.3 s).
    """

    budget: float = 20.0
    search_budget: float = 20.0
    samples: int = 12
    seed: int = 0
    digits: int = 30
    fixed_sizes: tuple[int, ...] = (2, 3)
    canonical_first: bool = False


#: Operations in a residual above which simplify is not tried (it only ran out of time there).
_SIMPLIFY_LIMIT = 400


@dataclass(frozen=True)
class _Reduction:
    strategy: str | None
    residual: sp.Expr
    entry: tuple[int, ...] | None = None
    count: int = 1
    #: The elementwise identities (derive.engine.identities) the proof used.
    rules: tuple[str, ...] = ()


def _eliminate_label_sums(expr: sp.Expr, claim: Claim) -> sp.Expr:
    """Σy = 1 at a fixed size: replace the last label of each row by 1 minus the others."""
    for h in claim.hypotheses:
        if isinstance(h, SumToOne) and h.size.is_Integer:
            size = int(h.size)
            reps = {}
            for ix in expr.atoms(sp.Indexed):
                if ix.base == h.labels and ix.indices[-1] == size:
                    prefix = ix.indices[:-1]
                    reps[ix] = 1 - sp.Add(*[h.labels[(*prefix, n)] for n in range(1, size)])
            expr = expr.xreplace(reps)
    return expr


class _Shared:
    """Reductions of one claim's inner residuals, keyed by the identity of their factors.

    Entries of one claim share factors (the two-layer A gradient's entry (a, b) is
    adj(h_a)·x_b against signal_a·x_b: one g = h per hidden unit a, for p entries). The
    factors are the very same objects across those entries, so their ids are a key that
    is O(1) to hash and compare; a key of SymPy expressions would run SymPy's deep
    ``__eq__`` whenever equal but distinct objects meet. The factors are kept alive
    with the answer, so an id is never reused while the cache lives (one decision).
    """

    def __init__(self) -> None:
        self._known: dict[tuple[tuple[int, ...], tuple[int, ...], bool], tuple[object, _Reduction]] = {}
        self._products: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[object, sp.Expr, sp.Expr]] = {}
        #: cancel(expanded residual) of an entry (lhs, rhs), by their ids: the light pass computes it and
        #: the heavy pass, which repeats the light strategies first, reuses it (it was half of a fixed-size
        #: layer theorem's time). lhs and rhs are kept alive with it, so an id is not reused meanwhile.
        self.cancelled: dict[tuple[int, int], tuple[object, sp.Expr]] = {}

    def reduce(self, claim: Claim, left: list[sp.Expr], right: list[sp.Expr], heavy: bool) -> _Reduction:
        key = (tuple(map(id, left)), tuple(map(id, right)), heavy)
        known = self._known.get(key)
        if known is None:
            # One product per pair of factor lists for both passes, so the cancel above is shared too.
            product = self._products.get(key[:2])
            if product is None:
                product = self._products[key[:2]] = ((left, right), sp.Mul(*left), sp.Mul(*right))
            result = reduce_to_zero(claim, product[1], product[2], heavy=heavy, shared=self)
            known = self._known[key] = ((left, right), result)
        return known[1]


def reduce_to_zero(claim: Claim, lhs: sp.Expr, rhs: sp.Expr, *, heavy: bool = True,
                   shared: _Shared | None = None, canonical_first: bool = False) -> _Reduction:
    """Try to rewrite ``lhs - rhs`` to exact zero under the claim's hypotheses (``canonical_first``: see
    :class:`Settings`)."""
    if lhs == rhs:
        return _Reduction("identical", sp.S.Zero)
    common = _common_factors(lhs, rhs)
    if common is not None:
        # f·g = f·h follows from g = h; the smaller residual g - h is the same for
        # every entry that shares it (x_b in the two-layer A gradient): decided once.
        inner = (shared or _Shared()).reduce(claim, *common, heavy)
        if inner.strategy is not None:
            return _Reduction(f"common factor + {inner.strategy}", sp.S.Zero, rules=inner.rules)
    if claim.hypotheses and not lhs.has(sp.Sum) and _rewritten_alike(claim, lhs, rhs):
        # Both sides rewritten to one and the same expression: lhs - rhs is exactly 0.
        # Cheaper than rewriting the residual (no new sum to build, cancel and rebuild).
        return _Reduction("hypotheses", sp.S.Zero)
    residual = claim.rewrite(sp.sympify(lhs) - sp.sympify(rhs))
    if residual == 0:
        return _Reduction("hypotheses", sp.S.Zero)
    if residual.has(sp.log) and residual.has(sp.Sum):
        residual = split_exp_logs(residual)
    if canonical_first and residual.has(sp.Sum) and all(isinstance(h, InRange) for h in claim.hypotheses):
        early = _canonical(residual, claim)
        if early is not None:
            return early
    if residual.has(sp.Sum, sp.KroneckerDelta):
        ranges = claim.ranges
        for _ in range(3):
            reduced = claim.rewrite(normalize_sums(residual, ranges, rewrite=claim.rewrite))
            if reduced == residual:
                break
            residual = reduced
        if residual == 0:
            return _Reduction("index calculus", sp.S.Zero)
        if residual.has(sp.Sum) and residual.has(sp.exp):
            # A shift exp(a + z_n) leaves a sum only once split: exp(a) exp(z_n).
            split = claim.rewrite(normalize_sums(split_exponentials(residual), ranges))
            split = normalize_sums(split_exponentials(split), ranges)  # log(exp(a) S) once a left S
            if split == 0:
                return _Reduction("index calculus", sp.S.Zero)
    expanded = expand_products(residual)
    if expanded.has(sp.log):
        # log(a/b) = log a - log b only where SymPy knows a, b > 0 (force=False): sound.
        expanded = expand_products(sp.expand_log(expanded))
    if expanded == 0:
        return _Reduction("expand", sp.S.Zero)
    if residual.has(sp.Sum):
        # cancel and simplify do not see through unevaluated sums (and simplify may
        # raise on them: SymPy issue 14570): the multi-index normal form does, with each
        # sum and function application an atom once the sums are in one canonical order.
        return _canonical(residual, claim) or _Reduction(None, residual)
    entry = (id(lhs), id(rhs))
    known = shared.cancelled.get(entry) if shared is not None else None
    if known is not None:
        cancelled = known[1]
    else:
        cancelled = sp.cancel(expanded)
        if shared is not None:
            shared.cancelled[entry] = ((lhs, rhs), cancelled)
    if cancelled == 0:
        return _Reduction("cancel", sp.S.Zero)
    if not heavy:
        return _Reduction(None, cancelled)
    if claim.definitions and cancelled.free_symbols & claim.definitions.keys():
        inlined = cancelled
        for _ in range(len(claim.definitions) + 1):
            if not inlined.free_symbols & claim.definitions.keys():
                break
            inlined = inlined.xreplace(dict(claim.definitions))
        inlined = sp.cancel(_eliminate_label_sums(claim.rewrite(inlined), claim))
        if inlined == 0:
            return _Reduction("atoms expanded", sp.S.Zero)
    generic = _functions_as_atoms(_eliminate_label_sums(cancelled, claim))
    if generic == 0:
        return _Reduction("functions as atoms", sp.S.Zero)
    if cancelled.has(sp.Function):
        canonical = _canonical(_eliminate_label_sums(cancelled, claim), claim)
        if canonical is not None:
            return canonical
    if _larger_than(cancelled, _SIMPLIFY_LIMIT):
        # simplify on a residual this large ran for the whole budget and never reached zero on
        # the claims measured here (a wrong network gradient at fixed sizes); the search decides.
        return _Reduction(None, cancelled)
    simplified = sp.simplify(cancelled)
    if simplified == 0:
        return _Reduction("simplify", sp.S.Zero)
    return _Reduction(None, cancelled)


def _canonical(residual: sp.Expr, claim: Claim) -> _Reduction | None:
    """Proved by the canonical multi-index form with the elementwise identities, or None."""
    fired: set[str] = set()
    out = canonical_sums(residual, claim.ranges, fired)
    if out != 0:
        out = claim.rewrite(out)
        if out != 0 and out.has(sp.Sum, sp.KroneckerDelta):
            out = canonical_sums(out, claim.ranges, fired)
    if out == 0:
        return _Reduction("canonical sums", sp.S.Zero, rules=tuple(sorted(fired)))
    return None


def _rewritten_alike(claim: Claim, lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """Whether the hypotheses rewrite both sides to one expression.

    First term by term: the same terms, as many times each, make the same sum, so no sum is
    rebuilt to find that out (each sum rebuilt here was one SymPy had built before, for the
    right side, and past SymPy's cache it was built again for every entry). Terms that
    combine once rewritten (x + Σy·x against 2x) are found by rewriting the whole sides.
    """
    terms = Counter(claim.rewrite(t) for t in sp.Add.make_args(lhs))
    if terms == Counter(claim.rewrite(t) for t in sp.Add.make_args(rhs)):
        return True
    return bool(claim.rewrite(lhs) == claim.rewrite(rhs))


def _larger_than(expr: sp.Basic, limit: int) -> bool:
    """Whether expr has more than ``limit`` nodes (stops counting there)."""
    for n, _ in enumerate(sp.preorder_traversal(expr)):
        if n >= limit:
            return True
    return False


def _functions_as_atoms(expr: sp.Expr) -> sp.Expr:
    """cancel with every function application (exp, tanh, log, ...) a symbol of its own.

    A rational identity in independent symbols holds whatever values they take, so it holds
    at the functions' values too: sound. exp(a + b) is split first so that both spellings
    of one exponential become the same symbols. The point is speed: cancel walks each
    generator's argument again and again, and the arguments of a network's exponentials
    are large.
    """
    if not expr.has(sp.Function):
        return expr
    out = split_exponentials(sp.expand(expr, power_exp=True, mul=False, multinomial=False, log=False))
    applied = sorted(out.atoms(sp.Function), key=sp.default_sort_key)
    if not applied:
        return expr
    symbols = {f: sp.Dummy(f"f{n}") for n, f in enumerate(applied)}
    return sp.cancel(out.xreplace(symbols))


def _common_factors(lhs: sp.Expr, rhs: sp.Expr) -> tuple[list[sp.Expr], list[sp.Expr]] | None:
    """The factors of g and h when lhs = f·g and rhs = f·h share a non-numeric factor f, else None."""
    if not (isinstance(lhs, sp.Mul) and isinstance(rhs, sp.Mul)):
        return None
    left, right = list(lhs.args), list(rhs.args)
    shared = [f for f in left if f in right and not f.is_number]
    if not shared:
        return None
    for f in shared:
        left.remove(f)
        right.remove(f)
    return left, right


def _strongest(names: Sequence[str]) -> str:
    return max(names, key=lambda name: STRATEGIES.index(name.split(" + ")[-1]))


def _prove(claim: Claim, canonical_first: bool = False) -> _Reduction:
    if isinstance(claim.lhs, LowRankMatrix) and isinstance(claim.rhs, LowRankMatrix):
        structured = _prove_low_rank(claim, claim.lhs, claim.rhs)
        if structured is not None:
            return structured
    used: list[str] = []
    rules: set[str] = set()
    count = 0
    shared = _Shared()
    for index, lhs, rhs in entries(claim.lhs, claim.rhs):
        count += 1
        # Cheap strategies first for every entry; the heavy ones only where needed.
        result = reduce_to_zero(claim, lhs, rhs, heavy=False, shared=shared, canonical_first=canonical_first)
        if result.strategy is None:
            result = reduce_to_zero(claim, lhs, rhs, heavy=True, shared=shared)
        if result.strategy is None:
            return replace(result, entry=index)
        used.append(result.strategy)
        rules |= set(result.rules)
    return _Reduction(_strongest(used), sp.S.Zero, count=count, rules=tuple(sorted(rules)))


def _prove_low_rank(claim: Claim, lhs: LowRankMatrix, rhs: LowRankMatrix) -> _Reduction | None:
    """diag + u vᵀ against diag' + u' v'ᵀ in O(k): u = λu' and v' = λv give u vᵀ = u' v'ᵀ.

    Then only the entries where a direct part is nonzero remain to be compared.
    Returns None (so the caller compares entry by entry) when the structure does not fit.
    """
    if len(lhs.outer) != 1 or len(rhs.outer) != 1 or lhs.size != rhs.size:
        return None
    (u, v), (u2, v2) = lhs.outer[0], rhs.outer[0]
    pivot = next((i for i, x in enumerate(u2) if x != 0), None)
    if pivot is None:
        return None
    scale = sp.cancel(u[pivot] / u2[pivot])
    used: list[str] = []
    for a, b in [*zip(u, (scale * x for x in u2), strict=True), *zip(v2, (scale * x for x in v), strict=True)]:
        result = reduce_to_zero(claim, a, b, heavy=False)
        if result.strategy is None:
            return None
        used.append(result.strategy)
    for i, j in sorted(set(lhs.diagonal) | set(rhs.diagonal)):
        result = reduce_to_zero(claim, lhs.entry(i, j), rhs.entry(i, j))
        if result.strategy is None:
            return replace(result, entry=(i, j))
        used.append(result.strategy)
    return _Reduction(f"rank-one structure + {_strongest(used)}", sp.S.Zero, count=lhs.size**2)


def _entry_of(side: object, index: tuple[int, ...] | None) -> sp.Expr:
    if index is None:
        return sp.sympify(side)
    if isinstance(side, LowRankMatrix):
        return side.entry(*index)
    out: object = side
    for i in index:
        out = out[i]  # type: ignore[index]
    return sp.sympify(out)


def _search(claim: Claim, settings: Settings, focus: list[tuple[int, ...] | None]) -> Counterexample | None:
    for point in sample_points(claim, count=settings.samples, seed=settings.seed):
        for index in focus:
            lhs, rhs = _entry_of(claim.lhs, index), _entry_of(claim.rhs, index)
            left = evaluate(lhs, point, claim.definitions, settings.digits)
            right = evaluate(rhs, point, claim.definitions, settings.digits)
            if not differs(left, right, settings.digits):
                continue
            # Confirm at twice the precision: a real difference does not move.
            digits = 2 * settings.digits
            left = evaluate(lhs, point, claim.definitions, digits)
            right = evaluate(rhs, point, claim.definitions, digits)
            if differs(left, right, digits):
                return Counterexample(point.describe(), left, right, digits, index,
                                      {**point.scalars, **point.entries})
    return None


def _focus(claim: Claim, first: tuple[int, ...] | None) -> list[tuple[int, ...] | None]:
    if first is None and not isinstance(claim.lhs, (tuple, LowRankMatrix)):
        return [None]
    rest: list[tuple[int, ...] | None] = [index for index, _, _ in entries(claim.lhs, claim.rhs)] \
        if not isinstance(claim.lhs, LowRankMatrix) else [(0, 0), (0, 1), (1, 0), (1, 1)]
    ordered: list[tuple[int, ...] | None] = [first] if first is not None else []
    ordered += [i for i in rest[:8] if i != first]
    return ordered


def _candidate_hypotheses(claim: Claim) -> list[SumToOne]:
    constrained = {h.labels for h in claim.hypotheses if isinstance(h, (SumToOne, OneHot))}
    return [SumToOne(spec.base, spec.shape[-1]) for spec in claim.arrays.values()
            if spec.role == Role.LABELS and spec.base not in constrained]


def _timed(fn: Callable[[], _Reduction], seconds: float, what: str) -> _Reduction | None:
    try:
        return run_with_budget(fn, seconds, what=what)
    except BudgetExceeded:
        return None


def decide(claim: Claim, settings: Settings | None = None) -> Verdict:
    """Decide ``claim``: proved (exact zero), refuted (a checked point), or undecided (why).

    Examples:
        >>> import sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> decide(Claim("square", (x + 1) ** 2, x**2 + 2 * x + 1)).status
        <Status.PROVED: 'proved'>
        >>> decide(Claim("sign", sp.exp(x), -sp.exp(x))).status
        <Status.REFUTED: 'refuted'>
    """
    if not isinstance(claim, Claim):
        # Misuse, not a verdict: a string is never read as an expression here (no code from strings).
        raise TypeError(f"decide takes a Claim, not {type(claim).__name__}")
    start = time.perf_counter()
    try:
        with memoized_sum_symbols():
            return _decide(claim, settings or Settings())
    except Exception as exc:  # a verdict, never a crash: the reason says what broke
        return Verdict(claim, Status.UNDECIDED, reason=f"the engine stopped with {_failure(exc)}",
                       seconds=time.perf_counter() - start)


def _failure(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _decide(claim: Claim, settings: Settings) -> Verdict:
    start = time.perf_counter()
    failures: list[str] = []
    try:
        reduction = _timed(lambda: _prove(claim, settings.canonical_first), settings.budget, f"proof of {claim.name}")
    except Exception as exc:  # the search may still refute; the reason keeps the failure
        failures.append(f"the proof stopped with {_failure(exc)}")
        reduction = _Reduction(None, None)
    if reduction is not None and reduction.strategy is not None:
        strategy = reduction.strategy
        if reduction.count > 1:
            strategy = f"{strategy} ({reduction.count} entries)"
        notes = tuple(f"{IDENTITY_NOTE}{rule}" for rule in reduction.rules)
        return Verdict(claim, Status.PROVED, strategy=strategy, seconds=time.perf_counter() - start, notes=notes)

    timed_out = reduction is None
    entry = None if reduction is None else reduction.entry
    residual = None if reduction is None else reduction.residual
    try:
        found = run_with_budget(lambda: _search(claim, settings, _focus(claim, entry)),
                                settings.search_budget, what=f"counterexample search for {claim.name}")
    except BudgetExceeded:
        found = None
    except Exception as exc:  # undecided, with what stopped the search
        failures.append(f"the counterexample search stopped with {_failure(exc)}")
        found = None
    if found is not None:
        try:
            missing, factored = _missing_hypothesis(claim, residual, settings)
        except Exception:  # the refutation stands without the hint
            missing, factored = None, None
        reason = "the two sides differ at a point that honors the hypotheses"
        if missing is not None:
            reason += f"; it holds under the missing hypothesis {missing.text}"
            if factored is not None:
                reason += f" (the residual factors as {sp.sstr(factored)})"
        return Verdict(claim, Status.REFUTED, reason=reason, residual=factored if factored is not None
                       else residual, counterexample=found,
                       missing_hypothesis=None if missing is None else missing.text,
                       seconds=time.perf_counter() - start, notes=_atom_notes(claim, residual))
    hint = _missing_ranges(claim)
    if hint:
        # Without its range an index's deltas cannot be summed: the residual says nothing useful.
        return Verdict(claim, Status.UNDECIDED, reason=hint, residual=None,
                       seconds=time.perf_counter() - start)
    at_fixed = _at_fixed_sizes(claim, settings)
    if at_fixed is not None and at_fixed.refuted:
        return replace(at_fixed, claim=claim, seconds=time.perf_counter() - start)
    if failures:
        reason = "; ".join(failures)
    elif timed_out:
        reason = (f"the proof ran out of its time budget ({settings.budget:g} s) and no counterexample "
                  f"was found at {settings.samples} points; try a larger budget")
    else:
        reason = (f"the residual was not reduced to zero by {', '.join(STRATEGIES)}, and no "
                  f"counterexample was found at {settings.samples} points")
    if at_fixed is not None and at_fixed.proved:
        reason = f"proved at sizes {at_fixed.strategy}, undecided for every size: {reason}"
    return Verdict(claim, Status.UNDECIDED, reason=reason, residual=residual,
                   seconds=time.perf_counter() - start, notes=_atom_notes(claim, residual))


def _at_fixed_sizes(claim: Claim, settings: Settings) -> Verdict | None:
    """The claim at each of the fixed sizes: the first refutation, or a proved verdict naming the sizes.

    Returns None when there are no symbolic sizes, a claim at fixed sizes cannot be built, or
    a size left it undecided. A refutation keeps the sizes and indices in its point.
    """
    sizes = symbolic_sizes(claim)
    if not sizes or not settings.fixed_sizes:
        return None
    inner = replace(settings, budget=min(settings.budget, 10.0), search_budget=min(settings.search_budget, 10.0),
                    fixed_sizes=())
    proved: list[str] = []
    for value in settings.fixed_sizes:
        values = dict.fromkeys(sizes, value)
        try:
            built = at_sizes(claim, values)
        except Exception:  # a claim that cannot be written at this size: no evidence either way
            return None
        if built is None:
            return None
        fixed, where = built
        verdict = _decide(fixed, inner)
        if verdict.refuted and verdict.counterexample is not None:
            found = verdict.counterexample
            at = where[found.entry[0]] if found.entry else {}
            named = {str(s): v for s, v in {**values, **at}.items()}
            exact = {s: sp.Integer(v) for s, v in {**values, **at}.items()}
            # The sizes and the free indices' values are part of the point; the entry of the
            # flattened fixed-size claim means nothing to the caller.
            point = replace(found, point={**named, **found.point}, values={**exact, **found.values}, entry=None)
            return replace(verdict, counterexample=point,
                           reason=f"{verdict.reason} (at sizes {', '.join(f'{k} = {v}' for k, v in named.items())})")
        if not verdict.proved:
            return None
        proved.append(", ".join(f"{s} = {value}" for s in sizes))
    return Verdict(claim, Status.PROVED, strategy="; ".join(proved))


def _missing_ranges(claim: Claim) -> str:
    """A hint when free indices of the claim (in array entries or deltas) have no InRange."""
    ranges = claim.ranges
    found: set[sp.Symbol] = set()
    sizes: set[sp.Expr] = set()
    for _, lhs, rhs in entries(claim.lhs, claim.rhs) if not isinstance(claim.lhs, LowRankMatrix) else ():
        for side in (lhs, rhs):
            if not side.has(sp.Sum, sp.KroneckerDelta):
                continue
            bound = {v for s in side.atoms(sp.Sum) for v in s.variables}
            for node in side.atoms(sp.Indexed, sp.KroneckerDelta):
                args = node.indices if isinstance(node, sp.Indexed) else node.args
                found |= {a for a in args if isinstance(a, sp.Symbol) and a.is_integer and a not in bound}
            sizes |= {hi for s in side.atoms(sp.Sum) for _, _, hi in s.limits if not hi.is_Integer}
    missing = sorted((s for s in found if s not in ranges and s not in sizes), key=str)
    if not missing:
        return ""
    size = sp.sstr(sorted(sizes, key=str)[0]) if sizes else "k"
    fixes = ", ".join(f"InRange({s}, 1, {size})" for s in missing)
    return (f"the index {', '.join(map(str, missing))} has no range, so the sums over it cannot be reduced; "
            f"add {fixes} (with the size it runs over) to the claim's hypotheses")


def _missing_hypothesis(claim: Claim, residual: sp.Expr | None,
                        settings: Settings) -> tuple[SumToOne | None, sp.Expr | None]:
    """Which candidate hypothesis would make the claim provable, and the factored residual."""
    for candidate in _candidate_hypotheses(claim):
        stronger = claim.with_hypotheses(candidate)
        result = _timed(lambda s=stronger: _prove(s), settings.budget / 4, "missing-hypothesis check")  # type: ignore[misc]
        if result is not None and result.strategy is not None:
            factored = None
            if residual is not None:
                try:
                    factored = run_with_budget(lambda: sp.factor(residual), 2.0, what="factor")
                except BudgetExceeded:
                    factored = residual
            return candidate, factored
    return None, None


def _atom_notes(claim: Claim, residual: sp.Expr | None) -> tuple[str, ...]:
    if residual is None or not claim.definitions:
        return ()
    notes = []
    for atom in sorted(residual.free_symbols & claim.definitions.keys(), key=str):
        text = sp.sstr(claim.definitions[atom])
        notes.append(f"{atom} = {text if len(text) < 120 else text[:117] + '...'}")
    return tuple(notes)
