"""The package's layout: imports run one way along the pipeline, and there are no circles.

engine ← model ← library ← audit / render / testing ← cli. Imports are read with ``ast``, those inside
functions included. The one exception is the lazy import inside a Jupyter ``_repr_*_`` method
(the engine's verdict renders itself through derive.render.display when a notebook asks).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"

# The layer of each part; a module may import from its own part and from lower layers only.
# model (a user's network in numpy-like Python) is built on the engine, and the library's
# building blocks are models; audit, render and testing are siblings that never import each other.
LAYERS = {"engine": 0, "model": 1, "library": 2, "audit": 3, "render": 3, "testing": 3, "cli": 4, "__main__": 5}
MAX_FILE_LINES = 650


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


class _Imports(ast.NodeVisitor):
    """Every ``derive`` import of a module, with whether it sits in a ``_repr_*_`` method."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, int, bool]] = []
        self._in_repr = 0
        self._type_checking = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        lazy = node.name.startswith("_repr_") and node.name.endswith("_")
        self._in_repr += lazy
        self.generic_visit(node)
        self._in_repr -= lazy

    def visit_If(self, node: ast.If) -> None:
        # Imports under `if TYPE_CHECKING:` only serve the type checker; they never run.
        checking = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        self._type_checking += checking
        for child in node.body:
            self.visit(child)
        self._type_checking -= checking
        for child in node.orelse:
            self.visit(child)

    def _add(self, target: str, line: int) -> None:
        if (target == "derive" or target.startswith("derive.")) and not self._type_checking:
            self.found.append((target, line, self._in_repr > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative imports are not used in derive; resolve them anyway
            base = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        self._add(target, node.lineno)
        for alias in node.names:  # `from derive.audit import report` imports a module
            candidate = f"{target}.{alias.name}"
            if _exists(candidate):
                self._add(candidate, node.lineno)


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph(package: Path = PACKAGE) -> dict[str, list[tuple[str, int, bool]]]:
    graph = {}
    for path in sorted(package.rglob("*.py")):
        module = _module_name(path)
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[module] = visitor.found
    return graph


def _against_layers(graph: dict[str, list[tuple[str, int, bool]]]) -> list[str]:
    wrong = []
    for module, imports in graph.items():
        here = _part(module)
        if here is None:  # derive/__init__ hands names on (lazily); it is above every part
            continue
        for target, line, lazy_repr in imports:
            there = _part(target)
            if there is None or there == here or lazy_repr:
                continue
            if LAYERS[there] >= LAYERS[here]:
                wrong.append(f"{module}:{line} imports {target} ({here} may not depend on {there})")
    return wrong


def _circles(graph: dict[str, list[tuple[str, int, bool]]]) -> list[list[str]]:
    """Circles among modules, ignoring the lazy `_repr_*_` imports and the package root."""
    edges = {m: sorted({t for t, _, lazy in imps if not lazy and t in graph and t != "derive" and t != m})
             for m, imps in graph.items() if m != "derive"}
    # A package's __init__ that re-exports its modules is an edge package → module, and a module
    # importing a sibling through the package name is an edge module → package: the same circle
    # Python itself resolves by loading the module first, so such re-exports are not counted.
    for module, targets in edges.items():
        edges[module] = [t for t in targets if not module.startswith(t + ".")]
    found, state, stack = [], dict.fromkeys(edges, 0), []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt):], nxt])
            elif state.get(nxt) == 0:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in edges:
        if state[node] == 0:
            visit(node)
    return found


def test_every_part_has_a_layer() -> None:
    parts = {_part(m) for m in _graph()} - {None}
    assert parts <= LAYERS.keys(), f"a new part needs a layer in LAYERS: {parts - LAYERS.keys()}"


def test_imports_run_toward_the_engine() -> None:
    assert _against_layers(_graph()) == []


def test_no_import_circles() -> None:
    assert _circles(_graph()) == []


def test_the_root_package_imports_nothing_eagerly() -> None:
    # `derive --help` and `import derive` stay fast: the root names load on first use.
    assert [t for t, _, _ in _graph()["derive"]] == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long_to_find_your_way_in(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_FILE_LINES, f"{path.name} has {lines} lines; split it by what each part does"


def test_the_checks_fail_on_an_injected_circle_and_an_upward_import(tmp_path: Path) -> None:
    # The checks above must be able to fail: a copy of a tiny package with both defects.
    fake = tmp_path / "derive"
    for part in ("engine", "library"):
        (fake / part).mkdir(parents=True)
        (fake / part / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "engine" / "claims.py").write_text("from derive.library.theorems import LIBRARY\n")
    (fake / "library" / "theorems.py").write_text("def f():\n    from derive.engine.claims import Claim\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, fake
    try:
        graph = _graph(fake)
        assert _against_layers(graph) == [
            "derive.engine.claims:1 imports derive.library.theorems (engine may not depend on library)"]
        assert _circles(graph) == [["derive.engine.claims", "derive.library.theorems", "derive.engine.claims"]]
    finally:
        PACKAGE = saved


def test_subpackages_are_attributes_loaded_on_first_use() -> None:
    import subprocess
    import sys

    probe = ("import sys, derive\nbefore = 'derive.audit' in sys.modules\nmodule = derive.audit\n"
             "print(before, module is sys.modules['derive.audit'], derive.testing.__name__, derive.__version__)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, same, testing, version = out.stdout.split()
    assert (before, same, testing) == ("False", "True", "derive.testing")
    assert version and version != "None"
