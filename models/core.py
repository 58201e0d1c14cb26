"""Kind-independent domain vocabulary: time, calendars, capacities, resources, issues, violations."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

# The largest time, duration, weight or setup a scenario may hold (2^31 - 1: 68 years in
# seconds). Solvers add and multiply these; far larger values overflow their integers.
MAX_TIME = 2**31 - 1
# The longest id a file may hold (the document schema's $defs.id.maxLength).
MAX_ID_LENGTH = 200


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


class Vector(Mapping[str, int]):
    """An immutable, hashable named vector of integers: ``Vector(cpu=8, memory=32)``.

    The capacity of a packing node and the request of a pod. Dimensions missing from a
    vector count as 0. Comparisons are per dimension: ``a.fits_in(b)`` when every
    dimension of ``a`` is at most ``b``'s.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, int] | Iterable[tuple[str, int]] = (), **dims: int) -> None:
        data = dict(items.items() if isinstance(items, Mapping) else items)
        data.update(dims)
        self._items: tuple[tuple[str, int], ...] = tuple((str(k), int(v)) for k, v in data.items())

    def __getitem__(self, key: str) -> int:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, v) for k, v in self._items if v)))  # equal vectors ignore zeros

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            keys = set(self) | set(other)
            return all(self.get(k, 0) == other.get(k, 0) for k in keys)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Vector({', '.join(f'{k}={v}' for k, v in self._items)})"

    def __add__(self, other: Mapping[str, int]) -> Vector:
        keys = list(dict.fromkeys([*self, *other]))
        return Vector((k, self.get(k, 0) + other.get(k, 0)) for k in keys)

    def __sub__(self, other: Mapping[str, int]) -> Vector:
        keys = list(dict.fromkeys([*self, *other]))
        return Vector((k, self.get(k, 0) - other.get(k, 0)) for k in keys)

    def fits_in(self, other: Mapping[str, int]) -> bool:
        """True when no dimension exceeds ``other``'s (a missing dimension there is 0)."""
        return all(v <= other.get(k, 0) for k, v in self._items)

    def over(self, other: Mapping[str, int]) -> list[str]:
        """The dimensions where this vector exceeds ``other``."""
        return [k for k, v in self._items if v > other.get(k, 0)]


Capacity = int | Vector  # 1 = unary, n > 1 cumulative, a Vector for multi-dimensional packing


def capacity_to_json(x: Capacity) -> int | dict[str, int]:
    """A capacity or amount as file data: an int, or an object of named ints."""
    return dict(x) if isinstance(x, Vector) else int(x)


def capacity_from_json(x: int | Mapping[str, int]) -> Capacity:
    """The inverse of :func:`capacity_to_json`."""
    return Vector(x) if isinstance(x, Mapping) else int(x)


def load_share(amount: Capacity, capacity: Capacity) -> float:
    """How full ``amount`` makes ``capacity``, as a fraction (the largest over dimensions)."""
    if isinstance(capacity, Vector) or isinstance(amount, Vector):
        cap = capacity if isinstance(capacity, Vector) else Vector()
        amt = amount if isinstance(amount, Vector) else Vector()
        shares = [amt.get(k, 0) / c for k, c in cap.items() if c > 0]
        return max(shares, default=0.0)
    return amount / capacity if capacity else 0.0


@dataclass(frozen=True, slots=True)
class Resource:
    """A machine, vehicle, node, crew or link.

    ``capacity`` is 1 for a unary resource, larger for a cumulative one, and a
    :class:`Vector` (cpu, memory, gpu, bandwidth...) for a multi-dimensional one.
    """

    id: str
    name: str = ""
    capacity: Capacity = 1
    calendar: Calendar = field(default_factory=Calendar)

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def unary(self) -> bool:
        return not isinstance(self.capacity, Vector) and self.capacity == 1


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

