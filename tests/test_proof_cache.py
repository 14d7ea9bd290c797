"""Proofs of gradients kept on disk by a content key: recalled only for the same claim and code, never a non-proof."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derive.engine.verdict import Status, Verdict
from derive.model import Labels, Matrix, Size, Vector, cross_entropy, proof_cache, softmax, tanh
from derive.model import functions as fn
from derive.model.matrix_form import var
from derive.model.matrix_gradient import gradient
from derive.model.proof_cache import Recalled


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DERIVE_PROOF_CACHE", str(tmp_path / "proofs"))
    return tmp_path / "proofs"


def _mlp() -> tuple[object, object, object]:
    c, d, p = Size("c"), Size("d"), Size("p")
    x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
    y = Labels("y", c, soft=True)
    return cross_entropy(y, softmax(V @ tanh(W @ x))), W, V


def test_a_proof_is_stored_then_recalled_for_the_same_claim(cache: Path) -> None:
    L, W, _ = _mlp()
    first = gradient(L, W, names={})
    assert first.proved and isinstance(first.verdict, Verdict)
    assert len(list(cache.glob("*.json"))) == 1
    again = gradient(*_mlp()[:2], names={})  # rebuilt from scratch: a new graph with the same content
    assert again.proved and isinstance(again.verdict, Recalled)
    assert str(again) == str(first)
    assert "recalled from the proof cache" in again.verdict.reason
    with pytest.raises(TypeError):
        bool(again.verdict)


def test_another_variable_or_another_loss_has_another_key() -> None:
    L, W, V = _mlp()
    gw, gv = gradient(L, W, names={}), gradient(L, V, names={})
    assert gw.form is not None and gv.form is not None
    keys = {proof_cache.key(L, W, gw.form), proof_cache.key(L, V, gv.form)}
    n = Size("n")
    x = Vector("x", n)
    keys |= {proof_cache.key((x * x).sum(), x, var(x, "x")), proof_cache.key((x * x * 2).sum(), x, var(x, "x"))}
    assert len(keys) == 4 and None not in keys


def test_a_declaration_assumption_is_part_of_the_key() -> None:
    from derive.model import Scalar

    n = Size("n")
    x = Vector("x", n)
    a, b = Scalar("a", positive=True), Scalar("a")
    assert proof_cache.key((x * a).sum(), x, var(x, "x")) != proof_cache.key((x * b).sum(), x, var(x, "x"))


def test_a_function_passed_to_elementwise_makes_the_claim_unkeyable() -> None:
    import sympy as sp

    n = Size("n")
    x = Vector("x", n)
    L = fn.elementwise(lambda v: sp.sin(v), x).sum()
    assert proof_cache.key(L, x, var(x, "x")) is None


def test_only_proofs_are_stored_and_a_damaged_file_is_ignored(cache: Path) -> None:
    k = "0" * 64
    proof_cache.remember(k, Status.REFUTED, None, "c")
    proof_cache.remember(k, Status.UNDECIDED, None, "c")
    assert not cache.exists() or not list(cache.glob("*.json"))
    assert proof_cache.recall(k, "c") is None
    cache.mkdir(parents=True, exist_ok=True)
    (cache / f"{k}.json").write_text(json.dumps({"key": k, "status": "refuted"}))
    assert proof_cache.recall(k, "c") is None
    (cache / f"{k}.json").write_text("not json")
    assert proof_cache.recall(k, "c") is None
    proof_cache.remember(k, Status.PROVED, "canonical sums", "c")
    got = proof_cache.recall(k, "c")
    assert got is not None and got.strategy == "canonical sums"
    assert proof_cache.recall("1" * 64, "c") is None  # another key: nothing


def test_off_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_PROOF_CACHE", "off")
    assert proof_cache.directory() is None
    proof_cache.remember("2" * 64, Status.PROVED, None, "c")
    assert proof_cache.recall("2" * 64, "c") is None
