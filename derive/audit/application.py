"""The post's own functions applied at their arguments: ``h_\\theta(x^{(i)})`` of ``h_\\theta(x) = g(\\theta^T x)``.

:class:`derive.audit.semantics.Meaning` keeps each definition's parameters and its body, read once; here the
body is taken at an application's arguments (a number, a name's entries, one sample's vector).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy as sp

if TYPE_CHECKING:  # the meaning calls this module; never imported at run time here
    from derive.audit.semantics import Meaning


def function_at(meaning: Meaning, node: sp.Basic, params: tuple[sp.Basic, ...], body: sp.Expr) -> sp.Basic:
    """The post's function at ``node``'s arguments; ``node`` itself where its body cannot take them.

    A subscript that the body never uses as an index is a label (the θ of ``h_\\theta(x)``): the
    definition holds for that label only, so ``h_\\phi(x)`` stays an unknown function. A parameter
    whose entries the body takes (``u_k`` in ``g_k(u)``) takes a name's entries (``g_k(z)``: ``z_k``).
    """
    args = node.args
    free = body.free_symbols
    reps: dict[sp.Basic, sp.Basic] = {}
    arrays: dict[sp.Basic, sp.Basic] = {}
    samples: dict[sp.Basic, sp.Indexed] = {}
    for param, arg in zip(params, args, strict=True):
        if param.is_integer and param not in free and arg != param:
            return node
        entries = {ix.base for ix in body.atoms(sp.Indexed) if str(ix.base.label) == str(param)}
        if entries:
            label = str(arg.base.label) if isinstance(arg, sp.Indexed) else ""
            if isinstance(arg, sp.Indexed) and label in meaning.shapes.per_sample and \
                    len(arg.indices) == 1 and len(meaning.shapes.arrays.get(label, ())) == 1:
                # h_θ(x^{(i)}) of h_θ(x) = g(θ^T x): the sample i's vector, entry j is x[i, j].
                samples.update({base: arg for base in entries})
                continue
            if not isinstance(arg, (sp.Symbol, sp.IndexedBase)):
                return node  # the entries of an expression: not written out here
            arrays.update({base: sp.IndexedBase(str(getattr(arg, "label", arg)), real=True) for base in entries})
        reps[param] = arg
    # Simultaneous: f(y, x) of f(x, y) = ... swaps, never substitutes twice.
    out = body.replace(lambda e: isinstance(e, sp.Indexed) and e.base in samples,
                       lambda e: samples[e.base].base[(*samples[e.base].indices, *e.indices)]) if samples else body
    out = out.xreplace(arrays).subs(reps, simultaneous=True)
    return _over_arrays(meaning, out) if arrays else out


def _over_arrays(meaning: Meaning, expr: sp.Basic) -> sp.Basic:
    """A sum over the default length of the entries of a declared array runs over the array's length."""
    def limit(node: sp.Sum) -> sp.Basic:
        (v, lo, hi), *rest = node.limits
        if hi != meaning.default_size or rest:
            return node
        for ix in node.function.atoms(sp.Indexed):
            shape = meaning.shapes.arrays.get(str(ix.base.label))
            if shape is not None and len(shape) == 1 and ix.indices == (v,):
                return sp.Sum(node.function, (v, lo, shape[0]))
        return node
    return expr.replace(lambda node: isinstance(node, sp.Sum), limit) if expr.has(sp.Sum) else expr
