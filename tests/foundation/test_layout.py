"""The layout stays as docs/architecture.md draws it: imports go one way, modules stay small, the design
lives in the repository.

Imports are read from the source (not executed), including those inside functions: a lazy import that
closes a cycle is a cycle all the same. Only imports under `if TYPE_CHECKING:` are exempt.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("vpnportal", "devices", "pki", "simulator")
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    """Every product module by dotted name, migrations left out (Django orders those itself)."""
    found: dict[str, Path] = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def imported_names(name: str, path: Path) -> set[str]:
    """Every dotted name a module imports at run time (absolute, relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Product module -> the product modules it imports."""
    modules = product_modules()
    return {
        name: {other for other in imported_names(name, path) if other in modules and other != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_it_finds_a_cycle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_it_resolves_relative_and_skips_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nfrom . import sibling\nif TYPE_CHECKING:\n    import hidden\n"
        "def f():\n    from pkg.lazy import thing\n",
        encoding="utf-8",
    )
    names = imported_names("pkg.mod", source)
    assert {"pkg.sibling", "pkg.lazy", "pkg.lazy.thing", "typing"} <= names
    assert "hidden" not in names


def test_it_has_no_import_cycle_between_product_modules() -> None:
    found = cycles(import_graph())
    graph = import_graph()
    shown = [
        " / ".join(f"{m} -> {sorted(graph[m] & set(component))}" for m in component) for component in found
    ]
    assert not found, "import cycles:\n" + "\n".join(shown)


def test_it_keeps_the_simulator_a_program_of_its_own() -> None:
    graph = import_graph()
    leaks = {
        module: sorted(o for o in imports if not o.startswith("simulator"))
        for module, imports in graph.items()
        if module.startswith("simulator")
    }
    assert not {m: o for m, o in leaks.items() if o}, "the simulator imports the product"


def test_it_keeps_every_product_module_under_600_lines() -> None:
    long = {
        name: n
        for name, path in product_modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_it_carries_its_own_design() -> None:
    """No tracked file sends a reader to a folder outside the repository."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # Spelled in parts so that this file does not name them: a folder beside the checkout, and the
    # design document that lived there (its contracts are docs/contracts.md now).
    outside = ("../" + "shared", "DESIGN" + ".md", "DESIGN" + " §")
    named = [
        path
        for path in tracked
        if not path.startswith("static/vendor/")
        and any(word in (ROOT / path).read_text(encoding="utf-8", errors="replace") for word in outside)
    ]
    assert not named, f"files naming {outside}: {named}"
