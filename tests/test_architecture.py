"""The package's layers: no import cycle, and no module imports one of a layer above its own.

Read from the source with ``ast`` (every import, also those inside functions; imports under
``if TYPE_CHECKING:`` count for the layers, not for cycles, since they never run). A new module
must be placed in :data:`LAYERS` here, which is where a reader learns the architecture.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "cptref"

LAYERS: list[tuple[str, set[str]]] = [
    (
        "base: errors, records, words, where the data lives, safe text",
        {"errors", "models", "text", "resources", "safe"},
    ),
    ("reading files; findings and claims as data", {"loader", "pack", "store", "findings", "claims"}),
    ("reading a whole library; building its index file by file", {"library", "build"}),
    ("the compiled stores: the library's index, the user's CMS tables", {"index", "cms"}),
    ("the catalog and its derived relations", {"catalog"}),
    (
        "use of the library: search, the check rules, what checked a claim, lint",
        {"search", "rulebase", "rules", "official", "coverage", "validate"},
    ),
    ("checking a claim", {"check"}),
    ("output: documents, JSON, schemas, text, formats", {"documents", "serialize", "schemas", "render", "formats"}),
    ("process plumbing", {"process"}),
    ("the commands' use-cases", {"app", "batch"}),
    ("command lines: the option table, the fast path, Typer", {"options", "fast", "cli"}),
    ("entry points", {"entry", "__main__", "startup"}),
]
LAYER = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}


def _sources(unit: str) -> list[Path]:
    """The files of a module, or of a subpackage (one unit in the layers)."""
    folder = PACKAGE / unit
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{unit}.py"]


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported unit of the package, whether only for type checking) for every import of ``module``."""
    found: list[tuple[str, bool]] = []
    inside_package = (PACKAGE / module).is_dir()
    for path in _sources(module):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                typing_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
        top = 2 if inside_package else 1  # the relative level that reaches the package's root
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == top:
                targets = [node.module.split(".")[0]] if node.module else [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cptref."):
                targets = [(node.module or "").split(".")[1]]
            elif isinstance(node, ast.ImportFrom) and node.module == "cptref":
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name.split(".")[1] for a in node.names if a.name.startswith("cptref.")]
            for target in targets:
                if target == "__version__" or target == module:  # the package root's version; itself
                    continue
                found.append((target, id(node) in typing_only))
    return found


def modules() -> list[str]:
    units = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    units += [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    return sorted(units)


def test_every_module_has_a_layer() -> None:
    assert sorted(set(modules()) - set(LAYER)) == []
    assert sorted(set(LAYER) - set(modules())) == []  # no layer names a module that is gone


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = [
        f"{module} ({LAYERS[LAYER[module]][0]}) imports {target} ({LAYERS[LAYER[target]][0]})"
        for module in modules()
        for target, _ in imports(module)
        if target in LAYER and LAYER[target] > LAYER[module]
    ]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = {m: {t for t, typing_only in imports(m) if not typing_only and t in LAYER and t != m} for m in modules()}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif len(path) < len(graph):
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []


def test_the_checker_of_layers_sees_an_upward_import(tmp_path: Path) -> None:
    """A guard on the reader above: it finds imports inside functions and skips type-only ones."""
    source = "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
    source += "if TYPE_CHECKING:\n    from .app import x\ndef f():\n    from . import cli\n"
    assert "cli" in {t for t, typing_only in _imports_of(source) if not typing_only}
    assert ("app", True) in _imports_of(source)


def _imports_of(source: str) -> list[tuple[str, bool]]:
    import tempfile

    global PACKAGE
    saved = PACKAGE
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "probe.py").write_text(source)
        PACKAGE = Path(folder)
        try:
            return imports("probe")
        finally:
            PACKAGE = saved
