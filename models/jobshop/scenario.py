"""The job-shop scenario: jobs of operations in route order, each with one or more modes.

Classic, flexible and single-machine shops are special cases. All data is frozen;
edits make new objects (``dataclasses.replace``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

from opsplan.models.core import MAX_TIME, Resource, TimeUnit

KIND = "jobshop"


class Objective(enum.StrEnum):
    """What a job-shop schedule is judged by."""

    MAKESPAN = "makespan"
    TOTAL_WEIGHTED_TARDINESS = "total_weighted_tardiness"
    MAX_LATENESS = "max_lateness"


@dataclass(frozen=True, slots=True)
class Mode:
    """One way to run an operation: on ``resource`` for ``duration`` time units."""

    resource: str
    duration: int


@dataclass(frozen=True, slots=True)
class Operation:
    """A step of a job. ``id`` is unique in the whole scenario (it names the task in schedules)."""

    id: str
    modes: tuple[Mode, ...]
    name: str = ""

    def mode_on(self, resource: str) -> Mode | None:
        """The mode that runs on ``resource``, or None when the operation may not use it."""
        for m in self.modes:
            if m.resource == resource:
                return m
        return None

    @property
    def min_duration(self) -> int:
        return min((m.duration for m in self.modes), default=0)


@dataclass(frozen=True, slots=True)
class Job:
    """A job: operations in route order, a release date, an optional due date and a weight.

    ``due`` is soft (it only enters the objective); ``deadline`` is hard: the job's
    last operation must end by it (the checker reports ``deadline_missed``).
    """

    id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    name: str = ""
    deadline: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class SetupMatrix:
    """Sequence-dependent setup times on one machine.

    ``matrix[i][j]`` is the setup needed on ``machine`` between an operation of
    job ``jobs[i]`` and a following operation of job ``jobs[j]``. Jobs not listed
    need no setup.
    """

    machine: str
    jobs: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {j: i for i, j in enumerate(self.jobs)}

    def time(self, from_job: str, to_job: str) -> int:
        idx = self._index
        i, j = idx.get(from_job), idx.get(to_job)
        if i is None or j is None:
            return 0
        return self.matrix[i][j]


@dataclass(frozen=True)
class JobShopScenario:
    """A job-shop scenario document (validated separately by :func:`validate`)."""

    name: str
    machines: tuple[Resource, ...]
    jobs: tuple[Job, ...]
    objective: Objective = Objective.MAKESPAN
    setups: tuple[SetupMatrix, ...] = ()
    time_unit: TimeUnit = TimeUnit.MINUTE
    epoch: str | None = None
    description: str = ""
    kind: str = field(default=KIND, init=False)

    # -- derived lookups (cached; the object is immutable) -----------------
    @cached_property
    def machine_index(self) -> dict[str, Resource]:
        return {m.id: m for m in self.machines}

    @cached_property
    def job_index(self) -> dict[str, Job]:
        return {j.id: j for j in self.jobs}

    @cached_property
    def operation_index(self) -> dict[str, tuple[Job, int, Operation]]:
        """operation id -> (job, position in route, operation)."""
        out: dict[str, tuple[Job, int, Operation]] = {}
        for job in self.jobs:
            for k, op in enumerate(job.operations):
                out.setdefault(op.id, (job, k, op))
        return out

    @cached_property
    def setup_index(self) -> dict[str, SetupMatrix]:
        return {s.machine: s for s in self.setups}

    def setup_time(self, machine: str, from_job: str, to_job: str) -> int:
        """Setup needed on ``machine`` when ``to_job`` follows ``from_job`` (0 if none given)."""
        s = self.setup_index.get(machine)
        return 0 if s is None else s.time(from_job, to_job)

    @property
    def has_setups(self) -> bool:
        return any(any(any(v for v in row) for row in s.matrix) for s in self.setups)

    @property
    def is_flexible(self) -> bool:
        return any(len(op.modes) > 1 for job in self.jobs for op in job.operations)

    @property
    def n_operations(self) -> int:
        return sum(len(j.operations) for j in self.jobs)

    def horizon(self, after: int = 0) -> int:
        """A safe upper bound on any sensible schedule's makespan, with ``after`` added (room for
        pins and earliest starts that push work later); never past :data:`MAX_TIME`, the largest
        time a document holds, since no plan may end later."""
        # A serial schedule started after every release and every calendar window
        # is always feasible, so its length bounds any sensible plan.
        total = sum(max((m.duration for m in op.modes), default=0) for j in self.jobs for op in j.operations)
        for s in self.setups:  # at most one setup before each operation that may use the machine
            uses = sum(1 for j in self.jobs for op in j.operations if any(m.resource == s.machine for m in op.modes))
            total += uses * max((max(row, default=0) for row in s.matrix), default=0)
        start = max((j.release for j in self.jobs), default=0)
        for m in self.machines:
            for w in m.calendar.windows:
                start = max(start, w.end)
        return min(MAX_TIME, start + total + after)
