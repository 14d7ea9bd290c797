"""The symbol table rebuilds only the names written since it last looked (derive.audit.journal).

That is only a speed-up if it changes nothing: at every point where the audit takes the post's names, the
table it builds must be the one rebuilding every entry gives, in the same order with the same sources.
Checked over every post of the test corpora, and against the hostile case it exists for.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from derive.audit import symbols
from derive.audit.journal import TrackedDict, TrackedSet, take_written
from derive.audit.post import AuditSettings, audit_text
from derive.audit.symbols import SymbolTable

DATA = Path(__file__).parent / "data"
#: Posts that take seconds to read (their displays are many, or long): checked with -m slow.
SLOW = {"declared/002_two_layer.md", "corpus_prose/26_tanh_mlp_diag.md", "corpus_prose/29_mlp_vector_definitions.md",
        "real/28_logsoftmax_math4258008.md", "corpus/26_tanh_mlp_diag.md"}
POSTS = [pytest.param(p, marks=[pytest.mark.slow] if str(p.relative_to(DATA)) in SLOW else [],
                      id=str(p.relative_to(DATA)))
         for p in sorted(DATA.rglob("*")) if p.suffix in (".md", ".tex") and p.name != "README.md"]


def _shadowed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every observe also rebuild a copy of the table from scratch; the differences are collected."""
    differences: list[str] = []
    incremental = SymbolTable.observe

    def observe(table: SymbolTable, post, how: str) -> None:  # type: ignore[no-untyped-def]
        twin = SymbolTable(entries=TrackedDict(table.entries), line=table.line, conflicts=set(table.conflicts),
                           data=dict(table.data))
        incremental(table, post, how)
        monkeypatch.setattr(symbols, "INCREMENTAL", False)
        try:
            incremental(twin, post, how)
        finally:
            monkeypatch.setattr(symbols, "INCREMENTAL", True)
        if list(table.entries.items()) != list(twin.entries.items()):
            differences.append(f"line {table.line}: {list(table.entries.values())} != {list(twin.entries.values())}")

    monkeypatch.setattr(SymbolTable, "observe", observe)
    return differences


@pytest.mark.parametrize("path", POSTS)
def test_incremental_table_is_the_full_table(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    differences = _shadowed(monkeypatch)
    # The table is built while reading; a small budget keeps the deciding short (verdicts are not compared).
    audit_text(path.read_text(), path=path.name, settings=AuditSettings(budget=0.2))
    assert differences == []


def test_sizes_and_redeclarations_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declarations that change names declared earlier: a default length, a redeclaration, labels and logits."""
    differences = _shadowed(monkeypatch)
    text = "\n".join([
        "<!-- derive: vector a -->", "<!-- derive: vector b n -->", "<!-- derive: size m -->",
        "<!-- derive: matrix a n m -->", "<!-- derive: logits z -->", "<!-- derive: labels y one-hot at c -->",
        "<!-- derive: scalar t -->", "<!-- derive: assume t > 0 -->", "<!-- derive: define g(u) = u^2 -->",
        "<!-- derive: define h = b_1 + t -->", "<!-- derive: vector h m -->", "", "$$ g(t) = t^2 $$", "",
    ])
    report = audit_text(text, path="post.md")
    assert differences == []
    kinds = {row.name: row.kind for row in report.names}
    assert (kinds["a"], kinds["b"], kinds["n"], kinds["m"], kinds["g"]) == ("matrix", "vector", "size", "size",
                                                                             "function")


def test_many_declarations_are_read_in_linear_time() -> None:
    """4,000 declarations took over a minute when every entry was rebuilt after each; now a fraction of a second."""
    def seconds(n: int) -> float:
        declarations = "".join(f"<!-- derive: vector v{i} -->\n" for i in range(n))
        text = declarations + "<!-- derive: scalar x -->\n\n$$ x^2 = 3x $$\n"
        start = time.process_time()
        report = audit_text(text, path="post.md", settings=AuditSettings(budget=5))
        assert report.exit_status == 1 and len(report.names) == n + 2  # the vectors, x, and their length k
        return time.process_time() - start

    seconds(100)  # warm
    small, large = seconds(1_000), seconds(8_000)
    # Linear reading: 8 times the declarations, about 8 times the time; rebuilding every entry gave 64 times.
    assert large < 20 * max(small, 0.01)


def test_journal_records_every_write() -> None:
    d: TrackedDict[str, int] = TrackedDict(a=1)
    assert take_written(d) == ["a"] and take_written(d) == []
    d["b"] = 2
    d.setdefault("a", 5)  # present: not written
    d.pop("a")
    d |= {"c": 3}
    assert take_written(d) == ["b", "a", "c"]
    d.clear()
    assert take_written(d) is None and take_written(d) == []
    s: TrackedSet[str] = TrackedSet()
    s.add("x")
    s |= {"y"}
    s -= {"x"}
    s.discard("q")
    assert take_written(s) == ["x", "y", "q"]
    assert take_written({"plain": 1}) is None  # not tracked: everything may have changed
    assert replace(symbols.Entry("a", "scalar"), kind="vector").kind == "vector"
