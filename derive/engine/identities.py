"""Elementwise identities as named rewrite rules: one normal form for exp, log and their relatives.

Every rule rewrites a function application into an equal expression for every real argument
(the domain conditions are checked on the node, never assumed). Applied bottom-up, inside
sums and products alike, they bring tanh, sinh, cosh, sech, csch, coth, |a|, max(0, a) and
Heaviside to rational expressions in exponentials and logs. SymPy keeps ``exp(a) exp(b)`` as
``exp(a + b)``, so the last two rules, ``e^(a+b) = e^a e^b`` and ``e^(n a) = (e^a)^n``, are
applied where the atoms are made symbols (:func:`exp_atoms`). Two spellings of one function then
become one rational function of the same atoms, and ``cancel`` with each atom a symbol decides
them: sound, since an identity of rational functions in independent symbols holds at any values
of them.

The textbook identities follow from the normal form and are proved through it, for instance

- σ(−a) = 1 − σ(a): ``1/(1 + e^a) = 1 − 1/(1 + e^-a)`` once ``e^-a = 1/e^a``;
- σ′ = σ(1 − σ), softplus′ = σ, log σ(a) = −softplus(−a);
- tanh = sinh/cosh and 1 − tanh² = sech², both rational in ``e^a``.

:func:`normalize` reports the names of the rules that fired, for the verdict to cite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

__all__ = ["EXP_POWER", "EXP_PRODUCT", "RULES", "SUM_ORDER", "Identity", "exp_atoms", "latex_of", "normalize"]

#: The names of the two rules on exponentials that :func:`exp_atoms` applies.
EXP_PRODUCT = "e^(a+b) = e^a e^b"
EXP_POWER = "e^(n a) = (e^a)^n"
#: The name of the reordering of nested sums (:mod:`derive.engine.multisums`, step 4).
SUM_ORDER = "Σ_a Σ_b f = Σ_b Σ_a f"


@dataclass(frozen=True)
class Identity:
    """A named rewrite: ``rewrite(node)`` is equal to ``node`` wherever ``applies(node)``."""

    name: str
    applies: Callable[[sp.Basic], bool]
    rewrite: Callable[[sp.Basic], sp.Basic]
    #: The rule in LaTeX, for the proof line that cites it.
    latex: str = ""

    def __str__(self) -> str:
        return self.name


def _is(*kinds: type) -> Callable[[sp.Basic], bool]:
    return lambda node: isinstance(node, kinds)


def _real(node: sp.Basic) -> bool:
    return bool(node.args[0].is_real)


def _log_of_exp(node: sp.Basic) -> bool:
    return isinstance(node, sp.log) and isinstance(node.args[0], sp.exp) and bool(node.args[0].args[0].is_real)


def _positive(expr: sp.Basic) -> bool:
    if expr.is_positive:
        return True
    if isinstance(expr, sp.exp):
        return bool(expr.args[0].is_real)
    if isinstance(expr, sp.Pow):
        return _positive(expr.base) and bool(expr.exp.is_real)
    if isinstance(expr, sp.Mul):
        return all(_positive(f) for f in expr.args)
    if isinstance(expr, sp.Add):
        return all(_positive(t) for t in expr.args)
    if isinstance(expr, sp.Sum):
        return all(bool((hi - lo + 1).is_positive) for _, lo, hi in expr.limits) and _positive(expr.function)
    return False


def _log_of_product(node: sp.Basic) -> bool:
    return isinstance(node, sp.log) and isinstance(node.args[0], sp.Mul) \
        and all(_positive(f) for f in node.args[0].args)


def _log_of_power(node: sp.Basic) -> bool:
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Pow):
        return False
    base, power = node.args[0].args
    return _positive(base) and bool(power.is_real)


def _sign(node: sp.Basic) -> str | None:
    arg = node.args[0] if not isinstance(node, sp.Max) else next((a for a in node.args if a != 0), None)
    if arg is None:
        return None
    if arg.is_positive:
        return "positive"
    if arg.is_negative:
        return "negative"
    if arg.is_nonnegative:
        return "nonnegative"
    if arg.is_nonpositive:
        return "nonpositive"
    return None


def _decided_abs(node: sp.Basic) -> bool:
    return isinstance(node, sp.Abs) and _sign(node) is not None


def _abs(node: sp.Basic) -> sp.Basic:
    return node.args[0] if _sign(node) in ("positive", "nonnegative") else -node.args[0]


def _decided_relu(node: sp.Basic) -> bool:
    return isinstance(node, sp.Max) and len(node.args) == 2 and sp.S.Zero in node.args and _sign(node) is not None


def _relu(node: sp.Basic) -> sp.Basic:
    arg = next(a for a in node.args if a != 0)
    return arg if _sign(node) in ("positive", "nonnegative") else sp.S.Zero


def _negated_sign(node: sp.Basic) -> bool:
    """sign(a) whose argument SymPy would write with its minus sign outside (sign does not, |a| does)."""
    if not isinstance(node, sp.sign):
        return False
    arg = node.args[0]
    # Exactly one of a and -a extracts a minus sign (SymPy's tie-break is its sort key), so the
    # rewrite gives one orientation for both spellings and cannot apply twice.
    return bool(arg.could_extract_minus_sign()) and not (-arg).could_extract_minus_sign()


def _decided_step(node: sp.Basic) -> bool:
    return isinstance(node, sp.Heaviside) and _sign(node) in ("positive", "negative")


def _step(node: sp.Basic) -> sp.Basic:
    return sp.S.One if _sign(node) == "positive" else sp.S.Zero


#: The rules, in the order they are tried on each node (after its arguments).
RULES: tuple[Identity, ...] = (
    Identity("tanh = sinh/cosh", _is(sp.tanh), lambda n: sp.sinh(n.args[0]) / sp.cosh(n.args[0]),
             r"\tanh a = \frac{\sinh a}{\cosh a}"),
    Identity("coth = cosh/sinh", _is(sp.coth), lambda n: sp.cosh(n.args[0]) / sp.sinh(n.args[0]),
             r"\coth a = \frac{\cosh a}{\sinh a}"),
    Identity("sech = 1/cosh", _is(sp.sech), lambda n: 1 / sp.cosh(n.args[0]),
             r"\operatorname{sech} a = \frac{1}{\cosh a}"),
    Identity("csch = 1/sinh", _is(sp.csch), lambda n: 1 / sp.sinh(n.args[0]),
             r"\operatorname{csch} a = \frac{1}{\sinh a}"),
    Identity("sinh a = (e^a - e^-a)/2", _is(sp.sinh), lambda n: (sp.exp(n.args[0]) - sp.exp(-n.args[0])) / 2,
             r"\sinh a = \frac{e^{a} - e^{-a}}{2}"),
    Identity("cosh a = (e^a + e^-a)/2", _is(sp.cosh), lambda n: (sp.exp(n.args[0]) + sp.exp(-n.args[0])) / 2,
             r"\cosh a = \frac{e^{a} + e^{-a}}{2}"),
    Identity("log e^a = a", _log_of_exp, lambda n: n.args[0].args[0], r"\log e^{a} = a"),
    Identity("log(ab) = log a + log b (a, b > 0)", _log_of_product,
             lambda n: sp.Add(*[sp.log(f) for f in n.args[0].args]), r"\log(ab) = \log a + \log b \ (a, b > 0)"),
    Identity("log(a^p) = p log a (a > 0)", _log_of_power, lambda n: n.args[0].exp * sp.log(n.args[0].base),
             r"\log a^{p} = p \log a \ (a > 0)"),
    Identity("sign(-a) = -sign(a)", _negated_sign, lambda n: -sp.sign(-n.args[0]),
             r"\operatorname{sign}(-a) = -\operatorname{sign}(a)"),
    Identity("|a| by the sign of a", _decided_abs, _abs, r"|a| = \pm a \text{ by the sign of } a"),
    Identity("max(0, a) by the sign of a", _decided_relu, _relu, r"\max(0, a) \text{ by the sign of } a"),
    Identity("Heaviside(a) by the sign of a", _decided_step, _step, r"H(a) \text{ by the sign of } a"),
)

#: Every rule the engine may cite (these, the two on exponentials, the order of sums), in LaTeX.
_LATEX: dict[str, str] = {rule.name: rule.latex for rule in RULES} | {
    EXP_PRODUCT: r"e^{a + b} = e^{a} e^{b}",
    EXP_POWER: r"e^{n a} = (e^{a})^{n}",
    SUM_ORDER: r"\textstyle\sum_{a} \sum_{b} f = \sum_{b} \sum_{a} f",
}


def latex_of(name: str) -> str:
    r"""The LaTeX of the rule the engine cites as ``name`` (prose in ``\text`` for a name it does not know).

    Examples:
        >>> latex_of("tanh = sinh/cosh")
        '\\tanh a = \\frac{\\sinh a}{\\cosh a}'
    """
    known = _LATEX.get(name)
    if known is not None:
        return known
    escaped = "".join("\\" + c if c in "&%#_{}$" else c for c in name)
    return rf"\text{{{escaped}}}"


_KINDS = (sp.Function, sp.Pow)


def normalize(expr: sp.Basic, fired: set[str] | None = None, *, limit: int = 50) -> sp.Basic:
    """``expr`` with every rule applied bottom-up until none applies; the rules' names go in ``fired``.

    Examples:
        >>> import sympy as sp
        >>> a = sp.Symbol("a", real=True)
        >>> used = set()
        >>> sp.cancel(normalize(1 - sp.tanh(a) ** 2 - sp.sech(a) ** 2, used))
        0
        >>> sorted(used)
        ['cosh a = (e^a + e^-a)/2', 'sech = 1/cosh', 'sinh a = (e^a - e^-a)/2', 'tanh = sinh/cosh']
    """
    if not expr.has(sp.Function):
        return expr
    memo: dict[sp.Basic, sp.Basic] = {}

    def walk(node: sp.Basic, depth: int) -> sp.Basic:
        if not node.args or isinstance(node, (sp.Indexed, sp.IndexedBase)):
            return node
        known = memo.get(node)
        if known is not None:
            return known
        args = [walk(a, depth) for a in node.args]
        out = node if all(a is b for a, b in zip(args, node.args, strict=True)) else node.func(*args)
        if depth < limit:
            for rule in RULES:
                if rule.applies(out):
                    if fired is not None:
                        fired.add(rule.name)
                    out = walk(rule.rewrite(out), depth + 1)
                    break
        memo[node] = out
        return out

    return walk(expr, 0)


def exp_atoms(node: sp.exp, symbol: Callable[[sp.Basic], sp.Symbol], fired: set[str] | None = None) -> sp.Expr:
    """exp(Σ c_t m_t) as Π symbol(exp(m_t))^c_t for integer c_t (the other terms kept whole).

    ``symbol`` gives the one symbol that stands for an exponential of a single term.
    """
    out = sp.S.One
    terms = sp.Add.make_args(node.args[0])
    for term in terms:
        coeff, rest = term.as_coeff_Mul()
        if coeff.is_Integer and rest != 1:
            out *= symbol(sp.exp(rest)) ** coeff
            if coeff != 1 and fired is not None:
                fired.add(EXP_POWER)
        else:
            out *= symbol(sp.exp(term))
    if len(terms) > 1 and fired is not None:
        fired.add(EXP_PRODUCT)
    return out
