"""The scenario editor: tabs of tables over the immutable scenario.

The widget (:class:`ScenarioEditor`) knows nothing about job shops. What the
tables show and how a cell edit, an added, duplicated or removed row turn into a
new scenario is told by a per-kind :class:`EditorSpec` (plain Python, no Qt),
registered in :data:`EDITOR_SPECS`. Every edit builds a new scenario and goes
through :meth:`PlanDocument.set_scenario` as one undoable command; the tables
redraw from ``plan.changed`` like every other view.

A spec answers in :class:`Change` objects, or raises :class:`EditRejected` with
a message for the planner (a non-integer release, an unknown machine, removing a
machine that operations still use); a rejected edit pushes no command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opsplan.app.gui.replay_panel import trace_of, with_trace
from opsplan.models.core import MAX_TIME, Calendar, Resource, Window, first_free
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation, SetupMatrix
from opsplan.models.schedule import Schedule
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)


# =========================================================================== spec vocabulary (no Qt)
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


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _short_list(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# =========================================================================== job shop spec
def _with_job(sc: JobShopScenario, i: int, job: Job) -> JobShopScenario:
    return replace(sc, jobs=sc.jobs[:i] + (job,) + sc.jobs[i + 1 :])


def _with_machine(sc: JobShopScenario, i: int, machine: Resource) -> JobShopScenario:
    return replace(sc, machines=sc.machines[:i] + (machine,) + sc.machines[i + 1 :])


def _all_op_ids(sc: JobShopScenario) -> set[str]:
    return {op.id for j in sc.jobs for op in j.operations}


#: characters an id typed in the editor may not contain: they separate the parts of a modes cell
ID_SEPARATORS = (",", ":")


def _check_new_id(text: str, noun: str, taken: set[str] | Mapping[str, Any]) -> str:
    new = text.strip()
    if not new:
        raise EditRejected(f"a {noun} id cannot be empty")
    if any(ch.isspace() for ch in new):
        raise EditRejected(f"a {noun} id cannot contain spaces: '{new}'")
    bad = [ch for ch in ID_SEPARATORS if ch in new]
    if bad:
        # the modes cell is written "M1:10, M2:12": a separator inside an id would make it unreadable
        shown = " or ".join(f"'{ch}'" for ch in bad)
        raise EditRejected(f"a {noun} id cannot contain {shown} (modes are written machine:duration, "
                           f"comma-separated): '{new}'")
    if new in taken:
        raise EditRejected(f"{noun} id '{new}' is already used")
    return new


def format_modes(modes: Sequence[Mode]) -> str:
    return ", ".join(f"{m.resource}:{m.duration}" for m in modes)


def _mode_parts(text: str, comma_ids: Sequence[str]) -> list[str]:
    """``text`` split at its commas, except those inside one of ``comma_ids``.

    The editor refuses such ids, but a scenario file may still bring one: its
    operations' modes must stay editable.
    """
    parts: list[str] = []
    acc: str | None = None
    for piece in text.split(","):
        acc = piece if acc is None else f"{acc},{piece}"
        head = acc.strip()
        if head and any(k.startswith(f"{head},") for k in comma_ids):
            continue  # the comma is part of a machine id
        if head:
            parts.append(head)
        acc = None
    if acc is not None and acc.strip():
        parts.append(acc.strip())
    return parts


def parse_modes(text: str, sc: JobShopScenario) -> tuple[Mode, ...]:
    """``"M1:10, M2:12"`` -> modes, checked against the scenario's machines."""
    known = sc.machine_index
    parts = _mode_parts(text, [m for m in known if "," in m])
    if not parts:
        raise EditRejected("an operation needs at least one mode, written machine:duration (e.g. M1:10, M2:12)")
    modes: list[Mode] = []
    seen: set[str] = set()
    for part in parts:
        machine, sep, duration = part.rpartition(":")
        machine = machine.strip()
        if not sep or not machine:
            raise EditRejected(f"'{part}' is not machine:duration (e.g. M1:10)")
        if machine not in known:
            raise EditRejected(f"unknown machine '{machine}' (machines: {_short_list(list(known), 10)})")
        if machine in seen:
            raise EditRejected(f"machine '{machine}' appears in two modes")
        seen.add(machine)
        modes.append(Mode(machine, parse_int(duration, f"the duration on {machine}", 0)))
    return tuple(modes)


class JobsTable(TableSpec):
    key, title, noun = "jobs", "Jobs", "job"
    columns = (
        Column("id", "Id", tooltip="unique job id; renaming updates the setup matrices"),
        Column("name", "Name", stretch=True),
        Column("release", "Release", numeric=True, tooltip="earliest start of the first operation"),
        Column("due", "Due", numeric=True, tooltip="due date; empty for none"),
        Column("deadline", "Deadline", numeric=True, tooltip="hard deadline (must end by it); empty for none"),
        Column("weight", "Weight", numeric=True),
        Column("operations", "Operations", editable=False, numeric=True),
    )

    def row_count(self, sc: JobShopScenario, parent: int | None) -> int:
        return len(sc.jobs)

    def cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str) -> str:
        job = sc.jobs[row]
        if column == "operations":
            return str(len(job.operations))
        value = getattr(job, column)
        return "" if value is None else str(value)

    def row_label(self, sc: JobShopScenario, row: int) -> str:
        job = sc.jobs[row]
        return f"{job.id} — {job.name}" if job.name else job.id

    def set_cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str, text: str) -> Change:
        job = sc.jobs[row]
        if column == "id":
            if text.strip() == job.id:
                return Change(sc, "")
            new = _check_new_id(text, "job", sc.job_index)
            setups = tuple(
                replace(s, jobs=tuple(new if j == job.id else j for j in s.jobs)) for s in sc.setups
            )
            return Change(replace(_with_job(sc, row, replace(job, id=new)), setups=setups),
                          f"Rename job {job.id} to {new}", row)
        if column == "name":
            return Change(_with_job(sc, row, replace(job, name=text)), f"Edit name of job {job.id}", row)
        if column == "release":
            value = parse_int(text, "the release", 0)
            return Change(_with_job(sc, row, replace(job, release=value)), f"Edit release of job {job.id}", row)
        if column == "due":
            due = None if text.strip() in ("", "-") else parse_int(text, "the due date", 0)
            return Change(_with_job(sc, row, replace(job, due=due)), f"Edit due of job {job.id}", row)
        if column == "deadline":
            deadline = None if text.strip() in ("", "-") else parse_int(text, "the deadline", 0)
            return Change(_with_job(sc, row, replace(job, deadline=deadline)), f"Edit deadline of job {job.id}", row)
        if column == "weight":
            value = parse_int(text, "the weight", 0)
            return Change(_with_job(sc, row, replace(job, weight=value)), f"Edit weight of job {job.id}", row)
        raise EditRejected(f"the {column} of a job cannot be edited here")

    def _new_job_id(self, sc: JobShopScenario) -> str:
        return numbered_id("J", len(sc.jobs) + 1, sc.job_index)

    def add(self, sc: JobShopScenario, parent: int | None, after: int | None) -> Change:
        if not sc.machines:
            raise EditRejected("add a machine first: a job's operation needs one")
        jid = self._new_job_id(sc)
        op = Operation(unique_id(f"{jid}.1", _all_op_ids(sc)), (Mode(sc.machines[0].id, 10),))
        job = Job(jid, (op,))
        return Change(replace(sc, jobs=sc.jobs + (job,)), f"Add job {jid}", len(sc.jobs))

    def duplicate(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a job to duplicate")
        jobs = list(sc.jobs)
        op_ids = _all_op_ids(sc)
        names: list[str] = []
        copies: list[tuple[str, str]] = []
        for row in sorted(rows, reverse=True):  # insert from the bottom so indices stay valid
            src = sc.jobs[row]
            jid = numbered_id("J", len(jobs) + 1, {j.id for j in jobs})
            ops = []
            for k, op in enumerate(src.operations):
                suffix = op.id[len(src.id) + 1 :] if op.id.startswith(src.id + ".") else str(k + 1)
                new_op = unique_id(f"{jid}.{suffix}", op_ids)
                op_ids.add(new_op)
                ops.append(replace(op, id=new_op))
            jobs.insert(row + 1, replace(src, id=jid, operations=tuple(ops)))
            names.append(f"{src.id} as {jid}")
            copies.append((src.id, jid))
        label = f"Duplicate job {names[0]}" if len(names) == 1 else f"Duplicate {len(names)} jobs"
        # the copy of the topmost selected row sits right below it
        return Change(replace(sc, jobs=tuple(jobs), setups=_setups_with_copies(sc.setups, copies)), label,
                      min(rows) + 1)

    def remove(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a job to remove")
        gone = {sc.jobs[r].id for r in rows}
        jobs = tuple(j for i, j in enumerate(sc.jobs) if i not in set(rows))
        setups = []
        for s in sc.setups:  # drop the removed jobs' rows and columns from the setup matrices
            keep = [k for k, j in enumerate(s.jobs) if j not in gone]
            if len(keep) == len(s.jobs):
                setups.append(s)
                continue
            matrix = tuple(tuple(s.matrix[a][b] for b in keep) for a in keep) if _square(s) else s.matrix
            setups.append(SetupMatrix(s.machine, tuple(s.jobs[k] for k in keep), matrix))
        ids = [sc.jobs[r].id for r in sorted(rows)]
        label = f"Remove job {ids[0]}" if len(ids) == 1 else f"Remove {len(ids)} jobs"
        ops = frozenset(op.id for r in rows for op in sc.jobs[r].operations)
        return Change(replace(sc, jobs=jobs, setups=tuple(setups)), label, min(rows), task_removals=ops)


def _square(s: SetupMatrix) -> bool:
    n = len(s.jobs)
    return len(s.matrix) == n and all(len(row) == n for row in s.matrix)


class OperationsTable(TableSpec):
    key, title, noun = "operations", "Operations", "operation"
    parent_key = "jobs"
    columns = (
        Column("step", "Step", editable=False, numeric=True),
        Column("id", "Id", tooltip="unique operation id (names the bar in schedules)"),
        Column("name", "Name"),
        Column("modes", "Modes (machine:duration)", stretch=True,
               tooltip="where the operation may run and how long it takes there, e.g. M1:10, M2:12"),
    )

    def _job(self, sc: JobShopScenario, parent: int | None) -> Job | None:
        if parent is None or not 0 <= parent < len(sc.jobs):
            return None
        return sc.jobs[parent]

    def row_count(self, sc: JobShopScenario, parent: int | None) -> int:
        job = self._job(sc, parent)
        return len(job.operations) if job else 0

    def cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str) -> str:
        op = self._job(sc, parent).operations[row]
        if column == "step":
            return str(row + 1)
        if column == "modes":
            return format_modes(op.modes)
        return str(getattr(op, column))

    def _with_ops(self, sc: JobShopScenario, parent: int, ops: Sequence[Operation]) -> JobShopScenario:
        return _with_job(sc, parent, replace(sc.jobs[parent], operations=tuple(ops)))

    def set_cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str, text: str) -> Change:
        job = self._job(sc, parent)
        if job is None:
            raise EditRejected("select a job first")
        op = job.operations[row]
        ops = list(job.operations)
        if column == "id":
            if text.strip() == op.id:
                return Change(sc, "")
            new = _check_new_id(text, "operation", _all_op_ids(sc))
            ops[row] = replace(op, id=new)
            return Change(self._with_ops(sc, parent, ops), f"Rename operation {op.id} to {new}", row,
                          task_renames={op.id: new})
        if column == "name":
            ops[row] = replace(op, name=text)
            return Change(self._with_ops(sc, parent, ops), f"Edit name of operation {op.id}", row)
        if column == "modes":
            ops[row] = replace(op, modes=parse_modes(text, sc))
            return Change(self._with_ops(sc, parent, ops), f"Edit modes of operation {op.id}", row)
        raise EditRejected(f"the {column} of an operation cannot be edited here")

    def add(self, sc: JobShopScenario, parent: int | None, after: int | None) -> Change:
        job = self._job(sc, parent)
        if job is None:
            raise EditRejected("select a job first")
        if not sc.machines:
            raise EditRejected("add a machine first: an operation needs one")
        oid = unique_id(f"{job.id}.{len(job.operations) + 1}", _all_op_ids(sc))
        ops = list(job.operations)
        at = len(ops) if after is None else after + 1
        ops.insert(at, Operation(oid, (Mode(sc.machines[0].id, 10),)))
        return Change(self._with_ops(sc, parent, ops), f"Add operation {oid} to job {job.id}", at)

    def duplicate(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        job = self._job(sc, parent)
        if job is None or not rows:
            raise EditRejected("select an operation to duplicate")
        ops = list(job.operations)
        taken = _all_op_ids(sc)
        names = []
        for row in sorted(rows, reverse=True):
            src = job.operations[row]
            oid = unique_id(src.id, taken)
            taken.add(oid)
            ops.insert(row + 1, replace(src, id=oid))
            names.append(f"{src.id} as {oid}")
        label = f"Duplicate operation {names[0]}" if len(names) == 1 else f"Duplicate {len(names)} operations"
        return Change(self._with_ops(sc, parent, ops), label, min(rows) + 1)

    def remove(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        job = self._job(sc, parent)
        if job is None or not rows:
            raise EditRejected("select an operation to remove")
        ops = [op for k, op in enumerate(job.operations) if k not in set(rows)]
        ids = [job.operations[r].id for r in sorted(rows)]
        label = f"Remove operation {ids[0]}" if len(ids) == 1 else f"Remove {len(ids)} operations of job {job.id}"
        return Change(self._with_ops(sc, parent, ops), label, min(rows), task_removals=frozenset(ids))


class MachinesTable(TableSpec):
    key, title, noun = "machines", "Machines", "machine"
    columns = (
        Column("id", "Id", tooltip="unique machine id; renaming updates operations, setups and schedules"),
        Column("name", "Name", stretch=True),
        Column("capacity", "Capacity", numeric=True),
        Column("windows", "Windows", editable=False, numeric=True, tooltip="unavailability windows"),
    )

    def row_count(self, sc: JobShopScenario, parent: int | None) -> int:
        return len(sc.machines)

    def cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str) -> str:
        m = sc.machines[row]
        if column == "windows":
            return str(len(m.calendar.windows))
        return str(getattr(m, column))

    def set_cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str, text: str) -> Change:
        m = sc.machines[row]
        if column == "id":
            if text.strip() == m.id:
                return Change(sc, "")
            new = _check_new_id(text, "machine", sc.machine_index)
            rn = lambda r: new if r == m.id else r  # noqa: E731
            jobs = tuple(
                replace(j, operations=tuple(
                    replace(op, modes=tuple(Mode(rn(md.resource), md.duration) for md in op.modes))
                    for op in j.operations))
                for j in sc.jobs
            )
            setups = tuple(replace(s, machine=rn(s.machine)) for s in sc.setups)
            sc2 = replace(_with_machine(sc, row, replace(m, id=new)), jobs=jobs, setups=setups)
            return Change(sc2, f"Rename machine {m.id} to {new}", row, resource_renames={m.id: new})
        if column == "name":
            return Change(_with_machine(sc, row, replace(m, name=text)), f"Edit name of machine {m.id}", row)
        if column == "capacity":
            value = parse_int(text, "the capacity", 1)
            return Change(_with_machine(sc, row, replace(m, capacity=value)), f"Edit capacity of machine {m.id}", row)
        raise EditRejected(f"the {column} of a machine cannot be edited here")

    def add(self, sc: JobShopScenario, parent: int | None, after: int | None) -> Change:
        mid = numbered_id("M", len(sc.machines) + 1, sc.machine_index)
        m = Resource(mid, f"Machine {mid[1:]}" if mid[1:].isdigit() else "", calendar=Calendar())
        return Change(replace(sc, machines=sc.machines + (m,)), f"Add machine {mid}", len(sc.machines))

    def duplicate(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a machine to duplicate")
        machines = list(sc.machines)
        names = []
        for row in sorted(rows, reverse=True):
            src = sc.machines[row]
            mid = numbered_id("M", len(machines) + 1, {m.id for m in machines})
            machines.insert(row + 1, replace(src, id=mid, name=f"{src.name} (copy)" if src.name else ""))
            names.append(f"{src.id} as {mid}")
        label = f"Duplicate machine {names[0]}" if len(names) == 1 else f"Duplicate {len(names)} machines"
        return Change(replace(sc, machines=tuple(machines)), label, min(rows) + 1)

    def remove(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a machine to remove")
        gone = [sc.machines[r].id for r in sorted(rows)]
        for mid in gone:
            users = [op.id for j in sc.jobs for op in j.operations if op.mode_on(mid) is not None]
            setups = [s for s in sc.setups if s.machine == mid]
            if users:
                raise EditRejected(
                    f"machine {mid} cannot be removed: {_plural(len(users), 'operation')} use it "
                    f"({_short_list(users)}); change their modes first"
                )
            if setups:
                raise EditRejected(f"machine {mid} cannot be removed: it has a setup matrix")
        machines = tuple(m for i, m in enumerate(sc.machines) if i not in set(rows))
        label = f"Remove machine {gone[0]}" if len(gone) == 1 else f"Remove {len(gone)} machines"
        return Change(replace(sc, machines=machines), label, min(rows))


class WindowsTable(TableSpec):
    """Unavailability windows of every machine, machine by machine."""

    key, title, noun = "windows", "Calendar", "window"
    columns = (
        Column("machine", "Machine", tooltip="the machine that is unavailable; change it to move the window"),
        Column("start", "Start", numeric=True),
        Column("end", "End", numeric=True, tooltip="first time the machine is available again"),
        Column("reason", "Reason", stretch=True),
    )

    @staticmethod
    def slots(sc: JobShopScenario) -> list[tuple[int, int]]:
        """(machine index, window index) of every row."""
        return [(i, k) for i, m in enumerate(sc.machines) for k in range(len(m.calendar.windows))]

    def row_of(self, sc: JobShopScenario, machine: int, window: int) -> int | None:
        try:
            return self.slots(sc).index((machine, window))
        except ValueError:
            return None

    def row_count(self, sc: JobShopScenario, parent: int | None) -> int:
        return sum(len(m.calendar.windows) for m in sc.machines)

    def cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str) -> str:
        i, k = self.slots(sc)[row]
        if column == "machine":
            return sc.machines[i].id
        return str(getattr(sc.machines[i].calendar.windows[k], column))

    @staticmethod
    def _with_windows(sc: JobShopScenario, i: int, windows: Sequence[Window]) -> JobShopScenario:
        m = sc.machines[i]
        return _with_machine(sc, i, replace(m, calendar=replace(m.calendar, windows=tuple(windows))))

    def set_cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str, text: str) -> Change:
        i, k = self.slots(sc)[row]
        m = sc.machines[i]
        windows = list(m.calendar.windows)
        w = windows[k]
        where = f"window {k + 1} of machine {m.id}"
        if column == "machine":
            target = text.strip()
            if target == m.id:
                return Change(sc, "")
            if target not in sc.machine_index:
                raise EditRejected(f"unknown machine '{target}' (machines: {_short_list(list(sc.machine_index), 10)})")
            j = next(n for n, x in enumerate(sc.machines) if x.id == target)
            del windows[k]
            sc2 = self._with_windows(sc, i, windows)
            sc2 = self._with_windows(sc2, j, list(sc2.machines[j].calendar.windows) + [w])
            new_row = self.row_of(sc2, j, len(sc2.machines[j].calendar.windows) - 1)
            return Change(sc2, f"Move {where} to machine {target}", new_row)
        if column == "start":
            value = parse_int(text, "the window start", 0)
            if value >= w.end:
                raise EditRejected(f"the window start {value} must be before its end {w.end}")
            windows[k] = replace(w, start=value)
        elif column == "end":
            value = parse_int(text, "the window end", 0)
            if value <= w.start:
                raise EditRejected(f"the window end {value} must be after its start {w.start}")
            windows[k] = replace(w, end=value)
        elif column == "reason":
            windows[k] = replace(w, reason=text)
        else:
            raise EditRejected(f"the {column} of a window cannot be edited here")
        return Change(self._with_windows(sc, i, windows), f"Edit {column} of {where}", row)

    def add(self, sc: JobShopScenario, parent: int | None, after: int | None) -> Change:
        if not sc.machines:
            raise EditRejected("add a machine first: a window belongs to one")
        slots = self.slots(sc)
        i = slots[after][0] if after is not None and 0 <= after < len(slots) else 0
        m = sc.machines[i]
        start = max((w.end for w in m.calendar.windows), default=0)
        windows = list(m.calendar.windows) + [Window(start, start + 60)]
        sc2 = self._with_windows(sc, i, windows)
        return Change(sc2, f"Add window to machine {m.id}", self.row_of(sc2, i, len(windows) - 1))

    def duplicate(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a window to duplicate")
        slots = self.slots(sc)
        sc2 = sc
        for row in sorted(rows, reverse=True):
            i, k = slots[row]
            windows = list(sc2.machines[i].calendar.windows)
            w = windows[k]
            windows.insert(k + 1, replace(w, start=w.end, end=w.end + (w.end - w.start)))
            sc2 = self._with_windows(sc2, i, windows)
        i, k = slots[min(rows)]
        label = (f"Duplicate window {k + 1} of machine {sc.machines[i].id}" if len(rows) == 1
                 else f"Duplicate {len(rows)} windows")
        return Change(sc2, label, self.row_of(sc2, i, k + 1))

    def remove(self, sc: JobShopScenario, parent: int | None, rows: Sequence[int]) -> Change:
        if not rows:
            raise EditRejected("select a window to remove")
        slots = self.slots(sc)
        gone = {slots[r] for r in rows}
        sc2 = sc
        for i, m in enumerate(sc.machines):
            if any(s[0] == i for s in gone):
                keep = [w for k, w in enumerate(m.calendar.windows) if (i, k) not in gone]
                sc2 = self._with_windows(sc2, i, keep)
        i, k = slots[min(rows)]
        label = (f"Remove window {k + 1} of machine {sc.machines[i].id}" if len(rows) == 1
                 else f"Remove {len(rows)} windows")
        return Change(sc2, label, min(rows))


class JobShopEditorSpec(EditorSpec):
    def __init__(self) -> None:
        self.tables = (JobsTable(), OperationsTable(), MachinesTable(), WindowsTable())

    _JOB_COLUMNS = {"id", "name", "release", "due", "deadline", "weight", "operations"}
    _MACHINE_COLUMNS = {"id", "name", "capacity"}

    def locate(self, sc: JobShopScenario, path: str) -> list[Location]:
        segs = parse_path(path)
        if not segs:
            return []
        (head, i), rest = segs[0], segs[1:]
        nxt = rest[0] if rest else (None, None)
        if head == "jobs":
            if i is None:
                return [Location("jobs")]
            if not 0 <= i < len(sc.jobs):
                return []
            if nxt[0] == "operations" and nxt[1] is not None:
                k = nxt[1]
                if not 0 <= k < len(sc.jobs[i].operations):
                    return []
                col = rest[1][0] if len(rest) > 1 else None
                col = "modes" if col in ("modes", "duration", "resource") else col if col in ("id", "name") else None
                return [Location("jobs", i), Location("operations", k, col)]
            col = nxt[0] if nxt[0] in self._JOB_COLUMNS else None
            return [Location("jobs", i, col)]
        if head == "machines":
            if i is None:
                return [Location("machines")]
            if not 0 <= i < len(sc.machines):
                return []
            if nxt[0] == "calendar":
                # "machines[2].calendar[1]" (validate) or "machines[2].calendar.windows[1]"
                k = nxt[1]
                if k is None and len(rest) > 1 and rest[1][0] == "windows":
                    k = rest[1][1]
                if k is None:
                    return [Location("windows")]
                row = self.table("windows").row_of(sc, i, k)
                return [Location("windows", row)] if row is not None else []
            col = nxt[0] if nxt[0] in self._MACHINE_COLUMNS else None
            return [Location("machines", i, col)]
        return []


#: scenario kind -> the editor spec factory. Other kinds register theirs here.
EDITOR_SPECS: dict[str, Callable[[], EditorSpec]] = {"jobshop": JobShopEditorSpec}


def editor_spec_for(kind: str) -> EditorSpec | None:
    factory = EDITOR_SPECS.get(kind)
    return factory() if factory else None


# =========================================================================== Qt
_ISSUE_BRUSH = QBrush(QColor(255, 205, 205))


class SpecTableModel(QAbstractTableModel):
    """A table of a :class:`TableSpec` over a snapshot of the scenario.

    ``setData`` never changes the scenario: it asks the spec for a
    :class:`Change` and hands it to ``apply`` (the editor pushes the command),
    or emits ``rejected`` with the reason.
    """

    rejected = Signal(str)

    def __init__(self, spec: TableSpec, scenario: Any, apply: Callable[[Change], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._sc = scenario
        self._apply = apply
        self.parent_row: int | None = None
        self._issues: dict[tuple[int, str | None], list[str]] = {}

    @property
    def scenario(self) -> Any:
        return self._sc

    # -- refresh --------------------------------------------------------------
    def refresh(self, scenario: Any, parent_row: int | None = None) -> None:
        """Show ``scenario``; keeps editors and the selection when the shape did not change."""
        same_shape = (parent_row == self.parent_row
                      and self.spec.row_count(scenario, parent_row) == self.rowCount())
        if same_shape:
            self._sc = scenario
            if self.rowCount() and self.columnCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
            return
        self.beginResetModel()
        self._sc, self.parent_row = scenario, parent_row
        self.endResetModel()

    def set_issues(self, issues: dict[tuple[int, str | None], list[str]]) -> None:
        if issues == self._issues:
            return
        self._issues = issues
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole])

    def issues_at(self, row: int, column: str) -> list[str]:
        return self._issues.get((row, column), []) + self._issues.get((row, None), [])

    # -- Qt model -------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.spec.row_count(self._sc, self.parent_row)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.spec.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.spec.columns):
            col = self.spec.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return col.tooltip or None
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        col = self.spec.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.spec.cell(self._sc, self.parent_row, index.row(), col.key)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.issues_at(index.row(), col.key):
            return _ISSUE_BRUSH
        if role == Qt.ItemDataRole.ToolTipRole:
            msgs = self.issues_at(index.row(), col.key)
            return "\n".join(msgs) if msgs else (col.tooltip or None)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.spec.columns[index.column()].editable:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        col = self.spec.columns[index.column()]
        if not col.editable:
            return False
        text = "" if value is None else str(value).strip()
        if text == self.spec.cell(self._sc, self.parent_row, index.row(), col.key):
            return True
        try:
            change = self.spec.set_cell(self._sc, self.parent_row, index.row(), col.key, text)
        except EditRejected as exc:
            self.rejected.emit(str(exc))
            return False
        self._apply(change)
        return True


class _DeleteKeyFilter(QObject):
    """Delete / Backspace on a table (not in a cell editor) removes its selected rows."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                and isinstance(obj, QAbstractItemView) and obj.state() != QAbstractItemView.State.EditingState):
            self._callback()
            return True
        return False


@dataclass
class _Page:
    spec: TableSpec
    widget: QWidget
    view: QTableView
    model: SpecTableModel
    chooser: QComboBox | None = None
    buttons: dict[str, QPushButton] = field(default_factory=dict)


class ScenarioEditor(QWidget):
    """Tabs of tables over the plan's scenario; every edit is one undoable command.

    Signals
    -------
    editRejected(str): an edit was refused; the reason is also shown in the status line.
    editApplied(str): an edit was pushed with this Undo-menu label.
    """

    editRejected = Signal(str)
    editApplied = Signal(str)

    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self._pages: dict[str, _Page] = {}
        self._pending: tuple[str, int | None] | None = None
        self._syncing = False
        self._kind: str | None = None
        self.spec: EditorSpec | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self._build()
        plan.changed.connect(self._on_changed)

    # -- building ---------------------------------------------------------------
    def _build(self) -> None:
        self.tabs.clear()
        for page in self._pages.values():
            page.widget.deleteLater()
        self._pages.clear()
        self._kind = self.plan.scenario.kind
        self.spec = editor_spec_for(self._kind)
        if self.spec is None:
            msg = QLabel(f"There is no editor for {self._kind!r} scenarios yet.")
            msg.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.tabs.addTab(msg, "Scenario")
            return
        for spec in self.spec.tables:
            self._pages[spec.key] = self._build_page(spec)
            self.tabs.addTab(self._pages[spec.key].widget, spec.title)
        self._refresh(initial=True)
        for page in self._pages.values():
            page.view.resizeColumnsToContents()

    def _build_page(self, spec: TableSpec) -> _Page:
        w = QWidget()
        v = QVBoxLayout(w)
        chooser = None
        if spec.parent_key:
            parent_spec = self.spec.table(spec.parent_key)
            row = QHBoxLayout()
            row.addWidget(QLabel(f"{parent_spec.noun.capitalize()}:"))
            chooser = QComboBox()
            chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            chooser.currentIndexChanged.connect(lambda i, k=spec.key: self._on_chooser(k, i))
            row.addWidget(chooser, 1)
            v.addLayout(row)
        view = QTableView()
        model = SpecTableModel(spec, self.plan.scenario, lambda ch, k=spec.key: self.apply_change(k, ch), view)
        model.rejected.connect(self._reject)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        stretch = [c for c, col in enumerate(spec.columns) if col.stretch]
        header.setStretchLastSection(not stretch)
        for c in stretch:
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)
        view.installEventFilter(_DeleteKeyFilter(lambda k=spec.key: self.remove_rows(k), view))
        view.selectionModel().currentRowChanged.connect(lambda cur, prev, k=spec.key: self._on_current_row(k))
        v.addWidget(view, 1)
        buttons = QHBoxLayout()
        page = _Page(spec, w, view, model, chooser)
        for name, text, slot in (("add", "Add", self.add_row), ("duplicate", "Duplicate", self.duplicate_rows),
                                 ("remove", "Remove", self.remove_rows)):
            b = QPushButton(text)
            b.setToolTip(f"{text} {spec.noun}" + (" (Delete)" if name == "remove" else ""))
            b.clicked.connect(lambda _=False, k=spec.key, s=slot: s(k))
            buttons.addWidget(b)
            page.buttons[name] = b
        buttons.addStretch(1)
        v.addLayout(buttons)
        return page

    # -- public API -----------------------------------------------------------------
    def table_keys(self) -> list[str]:
        return list(self._pages)

    def current_table(self) -> str | None:
        w = self.tabs.currentWidget()
        return next((k for k, p in self._pages.items() if p.widget is w), None)

    def show_table(self, key: str) -> None:
        self.tabs.setCurrentWidget(self._pages[key].widget)

    def view(self, key: str) -> QTableView:
        return self._pages[key].view

    def model(self, key: str) -> SpecTableModel:
        return self._pages[key].model

    def chooser(self, key: str) -> QComboBox | None:
        return self._pages[key].chooser

    def current_row(self, key: str) -> int | None:
        idx = self._pages[key].view.currentIndex()
        return idx.row() if idx.isValid() else None

    def selected_rows(self, key: str) -> list[int]:
        view = self._pages[key].view
        rows = sorted({i.row() for i in view.selectionModel().selectedIndexes()})
        if not rows and view.currentIndex().isValid():
            rows = [view.currentIndex().row()]
        return rows

    def select_row(self, key: str, row: int | None, column: str | None = None) -> bool:
        """Make ``row`` of table ``key`` current and selected (None clears); False when out of range."""
        page = self._pages[key]
        view, model = page.view, page.model
        if row is None or not 0 <= row < model.rowCount():
            if row is None:
                view.clearSelection()
            return row is None
        col = 0
        if column is not None:
            col = next((c for c, x in enumerate(page.spec.columns) if x.key == column), 0)
        index = model.index(row, col)
        view.selectionModel().setCurrentIndex(
            index, view.selectionModel().SelectionFlag.ClearAndSelect)
        view.scrollTo(index)
        self._on_current_row(key)
        return True

    def set_parent_row(self, key: str, row: int) -> None:
        """Show the children of ``row`` of the parent table in table ``key`` (e.g. a job's operations)."""
        spec = self._pages[key].spec
        if spec.parent_key:
            self.select_row(spec.parent_key, row)

    def select_path(self, path: str) -> bool:
        """Show the tab and row an issue path points to; True when found."""
        if self.spec is None:
            return False
        locations = self.spec.locate(self.plan.scenario, path)
        if not locations:
            return False
        for loc in locations:
            if loc.table not in self._pages or not self.select_row(loc.table, loc.row, loc.column):
                return False
        self.show_table(locations[-1].table)
        self._pages[locations[-1].table].view.setFocus()
        return True

    def add_row(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        return self._run(key, lambda sc: page.spec.add(sc, page.model.parent_row, self.current_row(key)))

    def duplicate_rows(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        rows = self.selected_rows(key)
        return self._run(key, lambda sc: page.spec.duplicate(sc, page.model.parent_row, rows))

    def remove_rows(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        rows = self.selected_rows(key)
        return self._run(key, lambda sc: page.spec.remove(sc, page.model.parent_row, rows))

    def status_text(self) -> str:
        return self.status.text()

    # -- applying ----------------------------------------------------------------------
    def _run(self, key: str, make: Callable[[Any], Change]) -> bool:
        try:
            change = make(self._pages[key].model.scenario)
        except EditRejected as exc:
            self._reject(str(exc))
            return False
        self.apply_change(key, change)
        return True

    def apply_change(self, key: str, change: Change) -> None:
        """Push ``change`` as one undoable command, then select ``change.row`` in table ``key``."""
        plan = self.plan
        if change.scenario == plan.scenario:
            return
        self._pending = (key, change.row)
        try:
            if (change.resource_renames or change.task_renames or change.task_removals) and plan.doc.schedules:
                schedules = tuple(_rename_in_schedule(s, change.resource_renames, change.task_renames,
                                                      change.task_removals, change.scenario)
                                  for s in plan.doc.schedules)
                plan.apply(replace(plan.doc, scenario=change.scenario, schedules=schedules), change.label)
            else:
                plan.set_scenario(change.scenario, change.label)
        finally:
            self._pending = None
        self._set_status(f"{change.label}.", error=False)
        self.editApplied.emit(change.label)

    def _reject(self, message: str) -> None:
        self._set_status(message[:1].upper() + message[1:], error=True)
        self.editRejected.emit(message)

    def _set_status(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")

    # -- following the document ------------------------------------------------------------
    def _on_changed(self) -> None:
        if self.plan.scenario.kind != self._kind:
            self._build()
            return
        self._refresh()

    def _refresh(self, initial: bool = False) -> None:
        if self.spec is None:
            return
        sc = self.plan.scenario
        pending = self._pending
        self._syncing = True
        try:
            for key, page in self._pages.items():  # spec order: parents before their children
                old = page.view.currentIndex()
                old_row, old_col = (old.row(), old.column()) if old.isValid() else (0, 0)
                parent_row = None
                if page.spec.parent_key:
                    parent_row = self.current_row(page.spec.parent_key)
                    self._fill_chooser(page, sc, parent_row)
                page.model.refresh(sc, parent_row)
                n = page.model.rowCount()
                if pending is not None and pending[0] == key and pending[1] is not None:
                    row, col = pending[1], old_col
                else:
                    row, col = min(old_row, n - 1), old_col
                if 0 <= row < n:
                    index = page.model.index(row, min(col, page.model.columnCount() - 1))
                    if index != page.view.currentIndex() or initial:
                        page.view.selectionModel().setCurrentIndex(
                            index, page.view.selectionModel().SelectionFlag.ClearAndSelect)
                    if pending is not None and pending[0] == key:
                        page.view.scrollTo(index)
        finally:
            self._syncing = False
        self._update_issue_marks()

    def _fill_chooser(self, page: _Page, sc: Any, parent_row: int | None) -> None:
        parent_spec = self.spec.table(page.spec.parent_key)
        labels = [parent_spec.row_label(sc, r) for r in range(parent_spec.row_count(sc, None))]
        chooser = page.chooser
        chooser.blockSignals(True)
        try:
            if [chooser.itemText(i) for i in range(chooser.count())] != labels:
                chooser.clear()
                chooser.addItems(labels)
            chooser.setCurrentIndex(parent_row if parent_row is not None else -1)
        finally:
            chooser.blockSignals(False)

    def _on_current_row(self, key: str) -> None:
        """A parent table's current row changed: its children follow."""
        if self._syncing:
            return
        sc = self.plan.scenario
        for page in self._pages.values():
            if page.spec.parent_key == key:
                row = self.current_row(key)
                self._fill_chooser(page, sc, row)
                if row != page.model.parent_row:
                    page.model.refresh(sc, row)
                    page.view.resizeColumnsToContents()
                    if page.model.rowCount():
                        page.view.selectionModel().setCurrentIndex(
                            page.model.index(0, 0), page.view.selectionModel().SelectionFlag.ClearAndSelect)
                self._update_issue_marks()

    def _on_chooser(self, key: str, index: int) -> None:
        parent_key = self._pages[key].spec.parent_key
        if index >= 0 and parent_key:
            self.select_row(parent_key, index)

    def _update_issue_marks(self) -> None:
        """Tint the cells validation complains about; their tooltip says why."""
        try:
            issues = self.plan.issues()
        except Exception:  # a kind without a validator: no marks
            issues = []
        sc = self.plan.scenario
        marks: dict[str, dict[tuple[int | None, int, str | None], list[str]]] = {k: {} for k in self._pages}
        for issue in issues:
            chain = self.spec.locate(sc, issue.path)
            if not chain or chain[-1].row is None or chain[-1].table not in marks:
                continue
            last = chain[-1]
            parent = chain[-2].row if len(chain) > 1 else None
            marks[last.table].setdefault((parent, last.row, last.column), []).append(issue.message)
        for key, page in self._pages.items():
            mine = {(r, c): m for (p, r, c), m in marks[key].items()
                    if not page.spec.parent_key or p == page.model.parent_row}
            page.model.set_issues(mine)


def _rename_in_schedule(s: Schedule, resources: Mapping[str, str], tasks: Mapping[str, str],
                        removed: frozenset[str] = frozenset(), scenario: Any = None) -> Schedule:
    """``s`` with resources and tasks renamed (pins follow their task) and the ``removed`` tasks'
    bars and pins dropped (a job shop's setup bars are then laid again for the new neighbours)."""
    from opsplan.models.jobshop import edit

    assignments = tuple(
        replace(a, resource=resources.get(a.resource, a.resource), task=tasks.get(a.task, a.task))
        for a in s.assignments if a.task not in removed
    )
    out = replace(s, assignments=assignments)
    pins = edit.pinned_tasks(s)
    if (tasks and pins & set(tasks)) or pins & removed:
        out = edit.with_pins(out, {tasks.get(t, t) for t in pins if t not in removed})
    if removed and isinstance(scenario, JobShopScenario):
        out = edit.rebuild(scenario, out, out.work())
    trace = trace_of(out) if tasks or resources else []
    if trace:  # a policy's decision replay follows the names
        out = with_trace(out, [(tasks.get(op, op), resources.get(m, m), start) for op, m, start in trace])
    return out


def _setups_with_copies(setups: Sequence[SetupMatrix], copies: Sequence[tuple[str, str]]) -> tuple:
    """The setup matrices with each ``(source, copy)`` job added as a copy of the source's row and column
    (between the copy and its source: the source's own setup, the same product)."""
    out = []
    for m in setups:
        ids = list(m.jobs)
        add = [(src, new) for src, new in copies if src in ids]
        if not add or not _square(m):
            out.append(m)
            continue
        of = {j: k for k, j in enumerate(ids)}  # each id's source row in the old matrix
        for src, new in add:
            ids.append(new)
            of[new] = of[src]
        matrix = tuple(tuple(m.matrix[of[a]][of[b]] for b in ids) for a in ids)
        out.append(SetupMatrix(m.machine, tuple(ids), matrix))
    return tuple(out)


__all__ = [
    "EDITOR_SPECS",
    "Change",
    "Column",
    "EditRejected",
    "EditorSpec",
    "JobShopEditorSpec",
    "Location",
    "ScenarioEditor",
    "SpecTableModel",
    "TableSpec",
    "editor_spec_for",
]
