r"""Prose and declared versions of one post agree.

Each post of ``tests/data/corpus_prose`` is its twin in ``tests/data/corpus`` with every
``<!-- derive: ... -->`` line replaced, on the same line, by the sentence an author writes instead
(``Let $X \in \mathbb{R}^{N \times p}$, $w \in \mathbb{R}^p$ ...``). Read as written, the prose post must
reach the verdict its twin is keyed with, step by step. The posts that disagree today are listed in
``tests/data/corpus_prose/expected_failures.json`` (written by its ``score.py --write-expectations``) and
marked ``xfail(strict=True)``, so a post that starts to agree fails until it is taken off the list.
Whatever the list says, a prose post never calls a true step wrong or a false step valid.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from derive.audit.post import StepStatus

PROSE = Path(__file__).parent / "data" / "corpus_prose"
CORPUS = Path(__file__).parent / "data" / "corpus"

_spec = importlib.util.spec_from_file_location("corpus_prose_score", PROSE / "score.py")
assert _spec is not None and _spec.loader is not None
score = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(score)

EXPECTED: dict[str, str] = json.loads(score.EXPECTATIONS.read_text()) if score.EXPECTATIONS.exists() else {}
POSTS = score.posts()


#: Posts whose prose audit takes most of a minute (steps that run out of their time budget): run with -m slow.
SLOW = frozenset({"26_tanh_mlp_diag", "29_mlp_vector_definitions"})


def _slow(slug: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if slug in SLOW else []


def _case(slug: str) -> object:
    reason = EXPECTED.get(slug)
    marks = [pytest.mark.xfail(strict=True, reason=f"disagrees today: {reason}")] if reason else []
    return pytest.param(slug, id=slug, marks=marks + _slow(slug))


def test_every_corpus_post_has_a_prose_twin_with_no_declaration() -> None:
    assert POSTS == sorted(p.stem for p in CORPUS.glob("*.md"))
    for slug in POSTS:
        prose = (PROSE / f"{slug}.md").read_text()
        declared = (CORPUS / f"{slug}.md").read_text()
        assert "derive:" not in prose, slug
        assert prose.count("\n") == declared.count("\n"), f"{slug}: the key's line numbers must hold"
        # Only the declaration lines differ: the mathematics is the twin's, verbatim.
        for mine, theirs in zip(prose.split("\n"), declared.split("\n"), strict=True):
            assert mine == theirs or "derive:" in theirs, (slug, mine, theirs)


def test_the_expectations_name_only_prose_posts() -> None:
    assert set(EXPECTED) <= set(POSTS), sorted(set(EXPECTED) - set(POSTS))


@pytest.mark.parametrize("slug", [_case(s) for s in POSTS])
def test_a_prose_post_reaches_its_declared_twins_verdicts(slug: str) -> None:
    steps, bad = score.disagreements(slug)
    assert steps > 0
    assert not bad, bad


@pytest.mark.parametrize("slug", [pytest.param(s, id=s, marks=_slow(s)) for s in POSTS])
def test_a_prose_post_never_misjudges_a_step(slug: str) -> None:
    report = score.report(slug)
    truths: dict[tuple[int, int], object] = {}
    seen: dict[int, int] = {}
    for want in score.key(slug):
        line = int(str(want["line"]))
        rank = seen.get(line, 0)
        seen[line] = rank + 1
        truths[(line, rank)] = want["true"]
    seen = {}
    for step in report.steps:
        rank = seen.get(step.line, 0)
        seen[step.line] = rank + 1
        truth = truths.get((step.line, rank))
        assert not (truth is True and step.status is StepStatus.WRONG), (step.text, step.reason)
        assert not (truth is False and step.status is StepStatus.VALID), (step.text, step.reason)
