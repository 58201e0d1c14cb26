"""Solver parameters, progress events, the cancel token and the one result type."""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsplan.models.schedule import Assignment, Schedule
from opsplan.models.timetext import PLAIN, Phrase, TimeText, phrase_text


class Termination(enum.StrEnum):
    """Why a solve stopped."""

    OPTIMAL = "optimal"  # optimality proven
    INFEASIBLE = "infeasible"  # infeasibility proven
    TIME_LIMIT = "time_limit"
    GAP_LIMIT = "gap_limit"  # stopped at the relative gap asked for (``Params.gap``): no proof
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # a heuristic ran to its end (no proof either way)
    ERROR = "error"


class SolutionStatus(enum.StrEnum):
    """What a solve has to show."""

    NONE = "none"
    FEASIBLE = "feasible"
    OPTIMAL = "optimal"


@dataclass(frozen=True)
class Params:
    """Solver parameters common to every backend.

    ``threads = 0`` lets the backend choose; ``time_limit = None`` means no limit.
    ``pinned`` assignments keep their resource and start; ``warm_start`` is a
    schedule used as a hint. ``options`` carries backend-specific settings.
    """

    time_limit: float | None = None
    threads: int = 0
    seed: int = 0
    gap: float | None = None
    warm_start: Schedule | None = None
    pinned: tuple[Assignment, ...] = ()
    log: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def integral_bound(value: float | None) -> int | None:
    """A solver's (float) lower bound on an integral objective, rounded up; None when there is none."""
    if value is None or not math.isfinite(value):
        return None
    return math.ceil(value - 1e-6)


@dataclass(frozen=True, slots=True)
class Progress:
    """An improving solution (or a bound improvement) reported while solving."""

    objective: float | None
    bound: float | None
    elapsed_s: float
    solver: str


class StopToken:
    """A cancel token: ``set()`` from any thread; solvers poll ``is_set()`` or register callbacks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb()

    def is_set(self) -> bool:
        return self._event.is_set()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the token is set (at once if it already is)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One business constraint in an infeasibility explanation.

    ``code`` says what it is (``release``, ``deadline``, ``window``, ``pin``,
    ``earliest``, ``change_budget``; in a re-plan also ``started``: an operation
    already under way, kept as it is); ``objects`` the ids it concerns (jobs,
    machines, operations); ``path`` where it lives in the scenario (the same
    form as a validation issue's path), empty for plan-level constraints.

    ``message`` reads with plain numbers (the command line, ``--json``); ``parts`` is the same
    sentence with its times kept as values, so the plan board can write them as dates
    (:meth:`text`). It is optional, and not part of equality: a conflict is what its message says.
    """

    code: str
    message: str
    objects: tuple[str, ...] = ()
    path: str = ""
    parts: Phrase = field(default=(), compare=False)

    @classmethod
    def of(cls, code: str, parts: Phrase, objects: tuple[str, ...] = (), path: str = "") -> Conflict:
        """A conflict whose message is ``parts`` with plain numbers."""
        return cls(code, phrase_text(parts), objects, path, parts)

    def text(self, times: TimeText = PLAIN) -> str:
        """The message with its times written by ``times``; the message itself when there are no
        parts, or when the message was replaced after they were built (it no longer says them)."""
        if not self.parts or phrase_text(self.parts) != self.message:
            return self.message
        return phrase_text(self.parts, times)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "objects": list(self.objects), "path": self.path}


@dataclass(frozen=True)
class Result:
    """The outcome of one solve: why it stopped, what it found, and how good that is."""

    termination: Termination
    solution_status: SolutionStatus
    schedule: Schedule | None
    objective: float | None
    bound: float | None
    runtime_s: float
    solver: str
    solver_version: str = ""
    message: str = ""
    log: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    # when infeasible: a small set of business constraints that cannot all hold
    conflicts: tuple[Conflict, ...] = ()

    @property
    def has_solution(self) -> bool:
        return self.schedule is not None and self.solution_status != SolutionStatus.NONE

    @property
    def gap(self) -> float | None:
        """Relative gap ``|objective - bound| / |objective|`` (0 when both are 0)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == self.bound:
            return 0.0
        denom = abs(self.objective)
        return abs(self.objective - self.bound) / denom if denom > 0 else None

    @property
    def status(self) -> str:
        """One word for people: optimal, feasible, infeasible, no_solution, cancelled, error."""
        if self.solution_status == SolutionStatus.OPTIMAL:
            return "optimal"
        if self.termination == Termination.INFEASIBLE:
            return "infeasible"
        if self.termination == Termination.ERROR:
            return "error"
        if self.solution_status == SolutionStatus.FEASIBLE:
            return "feasible"
        if self.termination == Termination.CANCELLED:
            return "cancelled"
        return "no_solution"

    def summary(self) -> dict[str, Any]:
        """Plain-data view (what ``opsplan solve --json`` prints, minus the checker's count)."""
        return {
            "status": self.status,
            "termination": self.termination.value,
            "solution": self.solution_status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": round(self.runtime_s, 4),
            "solver": self.solver,
            "solver_version": self.solver_version,
            "message": self.message,
            "conflicts": [c.as_dict() for c in self.conflicts],
        }
