#!/usr/bin/env bash
# Build the OpsPlan desktop bundle dist/opsplan/ (PyInstaller, one folder) and smoke-test it.
#
#   installer/build.sh [--onnxruntime auto|cpu|gpu] [--python PY | --venv DIR] [--extras LIST]
#                      [--dist DIR] [--no-smoke]
#
#   --onnxruntime  which onnxruntime wheel the bundle carries (env ONNXRUNTIME; default auto: the
#                  one the build Python has). cpu: `onnxruntime`, runs everywhere, smaller;
#                  gpu: `onnxruntime-gpu` (Linux x86-64), uses CUDA when the machine has it.
#   --python PY    build with this Python (default: the project's .venv, else python3). If it has
#                  the other onnxruntime build, the bundle is built in build/venv-<cpu|gpu> instead.
#   --venv DIR     build in this virtual environment, created when missing: pip install ".[installer]"
#                  (not editable) and the chosen onnxruntime wheel.
#   --extras LIST  optional parts to bundle when installed (env OPSPLAN_BUNDLE_EXTRAS; default
#                  report,excel; also parquet (pyarrow), cluster (dask, distributed)).
#   --dist DIR     put the bundle in DIR/opsplan (default: dist/opsplan).
#   --no-smoke     skip the smoke commands.
#
# Prints the build time and the bundle size, then runs the bundle without a display:
# `opsplan --version`, `opsplan solve` (cpsat and the shipped policy) on a bundled sample and
# `opsplan gui --screenshot`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ORT="${ONNXRUNTIME:-auto}"
PY=""
VENV=""
SMOKE=1
DIST="$ROOT/dist"
export OPSPLAN_BUNDLE_EXTRAS="${OPSPLAN_BUNDLE_EXTRAS-report,excel}"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --onnxruntime) [ $# -ge 2 ] || die "--onnxruntime needs cpu, gpu or auto"; ORT="$2"; shift 2 ;;
    --onnxruntime=*) ORT="${1#*=}"; shift ;;
    --python) [ $# -ge 2 ] || die "--python needs a path"; PY="$2"; shift 2 ;;
    --python=*) PY="${1#*=}"; shift ;;
    --venv) [ $# -ge 2 ] || die "--venv needs a folder"; VENV="$2"; shift 2 ;;
    --venv=*) VENV="${1#*=}"; shift ;;
    --extras) [ $# -ge 2 ] || die "--extras needs a list"; OPSPLAN_BUNDLE_EXTRAS="$2"; shift 2 ;;
    --extras=*) OPSPLAN_BUNDLE_EXTRAS="${1#*=}"; shift ;;
    --dist) [ $# -ge 2 ] || die "--dist needs a folder"; DIST="$2"; shift 2 ;;
    --dist=*) DIST="${1#*=}"; shift ;;
    --no-smoke) SMOKE=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$ORT" in auto|cpu|gpu) ;; *) die "--onnxruntime '$ORT': use cpu, gpu or auto" ;; esac
[ -z "$PY" ] || [ -z "$VENV" ] || die "give --python or --venv, not both"

# the onnxruntime build a Python has: cpu, gpu or none
ort_of() {
  "$1" - <<'PY'
from importlib.metadata import PackageNotFoundError, version
for flavour, dist in (("gpu", "onnxruntime-gpu"), ("cpu", "onnxruntime")):
    try:
        version(dist)
        print(flavour)
        break
    except PackageNotFoundError:
        pass
else:
    print("none")
PY
}

# the version pyproject pins for an onnxruntime distribution (empty: none pinned)
pinned() {
  "$1" - "$2" <<'PY'
import re, sys, tomllib
dist = sys.argv[1]
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    m = re.match(rf"{re.escape(dist)}\s*==\s*([^;\s]+)", dep)
    if m:
        print(m.group(1))
        break
PY
}

make_venv() {  # make_venv DIR FLAVOUR: a build venv with the project (not editable) and that onnxruntime
  local dir="$1" flavour="$2" base dist version
  base="$(command -v python3 || command -v python)" || die "no python3 to create $dir"
  if [ ! -x "$dir/bin/python" ]; then
    echo "== creating the build venv $dir"
    "$base" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
    echo "== installing OpsPlan (not editable), its dependencies and PyInstaller into $dir"
    "$dir/bin/python" -m pip install -q ".[installer,report,excel]"
  else
    # the dependencies stay as they are (delete the folder to refresh them): on Linux x86-64 they
    # would bring onnxruntime-gpu back into a CPU build venv
    echo "== refreshing OpsPlan (not editable) in $dir"
    "$dir/bin/python" -m pip install -q --no-deps --force-reinstall .
  fi
  if [ "$flavour" != "auto" ] && [ "$(ort_of "$dir/bin/python")" != "$flavour" ]; then
    dist=onnxruntime; [ "$flavour" = gpu ] && dist=onnxruntime-gpu
    version="$(pinned "$dir/bin/python" "$dist")"
    echo "== bundling $dist${version:+ $version}: swapping the onnxruntime build in $dir"
    # the two builds share the onnxruntime package folder: never both
    "$dir/bin/python" -m pip uninstall -q -y onnxruntime onnxruntime-gpu
    "$dir/bin/python" -m pip install -q "$dist${version:+==$version}"
  fi
  PY="$dir/bin/python"
}

if [ -n "$VENV" ]; then
  make_venv "$VENV" "$ORT"
else
  if [ -z "$PY" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi
  fi
  have="$(ort_of "$PY")"
  if [ "$ORT" != auto ] && [ "$have" != "$ORT" ]; then
    echo "== $PY has onnxruntime build '$have', not '$ORT': building in build/venv-$ORT (left as it is: $PY)"
    make_venv "$ROOT/build/venv-$ORT" "$ORT"
  fi
fi
"$PY" -c "import opsplan.app.cli" 2>/dev/null || die "$PY cannot import opsplan: pip install -e . (or use --venv DIR)"
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  echo "== installing PyInstaller into $PY's environment"
  "$PY" -m pip install -q "pyinstaller>=6.10"
fi
[ "$ORT" = auto ] && ORT="$(ort_of "$PY")"
export OPSPLAN_ONNXRUNTIME="$ORT"

mkdir -p "$DIST" && DIST="$(cd "$DIST" && pwd)"
echo "== building $DIST/opsplan with $("$PY" -m PyInstaller --version | sed 's/^/PyInstaller /') (onnxruntime: $ORT, extras: ${OPSPLAN_BUNDLE_EXTRAS:-none})"
SECONDS=0  # bash counts the seconds (date +%N is not portable to macOS)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$ROOT/build/installer" installer/opsplan.spec
BUILD_S=$SECONDS

BUNDLE="$DIST/opsplan"
# the desktop entry, its icons and the script that installs them go beside the executable
cp installer/opsplan.desktop installer/install-desktop.sh "$BUNDLE/"
mkdir -p "$BUNDLE/icons"
cp installer/icons/opsplan.svg installer/icons/opsplan.png "$BUNDLE/icons/"
chmod +x "$BUNDLE/install-desktop.sh"

SIZE=$(du -sh "$BUNDLE" | cut -f1)
FILES=$(find "$BUNDLE" -type f | wc -l)
echo "build time: ${BUILD_S} s"
echo "bundle size: ${SIZE} (${FILES} files) in $BUNDLE (onnxruntime: $ORT)"

[ "$SMOKE" = 1 ] || exit 0

echo "== smoke test (no display)"
SAMPLE="$(find "$BUNDLE" -path '*opsplan/resources/samples/bakery-jobshop.json' | head -n 1)"
[ -n "$SAMPLE" ] || die "the bundle has no samples/bakery-jobshop.json"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
run() { echo "\$ opsplan ${*}" >&2; env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$BUNDLE/opsplan" "$@"; }
run --version
run solve "$SAMPLE" --solver cpsat --time-limit 10 -o "$TMP/plan.json" >"$TMP/solve.log" || { cat "$TMP/solve.log"; die "solve failed"; }
grep -E "^(status|objective|checker)" "$TMP/solve.log"
[ -s "$TMP/plan.json" ] || die "solve wrote no plan"
run solve "$SAMPLE" --solver policy:jobshop-sl -o "$TMP/policy.json" >"$TMP/policy.log" || { cat "$TMP/policy.log"; die "policy solve failed"; }
grep -E "^(solver|status)" "$TMP/policy.log"
run gui "$SAMPLE" --solve cpsat --time-limit 10 --screenshot "$TMP/board.png"
[ -s "$TMP/board.png" ] || die "gui wrote no screenshot"
echo "smoke test passed: $BUNDLE/opsplan (build ${BUILD_S} s, ${SIZE})"
