#!/usr/bin/env bash
# Add the OpsPlan bundle this script sits in to the desktop menu of the current user (Linux):
# the .desktop entry (its Exec made absolute) and the icon, under ~/.local/share.
# Remove with: install-desktop.sh --remove
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
if [ "${1:-}" = "--remove" ]; then
  rm -f "$APPS/opsplan.desktop" "$ICONS/256x256/apps/opsplan.png" "$ICONS/scalable/apps/opsplan.svg"
  echo "removed the OpsPlan desktop entry"
  exit 0
fi
[ -x "$HERE/opsplan" ] || { echo "install-desktop.sh: no opsplan executable beside this script" >&2; exit 2; }
mkdir -p "$APPS" "$ICONS/256x256/apps" "$ICONS/scalable/apps"
cp "$HERE/icons/opsplan.png" "$ICONS/256x256/apps/opsplan.png"
cp "$HERE/icons/opsplan.svg" "$ICONS/scalable/apps/opsplan.svg"
sed -e "s|^Exec=opsplan |Exec=\"$HERE/opsplan\" |" -e "s|^TryExec=opsplan$|TryExec=$HERE/opsplan|" \
  "$HERE/opsplan.desktop" > "$APPS/opsplan.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
echo "installed $APPS/opsplan.desktop (runs $HERE/opsplan gui)"
