"""A matrix form as a textbook writes it: LaTeX, or plain Unicode text (``Xᵀ(Xw − t)/N + λw``).

Juxtaposition is the matrix product, ⊙ the elementwise one, ``ᵀ`` the transpose; a scalar
1/q in front of a product is written as a division by q. Names go through SymPy's LaTeX
printer (``yhat`` → ``\\hat{y}``, ``lambda`` → ``\\lambda``).
"""

from __future__ import annotations

import sympy as sp

from derive.model.matrix_form import Form, scale

__all__ = ["latex", "text"]

_ADD, _HADAMARD, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4, 5

_FUNCTIONS_LATEX = {"tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "sigmoid": r"\sigma", "sqrt": r"\sqrt",
                    "relu": r"\operatorname{relu}", "step": r"\operatorname{H}", "softmax": r"\operatorname{softmax}",
                    "diag": r"\operatorname{diag}"}
_FUNCTIONS_TEXT = {"sigmoid": "σ", "step": "H"}
_TEXT_NAMES = {"yhat": "ŷ", "Yhat": "Ŷ", "lambda": "λ", "lam": "λ", "sigma": "σ", "mu": "μ", "epsilon": "ε",
               "xhat": "x̂", "Xhat": "X̂", "gamma": "γ", "beta": "β"}


def _negative(c: Form) -> bool:
    return c.is_const() and c.value is not None and c.value.could_extract_minus_sign()


class _Printer:
    def __init__(self, tex: bool) -> None:
        self.tex = tex

    def name(self, raw: str) -> str:
        if self.tex:
            return sp.latex(sp.Symbol(raw))
        return _TEXT_NAMES.get(raw, raw)

    def number(self, value: sp.Expr) -> str:
        if self.tex:
            return sp.latex(value)
        names = {s: sp.Symbol(_TEXT_NAMES[s.name]) for s in value.free_symbols
                 if isinstance(s, sp.Symbol) and s.name in _TEXT_NAMES}
        return sp.sstr(value.xreplace(names))

    def paren(self, inner: str) -> str:
        return rf"\left({inner}\right)" if self.tex else f"({inner})"

    def at(self, f: Form, level: int) -> str:
        body, own = self.show(f)
        return self.paren(body) if own < level else body

    def show(self, f: Form) -> tuple[str, int]:
        op, a = f.op, f.args
        tex = self.tex
        if op == "var":
            return self.name(f.name), _ATOM
        if op == "const":
            assert f.value is not None
            value = f.value
            simple = value.is_Symbol or (value.is_Integer and not value.is_negative)
            return self.number(value), _ATOM if simple else _ADD
        if op == "ones":
            return (r"\mathbf{1}" if tex else "𝟏"), _ATOM
        if op == "eye":
            return "I", _ATOM
        if op == "add":
            left = self.at(a[0], _ADD)
            right = a[1]
            if right.op == "scale" and _negative(right.args[0]):
                return f"{left} - {self.at(-right, _HADAMARD)}", _ADD
            return f"{left} + {self.at(right, _ADD)}", _ADD
        if op == "scale":
            return self.scaled(a[0], a[1])
        if op == "mul":
            sign = r" \odot " if tex else " ⊙ "
            return f"{self.at(a[0], _POWER)}{sign}{self.at(a[1], _POWER)}", _HADAMARD
        if op == "div":
            if tex:
                return rf"\frac{{{self.at(a[0], _ADD)}}}{{{self.at(a[1], _ADD)}}}", _HADAMARD
            return f"{self.at(a[0], _PRODUCT)} / {self.at(a[1], _POWER)}", _HADAMARD
        if op == "matmul":
            gap = " " if tex else ""
            return f"{self.at(a[0], _PRODUCT)}{gap}{self.at(a[1], _POWER)}", _PRODUCT
        if op == "T":
            return f"{self.at(a[0], _ATOM)}{'^T' if tex else 'ᵀ'}", _POWER
        if op == "pow":
            power = self.at(a[1], _ATOM)
            return (f"{self.at(a[0], _ATOM)}^{{{power}}}" if tex else f"{self.at(a[0], _ATOM)}^{power}"), _POWER
        if op == "sum":
            label = r"\operatorname{sum}" if tex else "sum"
            axis = "" if f.axis is None else (rf"_{{\text{{axis}} {f.axis}}}" if tex else f"[axis {f.axis}]")
            return f"{label}{axis}{self.paren(self.at(a[0], _ADD))}", _ATOM
        if op == "sqrt" and tex:
            return rf"\sqrt{{{self.at(a[0], _ADD)}}}", _ATOM
        if op in _FUNCTIONS_LATEX:
            label = _FUNCTIONS_LATEX[op] if tex else _FUNCTIONS_TEXT.get(op, op)
            return f"{label}{self.paren(self.at(a[0], _ADD))}", _ATOM
        raise TypeError(f"no printed form for {op!r}")

    def scaled(self, c: Form, x: Form) -> tuple[str, int]:
        if _negative(c):
            return f"-{self.at(-scale(c, x), _PRODUCT)}", _ADD
        body = self.at(x, _PRODUCT)
        if c.is_const() and c.value is not None and c.value.is_commutative:
            num, den = sp.fraction(sp.together(c.value))
            if num == 1 and den != 1:
                if self.tex:
                    return rf"\frac{{1}}{{{sp.latex(den)}}} {body}", _PRODUCT
                shown = sp.sstr(den)
                return f"{body}/{shown if den.is_Symbol or den.is_Integer else self.paren(shown)}", _PRODUCT
        gap = " " if self.tex else ""
        return f"{self.at(c, _POWER)}{gap}{body}", _PRODUCT


def latex(f: Form) -> str:
    """The form in LaTeX (math mode, no delimiters)."""
    return _Printer(True).show(f)[0]


def text(f: Form) -> str:
    """The form in plain Unicode."""
    return _Printer(False).show(f)[0]
