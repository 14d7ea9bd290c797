r"""A corpus of short posts in different authors' notations, each with its expected verdicts.

Each ``tests/data/corpus/NN_name.md`` has a sidecar ``NN_name.json``: for every step in
order, its line, whether it is true (``null`` for a definition) and the status expected
with the post's declarations. Each post is audited twice:

- **with its declarations**: every status is the expected one (the false steps planted in
  the posts are wrong, with a counterexample);
- **without them** (the ``<!-- derive: ... -->`` comments blanked): no true step is wrong
  and no false step valid — the post's prose may mean what the declarations said.

A step marked ``xfail`` in its sidecar waits for a reader change (the reason names it);
the test fails once it passes, so that the mark is removed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from derive.audit.post import AuditReport, StepStatus, audit_text

CORPUS = Path(__file__).parent / "data" / "corpus"
POSTS = sorted(CORPUS.glob("*.md"))


def _expected(post: Path) -> list[dict[str, object]]:
    steps: list[dict[str, object]] = json.loads(post.with_suffix(".json").read_text())["steps"]
    return steps


def _keyed(report: AuditReport) -> list[tuple[tuple[int, int], StepStatus]]:
    """Each step as (line, its rank on that line) and its status."""
    seen: dict[int, int] = {}
    out = []
    for step in report.steps:
        rank = seen.get(step.line, 0)
        seen[step.line] = rank + 1
        out.append(((step.line, rank), step.status))
    return out


def test_the_corpus_has_twenty_posts_with_planted_false_steps() -> None:
    assert len(POSTS) >= 20
    false_steps = [s for p in POSTS for s in _expected(p) if s["true"] is False]
    assert len(false_steps) >= 15


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.stem)
def test_a_post_with_its_declarations_gets_its_expected_verdicts(post: Path) -> None:
    report = audit_text(post.read_text(), path=post.name)
    expected = _expected(post)
    assert len(report.steps) == len(expected), [s.text for s in report.steps]
    waiting = []
    for step, want in zip(report.steps, expected, strict=True):
        assert step.line == want["line"]
        truth = want["true"]
        # Never misjudged, whatever the sidecar says.
        assert not (truth is True and step.status is StepStatus.WRONG), (step.text, step.reason)
        assert not (truth is False and step.status is StepStatus.VALID), (step.text, step.reason)
        if "xfail" in want:
            assert step.status.value != want["declared"], f"{step.text} passes now: remove its xfail"
            waiting.append(str(want["xfail"]))
            continue
        assert step.status.value == want["declared"], (step.text, step.reason)
        if step.status is StepStatus.WRONG:
            assert step.verdict is not None and step.verdict.counterexample is not None
    if waiting:
        pytest.xfail("; ".join(waiting))


#: Posts whose audit without declarations takes half a minute (steps that run out of their budget): -m slow.
SLOW_UNDECLARED = frozenset({"25_tanh_matrix_form", "08_tanh_layer_index"})


@pytest.mark.parametrize("post", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW_UNDECLARED
                                               else []) for p in POSTS])
def test_a_post_without_declarations_calls_no_true_step_wrong(post: Path) -> None:
    text = re.sub(r"<!--\s*derive:[\s\S]*?-->", lambda m: " " * len(m.group(0)), post.read_text())
    truths = {}
    seen: dict[int, int] = {}
    for want in _expected(post):
        line = int(str(want["line"]))
        rank = seen.get(line, 0)
        seen[line] = rank + 1
        truths[(line, rank)] = want["true"]
    for key, status in _keyed(audit_text(text, path=post.name)):
        truth = truths.get(key)
        assert not (truth is True and status is StepStatus.WRONG), (post.name, key)
        assert not (truth is False and status is StepStatus.VALID), (post.name, key)
