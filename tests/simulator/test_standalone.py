"""The simulator is a program of its own: it runs without Django and imports nothing from vpnportal."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {"django", "devices", "pki", "vpnportal"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_imports_the_product() -> None:
    """Function-level imports count too: the simulator must start while the web app cannot."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & PRODUCT)
        for path in sorted((ROOT / "simulator").rglob("*.py"))
        if _imported_roots(path) & PRODUCT
    }
    assert offenders == {}


def test_runs_as_a_program_without_django() -> None:
    """`python -m simulator --help` answers, and loading the package pulls in no product module."""
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "--scenario" in out.stdout
    probe = (
        "import sys, simulator, simulator.__main__; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {PRODUCT!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
