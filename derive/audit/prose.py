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


def after_math(text: str, offset: int, body: str) -> int:
    r"""Where the prose resumes after the inline math ``body`` that starts at ``offset``: past its closing
    ``$`` or ``\)``.

    Examples:
        >>> t = "the row $x$ of"
        >>> t[after_math(t, t.index("x"), "x"):]
        ' of'
    """
    end = offset + len(body)
    return end + (2 if text.startswith("\\)", end) else 1)


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


# -- a case stated in a sentence: "If $i = k$," before a display, "$$...$$ when $i = j$." after one --------

#: A relation of two indices, the form of a case: ``i = k``, ``i \neq a``, ``j \ne \ell``.
CASE_RELATION = re.compile(r"\s*(?:[A-Za-z]|\\[A-Za-z]+)\s*(?:=|\\neq|\\ne|≠)\s*(?:[A-Za-z]|\\[A-Za-z]+)\s*")
#: The words that make a relation in a sentence a case of the math, not a claim.
_CASE_WORD = re.compile(r"\b(?:if|when|whenever|for|case|assuming|assume|suppose|where|with|let)\b", re.IGNORECASE)
#: After a case's math: punctuation, then the next display's opener (only blank lines between).
_BEFORE_DISPLAY = re.compile(r"(?:\$|\\\))[ \t]*[:,.]?\s*(?=\$\$|\\\[|\\begin\{|```\s*math)")
#: Right after a display: ", for $i \neq j$." (a lowercase condition word, the relation, the paragraph's end).
_AFTER_DISPLAY = re.compile(r"(?:\s|\$\$|\\\])*?,?[ \t]*(?:for|when|if|whenever|where)[ \t]+"
                            r"(?:\$(?P<dollar>[^$\n]+)\$|\\\((?P<paren>[^\n]+?)\\\))[ \t]*[.;]?[ \t]*(?:\n\s*\n|\s*\Z)")
#: Where a sentence starts: after a full stop, or at a paragraph or a display's end.
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|\n[ \t]*\n|\$\$|\\\]")


def case_before(text: str, offset: int, body: str) -> str | None:
    r"""The case a sentence states for the display after it: "If $i = k$," or "for $i \neq a$:" ending
    its paragraph, the relation in a sentence with a condition word. None if the inline math at
    ``offset`` is not that.

    Examples:
        >>> t = "For a weight of another unit, $i \\neq a$:\n$$ a = b $$"
        >>> case_before(t, t.index("i "), "i \\neq a")
        'i \\neq a'
        >>> t = "The diagonal $i = j$ of the matrix.\n\n$$ a = b $$"
        >>> case_before(t, t.index("i "), "i = j") is None
        True
    """
    if not CASE_RELATION.fullmatch(body):
        return None
    if not _BEFORE_DISPLAY.match(text, offset + len(body)):
        return None
    opener = offset - (2 if text[offset - 2:offset] == "\\(" else 1)
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text, 0, opener)]
    sentence = text[breaks[-1] if breaks else 0:opener]
    return body.strip() if _CASE_WORD.search(sentence) else None


def case_after(text: str, end: int) -> tuple[str, int] | None:
    r"""The case a sentence right after a display states for it, ``$$...$$ when $i = j$.``, with the
    offset of the relation; ``end`` is where the display's body ends.

    Examples:
        >>> t = "$$ a = b $$\nwhen $i = j$.\n\nMore."
        >>> case_after(t, t.index(" $$"))
        ('i = j', 18)
    """
    m = _AFTER_DISPLAY.match(text, end)
    if m is None:
        return None
    group = "dollar" if m.group("dollar") is not None else "paren"
    body = m.group(group)
    return (body.strip(), m.start(group)) if CASE_RELATION.fullmatch(body) else None


#: An inline equation that states a value or a constraint, not a claim: ``y_i = 1``, ``\sum_i y_i = 1``, ``u = v``.
def states_a_value(lhs: sp.Basic, rhs: sp.Basic) -> bool:
    """Whether an inline ``lhs = rhs`` states what a name is (a number, another name), not a claim.

    "Since exactly one $y_i = 1$", "$\\sum_i y_i = 1$": the prose states something of its names;
    ``e^0 = 1`` has no name in it and is a claim (and a step of the derivation).
    """
    if isinstance(rhs, sp.Symbol | sp.Indexed) or (rhs.is_number and lhs.free_symbols):
        return not (lhs.has(sp.Derivative) or rhs.has(sp.Derivative))
    return False


# -- what a few words say of a name: "$y$ is a one-hot vector", "one-hot labels $y$", "$\sum_i y_i = 1$" ----

_ONE_HOT_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:(?:is|are)[ \t]+)?(?:a[ \t]+)?one[- ]hot(?:[ \t]+(?:vector|label|labels|"
                            r"encoded|encoding))?(?:[ \t]*,?[ \t]*at[ \t]+(?:the[ \t]+)?(?:true[ \t]+)?(?:class|index)?"
                            r"[ \t]*(?:\$|\\\()(?P<at>[A-Za-z]|\\[A-Za-z]+)(?:\$|\\\)))?", re.IGNORECASE)
_ONE_HOT_BEFORE = re.compile(r"one[- ]hot(?:[ \t]+(?:vector|label|labels|target|targets))?[ \t]*(?:\$|\\\()$",
                             re.IGNORECASE)
_DISTRIBUTION_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:(?:is|are)[ \t]+)?(?:a[ \t]+)?(?:probability distribution|"
                                 r"distribution over the classes|soft labels?)", re.IGNORECASE)
_LABEL_NAME = re.compile(r"\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?P<name>[A-Za-z])\s*\}?\s*"
                         r"(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z]+))?\s*")
#: ``\sum_i y_i = 1``: the entries of y sum to one (a sum with limits may stop short of y's length: not read).
_SUMS_TO_ONE = re.compile(r"\s*\\sum(?:\\limits)?\s*_\s*(?:\{\s*(?P<i>[a-z])\s*\}|(?P<j>[a-z]))"
                          r"\s*(?P<name>[A-Za-z])\s*_\s*(?:\{\s*(?P<k>[a-z])\s*\}|(?P<l>[a-z]))\s*=\s*1\s*[.,]?\s*")


def labels_stated(text: str, offset: int, body: str) -> str | None:
    r"""The ``labels`` declaration a sentence makes of the name at ``offset``, or None: "$y$ is a one-hot
    vector" (``labels y soft``: the entries sum to one), "the label $y$ is one-hot, at the true class $c$"
    (``labels y one-hot at c``), "$\sum_i y_i = 1$" (``labels y soft``), "$y$ is a probability distribution".

    Examples:
        >>> t = "since $y$ is a one-hot vector;"
        >>> labels_stated(t, t.index("y"), "y")
        'labels y soft'
        >>> t = "the label $y$ is one-hot, at the true class $c$:"
        >>> labels_stated(t, t.index("y"), "y")
        'labels y one-hot at c'
        >>> labels_stated("uses $\\sum_i y_i = 1$", 6, "\\sum_i y_i = 1")
        'labels y soft'
        >>> labels_stated("with $y$ the one-hot", 6, "y") is None
        True
    """
    total = _SUMS_TO_ONE.fullmatch(body)
    if total is not None:
        index = total.group("i") or total.group("j")
        return f"labels {total.group('name')} soft" if index == (total.group("k") or total.group("l")) else None
    name = _LABEL_NAME.fullmatch(body)
    if name is None:
        return None
    closer = after_math(text, offset, body)
    after = _ONE_HOT_AFTER.match(text, closer)
    if after is not None:
        at = after.group("at")
        return f"labels {name.group('name')} " + (f"one-hot at {at}" if at else "soft")
    opener = offset - (2 if text[offset - 2:offset] == "\\(" else 1)
    if _ONE_HOT_BEFORE.search(text, max(0, opener - 40), opener + 1) or _DISTRIBUTION_AFTER.match(text, closer):
        return f"labels {name.group('name')} soft"
    return None


# -- a length in words: "one input row $x$ of dimension $N$", "a vector $w$ of length $d$" ---------------

_LENGTH_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:(?:is|are)[ \t]+)?(?:a[ \t]+)?(?:vector[ \t]+)?(?:of|with)[ \t]+"
                           r"(?:dimension|dimensionality|length|size)[ \t]+(?:\$|\\\()[ \t]*(?P<n>[A-Za-z])[ \t]*"
                           r"(?:\$|\\\))", re.IGNORECASE)
#: A vector named without its length: "for a vector $\mathbf{x}$", "$x$ is a vector".
_A_VECTOR_BEFORE = re.compile(r"\b(?:a|any|the)[ \t]+(?:real[ \t]+|column[ \t]+|input[ \t]+)?vector[ \t]*(?:\$|\\\()$")
_A_VECTOR_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:is|be)[ \t]+a[ \t]+(?:real[ \t]+|column[ \t]+)?vector\b(?![ \t]+of\b)")
_VECTOR_NAME = re.compile(r"\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?P<name>[a-z])\s*\}?\s*")


def length_stated(text: str, offset: int, body: str) -> str | None:
    r"""The ``vector`` declaration a sentence makes of the name at ``offset``, or None: "the input row $x$
    of dimension $N$" (``vector x N``), "$w$, a vector of length $d$". Only a lowercase letter is read as
    a vector: "$X$ of size $N$" may be a matrix with N rows.

    Examples:
        >>> t = "for one input row $x$ of dimension $N$:"
        >>> length_stated(t, t.index("x"), "x")
        'vector x N'
        >>> t = "the weights $w$, a vector of length $d$."
        >>> length_stated(t, t.index("$w$") + 1, "w")
        'vector w d'
        >>> t = "a matrix $X$ of size $N$"
        >>> length_stated(t, t.index("X"), "X") is None
        True
        >>> t = "The two functions, for a vector $\\mathbf{x}$:"
        >>> length_stated(t, t.index("$") + 1, "\\mathbf{x}")
        'vector x'
        >>> t = "where $y$ is a vector of ones"
        >>> length_stated(t, t.index("y"), "y") is None
        True
    """
    name = _VECTOR_NAME.fullmatch(body)
    if name is None:
        return None
    closer = after_math(text, offset, body)
    after = _LENGTH_AFTER.match(text, closer)
    if after is not None:
        return f"vector {name.group('name')} {after.group('n')}"
    if _A_VECTOR_BEFORE.search(text, max(0, offset - 30), offset) or _A_VECTOR_AFTER.match(text, closer):
        return f"vector {name.group('name')}"  # "for a vector $\mathbf{x}$": of the length the post gives arrays
    return None


# -- a kind in words: "Here $x$ and $t$ are scalars", "$\eta$, $g$ and the weight $w$ are scalars" ------

_MATH_NAME = r"(?:\$|\\\()\s*(?:\\[A-Za-z]+|[A-Za-z])\s*(?:\$|\\\))"
_NAME_LIST = re.compile(rf"(?P<rest>(?:\s*(?:,|\band\b|,\s*and\b)\s*(?:the\s+[a-z]+\s+)?{_MATH_NAME})*)"
                        r"\s+(?:is|are)\s+(?:a\s+|both\s+|all\s+)?(?:real\s+)?(?:scalars?|real\s+numbers?)\b")
#: One name as a sentence names it: a letter or a command (``x``, ``\\eta``).
_ONE_NAME = re.compile(r"\\[A-Za-z]+|[A-Za-z]")
_LISTED = re.compile(r"(?:\$|\\\()\s*(?P<name>\\[A-Za-z]+|[A-Za-z])\s*(?:\$|\\\))")


def scalars_stated(text: str, offset: int, body: str) -> str | None:
    r"""The ``scalar`` declaration a sentence makes of the names it lists from ``offset`` on, or None:
    "Here $x$ and $t$ are scalars" (``scalar x t``), "$\eta$, $g$ and the weight $w$ are scalars".

    Examples:
        >>> t = "Here $x$ and $t$ are scalars."
        >>> scalars_stated(t, t.index("$x$") + 1, "x")
        'scalar x t'
        >>> t = "Here $\\eta$, $g$ and the weight $w$ are scalars."
        >>> scalars_stated(t, t.index("$") + 1, "\\eta")
        'scalar \\eta g w'
        >>> t = "where $x$ is the input and $t$ is a scalar"
        >>> scalars_stated(t, t.index("$x$") + 1, "x") is None
        True
    """
    name = body.strip()
    if _ONE_NAME.fullmatch(name) is None:
        return None
    closer = after_math(text, offset, body)
    listed = _NAME_LIST.match(text, closer)
    if listed is None:
        return None
    return "scalar " + " ".join([name, *(m.group("name") for m in _LISTED.finditer(listed.group("rest")))])



#: What a sentence calls data next to a name: "$y$ the target", "$y$ is the label", "the target $y$".
_DATA_WORD = r"(?:target|label|observed\s+value|true\s+value)"
_DATA_AFTER = re.compile(rf"[ \t]*,?[ \t]*(?:(?:is|being)[ \t]+)?(?:the|a|its)[ \t]+(?:[a-z]+[ \t]+)?{_DATA_WORD}\b")
_DATA_BEFORE = re.compile(rf"\b(?:the|a|its)[ \t]+(?:[a-z]+[ \t]+)?{_DATA_WORD}[ \t]*(?:\$|\\\()$")


def data_stated(text: str, offset: int, body: str) -> str | None:
    r"""The name a sentence calls the target (a label, an observed value) at ``offset``, or None: "$y$
    the target", "the target $y$". Data is any value: a step refuted at one is refuted at a point of the post.

    Examples:
        >>> t = "where $a$ is the output and $y$ the target:"
        >>> data_stated(t, t.index("$y$") + 1, "y")
        'y'
        >>> t = "the target $t$ of one example"
        >>> data_stated(t, t.index("$t$") + 1, "t")
        't'
        >>> t = "where $a$ is the output"
        >>> data_stated(t, t.index("$a$") + 1, "a") is None
        True
    """
    name = body.strip()
    if _ONE_NAME.fullmatch(name) is None:
        return None
    if _DATA_AFTER.match(text, after_math(text, offset, body)) or _DATA_BEFORE.search(text[max(0, offset - 40):offset]):
        return name
    return None


# -- a count in words: "the loss over $C$ classes", "$N$ samples" ---------------------------------------

#: The plural nouns a count of which is a length: classes, samples, features, ... (never "layers": a
#: network's depth is no array's length).
_COUNTED = re.compile(r"[ \t]+(?:[a-z]+[ \t]+)?(?:classes|categories|samples|examples|observations|"
                      r"data[ \t]+points|points|features|outputs|inputs|tokens|positions|units|neurons|"
                      r"dimensions|entries|components|rows|columns)\b")


def count_stated(text: str, offset: int, body: str) -> str | None:
    r"""The ``size`` declaration a sentence makes of a letter that counts things, or None: "the loss over
    $C$ classes" (``size C``), "$N$ training samples".

    Examples:
        >>> t = "The loss over $C$ classes, written"
        >>> count_stated(t, t.index("C"), "C")
        'size C'
        >>> t = "with $x$ features"
        >>> count_stated(t, t.index("x"), "x") is None
        True
        >>> t = "and $L$ layers"
        >>> count_stated(t, t.index("L"), "L") is None
        True
    """
    name = body.strip()
    if re.fullmatch(r"[A-Z]|[nmdkKNMTD]", name) is None:
        return None
    closer = after_math(text, offset, body)
    return f"size {name}" if _COUNTED.match(text, closer) is not None else None


# -- a vector written as its entries: "z = [z_1, z_2, \dots, z_C]" --------------------------------------

_STYLED_LETTER = r"(?:\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*)?(?P<letter>[A-Za-z])\s*\}?"
_FIRST = r"(?P=letter)\s*_\s*\{?\s*1\s*\}?"
_MIDDLE = r"(?:\s*,\s*(?P=letter)\s*_\s*\{?\s*2\s*\}?)?"
_DOTS = r"\s*,\s*(?:\\[lc]?dots|\\cdots|…)\s*,\s*"
_LAST = r"(?P=letter)\s*_\s*\{?\s*(?P<n>[A-Za-z])\s*\}?"
_TRANSPOSED = r"(?:\s*\^\s*(?:\{\s*)?(?:T|\\top|\\intercal|\\text\s*\{?\s*T\s*\}?|\\mathrm\s*\{\s*T\s*\})(?:\s*\})?)?"
_LISTED_VECTOR = re.compile(rf"\s*{_STYLED_LETTER}\s*=\s*(?:\\left\s*)?[\[(]\s*{_FIRST}{_MIDDLE}{_DOTS}{_LAST}"
                            rf"\s*(?:\\right\s*)?[\])]{_TRANSPOSED}\s*")


def entries_stated(body: str) -> str | None:
    r"""The ``vector`` declaration of a vector written as its entries, or None: ``z = [z_1, z_2, \dots, z_C]``
    is ``vector z C``, as is the column ``\boldsymbol y = (y_1,y_2,…,y_N)^\text T``. Only a list of the
    name's own entries, from 1 to a letter, is read: ``(b, w_1, …, w_d)`` is not.

    Examples:
        >>> entries_stated(r"z = [z_1, z_2, \dots, z_C]"), entries_stated(r"\boldsymbol y = (y_1,y_2,…,y_N)^\text T")
        ('vector z C', 'vector y N')
        >>> entries_stated(r"\boldsymbol w = (b,w_1,…,w_d)^\text T") is None
        True
    """
    m = _LISTED_VECTOR.fullmatch(body)
    return None if m is None else f"vector {m.group('letter')} {m.group('n')}"
