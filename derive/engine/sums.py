"""Index calculus: normal forms for sums over symbolic ranges.

SymPy's ``Sum.doit`` and ``simplify`` are fragile on the sums a derivative of a
softmax produces (SymPy issue 14570: ``StopIteration``; Piecewise guards that
``refine`` cannot always remove). This module owns a small, terminating set of
rewrite rules that are each valid for any range, so a residual over symbolic k
reduces to an exact zero when it is one:

- linearity: a sum of an Add is the Add of the sums; factors free of the bound
  variable leave the sum; sums with the same range in one Add merge;
- delta sums: ``sum_n f(n) * delta(n, q) = f(q)`` when q is known to lie in the range;
- empty bodies: ``sum_n c = (hi - lo + 1) c`` when c does not depend on n;
- canonical bound variables, so that two sums that differ only in the name of
  their index compare equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

__all__ = ["IndexRanges", "canonical_indices", "expand_products", "instantiate_sums", "normalize_sums",
           "split_exp_logs", "split_exponentials"]

#: Known ranges of integer indices: index -> (lo, hi).
IndexRanges = Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]]


def _bound_symbol(height: int) -> sp.Symbol:
    # A reserved name no user symbol takes; integer so deltas and ranges behave.
    return sp.Symbol(f"ι{height}", integer=True)


def canonical_indices(expr: sp.Basic) -> sp.Basic:
    """Rename every bound summation index to a name fixed by the sums nested inside its sum.

    A sum's index is ι_h, h its height: 0 for a sum with no sum inside, one more than the
    highest sum inside otherwise (a sum with several limits takes h, h + 1, ... from the
    innermost limit). The name depends on the sum alone, never on where it stands, so a
    subexpression has one canonical form wherever it occurs: the softmax denominator of
    a loss is one object at the top and inside the sum over the classes, and a sum keeps
    its name when an enclosing sum is summed away. Naming by depth from the top made
    every occurrence and every round a new object, and SymPy asks each new object its
    assumptions again (the most of an every-size proof's time).

    The renaming is scoped (a name bound twice, nested, is renamed per binding), and
    no capture is possible: heights strictly decrease inward along every path, so the
    names bound around any point are distinct. An expression that already mentions a
    free ι name is returned unchanged (a new ι name could capture it).
    """
    scanned: dict[sp.Basic, tuple[int, frozenset[sp.Basic]]] = {}

    def scan(node: sp.Basic) -> tuple[int, frozenset[sp.Basic]]:
        # (height, the symbols of node that are free in it and may need renaming: any
        # symbol bound somewhere in expr, and every ι name); height -1: no sum inside.
        if not node.args:
            return -1, frozenset((node,)) if isinstance(node, sp.Symbol) and (
                node in binders or node.name.startswith("ι")) else frozenset()
        known = scanned.get(node)
        if known is None:
            if isinstance(node, sp.Sum):
                height, free = scan(node.function)
                variables = [v for v, _, _ in node.limits]
                free -= set(variables)
                for n, (_, lo, hi) in enumerate(node.limits):
                    (h_lo, f_lo), (h_hi, f_hi) = scan(lo), scan(hi)
                    height = max(height, h_lo, h_hi)
                    free |= (f_lo | f_hi) - set(variables[n + 1:])  # a bound sees the outer limits' names
                known = (height + len(node.limits), free)
            else:
                parts = [scan(a) for a in node.args]
                known = (max(h for h, _ in parts), frozenset().union(*(f for _, f in parts)))
            scanned[node] = known
        return known

    binders: set[sp.Basic] = set()
    stack, seen = [expr], set()
    while stack:  # the bound names, each distinct node visited once
        node = stack.pop()
        if node.args and node not in seen:
            seen.add(node)
            if isinstance(node, sp.Sum):
                binders.update(node.variables)
            stack.extend(node.args)
    if not binders:
        return expr
    _, free = scan(expr)
    if any(s.name.startswith("ι") for s in free):
        return expr
    renamed: dict[tuple[sp.Basic, frozenset[tuple[sp.Basic, sp.Basic]]], sp.Basic] = {}
    # Renamed to names with the same assumptions, a node's facts (and what the constructors
    # of functions decide from them) carry over to the renamed node unchanged.
    alike = all(v.assumptions0 == _bound_symbol(0).assumptions0 for v in binders)

    def rename(node: sp.Basic, env: dict[sp.Basic, sp.Basic]) -> sp.Basic:
        if not node.args:
            return env.get(node, node)
        height, free = scan(node)
        # The result depends on the node and on the new names of its free bound names only.
        key = (node, frozenset((s, env[s]) for s in free if s in env))
        out = renamed.get(key)
        if out is not None:
            return out
        if isinstance(node, sp.Sum):
            limits = node.limits
            targets = [_bound_symbol(height - len(limits) + 1 + n) for n in range(len(limits))]
            new_limits = []
            for n, (_, lo, hi) in enumerate(limits):
                scope = dict(env)
                for m in range(len(limits) - 1, n, -1):  # outer limits first: an inner one shadows them
                    scope[limits[m][0]] = targets[m]
                new_limits.append((targets[n], rename(lo, scope), rename(hi, scope)))
            inner = dict(env)
            for m in range(len(limits) - 1, -1, -1):
                inner[limits[m][0]] = targets[m]
            body = rename(node.function, inner)
            same = body is node.function and all(a == b for a, b in zip(new_limits, limits, strict=True))
            out = node if same else sp.Sum(body, *new_limits)
        else:
            args = [rename(a, env) for a in node.args]
            if all(a is b for a, b in zip(args, node.args, strict=True)):
                out = node
            elif alike and isinstance(node, sp.Function) and (
                    len(args) == 1 or (isinstance(node, sp.KroneckerDelta) and len(args) == 2)):
                # The arguments are node's, renamed: eval decides what it decided for node
                # (to leave it as it is), up to the order of a delta's two indices.
                out = node.func(*sorted(args, key=sp.default_sort_key) if len(args) == 2 else args,
                                evaluate=False)
            else:
                out = node.func(*args)
        if alike and out is not node and out._assumptions is out.default_assumptions \
                and node._assumptions is not node.default_assumptions:
            # Alpha-equivalent, with binders of the same assumptions: the same facts.
            out._assumptions = node._assumptions.copy()
        renamed[key] = out
        return out

    return rename(expr, {})


#: The hints of :func:`expand_products`, as SymPy's ``expand`` passes them to each node's rule.
_EXPAND_HINTS = {"basic": True, "multinomial": True, "mul": True, "power_exp": False, "power_base": False,
                 "log": False}


def expand_products(expr: sp.Expr, *, memo: dict[sp.Basic, sp.Basic] | None = None) -> sp.Expr:
    """Distribute products over sums (inside Sum bodies too), leaving logs and powers whole.

    The rules are SymPy's own (``Sum._eval_expand_basic``, ``Pow._eval_expand_multinomial``,
    ``Mul._eval_expand_mul``: what ``sp.expand(expr, mul=True, multinomial=True,
    power_exp=False, power_base=False, log=False)`` applies), each node expanded once
    after its arguments. SymPy's ``expand`` walks the whole tree once per rule and again
    until nothing changes, re-walking a subexpression at every place it occurs, and
    expands a sum's body again from the top for each enclosing sum: on the nested sums
    of a network's loss that was a quarter of an every-size proof.

    ``memo`` (node -> its expansion) may be shared by the calls of one normalization, which
    expands each sum's body and then the whole: a part expanded once is not walked again.
    """
    if memo is None:
        memo = {}

    def expand(node: sp.Basic) -> sp.Basic:
        if not node.args:
            return node
        known = memo.get(node)
        if known is not None:
            return known
        memo[node] = node  # a rule that led back here would stop, not recurse
        args = [expand(a) for a in node.args]
        out = node if all(a is b for a, b in zip(args, node.args, strict=True)) else node.func(*args)
        if isinstance(out, sp.Sum):
            new = _expand_sum(out)
        elif isinstance(out, sp.Pow) and out.base.is_Add:
            new = out._eval_expand_multinomial(**_EXPAND_HINTS)
        elif isinstance(out, sp.Mul) and not all(_plain_factor(f) for f in out.args):
            new = out._eval_expand_mul(**_EXPAND_HINTS)
        else:
            new = out
        if new is not out and new != out:
            out = expand(new)  # what a rule built may expand further (its parts are expanded)
        memo[node] = memo[out] = out  # an expansion expands to itself
        return out

    return expand(expr)


def _plain_factor(factor: sp.Basic) -> bool:
    # A factor Mul._eval_expand_mul leaves as it is: not a sum, not a power of a sum (it
    # takes the numerator and the denominator apart and expands those), not a product
    # (SymPy sometimes leaves one unflattened inside another; it flattens it), commutative.
    # A product of such factors comes back unchanged, after building its numerator, its
    # denominator and their quotient again: skipped.
    base = factor.base if isinstance(factor, sp.Pow) else factor
    return not (base.is_Add or base.is_Mul) and bool(factor.is_commutative)


def _expand_sum(node: sp.Sum) -> sp.Expr:
    # Sum._eval_expand_basic on a body expanded already: the sum of an Add is the Add of sums.
    body = node.function
    if body.is_Add and body.is_commutative and node.has_finite_limits is not False:
        return sp.Add(*[node.func(term, *node.limits) for term in body.args])
    return node


def _in_range(q: sp.Expr, lo: sp.Expr, hi: sp.Expr, ranges: IndexRanges) -> bool:
    if q.is_Integer and lo.is_Integer and hi.is_Integer:
        return bool(lo <= q <= hi)
    # An entry ℓ[n] of an index array (a class per sample) lies in the range its base is given.
    known = ranges.get(q) if isinstance(q, sp.Symbol) else ranges.get(q.base) if isinstance(q, sp.Indexed) else None
    if known is None:
        return False
    qlo, qhi = known
    return bool(sp.simplify(qlo - lo).is_nonnegative) and bool(sp.simplify(hi - qhi).is_nonnegative) \
        if (qlo, qhi) != (lo, hi) else True


def _sum_one(body: sp.Expr, v: sp.Symbol, lo: sp.Expr, hi: sp.Expr, ranges: IndexRanges) -> sp.Expr:
    """One summation over v of an already normalized body."""
    if body == 0:
        return sp.S.Zero
    if v not in body.free_symbols:
        return (hi - lo + 1) * body
    if isinstance(body, sp.Add):
        return sp.Add(*[_sum_one(t, v, lo, hi, ranges) for t in body.args])
    factors = sp.Mul.make_args(body)
    outside = [f for f in factors if v not in f.free_symbols]
    inside = [f for f in factors if v in f.free_symbols]
    for n, f in enumerate(inside):
        if isinstance(f, sp.KroneckerDelta):
            p, q = f.args
            other = q if p == v else p if q == v else None
            if other is not None and v not in other.free_symbols and _in_range(other, lo, hi, ranges):
                rest = sp.Mul(*(inside[:n] + inside[n + 1:]))
                return sp.Mul(*outside) * rest.xreplace({v: other})
    if outside:
        return sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (v, lo, hi))
    return sp.Sum(body, (v, lo, hi))


def _normalize(expr: sp.Expr, ranges: dict[sp.Symbol, tuple[sp.Expr, sp.Expr]],
               expanded: dict[sp.Basic, sp.Basic]) -> sp.Expr:
    if not expr.args:
        return expr
    if isinstance(expr, sp.Sum):
        body = expr.function
        limits = list(expr.limits)
        inner = dict(ranges)
        for v, lo, hi in limits:
            inner[v] = (lo, hi)
        body = expand_products(_normalize(body, inner, expanded), memo=expanded)
        out: sp.Expr = body
        for v, lo, hi in reversed(limits):
            out = _sum_one(out, v, lo, hi, ranges)
        return out
    if isinstance(expr, (sp.Indexed, sp.IndexedBase)):
        return expr  # nothing inside an array entry to normalize; rebuilding one costs ~0.3 ms
    args = [_normalize(a, ranges, expanded) for a in expr.args]
    # The same node when nothing changed below: rebuilding equal arguments gives an equal node.
    out = expr if all(a is b for a, b in zip(args, expr.args, strict=True)) else expr.func(*args)
    if isinstance(out, sp.Mul):
        out = _delta_substitution(out)
    if isinstance(out, sp.Add):
        out = _merge_sums(out, expanded)
    return out


def _delta_substitution(term: sp.Mul) -> sp.Expr:
    """delta(p, q) * g(p, q) = delta(p, q) * g(p, p): both vanish unless p = q."""
    deltas = [f for f in term.args if isinstance(f, sp.KroneckerDelta)]
    if not deltas:
        return term
    p, q = sorted(deltas[0].args, key=sp.default_sort_key)
    rest = sp.Mul(*[f for f in term.args if f is not deltas[0]])
    if q not in rest.free_symbols or not isinstance(q, sp.Symbol):
        return term
    if any(q in s.variables for s in rest.atoms(sp.Sum)):
        return term  # q is also bound inside: substituting would capture it
    return deltas[0] * rest.xreplace({q: p})


def _merge_sums(expr: sp.Add, expanded: dict[sp.Basic, sp.Basic]) -> sp.Expr:
    """Merge c1*Sum(f, L) + c2*Sum(g, L) into Sum(c1 f + c2 g, L) when c1, c2 are free of L's index."""
    groups: dict[tuple, list[sp.Expr]] = {}
    originals: dict[tuple, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in expr.args:
        coeff, factors = term.as_coeff_mul()
        sums = [f for f in factors if isinstance(f, sp.Sum)]
        if len(sums) == 1 and len(sums[0].limits) == 1:
            s = sums[0]
            others = sp.Mul(coeff, *[f for f in factors if f is not s])
            v = s.limits[0][0]
            if v not in others.free_symbols:
                groups.setdefault(tuple(s.limits[0]), []).append(expand_products(others * s.function, memo=expanded))
                originals.setdefault(tuple(s.limits[0]), []).append(term)
                continue
        rest.append(term)
    if not any(len(g) > 1 for g in groups.values()):
        return expr
    merged = []
    for limits, bodies in groups.items():
        body = expand_products(sp.Add(*bodies), memo=expanded)
        # Keep the merge only where terms cancelled; otherwise the split form is the
        # normal form (merging and splitting back would cycle).
        if len(sp.Add.make_args(body)) < sum(len(sp.Add.make_args(b)) for b in bodies):
            merged.append(sp.S.Zero if body == 0 else sp.Sum(body, limits))
        else:
            merged.extend(originals[limits])
    return sp.Add(*rest, *merged)


def normalize_sums(expr: sp.Expr, ranges: IndexRanges | None = None, *, rounds: int = 6,
                   rewrite: Callable[[sp.Expr], sp.Expr] | None = None) -> sp.Expr:
    """Bring an expression with symbolic sums to a normal form; zero if these rules show it is.

    ``rewrite`` (a claim's hypotheses, such as Σy = 1) is applied after every round, so that
    what it turns into a cancellation cancels in the next round, not after a fixed point
    has been confirmed without it.

    Examples:
        >>> import sympy as sp
        >>> k, n, j = sp.symbols("k n j", integer=True, positive=True)
        >>> z = sp.IndexedBase("z")
        >>> normalize_sums(sp.Sum(sp.exp(z[n]) * sp.KroneckerDelta(j, n), (n, 1, k)), {j: (1, k)})
        exp(z[j])
    """
    facts = dict(ranges or {})
    expanded: dict[sp.Basic, sp.Basic] = {}
    out = canonical_indices(expand_products(expr, memo=expanded))
    for _ in range(rounds):
        new = canonical_indices(expand_products(_normalize(out, facts, expanded), memo=expanded))
        if rewrite is not None:
            new = rewrite(new)
        if new == out:
            break
        out = new
    return out


def instantiate_sums(expr: sp.Basic) -> sp.Basic:
    """Write out every Sum with integer limits as an explicit Add (innermost first)."""
    if not expr.args:
        return expr
    if isinstance(expr, sp.Sum):
        body = instantiate_sums(expr.function)
        for v, lo, hi in reversed(expr.limits):
            if not (lo.is_Integer and hi.is_Integer):
                return sp.Sum(body, *expr.limits)
            body = sp.Add(*[body.xreplace({v: sp.Integer(n)}) for n in range(int(lo), int(hi) + 1)])
        return body
    return expr.func(*[instantiate_sums(a) for a in expr.args])


def _known_positive(expr: sp.Expr) -> bool:
    if expr.is_positive:
        return True
    if isinstance(expr, sp.Sum):
        # A sum of positive terms over a nonempty range (lo = 1 <= hi, hi a size) is positive.
        return all(lo == 1 and (hi.is_positive or (hi.is_Integer and hi >= 1)) for _, lo, hi in expr.limits) \
            and _known_positive(expr.function)
    if isinstance(expr, sp.Mul):
        return all(_known_positive(f) for f in expr.args)
    return False


def split_exponentials(expr: sp.Expr) -> sp.Expr:
    """exp(a + b) = exp(a) exp(b) everywhere, and log(u v) = log u + log v where u, v > 0 are known.

    Both rules hold for real arguments; a Sum of positive terms over a nonempty range counts
    as positive (SymPy does not know it), which is what lets a shift exp(a) leave a
    softmax denominator and a log-sum-exp.
    """
    def split_exp(node: sp.Basic) -> sp.Basic:
        return sp.Mul(*[sp.exp(t) for t in sp.Add.make_args(node.args[0])])

    def split_log(node: sp.Basic) -> sp.Basic:
        factors = sp.Mul.make_args(node.args[0])
        if len(factors) < 2 or not all(_known_positive(f) for f in factors):
            return node
        return sp.Add(*[f.args[0] if isinstance(f, sp.exp) else sp.log(f) for f in factors])

    out = expr.replace(lambda n: isinstance(n, sp.exp) and isinstance(n.args[0], sp.Add), split_exp)
    return out.replace(lambda n: isinstance(n, sp.log) and isinstance(n.args[0], sp.Mul), split_log)


def _positive(expr: sp.Basic) -> bool:
    """Known positive: exp of a real, a positive power, a product of positives, a nonempty sum of positives."""
    if expr.is_positive:
        return True
    if isinstance(expr, sp.exp):
        return bool(expr.args[0].is_real)
    if isinstance(expr, sp.Mul):
        return all(_positive(f) for f in expr.args)
    if isinstance(expr, sp.Pow):
        return _positive(expr.base) and bool(expr.exp.is_real)
    if isinstance(expr, sp.Sum):
        nonempty = all(bool((hi - lo + 1).is_positive) for _, lo, hi in expr.limits)
        return nonempty and _positive(expr.function)
    return False


def split_exp_logs(expr: sp.Expr) -> sp.Expr:
    """exp(a + b) inside a sum over n splits off the terms free of n, and log of a positive product splits.

    Both rules are valid for every range: ``Σ_n e^{z_n - m} = e^{-m} Σ_n e^{z_n}``, and
    ``log(a b) = log a + log b`` for a, b > 0 (exps of reals, nonempty sums of them), and
    ``log(e^t) = t`` for real t. They prove the log-sum-exp shift for every size.

    Examples:
        >>> import sympy as sp
        >>> k, n = sp.symbols("k n", integer=True, positive=True)
        >>> m = sp.Symbol("m", real=True)
        >>> z = sp.IndexedBase("z", real=True)
        >>> split_exp_logs(sp.log(sp.Sum(sp.exp(z[n] - m), (n, 1, k))))
        -m + log(Sum(exp(z[n]), (n, 1, k)))
    """
    def pull(node: sp.Sum) -> sp.Basic:
        if len(node.limits) != 1:
            return node
        v = node.limits[0][0]
        factors = []
        for f in sp.Mul.make_args(node.function):
            if isinstance(f, sp.exp) and isinstance(f.args[0], sp.Add):
                inside = [t for t in f.args[0].args if v in t.free_symbols]
                outside = [t for t in f.args[0].args if v not in t.free_symbols]
                if inside and outside:
                    factors += [sp.exp(sp.Add(*outside), evaluate=False), sp.exp(sp.Add(*inside))]
                    continue
            factors.append(f)
        free = [f for f in factors if v not in f.free_symbols]
        if not free:
            return node
        return sp.Mul(*free) * sp.Sum(sp.Mul(*[f for f in factors if v in f.free_symbols]), *node.limits)

    def split(node: sp.log) -> sp.Basic:
        arg = node.args[0]
        if isinstance(arg, sp.exp) and arg.args[0].is_real:
            return arg.args[0]
        if isinstance(arg, sp.Mul) and all(_positive(f) for f in arg.args):
            return sp.Add(*[split(sp.log(f, evaluate=False)) for f in arg.args])
        return node

    if not expr.has(sp.log):
        return expr
    out = expr.replace(lambda node: isinstance(node, sp.Sum), pull) if expr.has(sp.Sum) else expr
    return out.replace(lambda node: isinstance(node, sp.log), split)
