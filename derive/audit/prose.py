"""What a post says of its names outside equations: ``A \\in \\mathbb{R}^{d \\times p}`` (a shape), and the
operators it defines (``define D_j = \\frac{\\partial}{\\partial a_j}``), written out before a side is read."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sympy as sp

from derive.audit.reader import ReadError, read_membership
from derive.engine.space import Role

if TYPE_CHECKING:
    from derive.audit.declarations import PostState

OPERATOR = re.compile(r"\s*\\frac\s*\{\s*\\partial\s*\}\s*\{\s*\\partial\s*(?P<var>[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*")
OPERATOR_NAME = re.compile(r"\s*(?P<name>\\?[A-Za-z]+)\s*(?:_\s*(?:\{\s*(?P<a>[A-Za-z])\s*\}|(?P<b>[A-Za-z])))?\s*")


def apply_operators(operators: list[tuple[str, str | None, str]], text: str) -> str:
    r"""Write each declared operator out: ``D_k f`` is ``\frac{\partial}{\partial a_k} f``.

    (With ``define D_j = \frac{\partial}{\partial a_j}``.)

    Examples:
        >>> apply_operators([("D", "j", "a_j")], r"D_{k} L + D_2 L")
        '\\frac{\\partial}{\\partial a_{k}} L + \\frac{\\partial}{\\partial a_{2}} L'
    """
    for name, param, var in operators:
        tail = r"\s*_\s*(?:\{\s*(\\?[A-Za-z0-9]+)\s*\}|([A-Za-z0-9]))" if param else ""
        pattern = re.compile(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])" + tail)

        def written(m: re.Match[str], param: str | None = param, var: str = var) -> str:
            body = var
            if param:
                index = m.group(1) or m.group(2)
                body = re.sub(r"(?<![\\A-Za-z])" + re.escape(param) + r"(?![A-Za-z])", "{" + index + "}", var)
            return "\\frac{\\partial}{\\partial " + body + "}"
        text = pattern.sub(written, text)
    return text


def read_declared_membership(post: PostState, text: str, *, prose: bool = False) -> bool:
    """``A \\in \\mathbb{R}^{d \\times p}`` declares a shape; True if ``text`` was one.

    In prose (inline math) it gives a shape only to a name that has none, and never a
    sample index: the declarations and display math say more than a sentence.
    """
    if "\\in" not in text:
        return False
    try:
        m = read_membership(text, context=post.context())
    except ReadError:
        return False
    if prose and (m.name in post.meaning.shapes.arrays or isinstance(m.target, sp.Indexed)):
        return True
    shape = tuple(d.xreplace(post.aliases) for d in m.shape if d != 1)
    name = m.name
    shapes = post.meaning.shapes
    if isinstance(m.target, sp.Indexed):
        shapes.per_sample.add(name)
        if post.sample_index is None and isinstance(m.target.indices[0], sp.Symbol):
            post.sample_index = str(m.target.indices[0])
    if len(shape) == 1:
        post.vectors.add(name)
    elif len(shape) == 2:
        post.matrices.add(name)
        shapes.roles.setdefault(name, Role.WEIGHTS)
    if shape:
        shapes.arrays[name] = shape
        post.defaulted.discard(name)
    return True
