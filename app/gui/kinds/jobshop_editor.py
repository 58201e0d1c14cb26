"""The job-shop scenario editor: tables of jobs, their operations, machines and calendars.

A plain-Python :class:`~opsplan.app.gui.editor_spec.EditorSpec` (no Qt), shown by the
generic :class:`~opsplan.app.gui.editor.ScenarioEditor` and registered through the
job-shop GUI bundle (:mod:`opsplan.app.gui.kinds.jobshop`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from opsplan.app.gui.editor_spec import (
    INSTANT,
    SPAN,
    Change,
    Column,
    EditorSpec,
    EditRejected,
    Location,
    TableSpec,
    choice_id,
    numbered_id,
    parse_int,
    parse_path,
    plural,
    short_list,
    unique_id,
)
from opsplan.app.gui.timeaxis import Clock
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation, SetupMatrix


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


def _duration(text: str, what: str, sc: JobShopScenario) -> int:
    """A mode's duration: whole units ('15') or a duration in the scenario's unit ('1h30', '45 min')."""
    try:
        units = Clock.of(sc).parse_span(text, what, minimum=None)
    except ValueError as exc:
        raise EditRejected(str(exc)) from None
    return parse_int(str(units), what, 0)  # the range checks and their messages


def machine_choices(sc: JobShopScenario) -> list[tuple[str, str]]:
    """The machines a cell may name, ``(id, name)``: what the editor's pickers list."""
    return [(m.id, m.name) for m in sc.machines]


def machine_id(text: str, sc: JobShopScenario) -> str:
    """The id of the machine ``text`` names: its id, or its name (when no other machine has it)."""
    mid = choice_id(text, machine_choices(sc))
    if mid is not None:
        return mid
    t = text.strip()
    same = [m.id for m in sc.machines if m.name and m.name.casefold() == t.casefold()]
    if same:
        raise EditRejected(f"'{t}' names {len(same)} machines ({short_list(same)}): write the id")
    names = [f"{m.id} ({m.name})" if m.name else m.id for m in sc.machines]
    raise EditRejected(f"unknown machine '{t}' (machines: {short_list(names, 10)})")


def parse_modes(text: str, sc: JobShopScenario) -> tuple[Mode, ...]:
    """``"M1:10, M2:12"`` -> modes, checked against the scenario's machines (named by id or name)."""
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
        machine = machine_id(machine, sc)
        if machine in seen:
            raise EditRejected(f"machine '{machine}' appears in two modes")
        seen.add(machine)
        modes.append(Mode(machine, _duration(duration, f"the duration on {machine}", sc)))
    return tuple(modes)


class JobsTable(TableSpec):
    key, title, noun = "jobs", "Jobs", "job"
    columns = (
        Column("id", "Id", tooltip="unique job id; renaming updates the setup matrices"),
        Column("name", "Name", stretch=True),
        Column("release", "Release", numeric=True, tooltip="earliest start of the first operation", time=INSTANT),
        Column("due", "Due", numeric=True, tooltip="due date; empty for none", time=INSTANT),
        Column("deadline", "Deadline", numeric=True, tooltip="hard deadline (must end by it); empty for none",
               time=INSTANT),
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
        Column("modes", "Modes (machine:duration)", stretch=True, choices=machine_choices, amounts=True,
               tooltip="where the operation may run and how long it takes there, e.g. M1:10, M2:12 "
                       "(in the scenario's time unit, or a duration such as M1:1h30)"),
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

    def row_label(self, sc: JobShopScenario, row: int) -> str:
        m = sc.machines[row]
        return f"{m.id} — {m.name}" if m.name else m.id

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
                    f"machine {mid} cannot be removed: {plural(len(users), 'operation')} use it "
                    f"({short_list(users)}); change their modes first"
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
        Column("machine", "Machine", tooltip="the machine that is unavailable; change it to move the window",
               choices=machine_choices),
        Column("start", "Start", numeric=True, time=INSTANT),
        Column("end", "End", numeric=True, tooltip="first time the machine is available again", time=INSTANT),
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

    def describe_row(self, sc: JobShopScenario, parent: int | None, row: int) -> str:
        i, k = self.slots(sc)[row]
        return f"{MachinesTable().describe_row(sc, None, i)} · calendar window {k + 1}"

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
            target = machine_id(text, sc)
            if target == m.id:
                return Change(sc, "")
            j = next(n for n, x in enumerate(sc.machines) if x.id == target)
            del windows[k]
            sc2 = self._with_windows(sc, i, windows)
            sc2 = self._with_windows(sc2, j, list(sc2.machines[j].calendar.windows) + [w])
            new_row = self.row_of(sc2, j, len(sc2.machines[j].calendar.windows) - 1)
            return Change(sc2, f"Move {where} to machine {target}", new_row)
        if column == "start":
            value = parse_int(text, "the window start", 0)
            if value >= w.end:
                clock = Clock.of(sc)
                raise EditRejected(f"the window start {clock.time(value)} must be before its end {clock.time(w.end)}")
            windows[k] = replace(w, start=value)
        elif column == "end":
            value = parse_int(text, "the window end", 0)
            if value <= w.start:
                clock = Clock.of(sc)
                raise EditRejected(f"the window end {clock.time(value)} must be after its start {clock.time(w.start)}")
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


class SetupsTable(TableSpec):
    """Sequence-dependent setup times on the machine chosen above: a row per job the machine may run
    (or its matrix lists), a column per job that follows it; a missing entry is no setup (0)."""

    key, title, noun = "setups", "Setup times", "setup time"
    parent_key = "machines"
    actions = ()  # the rows are the machine's jobs: they come and go with the jobs and their modes
    FROM = "from"

    @staticmethod
    def jobs(sc: JobShopScenario, parent: int | None) -> list[str]:
        """The jobs of machine ``parent``'s matrix: those listed in it and those that may run on it."""
        if parent is None or not 0 <= parent < len(sc.machines):
            return []
        mid = sc.machines[parent].id
        listed = set(sc.setup_index[mid].jobs) if mid in sc.setup_index else set()
        return [j.id for j in sc.jobs if j.id in listed or any(op.mode_on(mid) for op in j.operations)]

    def columns_for(self, sc: JobShopScenario, parent: int | None) -> tuple[Column, ...]:
        head = Column(self.FROM, "Setup after ↓ before →", editable=False,
                      tooltip="the job that ran last on the machine (rows) and the job that follows (columns)")
        return (head, *(Column(f"to:{jid}", jid, numeric=True, time=SPAN,
                               tooltip=f"setup before an operation of {jid}, after one of the row's job")
                        for jid in self.jobs(sc, parent)))

    def row_count(self, sc: JobShopScenario, parent: int | None) -> int:
        return len(self.jobs(sc, parent))

    def cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str) -> str:
        src = self.jobs(sc, parent)[row]
        if column == self.FROM:
            return src
        return str(sc.setup_time(sc.machines[parent].id, src, column.removeprefix("to:")))

    def set_cell(self, sc: JobShopScenario, parent: int | None, row: int, column: str, text: str) -> Change:
        if parent is None or not column.startswith("to:"):
            raise EditRejected("choose a machine and a cell of its setup matrix")
        mid, src, dst = sc.machines[parent].id, self.jobs(sc, parent)[row], column.removeprefix("to:")
        value = parse_int(text or "0", f"the setup from {src} to {dst}", 0)
        old = sc.setup_index.get(mid)
        if old is not None and not _square(old):
            raise EditRejected(f"the setup matrix of machine {mid} is not square: fix it in the file first")
        ids = list(old.jobs) if old is not None else []
        rows = [list(r) for r in old.matrix] if old is not None else []
        for jid in (src, dst):  # a job the matrix does not list yet gets a row and a column of zeros
            if jid not in ids:
                ids.append(jid)
                for r in rows:
                    r.append(0)
                rows.append([0] * len(ids))
        rows[ids.index(src)][ids.index(dst)] = value
        new = SetupMatrix(mid, tuple(ids), tuple(tuple(r) for r in rows))
        setups = tuple(new if s.machine == mid else s for s in sc.setups) if old is not None else (*sc.setups, new)
        return Change(replace(sc, setups=setups), f"Edit setup {src} → {dst} on machine {mid}", row)


class JobShopEditorSpec(EditorSpec):
    def __init__(self) -> None:
        self.tables = (JobsTable(), OperationsTable(), MachinesTable(), WindowsTable(), SetupsTable())

    path_words = MappingProxyType({"calendar": "calendar window", "matrix": "setup matrix"})
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
        if head == "setups" and i is not None and 0 <= i < len(sc.setups):
            m = next((k for k, x in enumerate(sc.machines) if x.id == sc.setups[i].machine), None)
            return [] if m is None else [Location("machines", m), Location("setups")]
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
    "ID_SEPARATORS",
    "JobShopEditorSpec",
    "JobsTable",
    "MachinesTable",
    "OperationsTable",
    "SetupsTable",
    "WindowsTable",
    "format_modes",
    "machine_choices",
    "machine_id",
    "parse_modes",
]
