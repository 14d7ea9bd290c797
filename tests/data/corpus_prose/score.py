r"""Score the prose corpus: each post of ``tests/data/corpus`` with its declarations written as prose.

Usage (from the repository root)::

    PYTHONPATH=$PWD python3 tests/data/corpus_prose/score.py [--write-expectations]

Every ``<!-- derive: ... -->`` line of a corpus post is replaced, on the same line, by the sentence an
author would write (``Let $X \in \mathbb{R}^{N \times p}$ ...``), so the corpus key's line numbers hold.
The prose version must reach the verdicts the declared version is keyed with. The script prints, per post,
the steps that agree and each disagreement, and the totals. ``--write-expectations`` writes
``expected_failures.json``: the posts whose prose version disagrees today, with the first disagreement,
so that ``tests/test_corpus_prose.py`` marks exactly them ``xfail(strict=True)``.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

from derive.audit.post import AuditReport, audit_text

HERE = Path(__file__).parent
CORPUS = HERE.parent / "corpus"
EXPECTATIONS = HERE / "expected_failures.json"


def posts() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.md"))


def key(slug: str) -> list[dict[str, object]]:
    steps: list[dict[str, object]] = json.loads((CORPUS / f"{slug}.json").read_text())["steps"]
    return steps


@functools.cache
def report(slug: str) -> AuditReport:
    """The audit of the prose post, as written (once per process: the test reads it twice)."""
    return audit_text((HERE / f"{slug}.md").read_text(), path=f"{slug}.md")


def disagreements(slug: str) -> tuple[int, list[str]]:
    """The number of keyed steps, and one line per step whose prose verdict is not the declared one."""
    want = key(slug)
    got = {(s.line, rank): s for rank, s in _ranked(report(slug).steps)}
    out, seen = [], {}
    for step in want:
        line = int(str(step["line"]))
        rank = seen.get(line, 0)
        seen[line] = rank + 1
        found = got.get((line, rank))
        status = found.status.value if found else "missing"
        if status != step["declared"]:
            reason = found.reason if found else "no step reported on this line"
            out.append(f"line {line}: declared {step['declared']}, prose {status} ({reason})")
    return len(want), out


def _ranked(steps):  # type: ignore[no-untyped-def]
    seen: dict[int, int] = {}
    for s in steps:
        rank = seen.get(s.line, 0)
        seen[s.line] = rank + 1
        yield rank, s


def main(argv: list[str]) -> int:
    total = agree = 0
    failures: dict[str, str] = {}
    for slug in posts():
        n, bad = disagreements(slug)
        total, agree = total + n, agree + n - len(bad)
        print(f"{slug}: {n - len(bad)}/{n} agree")
        for line in bad:
            print(f"    {line}")
        if bad:
            failures[slug] = bad[0]
    print(f"total: {agree}/{total} steps agree; {len(failures)} of {len(posts())} posts disagree")
    if "--write-expectations" in argv:
        EXPECTATIONS.write_text(json.dumps(failures, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
