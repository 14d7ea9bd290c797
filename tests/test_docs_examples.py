"""Every example in README.md and docs/ runs, and its output is the one shown.

The convention for documentation pages (README.md, docs/**/*.md):

- a ```console block holds `$ ` commands, each followed by its expected output (standard output and
  standard error, interleaved as a terminal shows them); `...` in the expected output matches any text
  (a time, a random point, a line left out). A command runs in bash, in a temporary copy of the
  repository (one per page, so a later block can read what an earlier one wrote), with `derive` on PATH
  running this checkout's code (`python3 -m derive`), 100 columns and no colour. A command may go on
  over lines ending in a backslash.
- a ```pycon block is a doctest (ELLIPSIS on); the pycon blocks of one page share one namespace, in order,
  and run in the same temporary copy as its console blocks (a file one writes, the other reads).
- every other fence is display-only and uses one of DISPLAY_LANGUAGES. A fence with no language or any
  other language fails `test_every_fence_is_run_or_display_only`, so no example goes untested by accident.

Sybil (not pytest-examples) runs them: it lexes Markdown fences into regions with a parser per language,
so a console runner is one evaluator, pycon blocks go to its doctest evaluator, and a page's examples
keep one namespace; pytest-examples runs ```python blocks with its own print-comment convention and
has no console runner.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sybil import Document, Example, Region
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import CodeBlockParser

ROOT = Path(__file__).resolve().parent.parent
RUN_LANGUAGES = frozenset({"console", "pycon"})
DISPLAY_LANGUAGES = frozenset({"text", "latex", "markdown", "json", "python", "toml", "yaml", "html"})
COMMAND_SECONDS = 300


def documentation_pages() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- console blocks ---------------------------------------------------------------------------------

def split_session(source: str) -> list[tuple[str, str]]:
    """The (command, expected output) pairs of a console block; a trailing backslash continues a command."""
    pairs: list[tuple[str, str]] = []
    command: list[str] | None = None
    output: list[str] = []
    continuing = False
    for line in source.splitlines():
        if continuing and command is not None:
            command.append(line)
            continuing = line.endswith("\\")
            continue
        if line.startswith("$ "):
            if command is not None:
                pairs.append(("\n".join(command), "\n".join(output)))
            command, output = [line[2:]], []
            continuing = line.endswith("\\")
        elif command is None:
            if line.strip():
                raise ValueError(f"output before the first `$ ` command: {line!r}")
        else:
            output.append(line)
    if command is not None:
        pairs.append(("\n".join(command), "\n".join(output)))
    if not pairs:
        raise ValueError("a console block with no `$ ` command")
    return pairs


def output_matches(expected: str, actual: str) -> bool:
    """Doctest's ELLIPSIS comparison (`...` matches any text), ignoring trailing blank space per line."""
    def normalize(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"
    return doctest.OutputChecker().check_output(normalize(expected), normalize(actual), doctest.ELLIPSIS)


def console_workdir(document: Document, tmp_root: Path) -> Path:
    """The page's temporary copy of the repository (without .git and caches), made on first use."""
    workdir = document.namespace.get("__console_workdir__")
    if workdir is None:
        workdir = tmp_root / "repo"
        shutil.copytree(ROOT, workdir, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", ".*_cache", ".hypothesis", ".venv*", "site", "*.egg-info"))
        shim = tmp_root / "bin" / "derive"
        shim.parent.mkdir()
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m derive "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
        document.namespace["__console_workdir__"] = workdir
        document.namespace["__console_path__"] = f"{shim.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return Path(workdir)


def run_console(example: Example) -> str | None:
    """Run each command of the block and compare its output; the failure message says which and how."""
    document = example.document
    workdir = console_workdir(document, Path(document.namespace["__tmp_root__"]))
    environment = {**os.environ, "PATH": document.namespace["__console_path__"], "PYTHONPATH": str(ROOT),
                   "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "PYTHONHASHSEED": "0"}
    environment.pop("FORCE_COLOR", None)
    for command, expected in split_session(str(example.parsed)):
        done = subprocess.run(["bash", "-c", command], cwd=workdir, env=environment, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=COMMAND_SECONDS, check=False)
        if not output_matches(expected, done.stdout):
            return (f"{page_id(Path(document.path))}, line {example.line}: `$ {command}` "
                    f"(exit status {done.returncode})\n--- expected\n{expected}\n--- got\n{done.stdout}")
    return None


# --- pycon blocks -----------------------------------------------------------------------------------

class PyconParser:
    """```pycon fences as doctests, with ELLIPSIS."""

    def __init__(self) -> None:
        self.blocks = CodeBlockParser("pycon")
        self.doctests = DocTestStringParser(DocTestEvaluator(doctest.ELLIPSIS))

    def __call__(self, document: Document) -> Iterable[Region]:
        for block in self.blocks(document):
            source = block.lexemes["source"]
            for region in self.doctests(source, document.path):
                region.adjust(block, source)
                yield region


PARSERS = (CodeBlockParser("console", evaluator=run_console), PyconParser())


def examples_of(path: Path) -> list[Example]:
    return list(Document.parse(str(path), *PARSERS).examples())


# --- tests ------------------------------------------------------------------------------------------

def fence_languages(path: Path) -> list[tuple[int, str]]:
    """(line, language) of every fenced block, from the Markdown parse MkDocs's own parser agrees with."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [((token.map or [0])[0] + 1, token.info.split()[0] if token.info.strip() else "")
            for token in tokens if token.type == "fence"]


@pytest.mark.parametrize("page", documentation_pages(), ids=page_id)
def test_every_fence_is_run_or_display_only(page: Path) -> None:
    unknown = [(line, language) for line, language in fence_languages(page)
               if language not in RUN_LANGUAGES | DISPLAY_LANGUAGES]
    assert not unknown, (
        f"{page_id(page)}: fences no runner picks up (line, language): {unknown}; use console or pycon "
        f"for an example that runs, or one of {sorted(DISPLAY_LANGUAGES)} for display only")


@pytest.mark.parametrize("page", documentation_pages(), ids=page_id)
def test_every_run_fence_is_an_example(page: Path) -> None:
    """Each console or pycon fence yields examples, so a block the lexer misses cannot pass unrun."""
    run_fences = [line for line, language in fence_languages(page) if language in RUN_LANGUAGES]
    example_lines = {example.line for example in examples_of(page)}
    text_lines = page.read_text(encoding="utf-8").splitlines()
    for line in run_fences:
        body_end = next(i for i in range(line, len(text_lines)) if text_lines[i].startswith("```"))
        assert any(line <= example_line <= body_end + 1 for example_line in example_lines), (
            f"{page_id(page)}:{line}: a run fence that yields no example")


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in documentation_pages() if re.search(
    r"^```(console|pycon)\s*$", p.read_text(encoding="utf-8"), re.MULTILINE)], ids=page_id)
def test_page_examples_run_as_shown(page: Path, tmp_path: Path) -> None:
    document = Document.parse(str(page), *PARSERS)
    document.namespace["__tmp_root__"] = str(tmp_path)
    cwd = Path.cwd()
    os.chdir(console_workdir(document, tmp_path))  # pycon and console share one folder: the page's copy
    try:
        for example in document.examples():
            example.evaluate()
    finally:
        os.chdir(cwd)


def test_split_session_reads_commands_outputs_and_continuations() -> None:
    source = "$ echo a \\\n  b\na b\n$ true\n$ printf 'x\\ny\\n'\nx\n...\n"
    assert split_session(source) == [("echo a \\\n  b", "a b"), ("true", ""), ("printf 'x\\ny\\n'", "x\n...")]
    with pytest.raises(ValueError, match="before the first"):
        split_session("output\n$ true\n")


def test_output_comparison_has_a_wildcard_and_nothing_else_loose() -> None:
    assert output_matches("took ... s\nok", "took 0.31 s\nok\n")
    assert not output_matches("took ... s\nok", "took 0.31 s\nfailed\n")
    assert not output_matches("a b", "a  b")


def test_the_readme_tour_post_differs_from_its_declared_copy_by_one_line() -> None:
    """README's first tour says the declared post is the student's post with one line added at the top."""
    post = (ROOT / "examples" / "my_post.md").read_text(encoding="utf-8")
    declared = (ROOT / "examples" / "my_post_declared.md").read_text(encoding="utf-8")
    declaration = "<!-- derive: logits z; labels y soft -->"
    assert declared == f"{declaration}\n\n{post}"
    assert declaration in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_counts_the_theorems_derive_list_names() -> None:
    from derive import LIBRARY
    assert f"prove the library's {len(LIBRARY)} theorems" in (ROOT / "README.md").read_text(encoding="utf-8")


def _cli_reference_hook():
    import importlib.util
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "mkdocs_hooks" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_cli_reference_is_what_help_prints() -> None:
    """docs/cli.md is generated from the parser; each section must equal `derive COMMAND --help`."""
    hook = _cli_reference_hook()
    helps = hook.command_help()
    assert set(helps) == {"derive", "list", "verify", "prove", "audit", "check"}
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": hook.COLUMNS}
    for name, text in helps.items():
        argv = ["--help"] if name == "derive" else [name, "--help"]
        printed = subprocess.run([sys.executable, "-m", "derive", *argv], env=environment, capture_output=True,
                                 text=True, check=True).stdout
        assert printed == text, f"derive {name} --help differs from the CLI reference"
    page = hook.on_page_markdown((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), page=None)
    assert hook.MARKER not in page and "## `derive audit`" in page and helps["audit"].rstrip("\n") in page
