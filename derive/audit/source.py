"""Reading a post from anything the user names: a file, a device, a pipe, or standard input (``-``).

The size is never trusted from ``stat()``: it is 0 for pipes and devices, and ``/dev/zero`` never
ends. At most ``limit + 1`` bytes are read; one more byte than the limit means the input is too large.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from derive.audit.scan import position

__all__ = ["STDIN", "SourceError", "read_source"]

#: The name that stands for standard input.
STDIN = "-"


class SourceError(ValueError):
    """Input that cannot be audited (missing, a folder, endless, too large, empty, binary, not UTF-8)."""


def _error(message: str) -> SourceError:
    return SourceError(message)


def read_source(path: str | Path, *, limit: int) -> str:
    """The UTF-8 text of ``path`` (``-`` for standard input), or SourceError saying why not.

    Examples:
        >>> read_source("/dev/zero", limit=100)
        Traceback (most recent call last):
        ...
        derive.audit.source.SourceError: /dev/zero: a device that goes on past the limit of 100 bytes; ...
    """
    name = str(path)
    if name == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise _error("-: there is no standard input to read; give a file name")
        data = _read(stream, limit)
        kind = "standard input"
    else:
        try:
            with open(name, "rb") as f:
                mode = os.fstat(f.fileno()).st_mode
                if stat.S_ISDIR(mode):
                    raise _error(f"{name}: is a directory; give a Markdown or LaTeX file")
                data = _read(f, limit)
        except IsADirectoryError:
            raise _error(f"{name}: is a directory; give a Markdown or LaTeX file (or its files)") from None
        except OSError as exc:
            raise _error(f"{name}: cannot read it: {exc.strerror}") from None
        kind = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a pipe" if stat.S_ISFIFO(mode) else ""
    if len(data) > limit:
        if kind == "a device":
            raise _error(f"{name}: a device that goes on past the limit of {_size(limit)}; "
                         "give a Markdown or LaTeX file")
        raise _error(f"{name}: more than {_size(limit)} is too large to be a post (the limit is {_size(limit)}); "
                     "audit the part with the derivation")
    return _decode(name, data)


def _read(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes, however the stream delivers them."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise _error(f"{name}: the input is empty; there is nothing to audit")
    if b"\x00" in data[:8192]:
        raise _error(f"{name}: looks like a binary file (NUL bytes); give a Markdown or LaTeX file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(data[:exc.start].decode("utf-8", errors="replace"), exc.start)
        raise _error(f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                     "save the file as UTF-8") from None


def _size(n: int) -> str:
    return f"{n / 1e6:g} MB" if n >= 1_000_000 else f"{n} bytes"
