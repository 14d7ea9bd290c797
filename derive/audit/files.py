"""The files of an audit run: the posts a folder contributes, and where each HTML page goes.

A run on submissions must not be turned against the machine that runs it:

- a folder contributes its posts at any depth, but a symlink that leads out of the folder is not
  followed (the post could name ``~/.ssh/id_rsa`` and have it quoted in the report);
- a page never replaces an input (``derive audit p.md --html p.md``), and two posts with the same
  name in different folders get two pages (``a-hw.html``, ``b-hw.html``), never one over the other;
- a page is written to a temporary file in the target's folder and renamed over the target, so
  a write that fails (disk full, killed) leaves the previous report whole.

Every problem is a :class:`FilesError` with a one-line message.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

__all__ = ["POST_SUFFIXES", "STDIN", "FilesError", "page_targets", "posts", "write_atomic"]

#: What a folder given to 'derive audit' contributes: its posts, at any depth.
POST_SUFFIXES = (".md", ".markdown", ".tex")

#: The name that stands for standard input (and standard output, for --html).
STDIN = "-"


class FilesError(ValueError):
    """A file name that cannot be used as given; the message says why, on one line."""


def posts(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The files named, each folder replaced by the posts in it (sorted), and a line for each skipped link."""
    out: list[str] = []
    skipped: list[str] = []
    for name in names:
        if not name:
            raise FilesError("'' is not a file name; give a Markdown or LaTeX file, a folder, or - for "
                             "standard input")
        folder = Path(name)
        if name != STDIN and folder.is_dir():
            root = folder.resolve()
            found = []
            for path in sorted(folder.rglob("*")):
                if path.suffix not in POST_SUFFIXES or not path.is_file():
                    continue
                if not path.resolve().is_relative_to(root):
                    skipped.append(f"skipped {path}: a link to {path.resolve()}, outside {name}")
                    continue
                found.append(str(path))
            if not found:
                others = sorted(str(p) for p in folder.rglob("*") if p.is_file())
                named = f" (name a file to audit it as Markdown: derive audit {others[0]})" if others else ""
                raise FilesError(f"{name}: a folder with no {', '.join(POST_SUFFIXES)} files; give posts to audit"
                                 + named)
            out += found
        else:
            out.append(name)
    if out.count(STDIN) > 1:
        raise FilesError("- (standard input) can be given once")
    return out, skipped


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _page_names(inputs: Sequence[str]) -> list[str]:
    """A distinct page name for each input: its name, with its folders when two names are the same."""
    stems = [Path(n).stem if n != STDIN else "stdin" for n in inputs]
    repeated = Counter(stems)
    clashing = [Path(n).resolve() for n, s in zip(inputs, stems, strict=True) if repeated[s] > 1 and n != STDIN]
    common = Path(os.path.commonpath(clashing)) if len(clashing) > 1 else None
    names: list[str] = []
    for name, stem in zip(inputs, stems, strict=True):
        if repeated[stem] > 1 and name != STDIN and common is not None:
            parts = Path(name).resolve().relative_to(common).with_suffix("").parts
            stem = "-".join(parts) or stem
        candidate, n = stem, 2
        while candidate in names:
            candidate, n = f"{stem}-{n}", n + 1
        names.append(candidate)
    return [n + ".html" for n in names]


def page_targets(inputs: Sequence[str], out: str, *, json: bool = False) -> dict[str, str]:
    """Where the page of each input goes under ``--html out`` (``-``: standard output).

    One input: ``out`` itself (or a page in it, when ``out`` is a folder). Several: a page each
    in the folder ``out`` (made when missing). Refused, before any work: a page over an input,
    several pages onto one file or onto standard output, and ``-`` together with ``--json``.
    """
    if not out:
        raise FilesError("--html '' is not a file name; give a file, a folder, or - for standard output")
    if out == STDIN:
        if len(inputs) > 1:
            raise FilesError(f"--html - writes one page to standard output, and {len(inputs)} files give "
                             f"{len(inputs)} pages; give a folder for them, e.g. --html audit-pages")
        if json:
            raise FilesError("--json and --html - would both write to standard output; write the page to a "
                             "file, e.g. --html page.html")
        return {inputs[0]: STDIN}
    target = Path(out)
    if len(inputs) > 1 and target.exists() and not target.is_dir():
        raise FilesError(f"--html {out}: {len(inputs)} files give {len(inputs)} pages, and {out} is a file; "
                         "give a folder (it is made when missing)")
    if len(inputs) == 1 and not target.is_dir():
        targets = {inputs[0]: out}
    else:
        targets = {i: str(target / page) for i, page in zip(inputs, _page_names(inputs), strict=True)}
    for page in targets.values():
        for source in inputs:
            if source != STDIN and _same_file(Path(page), Path(source)):
                raise FilesError(f"--html {page} would write over the input {source}; give the page "
                                 f"another name, e.g. --html {Path(source).stem}-audit.html")
    return targets


def write_atomic(target: str, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in its folder, renamed into place.

    The page keeps the permissions a new file gets (the umask), not the temporary file's 0600.
    """
    path = Path(target)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
