r"""The corpus of real derivations (tests/data/real/): public posts, course notes and Q&A answers that
nobody here wrote, with their math as the authors wrote it and every step keyed by hand.

- (a) every key agrees with an independent numeric check (numpy central differences, not derive);
- (b) no step is misjudged, as written or with the declarations a user would add: a true step is never
  wrong, a false step never valid, and a step that is no claim (a definition) is neither;
- (c) declarations never make a verdict worse: with each declaration removed in turn, and alone, no true
  step is wrong and no false step is valid;
- (d) every hint the audit prints over the corpus is a declaration the declaration parser accepts.

Today's code fails many of (b)-(d): the failing cases are listed, with their reasons, in
``tests/data/real/expected_failures.json`` and marked ``xfail(strict=True)`` from it, so a case that
starts to pass fails until it is removed from the file
(``PYTHONPATH=$PWD python3 tests/data/real/score.py --write-expectations`` rewrites it).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REAL = Path(__file__).parent / "data" / "real"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"real_{name}", REAL / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


score = _load("score")
check_real = _load("check_real")
POSTS = score.posts()
EXPECTED: dict[str, str] = json.loads(score.EXPECTATIONS.read_text()) if score.EXPECTATIONS.exists() else {}


def _case(test: str, slug: str, variant: str, *values: object) -> object:
    """One parametrized case, xfail (strict) where the expectations file says it fails today."""
    case_id = f"{slug}-{variant}"
    reason = EXPECTED.get(f"{test}[{case_id}]")
    marks = [pytest.mark.xfail(strict=True, reason=f"misjudged today: {reason}")] if reason else []
    return pytest.param(slug, *values, id=case_id, marks=marks)


def test_the_corpus_is_real_and_has_genuine_errors() -> None:
    assert len(POSTS) >= 28
    keys = [score.key(slug) for slug in POSTS]
    assert all(str(k["source"]).startswith("https://") for k in keys)
    genuine = [s for k in keys for s in k["steps"] if s["true"] is False and not s.get("planted")]  # type: ignore[attr-defined]
    assert len(genuine) >= 5
    for slug, k in zip(POSTS, keys, strict=True):
        first = (REAL / f"{slug}.md").read_text().splitlines()[0]
        assert first == f"<!-- source: {k['source']} -->", slug


@pytest.mark.parametrize("slug", POSTS)
def test_every_key_agrees_with_its_numeric_check(slug: str) -> None:
    assert slug in check_real.CHECKS, f"{slug} has no numeric check in check_real.py"
    assert check_real.verify(slug) == []


@pytest.mark.parametrize(("slug", "decls"), [
    _case("misjudged", slug, mode, decls)
    for slug in POSTS for mode, decls in (("written", None), ("declared", tuple(score.declarations(slug))))])
def test_misjudged(slug: str, decls: tuple[str, ...] | None) -> None:
    judged = score.judge(slug, score.audit(slug, decls))
    assert [f"{k['line']}:{k['rank']} true={k['true']} {r.status}: {k['text']}" for k, r in judged.misjudged] == []


@pytest.mark.parametrize(("slug", "decls"), [
    _case("hints_parse", slug, mode, decls)
    for slug in POSTS for mode, decls in (("written", None), ("declared", tuple(score.declarations(slug))))])
def test_hints_parse(slug: str, decls: tuple[str, ...] | None) -> None:
    hinted = score.hinted_declarations(score.audit(slug, decls).hints)
    assert [(d, why) for d in hinted if (why := score.refused(d))] == []


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "decls"), [
    _case("declarations_never_worse", slug, name, decls) for slug in POSTS for name, decls in score.variants(slug)])
def test_declarations_never_worse(slug: str, decls: tuple[str, ...]) -> None:
    assert score.worse(slug, score.audit(slug, decls)) == []


def test_the_expectations_name_only_cases_that_exist() -> None:
    known = {f"misjudged[{s}-{m}]" for s in POSTS for m in ("written", "declared")}
    known |= {f"hints_parse[{s}-{m}]" for s in POSTS for m in ("written", "declared")}
    known |= {f"declarations_never_worse[{s}-{n}]" for s in POSTS for n, _ in score.variants(s)}
    assert set(EXPECTED) <= known, sorted(set(EXPECTED) - known)
