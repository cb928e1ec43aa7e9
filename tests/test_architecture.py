"""The layers' imports point down: docs/architecture.md draws the same picture.

Every import in the project's source, also one inside a function, is checked
against the layer table; a module may import its own package and any layer below
its own, never one above or a sibling beside it.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top to bottom. Packages on one line are siblings: independent of each other.
LAYERS: list[tuple[str, ...]] = [
    ("board.cli",),
    ("board.dev",),
    ("board.fleet",),
    ("board.app",),
    ("board.mqtt",),
    ("board.wall",),
    ("sensors", "render", "store"),
    ("board.core",),
]
# The domain's vocabulary imports no hardware, screen, database or broker library,
# so the rules run anywhere (a collector on another machine, a test).
CORE_THIRD_PARTY = {"pydantic"}
PACKAGES = ("board", "sensors", "render", "store", "deploy")


def package_of(module: str) -> str | None:
    """The layer package that `module` belongs to, or None for one outside the table."""
    for layer in LAYERS:
        for package in layer:
            if module == package or module.startswith(package + "."):
                return package
    return None


def rank(package: str) -> int:
    return next(index for index, layer in enumerate(LAYERS) if package in layer)


def project_modules() -> dict[str, Path]:
    modules = {}
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            # `from board.dev import demo` imports the module board.dev.demo
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_violations() -> list[str]:
    problems = []
    for module, path in sorted(project_modules().items()):
        source = package_of(module)
        if source is None:
            continue
        for line, imported in imports_of(module, path):
            target = package_of(imported)
            if target is None or target == source:
                continue
            where = f"{path.relative_to(ROOT)}:{line}: {module} imports {imported}"
            if rank(target) < rank(source):
                problems.append(f"{where}, a layer above it")
            elif rank(target) == rank(source):
                problems.append(f"{where}, a sibling beside it")
    return problems


def core_third_party_imports() -> list[str]:
    problems = []
    stdlib = sys.stdlib_module_names
    for module, path in sorted(project_modules().items()):
        if package_of(module) != "board.core":
            continue
        for line, imported in imports_of(module, path):
            top = imported.split(".")[0]
            if top not in stdlib and top not in CORE_THIRD_PARTY and package_of(imported) != "board.core":
                problems.append(f"{path.relative_to(ROOT)}:{line}: board.core imports {imported}")
    return problems


def test_every_import_points_down_the_layers():
    assert layer_violations() == []


def test_the_core_needs_no_hardware_screen_database_or_broker_library():
    assert core_third_party_imports() == []


def test_every_board_module_belongs_to_a_layer():
    """A module added straight under board/ (outside the table) would escape the contract."""
    unplaced = [
        module
        for module in project_modules()
        if module.startswith("board") and module != "board" and package_of(module) is None
    ]
    assert unplaced == []


@pytest.mark.parametrize(
    ("importer", "imported", "verdict"),
    [
        ("store.repository", "board.wall.rules", "a layer above it"),
        ("render.display", "sensors.sim", "a sibling beside it"),
        ("board.core.state", "board.app.config", "a layer above it"),
    ],
)
def test_the_contract_catches_an_import_that_points_up_or_sideways(tmp_path, monkeypatch, importer, imported, verdict):
    """The check itself can fail: plant a wrong import in a copy of the tree."""
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            copy = tmp_path / path.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
    planted = tmp_path / Path(*importer.split(".")).with_suffix(".py")
    planted.write_text(planted.read_text(encoding="utf-8") + f"\nimport {imported}\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (problem,) = layer_violations()
    assert f"{importer} imports {imported}" in problem and problem.endswith(verdict)
