"""MkDocs hook: the CLI reference page (docs/cli.md) generated from derive's own argparse parser.

The page holds a marker, `<!-- derive-cli-reference -->`, which this hook replaces, at build time, with
`derive --help` and each command's `--help`, formatted at 100 columns. So the reference cannot drift
from the parser; tests/test_docs_examples.py checks that the text equals what `derive X --help` prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- derive-cli-reference -->"
COLUMNS = "100"


def _parser() -> argparse.ArgumentParser:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # this checkout's derive, whatever is installed
    from derive.cli import _parser as build  # the parser main() uses, not a copy of it

    return build()


def command_help() -> dict[str, str]:
    """'derive' and each command's name to its --help text, as printed at 100 columns."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS  # argparse's formatter reads the width from here
    try:
        parser = _parser()
        helps = {"derive": parser.format_help()}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    helps[name] = sub.format_help()
        return helps
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def cli_reference_markdown() -> str:
    parts = []
    for name, text in command_help().items():
        title = "derive" if name == "derive" else f"derive {name}"
        parts += [f"## `{title}`", "", "```text", text.rstrip("\n"), "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference_markdown())
    return markdown
