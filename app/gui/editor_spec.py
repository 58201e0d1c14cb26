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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
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


#: the kinds of time column (:attr:`Column.time`)
INSTANT, SPAN = "instant", "span"


#: what a column may hold, ``choices(sc) -> [(id, label)]`` (the machines, by id and name)
Choices = Callable[[Any], Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    editable: bool = True
    numeric: bool = False
    tooltip: str = ""
    #: takes the spare width of the table
    stretch: bool = False
    #: the ids the cell may name: the editor offers them in a picker (the text form stays typable)
    choices: Choices | None = None
    #: with ``choices``: the cell lists several picks, each with a number, ``"id:n, id:n"``
    #: (machine:duration); the picker is a checkable list with a number per choice
    amounts: bool = False
    #: a time on the scenario's axis: ``"instant"`` (shown and typed as a date-time when the
    #: scenario has an epoch) or ``"span"`` (a duration, '1 h 30 min'); the spec's ``cell`` and
    #: ``set_cell`` still speak whole units, the editor translates (:class:`~opsplan.app.gui.timeaxis.Clock`)
    time: str | None = None

    def __post_init__(self) -> None:
        if self.time not in (None, INSTANT, SPAN):
            raise ValueError(f"column {self.key!r}: time must be {INSTANT!r}, {SPAN!r} or None, not {self.time!r}")


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
    #: the row buttons the editor shows (a matrix has no rows to add or remove)
    actions: tuple[str, ...] = ("add", "duplicate", "remove")

    def columns_for(self, sc: Any, parent: int | None) -> tuple[Column, ...]:
        """The columns shown for ``parent``'s rows: :attr:`columns`, unless the scenario decides
        them (a setup matrix has a column per job)."""
        return self.columns

    def row_count(self, sc: Any, parent: int | None) -> int:
        raise NotImplementedError

    def cell(self, sc: Any, parent: int | None, row: int, column: str) -> str:
        raise NotImplementedError

    def row_label(self, sc: Any, row: int) -> str:
        """How a row is named in a child table's chooser."""
        return self.cell(sc, None, row, self.columns[0].key)

    def row_id(self, sc: Any, parent: int | None, row: int) -> str | None:
        """The id of the object a row stands for: its ``id`` cell (None without an ``id`` column).

        The editor links a row with the plan's bars through it: a job row selects the bars
        of that job (the adapter's ``tasks_of``), and a bar finds its row by its id or its
        group's id (see :meth:`EditorSpec.locate_task`)."""
        if not any(c.key == "id" for c in self.columns_for(sc, parent)):
            return None
        return self.cell(sc, parent, row, "id")

    def describe_row(self, sc: Any, parent: int | None, row: int) -> str:
        """A row in the planner's words, for messages: ``"Job ORD-2604 (Hot cross buns)"``: the
        noun, the row's ``id`` cell (else its first cell) and its ``name`` cell when that says more."""
        keys = [c.key for c in self.columns_for(sc, parent)]
        ident = self.cell(sc, parent, row, "id" if "id" in keys else keys[0]) if keys else str(row + 1)
        name = self.cell(sc, parent, row, "name").strip() if "name" in keys else ""
        return f"{self.noun.capitalize()} {ident}" + (f" ({name})" if name and name != ident else "")

    def set_cell(self, sc: Any, parent: int | None, row: int, column: str, text: str) -> Change:
        raise EditRejected(f"this {self.noun} cannot be edited here")

    def add(self, sc: Any, parent: int | None, after: int | None) -> Change:
        raise EditRejected(f"cannot add a {self.noun} here")

    def duplicate(self, sc: Any, parent: int | None, rows: Sequence[int]) -> Change:
        raise EditRejected(f"cannot duplicate a {self.noun} here")

    def remove(self, sc: Any, parent: int | None, rows: Sequence[int]) -> Change:
        raise EditRejected(f"cannot remove a {self.noun} here")

    def column(self, key: str, sc: Any = None, parent: int | None = None) -> Column:
        for c in self.columns if sc is None else self.columns_for(sc, parent):
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

    #: the planner's words for path segments (``{"calendar": "calendar window"}``); an indexed
    #: segment without one is named by its singular ("modes[1]" -> "mode 2")
    path_words: Mapping[str, str] = MappingProxyType({})

    def locate(self, sc: Any, path: str) -> list[Location]:
        """The chain of locations (parents first) an issue path points to; empty when none."""
        return []

    def describe(self, sc: Any, path: str) -> str:
        """An issue path in the planner's words, counting from 1 (the Issues panel's "Where").

        ``jobs[3].operations[1].modes[0]`` -> ``"Operation ORD-2604.pck (Pack) · mode 1"``: the
        innermost editor row the path reaches (:meth:`locate` of ever longer prefixes of the
        path) is named by its table (:meth:`TableSpec.describe_row`), the rest of the path
        follows in words. A path no row holds is put in words whole (``"Setup 1 · matrix"``)."""
        segs = parse_path(path)
        if not segs:
            return path
        head, rest, rows = "", segs, ()
        for n in range(1, len(segs) + 1):
            found = [loc for loc in self.locate(sc, format_path(segs[:n])) if loc.row is not None]
            key = tuple((loc.table, loc.row) for loc in found)
            if found and key != rows:
                rows, rest = key, segs[n:]
                parent = found[-2].row if len(found) > 1 else None
                head = self.table(found[-1].table).describe_row(sc, parent, found[-1].row)
        words = describe_segments(rest, self.path_words)
        if not head:
            return words[:1].upper() + words[1:]
        return f"{head} · {words}" if words else head

    def locate_task(self, sc: Any, task: str, group: str | None = None) -> list[Location]:
        """The rows (parents first) that show ``task``, whose group (a job) is ``group``.

        Generic, by the rows' ids (:meth:`TableSpec.row_id`): the first top-level row whose id
        is the task's or its group's, then, when it is the group's, the row of the task among
        that row's children (a job's operations). Empty when no row shows it."""
        for top in self.tables:
            if top.parent_key is not None:
                continue
            for row in range(top.row_count(sc, None)):
                ident = top.row_id(sc, None, row)
                if ident is None:
                    break
                if ident == task:
                    return [Location(top.key, row)]
                if ident != group:
                    continue
                for child in self.tables:
                    if child.parent_key != top.key:
                        continue
                    for r in range(child.row_count(sc, row)):
                        if child.row_id(sc, row, r) == task:
                            return [Location(top.key, row), Location(child.key, r)]
                return [Location(top.key, row)]
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


def format_path(segments: Sequence[tuple[str, int | None]]) -> str:
    """The inverse of :func:`parse_path`."""
    return ".".join(name if i is None else f"{name}[{i}]" for name, i in segments)


def describe_segments(segments: Sequence[tuple[str, int | None]], words: Mapping[str, str] | None = None) -> str:
    """Path segments in words, counting from 1: ``[("modes", 0), ("duration", None)]`` -> ``"mode 1 · duration"``.

    ``words`` names a segment (``{"calendar": "calendar window"}``); otherwise an indexed
    segment is named by its singular and underscores become spaces."""
    words = words or {}
    parts = []
    for name, i in segments:
        word = words.get(name) or name.replace("_", " ")
        if i is not None:
            if name not in words and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
            word = f"{word} {i + 1}"
        parts.append(word)
    return " · ".join(parts)


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


def choice_id(text: str, choices: Sequence[tuple[str, str]]) -> str | None:
    """The id ``text`` names among ``choices``: an id as is, else the one choice whose label it is
    (case ignored when that is unambiguous); None when it names none or several."""
    t = text.strip()
    if any(cid == t for cid, _ in choices):
        return t
    for same in (lambda a, b: a == b, lambda a, b: a.casefold() == b.casefold()):
        hits = {cid for cid, label in choices if label and same(label, t)}
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
    return None


def split_picks(text: str) -> list[tuple[str, str]]:
    """``"M1:10, M2:12"`` -> ``[("M1", "10"), ("M2", "12")]`` (a part without ':' has amount '')."""
    out = []
    for part in text.split(","):
        if part.strip():
            name, sep, amount = part.strip().rpartition(":")
            out.append((name.strip(), amount.strip()) if sep else (part.strip(), ""))
    return out


def format_picks(picks: Sequence[tuple[str, int | str]]) -> str:
    """The inverse of :func:`split_picks`."""
    return ", ".join(f"{cid}:{n}" for cid, n in picks)


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
    "Choices",
    "Column",
    "EditRejected",
    "EditorSpec",
    "INSTANT",
    "Location",
    "SPAN",
    "TableSpec",
    "choice_id",
    "describe_segments",
    "format_path",
    "format_picks",
    "numbered_id",
    "parse_int",
    "parse_path",
    "plural",
    "short_list",
    "split_picks",
    "unique_id",
]
