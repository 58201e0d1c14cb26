"""Guards of the fixed layout: package mapping and the layer contract of DESIGN.md."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP = ("app", "models", "solvers", "policies", "resources")
# app -> policies -> solvers -> models: a layer may import only the layers after it
ORDER = ["app", "policies", "solvers", "models"]
HEAVY = {"PySide6", "onnxruntime", "torch", "pyomo", "dask", "highspy"}


def _packages_on_disk() -> set[str]:
    out = set()
    for top in TOP:
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            out.add("opsplan." + ".".join(rel.parts))
    return out


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, top_level) for every import in ``path``; top_level means outside any function."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, top))
            visit(child, inner)

    visit(tree, True)
    return found


def _sources(top: str) -> list[Path]:
    return [p for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts]


def test_every_package_folder_is_packaged():
    """Every folder with __init__.py under the mapped tops is listed in pyproject (and vice versa)."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapped = set(cfg["package-dir"])
    assert _packages_on_disk() == listed
    assert listed == mapped


@pytest.mark.parametrize("layer", ORDER)
def test_layers_import_only_downwards(layer):
    """A layer imports only itself and the layers below it (app -> policies -> solvers -> models)."""
    allowed = set(ORDER[ORDER.index(layer):])
    bad = []
    for path in _sources(layer):
        for mod, _ in _imports(path):
            parts = mod.split(".")
            if parts[0] == "opsplan" and len(parts) > 1 and parts[1] in ORDER and parts[1] not in allowed:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_qt_only_in_app_gui():
    """Nothing outside app/gui imports PySide6."""
    bad = []
    for top in TOP:
        for path in _sources(top):
            if path.relative_to(ROOT).parts[:2] == ("app", "gui"):
                continue
            bad += [f"{path.relative_to(ROOT)}: {m}" for m, _ in _imports(path) if m.split(".")[0] == "PySide6"]
    assert not bad, "\n".join(bad)


def test_models_import_no_solver_library():
    """models/ imports no solver library, Qt, onnxruntime or torch, even lazily."""
    banned = HEAVY | {"ortools"}
    bad = []
    for path in _sources("models"):
        bad += [f"{path.relative_to(ROOT)}: {m}" for m, _ in _imports(path) if m.split(".")[0] in banned]
    assert not bad, "\n".join(bad)


def test_heavy_backends_not_imported_at_module_level():
    """Pyomo, onnxruntime, torch, dask are imported only inside functions outside their own backend."""
    bad = []
    for top in ("app", "solvers", "policies"):
        for path in _sources(top):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] in {("solvers", "mip"), ("policies", "training")} or rel.parts[:2] == ("app", "gui"):
                continue
            bad += [f"{rel}: {m}" for m, top_level in _imports(path) if top_level and m.split(".")[0] in HEAVY]
    assert not bad, "\n".join(bad)


def test_cpsat_solve_loads_no_heavy_module(tmp_path):
    """`opsplan solve --solver cpsat` and listing backends (mip too) never load Pyomo, onnxruntime, torch, dask, Qt."""
    code = (
        "import sys\n"
        "from opsplan.app.cli import main\n"
        f"rc = main(['solve', {str(ROOT / 'resources/samples/ft06.json')!r}, '--solver', 'cpsat', "
        "'--time-limit', '5', '--json'])\n"
        "from opsplan.solvers import available\n"
        "assert 'mip' in available('jobshop')  # listing the MIP backend must not load Pyomo either\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r})\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
