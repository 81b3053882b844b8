"""The package's layers: no import cycle, and no package imports one of a layer above its own.

Read from the source with ``ast`` (every import, also those inside functions; imports under
``if TYPE_CHECKING:`` count for the layers, not for cycles, since they never run). The layers are
the one line :data:`LAYERS`: each name is a package (or the module ``errors`` or ``lazy``) of ``src/cptref``;
``a | b`` are side by side and import nothing of each other, except the pairs of :data:`ACROSS`.
A new package must be placed there, which is where a reader learns the architecture.

Then the names: no public name is defined in two modules (the commands' ``Args``, ``HELP`` and
``run`` aside); every package ``__init__`` is its map (a docstring) and imports none of its modules;
every name a package's ``__all__`` promises loads.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "cptref"

LAYERS = (
    "errors | lazy < model < library < search | check | cms < output < replies < mcp < commands | arrow < spark < cli"
    " < __init__ | __main__"
)
ACROSS = {("search", "cms"), ("check", "cms")}
"""Imports between packages of one layer: search reads the user's PPRRVU file (``--cms``), and check
applies the user's CMS tables (its rules in ``check/rules/cms_tables.py``)."""

LAYER = {unit.strip(): rank for rank, group in enumerate(LAYERS.split("<")) for unit in group.split("|")}


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def unit(module: str) -> str:
    """The package (or top-level module) a module belongs to: its layer's unit."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported module of the package, whether only for type checking) for every import of ``module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != "cptref":
                continue
            for alias in node.names:  # a submodule imported by name, else the module the name is in
                targets.append(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names if alias.name.split(".")[0] == "cptref"]
        for target in targets:
            if target != module:
                found.append((target, id(node) in typing_only))
    return found


def graph(root: Path = PACKAGE) -> dict[str, list[tuple[str, bool]]]:
    known = modules(root)
    return {module: imports(module, path, known) for module, path in known.items()}


def test_every_package_has_a_layer() -> None:
    units = {unit(module) for module in modules()}
    assert sorted(units - set(LAYER)) == []
    assert sorted(set(LAYER) - units) == []  # no layer names a package that is gone


def upward(edges: dict[str, list[tuple[str, bool]]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        for target, _ in targets:
            mine, theirs = unit(module), unit(target)
            if target == "cptref" or mine == theirs or (mine, theirs) in ACROSS:
                continue  # the package root's version; within a package; an allowed import across
            if LAYER[theirs] >= LAYER[mine]:
                found.append(f"{module} ({mine}) imports {target} ({theirs})")
    return found


def test_no_package_imports_one_of_its_own_layer_or_above() -> None:
    assert upward(graph()) == []


def cycles(edges: dict[str, list[tuple[str, bool]]]) -> list[list[str]]:
    runs = {
        m: sorted({t for t, typing_only in targets if not typing_only and t in edges}) for m, targets in edges.items()
    }
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in runs[node]:
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(runs):
        if start not in state:
            visit(start, [start])
    return found


def test_there_is_no_import_cycle_between_modules() -> None:
    assert cycles(graph()) == []


def test_the_checker_of_layers_sees_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """A guard on the readers above: they find imports inside functions, skip type-only ones for
    cycles, and resolve relative imports at any depth."""
    root = tmp_path / "cptref"
    (root / "model").mkdir(parents=True)
    (root / "cli").mkdir()
    (root / "__init__.py").write_text("")
    (root / "cli" / "__init__.py").write_text("")
    (root / "cli" / "main.py").write_text("from ..model import records\n")
    (root / "model" / "__init__.py").write_text("")
    source = "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
    source += "if TYPE_CHECKING:\n    from ..cli import main\ndef f():\n    from cptref.cli import main\n"
    (root / "model" / "records.py").write_text(source)
    edges = graph(root)
    assert ("cptref.cli.main", True) in edges["cptref.model.records"]
    assert ("cptref.cli.main", False) in edges["cptref.model.records"]
    assert upward(edges) == [
        "cptref.model.records (model) imports cptref.cli.main (cli)",
        "cptref.model.records (model) imports cptref.cli.main (cli)",
    ]
    assert cycles(edges) == [["cptref.cli.main", "cptref.model.records", "cptref.cli.main"]]


# --- names and package maps ---------------------------------------------------------------------------

COMMAND_PROTOCOL = {"Args", "HELP", "run"}
"""The names every command module defines, each for its own command (``commands/__init__.py``)."""


def definitions(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Every public name defined at the top of a module (class, function, assignment) -> the modules."""
    found: dict[str, list[str]] = {}
    for module, path in modules(root).items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            else:
                names = []
            for name in names:
                if not name.startswith("_"):
                    found.setdefault(name, []).append(module)
    return found


def defined_twice(root: Path = PACKAGE) -> dict[str, list[str]]:
    """The public names defined in two or more modules, the commands' protocol aside."""
    return {
        name: sorted(where)
        for name, where in definitions(root).items()
        if len(set(where)) > 1
        and not (name in COMMAND_PROTOCOL and all(m.startswith("cptref.commands.") for m in where))
    }


def test_no_public_name_is_defined_in_two_modules() -> None:
    """One name, one thing: a reader who meets a name finds one definition."""
    assert defined_twice() == {}


LIGHT_IMPORTS = {"__future__", "typing"}
REGISTRIES = {"cptref.check.rules"}
"""Package ``__init__`` modules that are a registry of their modules, and so import them."""


def test_every_package_init_is_its_map_and_imports_nothing() -> None:
    """Each package's ``__init__`` has a docstring (its map) and imports none of its modules when
    imported: its public names load on first use (``__getattr__``)."""
    heavy = []
    for module, path in modules().items():
        if path.name != "__init__.py" or module in REGISTRIES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{module} has no docstring"
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if (isinstance(node, ast.ImportFrom) and node.level) or any(n not in LIGHT_IMPORTS for n in names):
                    heavy.append(f"{module}: {ast.unparse(node)}")
    assert heavy == []


def test_every_public_name_of_a_package_loads() -> None:
    """What a package's ``__all__`` promises (loaded lazily) is there: the public API's ways in."""
    import importlib

    missing = []
    for module, path in modules().items():
        if path.name != "__init__.py":
            continue
        package = importlib.import_module(module)
        for name in getattr(package, "__all__", ()):
            if not hasattr(package, name):
                missing.append(f"{module}.{name}")
    assert missing == []


def test_the_checker_of_names_sees_a_name_defined_twice(tmp_path: Path) -> None:
    root = tmp_path / "cptref"
    (root / "commands").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "commands/__init__.py", "commands/show.py", "commands/search.py"):
        (root / name).write_text("")
    (root / "a.py").write_text("Line = 1\n_private = 2\nclass Args: ...\n")
    (root / "commands" / "show.py").write_text("class Args: ...\ndef run(): ...\n")
    (root / "commands" / "search.py").write_text("Line = 2\ndef run(): ...\n_private = 3\n")
    assert defined_twice(root) == {
        "Line": ["cptref.a", "cptref.commands.search"],
        "Args": ["cptref.a", "cptref.commands.show"],
    }


MODULE_LINES = 460
"""About 400 lines a module (issue 21), with some slack: a module past this is doing more than one job."""
OVERSIZED: dict[str, str] = {}
"""Modules known to be over :data:`MODULE_LINES`, each with the split it needs. A new one fails the test, and
so does an entry whose module has been split (remove it then)."""


def test_no_module_grows_past_its_room() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    over = {name for name, lines in sizes.items() if lines > MODULE_LINES}
    assert over == set(OVERSIZED), f"over {MODULE_LINES} lines: {sorted(over)}; listed: {sorted(OVERSIZED)}"
