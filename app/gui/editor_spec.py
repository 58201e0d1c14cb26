"""The editor's vocabulary, pure Python (no Qt): what a kind's editor spec is made of.

A kind describes its scenario editor as an :class:`EditorSpec`: tables
(:class:`TableSpec`) of :class:`Column` s, each answering a cell edit or an added,
duplicated or removed row with a :class:`Change` (the new scenario and the Undo-menu
label), or refusing it with :class:`EditRejected` and a message for the planner.
:meth:`EditorSpec.locate` turns a validation issue's path into :class:`Location` s, so
the Issues panel can show the cell. The Qt widgets that show a spec live in
:mod:`opsplan.app.gui.editor`; the specs live with their kind's GUI bundle
(:mod:`opsplan.app.gui.kinds`). Nothing here names a kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsplan.models.core import MAX_TIME, first_free


class EditRejected(ValueError):
    """An edit the editor refuses; the message is shown to the planner as is."""


@dataclass(frozen=True)
class Change:
    """The answer of a spec to an edit: the new scenario and the Undo-menu label.

    ``row`` is the row of the edited table to select afterwards (the added
    copy, the moved window). ``resource_renames`` / ``task_renames`` map old to
    new ids that the schedules of the document must follow too (a renamed
    machine keeps its bars); ``task_removals`` are tasks gone from the scenario,
    whose bars and pins leave every schedule (a cancelled order leaves the plans).
    """

    scenario: Any
    label: str
    row: int | None = None
    resource_renames: Mapping[str, str] = field(default_factory=dict)
    task_renames: Mapping[str, str] = field(default_factory=dict)
    task_removals: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    editable: bool = True
    numeric: bool = False
    tooltip: str = ""
    #: takes the spare width of the table
    stretch: bool = False


@dataclass(frozen=True)
class Location:
    """Where an issue path points in the editor: a table, a row (None: the table) and a column key."""

    table: str
    row: int | None = None
    column: str | None = None


class TableSpec:
    """One table of the editor. Rows are addressed by index within ``parent`` (a row of ``parent_key``)."""

    key: str = ""
    title: str = ""
    #: the thing one row is ("job"), used in messages and labels
    noun: str = "row"
    columns: tuple[Column, ...] = ()
    #: the table whose current row selects what this table shows (operations of a job)
    parent_key: str | None = None

    def row_count(self, sc: Any, parent: int | None) -> int:
        raise NotImplementedError

    def cell(self, sc: Any, parent: int | None, row: int, column: str) -> str:
        raise NotImplementedError

    def row_label(self, sc: Any, row: int) -> str:
        """How a row is named in a child table's chooser."""
        return self.cell(sc, None, row, self.columns[0].key)

    def set_cell(self, sc: Any, parent: int | None, row: int, column: str, text: str) -> Change:
        raise EditRejected(f"this {self.noun} cannot be edited here")

    def add(self, sc: Any, parent: int | None, after: int | None) -> Change:
        raise EditRejected(f"cannot add a {self.noun} here")

    def duplicate(self, sc: Any, parent: int | None, rows: Sequence[int]) -> Change:
        raise EditRejected(f"cannot duplicate a {self.noun} here")

    def remove(self, sc: Any, parent: int | None, rows: Sequence[int]) -> Change:
        raise EditRejected(f"cannot remove a {self.noun} here")

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


class EditorSpec:
    """The editor's tables for one scenario kind, and where issue paths point."""

    tables: tuple[TableSpec, ...] = ()

    def table(self, key: str) -> TableSpec:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def locate(self, sc: Any, path: str) -> list[Location]:
        """The chain of locations (parents first) an issue path points to; empty when none."""
        return []


# --------------------------------------------------------------------------- helpers shared by specs
_PATH_SEGMENT = re.compile(r"([A-Za-z_]\w*)(?:\[(\d+)\])?$")


def parse_path(path: str) -> list[tuple[str, int | None]]:
    """``"jobs[3].operations[1].modes[0]"`` -> ``[("jobs", 3), ("operations", 1), ("modes", 0)]``."""
    out: list[tuple[str, int | None]] = []
    for part in path.split(".") if path else []:
        m = _PATH_SEGMENT.match(part)
        if m is None:
            return out
        out.append((m.group(1), int(m.group(2)) if m.group(2) is not None else None))
    return out


def parse_int(text: str, what: str, minimum: int | None = None, maximum: int = MAX_TIME) -> int:
    """An integer typed by the planner, or :class:`EditRejected` with a clear message.

    Above ``maximum`` (by default the largest time a document holds) is refused: the
    plan could be saved, but the file would never open again."""
    t = text.strip()
    unsigned = t.lstrip("+-")
    if unsigned.isdigit() and len(unsigned.lstrip("0")) > 40:  # past any maximum (int() refuses 4300+ digits)
        value = -(maximum + 1) if t.startswith("-") else maximum + 1
    else:
        try:
            value = int(t)
        except ValueError:
            raise EditRejected(f"{what} must be a whole number, not '{t[:40]}'") from None
    if value > maximum:
        raise EditRejected(f"{what} must be at most {maximum}, got {text.strip()[:20]}")
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise EditRejected(f"{what} must not be negative, got {value}")
        raise EditRejected(f"{what} must be at least {minimum}, got {value}")
    return value


def unique_id(base: str, taken: set[str] | Mapping[str, Any]) -> str:
    """``base`` if free, else ``base-2``, ``base-3``..."""
    return first_free(base, taken, "{base}-{k}")


def numbered_id(prefix: str, start: int, taken: set[str] | Mapping[str, Any]) -> str:
    """The first free ``prefix<n>`` with n >= ``start`` (J13, M9...)."""
    n = max(start, 1)
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def short_list(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


__all__ = [
    "Change",
    "Column",
    "EditRejected",
    "EditorSpec",
    "Location",
    "TableSpec",
    "numbered_id",
    "parse_int",
    "parse_path",
    "plural",
    "short_list",
    "unique_id",
]
