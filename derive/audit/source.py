"""Reading a post from anything the user names: a file, a device, a pipe, or standard input (``-``).

The size is never trusted from ``stat()``: it is 0 for pipes and devices, and ``/dev/zero`` never
ends. At most ``limit + 1`` bytes are read; one more byte than the limit means the input is too large.

Reading has a deadline: a pipe whose writer never ends (``sleep 30 | derive audit -``) or a FIFO
nobody opens for writing would otherwise hold the run past ``--timeout``. A named file is opened
with ``O_NONBLOCK`` (opening a FIFO blocks until a writer comes), and each read waits in
``select()`` for at most the time left.
"""

from __future__ import annotations

import os
import select
import stat
import sys
import time
from pathlib import Path

from derive.audit.scan import position

__all__ = ["STDIN", "SourceError", "SourceTimeout", "read_source"]

#: The name that stands for standard input.
STDIN = "-"


class SourceError(ValueError):
    """Input that cannot be audited (missing, a folder, endless, too large, empty, binary, not UTF-8)."""


class SourceTimeout(SourceError):
    """The input did not end before the deadline."""


def _error(message: str) -> SourceError:
    return SourceError(message)


def read_source(path: str | Path, *, limit: int, deadline: float | None = None) -> str:
    """The UTF-8 text of ``path`` (``-`` for standard input), or SourceError saying why not.

    ``deadline`` is a ``time.monotonic()`` value: input still not at its end then is SourceTimeout.

    Examples:
        >>> read_source("/dev/zero", limit=100)
        Traceback (most recent call last):
        ...
        derive.audit.source.SourceError: /dev/zero: a device that goes on past the limit of 100 bytes; ...
    """
    name = str(path)
    if not name:
        raise _error("'': an empty file name; give a Markdown or LaTeX file, or - for standard input")
    if name == STDIN:
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, OSError, ValueError):
            raise _error("-: there is no standard input to read; give a file name") from None
        try:
            data = _read(fd, limit, deadline, "standard input")
        except OSError as exc:
            raise _error(f"-: cannot read standard input: {exc.strerror}") from None
        kind = "standard input"
    else:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
        except IsADirectoryError:
            raise _error(f"{name}: is a directory; give a Markdown or LaTeX file (or its files)") from None
        except OSError as exc:
            raise _error(f"{name}: cannot read it: {exc.strerror}") from None
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise _error(f"{name}: is a directory; give a Markdown or LaTeX file (or its files)")
            data = _read(fd, limit, deadline, name)
        except OSError as exc:
            raise _error(f"{name}: cannot read it: {exc.strerror}") from None
        finally:
            os.close(fd)
        kind = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a pipe" if stat.S_ISFIFO(mode) else ""
    if len(data) > limit:
        if kind == "a device":
            raise _error(f"{name}: a device that goes on past the limit of {_size(limit)}; "
                         "give a Markdown or LaTeX file")
        raise _error(f"{name}: more than {_size(limit)} is too large to be a post (the limit is {_size(limit)}); "
                     "audit the part with the derivation")
    return _decode(name, data)


def _read(fd: int, limit: int, deadline: float | None, what: str) -> bytes:
    """At most ``limit + 1`` bytes, however the descriptor delivers them, until ``deadline``."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and (wait <= 0 or not select.select([fd], [], [], wait)[0]):
            got = sum(map(len, chunks))
            raise SourceTimeout(f"{what}: still reading when the time ran out ({_size(got)} read, no end of "
                                "input); close the pipe, or give the file itself")
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:  # a FIFO's writer came and went between select and read
            continue
        if not chunk:
            break  # select said readable: an empty read is the end, not a writer yet to come
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
