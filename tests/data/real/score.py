r"""Score derive's audit against the real corpus: every post as written, and with its declarations.

Usage (from the repository root, with the code to score first on the path)::

    PYTHONPATH=$PWD python3 tests/data/real/score.py [SLUG ...] [--quiet] [--write-expectations]

For each post ``NN_slug.md`` and its key ``NN_slug.json`` it audits the post as written and with its
declarations prepended, one ``<!-- derive: ... -->`` line each (the steps' lines are shifted back), and
prints the counts of valid, wrong, undecided, not read and definition steps, the hits (a true step
valid, a false step wrong), the keyed steps the audit did not report (``missed``: mostly inline math),
the steps it reported that are not keyed (``unkeyed``), and every MISJUDGED step: a true step wrong, a
false step valid, or a step that is no claim (``true: null``) valid or wrong, with derive's reason.
Exit status 1 if any step is misjudged.

``--write-expectations`` writes ``expected_failures.json``: the cases of ``tests/test_real_corpus.py``
that fail on the code scored, so that the test marks exactly them ``xfail(strict=True)``.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from derive.audit.declarations import PostState, declare
from derive.audit.post import audit_text
from derive.audit.results import StepStatus
from derive.audit.scan import Declaration

HERE = Path(__file__).parent
EXPECTATIONS = HERE / "expected_failures.json"
STATUSES = ("valid", "wrong", "undecided", "not read", "definition")


def posts() -> list[str]:
    """The slugs of every post of the corpus, in order."""
    return sorted(p.stem for p in HERE.glob("[0-9]*.md"))


def key(slug: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((HERE / f"{slug}.json").read_text())
    return loaded


def declarations(slug: str) -> list[str]:
    decls = key(slug)["declarations"]
    assert isinstance(decls, list)
    return [str(d) for d in decls]


def with_declarations(text: str, decls: Sequence[str]) -> str:
    """The post with ``decls`` prepended, one ``<!-- derive: ... -->`` line each."""
    return "".join(f"<!-- derive: {d} -->\n" for d in decls) + text


@dataclass(frozen=True)
class Reported:
    """One step as derive reported it, at its line in the post as written and its rank on that line."""

    line: int
    rank: int
    status: str
    text: str
    reason: str


@dataclass(frozen=True)
class Audit:
    steps: tuple[Reported, ...]
    hints: tuple[str, ...]


@functools.lru_cache(maxsize=512)
def audit(slug: str, decls: tuple[str, ...] | None) -> Audit:
    """derive's audit of the post, as written (``decls`` None) or with ``decls`` prepended."""
    if decls == ():
        return audit(slug, None)  # no declarations prepended: the post as written
    text = (HERE / f"{slug}.md").read_text()
    shift = 0
    if decls is not None:
        text, shift = with_declarations(text, decls), len(decls)
    report = audit_text(text, path=f"{slug}.md")
    seen: Counter[int] = Counter()
    steps = []
    for step in report.steps:
        line = step.line - shift
        steps.append(Reported(line, seen[line], step.status.value, step.text, step.reason))
        seen[line] += 1
    return Audit(tuple(steps), tuple(report.hints))


@dataclass(frozen=True)
class Judged:
    """An audit compared with the key."""

    counts: Counter[str]
    hits_true: int
    n_true: int
    hits_false: int
    n_false: int
    misjudged: tuple[tuple[dict[str, object], Reported], ...]
    missed: tuple[dict[str, object], ...]
    unkeyed: tuple[Reported, ...]
    #: Keyed steps derive reported on another line than the one their left side begins on.
    misplaced: int


def misjudged(truth: object, status: str) -> bool:
    """A true step wrong, a false step valid, or a step that is no claim decided either way."""
    if truth is True:
        return status == StepStatus.WRONG.value
    if truth is False:
        return status == StepStatus.VALID.value
    return status in (StepStatus.VALID.value, StepStatus.WRONG.value)


#: What a step's text is compared by when derive reports it on another line: the environment around it,
#: sizes, alignment marks, the trailing punctuation and spaces are not the step.
_NOISE = re.compile(r"\\(?:begin|end)\{[a-z*]+\}(?:\{[a-z]+\})?|\\(?:large|Large|LARGE|displaystyle)\b|&|\\\\|[\s,.;]")


def _bare(text: str) -> str:
    return _NOISE.sub("", text)


def _placed(keyed: dict[tuple[int, int], dict[str, object]], steps: Sequence[Reported]
            ) -> tuple[dict[tuple[int, int], Reported], list[Reported]]:
    """Each keyed step's report: the step derive reports at its line and rank, or else the one unmatched step
    within two lines whose text is the key's (derive misplaces steps of some environments); and the
    reported steps left over."""
    def same(k: dict[str, object], s: Reported) -> bool:
        want, got = _bare(str(k["text"])), _bare(s.text)
        return bool(want and got) and (want in got or got in want)

    by_place = {(s.line, s.rank): s for s in steps}
    # At its place, a step is the keyed one unless its text is plainly another (derive may read inline
    # math on a line differently); it is still the keyed one if nothing else near has the key's text.
    found = {w: by_place[w] for w, k in keyed.items() if w in by_place and same(k, by_place[w])}
    left = [s for s in steps if all(s is not f for f in found.values())]
    for where, k in keyed.items():
        if where in found:
            continue
        near = [s for s in left if abs(s.line - where[0]) <= 2 and same(k, s)]
        if len(near) == 1:
            found[where] = near[0]
        elif where in by_place and by_place[where] in left:
            found[where] = by_place[where]
        else:
            continue
        left.remove(found[where])
    return found, left


def judge(slug: str, result: Audit) -> Judged:
    steps = key(slug)["steps"]
    assert isinstance(steps, list)
    keyed = {(k["line"], k["rank"]): k for k in steps}
    found, left = _placed(keyed, result.steps)
    bad, missed = [], []
    hits_true = hits_false = 0
    for where, k in keyed.items():
        got = found.get(where)
        if got is None:
            missed.append(k)
            continue
        hits_true += k["true"] is True and got.status == "valid"
        hits_false += k["true"] is False and got.status == "wrong"
        if misjudged(k["true"], got.status):
            bad.append((k, got))
    misplaced = sum(1 for w, r in found.items() if (r.line, r.rank) != w)
    return Judged(Counter(s.status for s in result.steps), hits_true, sum(k["true"] is True for k in steps),
                  hits_false, sum(k["true"] is False for k in steps), tuple(bad), tuple(missed), tuple(left),
                  misplaced)


# -- the cases of tests/test_real_corpus.py --------------------------------------------------------------

def worse(slug: str, result: Audit) -> list[str]:
    """The steps a set of declarations made wrong though true, or valid though false."""
    j = judge(slug, result)
    return [f"{k['line']}:{k['rank']} {k['text']} ({r.status}: {r.reason.splitlines()[0] if r.reason else ''})"
            for k, r in j.misjudged if k["true"] is not None]


def variants(slug: str) -> list[tuple[str, tuple[str, ...]]]:
    """The declaration sets of the metamorphic test, named ``withoutN`` (the N-th declaration removed)
    and ``onlyN`` (the N-th declaration alone)."""
    decls = declarations(slug)
    out = [(f"without{n}", tuple(x for x in decls if x != d)) for n, d in enumerate(decls)]
    return out + [(f"only{n}", (d,)) for n, d in enumerate(decls)]


#: A hint's declarations: every ``<!-- derive: ... -->`` (or ``% derive:``) in it.
_HINTED = re.compile(r"<!--\s*derive:\s*(.*?)\s*-->")


def hinted_declarations(hints: Iterable[str]) -> list[str]:
    """Each declaration a hint offers, split at ``;``; a ``...`` placeholder stands for an expression."""
    out = []
    for hint in hints:
        for body in _HINTED.findall(hint):
            out += [d.strip().replace("...", "0") for d in body.split(";") if d.strip()]
    return out


def refused(decl: str) -> str | None:
    """Why the declaration parser refuses ``decl`` on a fresh post (None if it takes it)."""
    return declare(PostState(), Declaration(decl, 1))


def cases() -> dict[str, str]:
    """Every case of the test file that fails on the code scored, with its reason."""
    failing: dict[str, str] = {}
    for slug in posts():
        for mode, decls in (("written", None), ("declared", tuple(declarations(slug)))):
            result = audit(slug, decls)
            j = judge(slug, result)
            if j.misjudged:
                failing[f"misjudged[{slug}-{mode}]"] = "; ".join(
                    f"{k['line']}:{k['rank']} true={k['true']} {r.status}" for k, r in j.misjudged)
            bad = [f"{d} ({why})" for d in hinted_declarations(result.hints) if (why := refused(d))]
            if bad:
                failing[f"hints_parse[{slug}-{mode}]"] = "; ".join(bad)
        for name, decls in variants(slug):
            found = worse(slug, audit(slug, decls))
            if found:
                failing[f"declarations_never_worse[{slug}-{name}]"] = "; ".join(found)
    return failing


# -- the report ------------------------------------------------------------------------------------------

def _counts(c: Counter[str]) -> str:
    return " ".join(f"{c[s]} {s}" for s in STATUSES)


def report(slugs: Sequence[str], *, quiet: bool = False) -> int:
    total_bad = 0
    for mode in ("written", "declared"):
        totals: Counter[str] = Counter()
        sums = Counter[str]()
        print(f"== {mode}")
        for slug in slugs:
            result = audit(slug, None if mode == "written" else tuple(declarations(slug)))
            j = judge(slug, result)
            totals += j.counts
            sums.update(hits_true=j.hits_true, n_true=j.n_true, hits_false=j.hits_false, n_false=j.n_false,
                        misjudged=len(j.misjudged), missed=len(j.missed), unkeyed=len(j.unkeyed),
                        misplaced=j.misplaced)
            print(f"{slug:34} {_counts(j.counts)} | hits {j.hits_true}/{j.n_true} true, "
                  f"{j.hits_false}/{j.n_false} false | misjudged {len(j.misjudged)} | missed {len(j.missed)}"
                  f" | unkeyed {len(j.unkeyed)} | misplaced {j.misplaced}")
            for k, r in j.misjudged:
                reason = " / ".join(r.reason.splitlines()[:2])
                print(f"    MISJUDGED {slug}.md:{k['line']}:{k['rank']} true={k['true']} -> {r.status}: {k['text']}"
                      f"\n        derive: {reason}\n        key: {k['why']}")
            for r in j.unkeyed:
                if r.line <= 0:
                    print(f"    REFUSED declaration {r.text!r}: {r.reason.splitlines()[0]}")
            if not quiet:
                for r in j.unkeyed:
                    if r.line <= 0:
                        continue
                    print(f"    unkeyed {slug}.md:{r.line}:{r.rank} {r.status}: {r.text[:90]}")
        total_bad += sums["misjudged"]
        print(f"TOTAL {mode}: {_counts(totals)} | hits {sums['hits_true']}/{sums['n_true']} true, "
              f"{sums['hits_false']}/{sums['n_false']} false | misjudged {sums['misjudged']} | "
              f"missed {sums['missed']} | unkeyed {sums['unkeyed']} | misplaced {sums['misplaced']}")
    return 1 if total_bad else 0


def main(argv: Sequence[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if "--write-expectations" in argv:
        failing = cases()
        EXPECTATIONS.write_text(json.dumps(failing, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"{len(failing)} failing cases written to {EXPECTATIONS.name}")
    return report(args or posts(), quiet="--quiet" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
