r"""What a written proof declares for ``derive audit``, so that the post it writes reads back as meant.

A proof's prose says "z are the logits, y soft labels, i ≠ j"; the audit reads such facts only
from declarations (``<!-- derive: logits z; labels y soft -->`` in Markdown, ``% derive: ...`` in
LaTeX). Each theorem's section starts with ``reset`` (it is a problem of its own), then states its
arrays and their shapes and roles, its hypotheses (Σy = 1, one-hot at ℓ, i ≠ j, 0 < t < 1), its
independent scalars, and its notation (``define h_r = ...``), all taken from the proof itself, so
the declarations cannot drift from what was proved.
"""

from __future__ import annotations

import sympy as sp

from derive.engine.hypotheses import Between, Distinct, Domain, Equal, OneHot, SumToOne
from derive.engine.space import Role
from derive.library.proofs import Proof

__all__ = ["declarations"]


def _name(symbol: sp.Basic) -> str:
    return sp.latex(symbol)


def _arrays(proof: Proof, samples: sp.Expr | None) -> list[str]:
    out = []
    for spec in proof.arrays:
        name = str(spec.base.label)
        shape = spec.shape[1:] if samples is not None and spec.shape[0] == samples else spec.shape
        per = " per sample" if len(shape) < len(spec.shape) else ""
        if len(shape) == 1:
            out.append(f"vector {name} {_name(shape[0])}{per}")
        else:
            out.append(f"matrix {name} {' '.join(_name(d) for d in shape)}")
        if spec.role == Role.LOGITS:
            out.append(f"logits {name}")
    return out


def _samples(proof: Proof) -> sp.Expr | None:
    """N, when the proof is over a batch: its labels have a leading sample index (y_{nm})."""
    for spec in proof.arrays:
        if spec.role == Role.LABELS and len(spec.shape) == 2:
            return spec.shape[0]
    return None


def _hypotheses(proof: Proof) -> list[str]:
    out = []
    for h in proof.hypotheses:
        if isinstance(h, SumToOne):
            out.append(f"labels {h.labels.label} soft")
        elif isinstance(h, OneHot):
            out.append(f"labels {h.labels.label} one-hot at {_name(h.at)}")
        elif isinstance(h, Distinct):
            out.append(rf"assume {_name(h.a)} \neq {_name(h.b)}")
        elif isinstance(h, Equal):
            out.append(f"assume {_name(h.a)} = {_name(h.b)}")
        elif isinstance(h, Between):
            out.append(f"assume {_name(h.lo)} < {_name(h.symbol)} < {_name(h.hi)}")
        elif isinstance(h, Domain) and h.values is not None:
            out.append(rf"assume {h.name} \in \{{{', '.join(sp.latex(v) for v in h.values)}\}}")
        elif isinstance(h, Domain):
            out.append(f"assume {h.latex}")
        # InRange: the range of an index is that of the array it indexes, which the shapes state.
    return out


def _scalars(proof: Proof) -> list[str]:
    """The real scalars the proof speaks of (t, z, λ): independent, held fixed in each derivative."""
    exprs = [proof.start, *(step.expr for step in proof.steps)]
    taken = {note.name for note in proof.notations}
    found: set[sp.Symbol] = set()
    for expr in exprs:
        taken |= {base.label for base in expr.atoms(sp.IndexedBase)}
        found |= {s for s in expr.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer}
    names = sorted(found - taken, key=str)
    return [f"scalar {' '.join(_name(s) for s in names)}"] if names else []


def _notation(proof: Proof) -> list[str]:
    """``define`` for each name of the proof's notation, from the first and last side of its equation."""
    logits = any(spec.role == Role.LOGITS for spec in proof.arrays)
    out = []
    for note in proof.notations:
        if note.latex.startswith(r"\left["):
            continue  # an entry of a matrix expression, [B^T(ŷ - y)x^T]_ab: its meaning is the expression's
        if str(note.name) == "yhat" and logits:
            continue  # the declared logits already make ŷ their softmax
        sides = note.where.split(" = ")
        out.append(f"define {sides[0]} = {sides[-1]}")
    return out


def declarations(proof: Proof) -> list[str]:
    r"""The declarations of one proof's section, in the audit's language (docs/audit.md's table).

    Examples:
        >>> from derive.library.proofs import prove
        >>> declarations(prove("softmax_jacobian_offdiagonal"))
        ['reset', 'vector z k', 'logits z', 'assume i \\neq j']
    """
    samples = _samples(proof)
    out = ["reset"]
    if samples is not None:
        out.append(f"samples {_name(samples)} n")
    out += _arrays(proof, samples)
    out += _hypotheses(proof)
    out += _scalars(proof)
    out += _notation(proof)
    out += list(proof.declarations)
    return out
