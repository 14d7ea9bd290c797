"""Shared test setup: pytester runs the plugin in temporary projects; golden files pin rendered text."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME; DERIVE_UPDATE_GOLDEN=1 rewrites the file instead."""
    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("DERIVE_UPDATE_GOLDEN") == "1":
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run with DERIVE_UPDATE_GOLDEN=1 to create it"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"
    return check
