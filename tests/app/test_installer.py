"""The desktop installer (installer/): the spec, the desktop entry and icons agree; a slow test
builds the PyInstaller bundle and runs it without a display."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


@pytest.fixture(scope="module")
def spec() -> dict:
    """The literal settings at the top of installer/opsplan.spec (NAME, ENTRY, ICON, DATA_DIRS...)."""
    tree = ast.parse((INSTALLER / "opsplan.spec").read_text(encoding="utf-8"))
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values


@pytest.fixture(scope="module")
def pyproject() -> dict:
    """The project's pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def desktop() -> configparser.SectionProxy:
    """The [Desktop Entry] group of installer/opsplan.desktop."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(INSTALLER / "opsplan.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_runs_and_shows_what_the_spec_builds(spec, desktop, pyproject):
    """Exec, TryExec and Icon name the spec's executable and the icons shipped; Exec opens the GUI."""
    name = spec["NAME"]
    assert desktop["Type"] == "Application"
    exec_args = shlex.split(desktop["Exec"])
    assert exec_args[0] == name and exec_args[1] == "gui"
    assert desktop["TryExec"] == name
    assert desktop["Icon"] == name
    assert (INSTALLER / "icons" / f"{name}.svg").is_file()
    assert _png_size(INSTALLER / "icons" / f"{name}.png") == (256, 256)
    assert (ROOT / spec["ICON"]).is_file()
    # the bundle's executable is the console script of the same name, and `gui` is one of its commands
    module, func = pyproject["project"]["scripts"][name].split(":")
    entry = (ROOT / spec["ENTRY"]).read_text(encoding="utf-8")
    assert f"from {module} import {func}" in entry and "freeze_support()" in entry
    from opsplan.app.cli import build_parser

    commands = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction").choices
    assert "gui" in commands and "solve" in commands


def test_spec_bundles_every_package_data_folder_there_is(spec, pyproject):
    """Every data folder the spec names exists, and every package-data folder of pyproject is bundled
    where importlib.resources looks for it (opsplan/<sub>/<folder>)."""
    bundled = dict(spec["DATA_DIRS"])
    for src in bundled:
        folder = ROOT / src
        assert folder.is_dir() and any(p.is_file() for p in folder.iterdir()), f"{src} is missing or empty"
    package_dir = pyproject["tool"]["setuptools"]["package-dir"]
    wanted = set()
    for package, patterns in pyproject["tool"]["setuptools"]["package-data"].items():
        for pattern in patterns:
            sub = Path(pattern).parent.as_posix()
            wanted.add((f"{package_dir[package]}/{sub}", f"{package.replace('.', '/')}/{sub}"))
    for src, dest in sorted(wanted):
        if any((ROOT / src).glob("*")):
            assert bundled.get(src) == dest, f"{src} is package data but the spec does not bundle it as {dest}"
    # folders of resources/ with files in them are bundled, now or when they appear
    optional = dict(spec["OPTIONAL_DATA_DIRS"])
    for folder in (ROOT / "resources").iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            src = f"resources/{folder.name}"
            assert src in bundled or src in optional, f"{src} is not in the spec's data folders"


def test_build_script_and_make_target_are_wired(spec):
    """build.sh is executable bash that builds the spec; `make installer` runs it."""
    script = INSTALLER / "build.sh"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert "installer/opsplan.spec" in text and "OPSPLAN_ONNXRUNTIME" in text
    bad = subprocess.run(["bash", str(script), "--onnxruntime", "tpu"], capture_output=True, text=True)
    assert bad.returncode == 2 and "use cpu, gpu or auto" in bad.stderr
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^installer:.*\n\t.*installer/build\.sh", make, re.M)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_built_bundle_runs_without_a_display(tmp_path):
    """Build dist/opsplan with build.sh, then: --version, solve a bundled sample (cpsat and the
    shipped policy, which registers through the bundled entry points) and the GUI screenshot."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install 'opsplan[installer]')")
    dist = tmp_path / "dist"
    build = subprocess.run(["bash", str(INSTALLER / "build.sh"), "--python", sys.executable, "--dist", str(dist),
                            "--no-smoke"], cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert re.search(r"^build time: \d+ s$", build.stdout, re.M)
    assert re.search(r"^bundle size: \S+ \(\d+ files\)", build.stdout, re.M)
    bundle = dist / "opsplan"
    exe = bundle / ("opsplan.exe" if sys.platform == "win32" else "opsplan")
    assert (bundle / "opsplan.desktop").is_file() and (bundle / "icons" / "opsplan.png").is_file()
    samples = list(bundle.rglob("opsplan/resources/samples/bakery-jobshop.json"))
    assert len(samples) == 1
    sample = samples[0]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH")}
    env["QT_QPA_PLATFORM"] = "offscreen"

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"opsplan {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done

    assert run("--version").stdout.strip() == f"opsplan {version('opsplan')}"
    for solver, name in (("cpsat", "plan.json"), ("policy:jobshop-sl", "policy.json")):
        out = run("solve", str(sample), "--solver", solver, "--time-limit", "10", "-o", str(tmp_path / name))
        assert "checker    0 violation(s)" in out.stdout
        document = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        assert document["format"] == "opsplan" and document["schedules"]
    shot = tmp_path / "board.png"
    run("gui", str(sample), "--solve", "cpsat", "--time-limit", "10", "--screenshot", str(shot))
    width, height = _png_size(shot)
    assert width > 800 and height > 500
