"""The theorem library as proofs collected by our own pytest plugin (one item per theorem)."""

from __future__ import annotations

from derive.library.theorems import LIBRARY
from derive.testing import theorem


def _proof_of(name: str) -> object:
    return theorem(lambda: name)


for _name in LIBRARY:
    globals()[f"test_{_name}"] = _proof_of(_name)
