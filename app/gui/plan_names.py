"""Names of plans, and the file names a plan is exported under.

A plan's name says what made it: the solver's plain registry name (``cpsat``,
``dispatch:mwkr``, ``policy:jobshop-sl``), then what set it apart: the time limit
when the solve stopped at it (``cpsat 10s``), a re-optimization (``cpsat re-opt``),
a disruption it re-planned after (``cpsat after MIX1 down @40+15``). A second plan
with the same name gets a counter (``cpsat (2)``), never a clock time: names stay
short, readable and the same from one run to the next, so a command line can ask
for ``--compare cpsat``.

Exported files get safe names (no colons, slashes or spaces) in the document's
folder, with the file-type filters the save dialog offers and the suffix added
when the planner leaves it out. Nothing here names a kind or imports Qt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from opsplan.models.core import first_free
from opsplan.solvers import Result, Termination

REOPT = "re-opt"

#: what the save dialogs call each export format
FILE_TYPES: dict[str, str] = {
    "xlsx": "Excel workbook",
    "csv": "CSV",
    "json": "JSON",
    "png": "PNG image",
    "svg": "SVG",
    "pdf": "PDF",
}
ALL_FILES = "All files (*)"


# ------------------------------------------------------------------------------ plan names
def plan_name(solver: str, taken: Iterable[str] = (), *, time_limit: float | None = None,
              reoptimized: bool = False, after: str = "") -> str:
    """The name of a plan ``solver`` made, unique among ``taken``.

    ``time_limit``: the limit the solve stopped at (pass it only when it mattered, see
    :func:`limit_hit`); ``reoptimized``: the plan kept pins and re-planned the rest;
    ``after``: the disruption it re-planned after, in the kind's words.
    """
    parts = [solver.strip() or "plan"]
    if time_limit is not None:
        parts.append(f"{time_limit:g}s")
    if reoptimized:
        parts.append(REOPT)
    if after.strip():
        parts.append(f"after {' '.join(after.split())}")
    return first_free(" ".join(parts), set(taken))


def limit_hit(result: Result, time_limit: float | None) -> float | None:
    """``time_limit`` when ``result`` stopped at it (it shaped the plan), else None."""
    return time_limit if time_limit and result.termination == Termination.TIME_LIMIT else None


def find_plan(names: Sequence[str], wanted: str) -> str | None:
    """The plan ``wanted`` names: the plan of that very name, else the newest one a solver of
    that name made (``cpsat`` finds ``cpsat 10s`` and ``cpsat (2)``); None when there is none."""
    if wanted in names:
        return wanted
    made = [n for n in names if n.startswith(wanted + " ")]
    return made[-1] if made else None


def rename_problem(new: str, old: str, names: Iterable[str]) -> str:
    """Why plan ``old`` cannot be called ``new`` (empty when it can)."""
    new = new.strip()
    if not new:
        return "A plan name cannot be empty."
    if new != old and new in set(names):
        return f"There is already a plan called “{new}”: choose another name."
    return ""


# ------------------------------------------------------------------------------ export files
def slug(text: str) -> str:
    """``text`` as a file-name part: lower case letters, digits and dashes (``dispatch:mwkr`` →
    ``dispatch-mwkr``); empty when nothing is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # é → e
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def export_name(parts: Iterable[str], fmt: str, folder: str | Path | None = None) -> str:
    """The suggested path of an export: the slugged, non-empty ``parts`` joined by dashes
    (``bakery-night-shift-cpsat.xlsx``), in ``folder`` when there is one."""
    stem = "-".join(s for s in (slug(p) for p in parts) if s) or "plan"
    name = f"{stem}.{fmt}"
    return str(Path(folder) / name) if folder else name


def file_filter(fmt: str) -> str:
    """The save dialog's filters for ``fmt``: its own type first, then all files."""
    return f"{FILE_TYPES.get(fmt, fmt.upper())} (*.{fmt});;{ALL_FILES}"


def with_suffix(path: str, fmt: str) -> str:
    """``path`` ending in ``.fmt`` (added when the planner typed a name without it)."""
    return path if path.lower().endswith(f".{fmt.lower()}") else f"{path}.{fmt}"


__all__ = ["FILE_TYPES", "export_name", "file_filter", "find_plan", "limit_hit", "plan_name",
           "rename_problem", "slug", "with_suffix"]
