"""The open plan: one immutable :class:`Document` swapped by undoable commands.

Views never change the document directly. Every edit builds a new immutable
document and pushes a :class:`SnapshotCommand` on the undo stack; undo/redo
swap the snapshots back, and every view follows the ``changed`` signal.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from opsplan.app.gui.adapters import KindAdapter
from opsplan.app.gui.kinds import adapter_for
from opsplan.app.gui.timeaxis import Clock
from opsplan.models import validate
from opsplan.models.core import Violation
from opsplan.models.io import document as io
from opsplan.models.schedule import Schedule
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack


class SnapshotCommand(QUndoCommand):
    """Swap the whole document (and the current schedule name) between two snapshots."""

    def __init__(self, plan: PlanDocument, before: tuple, after: tuple, label: str,
                 renamed: tuple[str, str] | None = None) -> None:
        super().__init__(label)
        self._plan, self._before, self._after, self._renamed = plan, before, after, renamed

    def redo(self) -> None:
        self._plan._restore(self._after, self._renamed)

    def undo(self) -> None:
        self._plan._restore(self._before, self._renamed[::-1] if self._renamed else None)


class PlanDocument(QObject):
    """The scenario, its named schedules, the current schedule and the selection.

    Signals
    -------
    changed: the document (scenario or schedules) was replaced.
    currentChanged(str): another schedule became current.
    selectionChanged(list): the selected task ids.
    pathChanged(str): saved under or opened from another file.
    dirtyChanged(bool): unsaved changes appeared or were saved.
    conflictsChanged: a solve named (or cleared) conflicting constraints of the scenario.
    scheduleRenamed(str, str): a schedule got another name (old, new), by a rename or its
    undo; emitted before ``changed`` so views can follow the name.
    """

    changed = Signal()
    currentChanged = Signal(str)
    selectionChanged = Signal(list)
    pathChanged = Signal(str)
    dirtyChanged = Signal(bool)
    conflictsChanged = Signal()
    scheduleRenamed = Signal(str, str)

    def __init__(self, doc: io.Document, path: str | Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = doc
        self._current = doc.schedules[-1].name if doc.schedules else ""
        self._path = Path(path) if path else None
        self._selection: list[str] = []
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._cache: dict[str, Any] = {}
        self._conflicts: tuple[Any, tuple, frozenset | None] = (None, (), None)

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    # -- state ---------------------------------------------------------------
    @property
    def doc(self) -> io.Document:
        return self._doc

    @property
    def scenario(self) -> Any:
        return self._doc.scenario

    @property
    def adapter(self) -> KindAdapter:
        return adapter_for(self._doc.kind)

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        return self._doc.schedules

    @property
    def current_name(self) -> str:
        return self._current

    @property
    def schedule(self) -> Schedule | None:
        """The current schedule, or None when the document has none."""
        return self._doc.schedule(self._current) if self._current else None

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    def _memo(self, what: str, schedule: Schedule | None, compute):
        """``compute()`` once per (scenario, schedule) object pair.

        The entry keeps the objects it is keyed on alive, so their ids cannot be
        reused by a later object while the entry exists.
        """
        key = (what, id(self._doc.scenario), id(schedule))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (self._doc.scenario, schedule, compute())
        return hit[2]

    def issues(self) -> list:
        """``validate()`` of the scenario (cached per document)."""
        return self._memo("issues", None, lambda: validate(self._doc.scenario))

    def violations(self, schedule: Schedule | None = None) -> list:
        """The checker's violations of ``schedule`` (default: the current one)."""
        schedule = schedule if schedule is not None else self.schedule
        if schedule is None:
            return []

        def compute() -> list:
            try:
                return self.adapter.check(self._doc.scenario, schedule)
            except Exception as exc:  # a scenario mid-edit may not be checkable; say so instead of crashing
                return [Violation("unchecked", f"cannot check: {exc}")]

        return self._memo("violations", schedule, compute)

    def kpis(self, schedule: Schedule | None = None) -> dict[str, Any]:
        schedule = schedule if schedule is not None else self.schedule
        if schedule is None:
            return {}

        def compute() -> dict[str, Any]:
            try:
                return self.adapter.kpis(self._doc.scenario, schedule)
            except Exception:
                return {}

        return self._memo("kpis", schedule, compute)

    @property
    def conflicts(self) -> tuple:
        """The conflicting constraints the last infeasible solve named, while they still hold.

        They hold while the scenario is unchanged and, for a solve that kept
        pinned tasks, while the current schedule pins the same tasks
        at the same places: after Unpin, or with another plan current, the
        explanation no longer describes the plan (undo brings it back).
        """
        scenario, conflicts, pins = self._conflicts
        if scenario is not self._doc.scenario:
            return ()
        if pins is not None and self._pin_key(self.schedule) != pins:
            return ()
        return conflicts

    def set_conflicts(self, conflicts: tuple, scenario: Any = None, pinned: Any = None) -> None:
        """Remember ``conflicts`` of ``scenario`` (default: the current one); an edit makes them stale.

        ``pinned``: the pinned assignments the solve had to keep (None or empty:
        it kept none and the conflicts concern the scenario alone). The
        conflicts are shown only while the current schedule pins exactly these.
        """
        scenario = self._doc.scenario if scenario is None else scenario
        pins = frozenset(self._pin_of(a) for a in pinned) if pinned else None
        entry = (scenario, tuple(conflicts), pins)
        if entry[1:] == self._conflicts[1:] and scenario is self._conflicts[0]:
            return
        self._conflicts = entry
        self.conflictsChanged.emit()

    @staticmethod
    def _pin_of(a: Any) -> tuple:
        return (a.task, a.resource, a.start, a.end)

    def _pin_key(self, schedule: Schedule | None) -> frozenset:
        """What ``schedule`` pins, and where (comparable with the key :meth:`set_conflicts` stores)."""
        if schedule is None:
            return frozenset()
        return self._memo("pins", schedule,
                          lambda: frozenset(self._pin_of(a) for a in schedule.pinned_assignments()))

    def pinned(self) -> frozenset[str]:
        s = self.schedule
        return s.pinned if s is not None else frozenset()

    # -- non-undoable view state --------------------------------------------------
    def set_current(self, name: str) -> None:
        if name != self._current and self._doc.schedule(name) is not None:
            self._current = name
            self.currentChanged.emit(name)

    def select(self, tasks: list[str]) -> None:
        tasks = list(tasks)
        if tasks != self._selection:
            self._selection = tasks
            self.selectionChanged.emit(tasks)

    # -- undoable edits --------------------------------------------------------------
    def _snapshot(self) -> tuple:
        return (self._doc, self._current)

    def _restore(self, snap: tuple, renamed: tuple[str, str] | None = None) -> None:
        doc, current = snap
        old_current = self._current
        self._doc, self._current = doc, current
        if len(self._cache) > 64:
            self._cache.clear()
        if renamed is not None:
            self.scheduleRenamed.emit(*renamed)
        self.changed.emit()
        if current != old_current:
            self.currentChanged.emit(current)

    def apply(self, doc: io.Document, label: str, current: str | None = None,
              renamed: tuple[str, str] | None = None) -> None:
        """Make ``doc`` the document through one undoable command called ``label``."""
        after = (doc, self._current if current is None else current)
        if after[1] == self._current and (after[0] is self._doc or after[0] == self._doc):
            return  # nothing changes (pin a pinned bar, compact a compact plan): no undo step, not unsaved
        self.undo_stack.push(SnapshotCommand(self, self._snapshot(), after, label, renamed))

    def replace_schedule(self, schedule: Schedule, label: str) -> None:
        """Replace the current schedule by ``schedule`` (same name) as one command."""
        schedule = schedule.renamed(self._current) if self._current else schedule
        self.apply(self._doc.with_schedule(schedule), label, current=schedule.name)

    def set_scenario(self, scenario: Any, label: str) -> None:
        self.apply(replace(self._doc, scenario=scenario), label)

    def unique_name(self, base: str) -> str:
        return self._doc.unique_name(base)

    def add_schedule(self, schedule: Schedule, label: str | None = None, make_current: bool = True) -> str:
        """Add ``schedule`` under a unique name (undoable); returns the name used."""
        name = self.unique_name(schedule.name or "plan")
        schedule = schedule.renamed(name)
        self.apply(self._doc.with_schedule(schedule), label or f"Add schedule {name}",
                   current=name if make_current else None)
        return name

    def remove_schedule(self, name: str) -> None:
        doc = self._doc.without_schedule(name)
        current = self._current if self._current != name else (doc.schedules[-1].name if doc.schedules else "")
        self.apply(doc, f"Delete schedule {name}", current=current)

    def rename_schedule(self, old: str, new: str) -> None:
        s = self._doc.schedule(old)
        if s is None or not new or new == old:
            return
        new = self.unique_name(new)
        schedules = tuple(x.renamed(new) if x.name == old else x for x in self._doc.schedules)
        self.apply(replace(self._doc, schedules=schedules), f"Rename schedule {old} to {new}",
                   current=new if self._current == old else None, renamed=(old, new))

    def move_task(self, task: str, start: int, lane: str | None = None) -> None:
        s = self.schedule
        if s is None:
            return
        new = self.adapter.move(self.scenario, s, task, start, lane)
        where = ""
        if lane and lane != s.by_task()[task].resource:  # named as the board shows it
            where = " on " + next((ln.label for ln in self.adapter.lanes(self.scenario) if ln.id == lane), lane)
        self.replace_schedule(new, f"Move {task} to {Clock.of(self.scenario).time(start)}{where}")

    def set_pinned(self, tasks: list[str], pinned: bool) -> None:
        s = self.schedule
        if s is None or not tasks:
            return
        pins = set(s.pinned)
        pins = pins | set(tasks) if pinned else pins - set(tasks)
        what = tasks[0] if len(tasks) == 1 else f"{len(tasks)} {self.adapter.task_word}s"
        self.replace_schedule(s.with_pins(pins), f"{'Pin' if pinned else 'Unpin'} {what}")

    def compact(self) -> None:
        s = self.schedule
        if s is None:
            return
        self.replace_schedule(self.adapter.compact(self.scenario, s), "Compact")

    # -- files ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, parent: QObject | None = None, *, validate: bool = True) -> PlanDocument:
        """The document in ``path``; ``validate=False`` opens one whose scenario has problems
        (they are listed by :meth:`issues`)."""
        return cls(io.load(path, validate=validate), path, parent)

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path else self._path
        if target is None:
            raise ValueError("no file name to save to")
        written = io.save(self._doc, target)
        if target != self._path:
            self._path = target
            self.pathChanged.emit(str(target))
        self.undo_stack.setClean()
        return written
