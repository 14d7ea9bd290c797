"""Proofs of gradients in matrix form kept on disk, by a key of everything the claim is made of.

Proving ``∂L/∂W = <form>`` means building SymPy's derivative and the form's entries at free
indices and reducing their difference to zero: most of a first check's time, and the same work
every time a test process starts. The claim is fixed by the loss's recorded graph (each
operation, its options and constants, each declaration with its assumptions), the variable,
the candidate form, and derive's own code (every source file of the package) with the SymPy and
Python versions. Their SHA-256 is the key; a proof is stored under it, and recalled only for the
same key. Anything the key cannot pin down (a function passed to ``elementwise``, an unrecorded
tensor) makes the claim unkeyable: it is proved afresh and nothing is stored.

Only proofs are stored, never a refutation or an undecided verdict. The directory is
``$DERIVE_PROOF_CACHE`` (``off`` turns the cache off), else ``$XDG_CACHE_HOME/derive/proofs``
(``~/.cache/derive/proofs``).

Examples:
    >>> from derive.model import Size, Vector
    >>> from derive.model.matrix_form import var
    >>> n = Size("n"); x = Vector("x", n)
    >>> len(key((x * x).sum(), x, var(x, "x")))
    64
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from derive.engine.verdict import Status
from derive.model.graph import origin
from derive.model.matrix_form import Form
from derive.model.tensor import Declaration, Size, Tensor

__all__ = ["Recalled", "directory", "key", "recall", "remember"]


class _Unkeyable(Exception):
    """Something in the claim the key cannot pin down."""


@dataclass(frozen=True)
class Recalled:
    """A proof made earlier by this same code for this same claim, read back from the cache.

    It answers like a verdict for what a gradient needs: ``status`` (always proved),
    ``strategy`` and ``reason``; ``key`` names the file it came from.
    """

    name: str
    strategy: str | None
    key: str
    status: Status = Status.PROVED

    @property
    def reason(self) -> str:
        return f"proved earlier by the same derive, SymPy and Python; recalled from the proof cache ({self.key[:12]})"

    def __bool__(self) -> bool:
        raise TypeError("a recalled proof has no truth value; read .status")


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """derive's own source, with the SymPy and Python versions: a change to any of them is another key."""
    digest = hashlib.sha256(f"sympy {sp.__version__}; python {platform.python_version()}".encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _size(s: Size) -> str:
    return f"Size({s.name!r}, {s.value!r})"


def _declaration(d: Declaration) -> str:
    parts = (d.name, d.kind, sp.srepr(d.base), sp.srepr(d.symbol), ",".join(map(_size, d.shape)), str(d.role),
             sp.srepr(d.between), str(d.soft), sp.srepr(d.at))
    return "Decl(" + "|".join(parts) + ")"


def _value(v: Any, memo: dict[int, str]) -> str:
    if isinstance(v, Tensor):
        return _tensor(v, memo)
    if isinstance(v, Size):
        return _size(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return repr(v)
    if isinstance(v, sp.Basic):
        return sp.srepr(v)
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(_value(x, memo) for x in v) + ")"
    raise _Unkeyable(type(v).__name__)  # a function, say: its repr names an address, not what it does


def _tensor(t: Tensor, memo: dict[int, str]) -> str:
    if id(t) in memo:
        return memo[id(t)]
    record = origin(t)
    head = f"{t.kind}{sp.srepr(t.shape)}"
    if record is not None:
        args = ",".join(_value(a, memo) for a in record.args)
        options = ",".join(f"{k}={_value(v, memo)}" for k, v in record.options)
        out = f"{head}:{record.op}({args};{options})"
    elif t.kind in ("array", "labels", "scalar") and len(t.declarations) == 1:
        out = f"{head}:{_declaration(next(iter(t.declarations)))}"
    elif t.ndim == 0 and not t.declarations:
        out = f"{head}:const({sp.srepr(t.entry())};{','.join(sorted(map(_size, t.sizes)))})"
    else:
        raise _Unkeyable(f"a tensor of shape {t.shape} that no recorded operation made")
    memo[id(t)] = out
    return out


def _form(f: Form, memo: dict[int, str]) -> str:
    head = f"{f.op}{sp.srepr(f.shape)}[{f.axis}]"
    if f.op == "var":
        assert f.tensor_ is not None
        try:
            return f"{head}:{_tensor(f.tensor_, memo)}"
        except _Unkeyable:
            if f.definition is None:
                raise
            return f"{head}:def({_form(f.definition, memo)})"  # built from its definition (x̂, σ, g)
    if f.op == "const":
        decls = ",".join(sorted(map(_declaration, f.decls)))
        return f"{head}:const({sp.srepr(f.value)};{decls};{','.join(sorted(map(_size, f.sizes)))})"
    if f.op in ("ones", "eye"):
        return f"{head}:{','.join(sorted(map(_size, f.sizes)))}"
    return f"{head}(" + ",".join(_form(a, memo) for a in f.args) + ")"


def key(loss: Tensor, wrt: Tensor, form: Form) -> str | None:
    """The SHA-256 of the claim ``grad(loss, wrt) == form`` and of the code that builds and decides it; None
    when part of it cannot be pinned down."""
    memo: dict[int, str] = {}
    try:
        text = "\n".join((_code(), _tensor(loss, memo), _tensor(wrt, memo), _form(form, memo)))
    except _Unkeyable:
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def directory() -> Path | None:
    """Where proofs are kept, or None when ``DERIVE_PROOF_CACHE=off``."""
    chosen = os.environ.get("DERIVE_PROOF_CACHE", "")
    if chosen.lower() in ("off", "0", "no", "false"):
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "derive" / "proofs"


def _path(k: str) -> Iterator[Path]:
    folder = directory()
    if folder is not None:
        yield folder / f"{k}.json"


def recall(k: str | None, name: str) -> Recalled | None:
    """The proof stored under ``k``, or None (no key, no cache, nothing stored, or an unreadable file)."""
    if k is None:
        return None
    for path in _path(k):
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if stored.get("key") == k and stored.get("status") == Status.PROVED.value:
            return Recalled(name, stored.get("strategy"), k)
    return None


def remember(k: str | None, status: Status, strategy: str | None, claim_name: str) -> None:
    """Store a proof under ``k`` (written whole or not at all); anything but a proof is not stored."""
    if k is None or status != Status.PROVED:
        return
    for path in _path(k):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            body = json.dumps({"key": k, "status": status.value, "strategy": strategy, "claim": claim_name})
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp",
                                             encoding="utf-8") as tmp:
                tmp.write(body)
            os.replace(tmp.name, path)
        except OSError:
            pass  # a read-only home: the proof is simply made again next time
