"""Guards of the fixed layout: package mapping and the layer contract of DESIGN.md."""

from __future__ import annotations

import ast
import re
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


def _module_name(path: Path) -> str:
    """``app/gui/editor.py`` -> ``opsplan.app.gui.editor``; a package's ``__init__.py`` -> the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["opsplan", *parts])


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(path: Path, module: str | None, level: int) -> str | None:
    """The absolute name of a relative import (``from ..models import x`` in app/cli.py)."""
    if level == 0:
        return module
    base = _module_name(path).split(".")
    if not _is_package(path):
        base = base[:-1]  # a module's own package
    if level - 1 > len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


_STRING_CALLS = {"import_module", "find_spec", "__import__"}


def _imports(path: Path, strings: bool = False) -> list[tuple[str, bool]]:
    """(module, top_level) for every import in ``path``; top_level means outside any function.

    Relative imports are resolved to absolute names; ``from pkg import name`` also yields
    ``pkg.name`` (it may be a module). With ``strings``, module names given as strings also
    count: arguments of ``importlib.import_module``/``find_spec``/``__import__`` and any string
    constant that names an ``opsplan.`` module (a registry entry such as ``"opsplan.x.y"``).
    """
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                mod = _resolve(path, child.module, child.level)
                if mod:
                    found.append((mod, top))
                    found.extend((f"{mod}.{a.name}", top) for a in child.names if a.name != "*")
            elif strings and isinstance(child, ast.Call):
                fn = child.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in _STRING_CALLS and child.args and isinstance(child.args[0], ast.Constant) \
                        and isinstance(child.args[0].value, str):
                    found.append((child.args[0].value, top))
            elif strings and isinstance(child, ast.Constant) and isinstance(child.value, str) \
                    and MODULE_STRING.match(child.value):
                found.append((child.value.split(":")[0], top))
            visit(child, inner)

    visit(tree, True)
    return found


MODULE_STRING = re.compile(r"opsplan(\.[a-z_][a-z0-9_]*)+(:[A-Za-z_][A-Za-z0-9_.]*)?\Z")


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
        for mod, _ in _imports(path, strings=True):
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


# --------------------------------------------------------------------------- kinds and cycles
# The modules that must serve every scenario kind: none may import a kind's package or a kind's
# own module, at any level, relatively, or by a module name given as a string. A kind plugs in
# through its registrations (models/registrations.py and the like), never by editing these.
GENERIC = [
    "models/__init__.py", "models/core.py", "models/errors.py", "models/schedule.py", "models/kinds.py",
    "models/plugins.py", "models/timetext.py",
    "models/io/__init__.py", "models/io/atomic.py", "models/io/document.py", "models/io/exporters.py",
    "models/io/importers.py", "models/io/schema.py", "models/io/textfile.py",
    "solvers/__init__.py", "solvers/registry.py", "solvers/result.py", "solvers/race.py",
    "solvers/race_server.py", "solvers/reschedule.py", "solvers/explain.py", "solvers/starting.py",
    "solvers/cpsat/__init__.py", "solvers/cpsat/engine.py", "solvers/cpsat/builder.py", "solvers/cpsat/parts.py",
    "solvers/cpsat/explain.py", "solvers/mip/__init__.py", "solvers/mip/builder.py", "solvers/mip/highs_run.py",
    "solvers/mip/parts.py",
    "solvers/dispatch/__init__.py", "solvers/local/__init__.py",
    "policies/__init__.py", "policies/env.py", "policies/features.py", "policies/backend.py",
    "policies/runtime.py", "policies/registry.py", "policies/solver_registrations.py",
    "app/__init__.py", "app/cli.py", "app/common.py", "app/progress.py", "app/bench.py", "app/benchsets.py",
    "app/results.py", "app/batch.py", "app/batch_jobs.py", "app/batch_dask.py", "app/report.py",
    "app/gui/app.py", "app/gui/adapters.py", "app/gui/document.py", "app/gui/main_window.py",
    "app/gui/gantt.py", "app/gui/kpi_panel.py", "app/gui/resource_view.py", "app/gui/solve_panel.py",
    "app/gui/disruption.py", "app/gui/editor.py", "app/gui/issues_panel.py", "app/gui/chart.py",
    "app/gui/recovery.py", "app/gui/timeaxis.py", "app/gui/picture.py", "app/gui/solve_worker.py",
    "app/gui/replay_panel.py", "app/gui/editor_spec.py", "app/gui/gantt_scene.py", "app/gui/gantt_paint.py",
    "app/gui/gantt_interaction.py", "app/gui/gantt_export.py", "app/gui/kinds/__init__.py", "app/gui/bench.py",
    "app/gui/legend.py", "app/gui/pickers.py", "app/gui/properties.py", "app/gui/plan_names.py", "app/gui/tour.py",
]


def _kind_names() -> list[str]:
    from opsplan.models.kinds import kinds

    return kinds()


def _names_a_kind(module: str, kinds: list[str]) -> str | None:
    """The kind ``module`` belongs to (``opsplan.models.jobshop.kpi``, ``opsplan.solvers.cpsat.jobshop_model``,
    ``opsplan.app.gui.kinds.jobshop``), or None for a kind-neutral module."""
    parts = module.split(".")
    for kind in kinds:
        for p in parts[1:]:
            if p == kind or p.startswith(kind + "_") or p.endswith("_" + kind):
                return kind
    return None


def test_generic_modules_import_no_kind():
    """The generic modules import no kind's module: not at the top, not in a function, not relatively,
    not by a module name in a string (the registries load kinds through registration modules)."""
    kinds = _kind_names()
    assert "jobshop" in kinds
    bad, missing = [], []
    for rel in GENERIC:
        path = ROOT / rel
        if not path.exists():
            missing.append(rel)
            continue
        for mod, _ in _imports(path, strings=True):
            kind = _names_a_kind(mod, kinds)
            if kind is not None and mod.startswith("opsplan."):
                bad.append(f"{rel} imports {mod} ({kind})")
    assert not missing, f"generic modules listed here no longer exist: {missing}"
    assert not bad, "\n".join(bad)


def test_generic_module_check_catches_every_form(tmp_path, monkeypatch):
    """The import scan sees absolute, relative, function-level and string-named imports."""
    pkg = ROOT / "app" / "gui"
    probe = pkg / "_probe_arch.py"
    probe.write_text(
        "from .kinds import jobshop\n"
        "def f():\n"
        "    from ...models.jobshop import kpi\n"
        "    import importlib\n"
        "    return importlib.import_module('opsplan.solvers.cpsat.jobshop_model')\n"
        "REG = 'opsplan.policies.jobshop_env:JobShopEnv'\n"
    )
    try:
        mods = [m for m, _ in _imports(probe, strings=True)]
    finally:
        probe.unlink()
    kinds = ["jobshop"]
    assert "opsplan.app.gui.kinds.jobshop" in mods
    assert "opsplan.models.jobshop.kpi" in mods
    assert "opsplan.solvers.cpsat.jobshop_model" in mods
    assert "opsplan.policies.jobshop_env" in mods
    assert all(_names_a_kind(m, kinds) == "jobshop" for m in
               ("opsplan.models.jobshop.kpi", "opsplan.app.gui.kinds.jobshop", "opsplan.policies.jobshop_env"))
    assert _names_a_kind("opsplan.models.kinds", kinds) is None


def _import_graph() -> dict[str, set[str]]:
    """Module -> the opsplan modules it imports (any level, relative resolved), over every package."""
    files = {_module_name(p): p for top in ("app", "models", "solvers", "policies") for p in _sources(top)}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        for target, _ in _imports(path):
            if target in files and target != mod:
                graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on.discard(x)
                        comp.append(x)
                        if x == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_cycles():
    """No two modules import each other, directly or around a loop, at any level (function-level
    imports too: a cycle hidden in a function is still a tangle). Package __init__ re-exports of
    their own submodules are not cycles; registries that load registration modules by name
    (importlib) are not import statements and are held to the generic-module test instead."""
    graph = _import_graph()
    # a package importing its own submodules (re-exports) and those importing siblings through the
    # package is the usual shape of __init__.py, not a tangle between modules
    for mod in graph:
        graph[mod] = {t for t in graph[mod] if not (t.startswith(mod + ".") or mod.startswith(t + "."))}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_planted_cycle():
    """The cycle finder reports a loop of three and ignores a chain."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
