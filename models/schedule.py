"""The one schedule type shared by every scenario kind, view, KPI, exporter and the checker."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from opsplan.models.core import Capacity

# the extras every kind may use, read and written through Schedule's typed helpers
PINNED = "pinned"
ROUTES = "routes"
PLACEMENT = "placement"
REPLANNED_AT = "replanned_at"


class Category(enum.StrEnum):
    """What a timed assignment represents."""

    WORK = "work"
    SETUP = "setup"
    TRAVEL = "travel"
    MIGRATION = "migration"
    DOWNTIME = "downtime"


@dataclass(frozen=True, slots=True)
class Assignment:
    """A task on a resource over ``[start, end)``.

    ``amount`` is how much of the resource's capacity the task holds meanwhile: 1 on a
    unary resource, a count on a cumulative one (bandwidth, a crew of 3), a
    :class:`~opsplan.models.core.Vector` on a multi-dimensional one (cpu, memory).
    """

    task: str
    resource: str
    start: int
    end: int
    category: Category = Category.WORK
    amount: Capacity = 1

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Schedule:
    """An immutable list of timed assignments plus optional per-kind extras.

    ``extras`` holds what a kind needs on top (a vehicle's route order, a pod's
    node) as plain JSON-compatible data, stored as a tuple of key/value pairs so
    the schedule stays hashable.
    """

    assignments: tuple[Assignment, ...] = ()
    name: str = ""
    extras: tuple[tuple[str, object], ...] = field(default=())

    @classmethod
    def of(cls, assignments: Iterable[Assignment], name: str = "") -> Schedule:
        return cls(tuple(assignments), name)

    def __iter__(self) -> Iterator[Assignment]:
        return iter(self.assignments)

    def __len__(self) -> int:
        return len(self.assignments)

    def work(self) -> tuple[Assignment, ...]:
        """Only the assignments of category work."""
        return tuple(a for a in self.assignments if a.category == Category.WORK)

    def by_task(self) -> dict[str, Assignment]:
        """Work assignments keyed by task id (last one wins on duplicates)."""
        return {a.task: a for a in self.work()}

    def by_resource(self) -> dict[str, list[Assignment]]:
        """Work assignments grouped per resource, sorted by start."""
        out: dict[str, list[Assignment]] = {}
        for a in self.work():
            out.setdefault(a.resource, []).append(a)
        for lst in out.values():
            lst.sort(key=lambda a: (a.start, a.end))
        return out

    @property
    def makespan(self) -> int:
        return max((a.end for a in self.assignments), default=0)

    def renamed(self, name: str) -> Schedule:
        return replace(self, name=name)

    def extra(self, key: str, default: object = None) -> object:
        for k, v in self.extras:
            if k == key:
                return v
        return default

    def with_extra(self, key: str, value: object) -> Schedule:
        """A copy whose extra ``key`` is ``value`` (removed when ``value`` is None or empty)."""
        extras = tuple((k, v) for k, v in self.extras if k != key)
        if value is not None and value != () and value != {}:
            extras = extras + ((key, value),)
        return replace(self, extras=extras)

    # -- typed views of the extras every kind may use -----------------------------------
    @property
    def pinned(self) -> frozenset[str]:
        """Task ids pinned in this schedule (kept by solvers, shown with a pin)."""
        return frozenset(self.extra(PINNED, ()) or ())

    def with_pins(self, tasks: Iterable[str]) -> Schedule:
        """A copy whose pinned set is exactly ``tasks`` (sorted, for stable files)."""
        return self.with_extra(PINNED, tuple(sorted(set(tasks))))

    def pinned_assignments(self) -> tuple[Assignment, ...]:
        """The work assignments of the pinned tasks (what a solver must keep)."""
        pins = self.pinned
        return tuple(a for a in self.work() if a.task in pins)

    @property
    def routes(self) -> dict[str, tuple[str, ...]]:
        """Resource id -> the tasks it serves in order (a vehicle's route), when the kind keeps one."""
        return {str(k): tuple(v) for k, v in dict(self.extra(ROUTES, {}) or {}).items()}

    def with_routes(self, routes: dict[str, Iterable[str]]) -> Schedule:
        return self.with_extra(ROUTES, {k: tuple(v) for k, v in routes.items()})

    @property
    def placement(self) -> dict[str, str]:
        """Task id -> resource id for kinds that place rather than time (a pod's node)."""
        return {str(k): str(v) for k, v in dict(self.extra(PLACEMENT, {}) or {}).items()}

    def with_placement(self, placement: dict[str, str]) -> Schedule:
        return self.with_extra(PLACEMENT, dict(placement))

    @property
    def replanned_at(self) -> int | None:
        """The cut time of a re-plan after a disruption (what started before it was kept), or None.

        Kept in the extras so that the board still marks it after the file is saved and reopened.
        """
        t = self.extra(REPLANNED_AT)
        return int(t) if isinstance(t, int | float) and not isinstance(t, bool) else None

    def with_replanned_at(self, t: int | None) -> Schedule:
        """A copy that says it was re-planned from time ``t`` (None: not a re-plan)."""
        return self.with_extra(REPLANNED_AT, None if t is None else int(t))


def schedule_diff(old: Schedule, new: Schedule, tolerance: int = 0) -> dict[str, str]:
    """Tasks whose work differs from ``old`` to ``new``, for any scenario kind.

    ``"reassigned"`` (other resource), ``"moved"`` (start shifted by more than
    ``tolerance``), ``"added"`` or ``"removed"``.
    """
    wa, wb = old.by_task(), new.by_task()
    out: dict[str, str] = {}
    for t, x in wb.items():
        y = wa.get(t)
        if y is None:
            out[t] = "added"
        elif y.resource != x.resource:
            out[t] = "reassigned"
        elif abs(y.start - x.start) > tolerance:
            out[t] = "moved"
    for t in wa.keys() - wb.keys():
        out[t] = "removed"
    return out


def count_changes(old: Schedule, new: Schedule, tolerance: int = 0) -> int:
    """How many tasks changed from ``old`` to ``new`` (moved, reassigned, added or removed);
    the quantity a change budget bounds."""
    return len(schedule_diff(old, new, tolerance))
