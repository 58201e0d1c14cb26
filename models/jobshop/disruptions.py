"""The job shop's disruption types: a machine breaks down, an operation starts late.

The generic ``reschedule`` (:mod:`opsplan.solvers.reschedule`) reads them from the kind's
descriptor (:data:`MACHINE_DOWN`, :data:`OPERATION_LATE`): what a breakdown does to the
scenario (a ``"breakdown"`` window in the machine's calendar), which running work it cuts (an
operation on that machine at the breakdown time), and where the window it adds sits in the
scenario's file (so an explanation names the disruption instead).

:class:`MachineDown` and :class:`OperationLate` are the two events as
:class:`~opsplan.models.kinds.DisruptionEvent` s with the job shop's words (``machine``, ``task``,
``delay``).
"""

from __future__ import annotations

from dataclasses import replace

from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.kinds import Disruption, DisruptionEvent
from opsplan.models.schedule import Assignment

BREAKDOWN = "breakdown"  # reason of the calendar window a machine breakdown adds


def _with_breakdown(sc: JobShopScenario, event: DisruptionEvent) -> JobShopScenario:
    """``sc`` with ``[at, at + duration)`` (reason ``"breakdown"``) added to the broken machine's calendar."""
    window = Window(event.at, event.end, BREAKDOWN)
    machines = tuple(replace(m, calendar=Calendar((*m.calendar.windows, window))) if m.id == event.target else m
                     for m in sc.machines)
    return replace(sc, machines=machines)


def _interrupts(event: DisruptionEvent, a: Assignment) -> bool:
    """An operation running on the broken machine at the breakdown (``start < at < end``) is cut:
    it restarts from scratch after the re-plan time. One that ends exactly at ``at`` is not."""
    return a.resource == event.target and a.start < event.at < a.end


def _window_path(sc: JobShopScenario, event: DisruptionEvent) -> str | None:
    """Where the breakdown window lands: after the machine's windows in ``sc`` (before the breakdown)."""
    for i, m in enumerate(sc.machines):
        if m.id == event.target:
            return f"machines[{i}].calendar[{len(m.calendar.windows)}]"
    return None


# a machine breakdown: down from ``at`` for ``duration``; what it interrupts starts again after
MACHINE_DOWN = Disruption(
    "machine_down", "Machine breakdown", "resource",
    (("at", "Down at", "time"), ("duration", "Repair time", "time")),
    flag="down", syntax="MACHINE@AT+DURATION", example="M3@120+60",
    apply=_with_breakdown, interrupts=_interrupts, added_path=_window_path,
)

# an operation that cannot start before its planned start plus ``delay``
OPERATION_LATE = Disruption(
    "operation_late", "Late operation", "task", (("delay", "Late by", "time"),),
    flag="late", syntax="TASK@+DELAY", example="J3.2@+30",
)


class MachineDown(DisruptionEvent):
    """Machine ``machine`` is unavailable over ``[at, at + duration)`` (breakdown and repair)."""

    def __init__(self, machine: str, at: int, duration: int) -> None:
        super().__init__(MACHINE_DOWN.name, machine, at, duration)

    @property
    def machine(self) -> str:
        return self.target

    def __repr__(self) -> str:
        return f"MachineDown({self.target!r}, {self.at}, {self.duration})"


class OperationLate(DisruptionEvent):
    """Operation ``task`` cannot start before its planned start plus ``delay``."""

    def __init__(self, task: str, delay: int) -> None:
        super().__init__(OPERATION_LATE.name, task, None, delay)

    @property
    def task(self) -> str:
        return self.target

    @property
    def delay(self) -> int:
        return self.duration

    def __repr__(self) -> str:
        return f"OperationLate({self.target!r}, {self.duration})"


__all__ = ["BREAKDOWN", "MACHINE_DOWN", "OPERATION_LATE", "MachineDown", "OperationLate"]
