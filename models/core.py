"""Kind-independent domain vocabulary: time, calendars, resources, issues, violations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# The largest time, duration, weight or setup a scenario may hold (2^31 - 1: 68 years in
# seconds). Solvers add and multiply these; far larger values overflow their integers.
MAX_TIME = 2**31 - 1


def first_free(base: str, taken, template: str = "{base} ({k})") -> str:  # noqa: ANN001 - a set or mapping
    """``base`` if it is not in ``taken``, else the first ``template`` with k = 2, 3, ... that is not."""
    if base not in taken:
        return base
    k = 2
    while template.format(base=base, k=k) in taken:
        k += 1
    return template.format(base=base, k=k)


class TimeUnit(enum.StrEnum):
    """The unit of the integer time axis of a scenario."""

    SECOND = "s"
    MINUTE = "min"
    HOUR = "h"

    @property
    def seconds(self) -> int:
        return {"s": 1, "min": 60, "h": 3600}[self.value]


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open unavailability interval ``[start, end)`` on the integer time axis."""

    start: int
    end: int
    reason: str = ""

    def overlaps(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` shares time with this window (empty spans never do)."""
        return start < self.end and self.start < end and start < end


@dataclass(frozen=True, slots=True)
class Calendar:
    """Unavailability windows of a resource (shifts, maintenance, change freezes)."""

    windows: tuple[Window, ...] = ()

    def spans(self) -> list[tuple[int, int, list[int]]]:
        """The windows merged where they overlap, as sorted ``(start, end, [window indices])``.

        Windows that only touch stay apart: zero-length work may sit at their shared
        edge, as the checker allows (empty windows are dropped).
        """
        out: list[tuple[int, int, list[int]]] = []
        for ws, we, k in sorted((w.start, w.end, k) for k, w in enumerate(self.windows) if w.end > w.start):
            if out and ws < out[-1][1]:
                out[-1] = (out[-1][0], max(we, out[-1][1]), [*out[-1][2], k])
            else:
                out.append((ws, we, [k]))
        return out

    def blocking(self, start: int, end: int) -> Window | None:
        """The first window that ``[start, end)`` would cross, or None."""
        for w in self.windows:
            if w.overlaps(start, end):
                return w
        return None

    def earliest_start(self, earliest: int, duration: int) -> int:
        """The earliest start >= ``earliest`` at which ``duration`` fits without crossing a window
        (zero-length work may sit at a window's edge, not strictly inside it)."""
        t = earliest
        moved = True
        while moved:
            moved = False
            for w in self.windows:
                if w.overlaps(t, t + duration) if duration > 0 else w.start < t < w.end:
                    t = w.end
                    moved = True
        return t


@dataclass(frozen=True, slots=True)
class Resource:
    """A machine, vehicle, node, crew or link.

    ``capacity`` is 1 for a unary resource and larger for a cumulative one.
    """

    id: str
    name: str = ""
    capacity: int = 1
    calendar: Calendar = field(default_factory=Calendar)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation problem, with a path into the document (``jobs[3].operations[1]``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken constraint found by the checker, naming the business objects involved.

    ``code`` is a stable machine-readable kind (e.g. ``machine_overlap``);
    ``objects`` are ids of jobs, operations, machines the violation is about.
    """

    code: str
    message: str
    objects: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

