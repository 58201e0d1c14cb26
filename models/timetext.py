"""How times read inside messages: the seam between a kind's checker and whoever shows its text.

A checker builds finished sentences ("starts at 415, before the job's release 420"). The
command line, the files and the tests read them with plain numbers (:data:`PLAIN`); the plan
board passes its clock instead, so the same sentence reads with dates ("starts at Wed 02 Dec
02:55, ..."). A kind's ``check`` that takes a ``times`` keyword formats every instant, duration
and interval through it; :func:`call_check` hands it only to a kind whose check does.

Pure Python: the board's ``Clock`` (``opsplan.app.gui.timeaxis``) satisfies :class:`TimeText`
without this package knowing it.

Texts finished long before anyone shows them (a solver's conflict, built with its model) keep
their times as values instead: a :data:`Phrase` of words, :class:`At`, :class:`Span` and
:class:`Between`, which :func:`phrase_text` writes with whatever :class:`TimeText` the reader has.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class TimeText(Protocol):
    """Writes the scenario's integer times for people."""

    def time(self, t: int) -> str:
        """An instant on the scenario's axis."""
        ...

    def span(self, d: int) -> str:
        """A duration in the scenario's unit."""
        ...

    def interval(self, start: int, end: int) -> str:
        """The half-open interval ``[start, end)``."""
        ...


@dataclass(frozen=True)
class PlainTimes:
    """The numbers as they are: ``415``, ``30``, ``[240, 270)`` (the checker's texts before dates)."""

    def time(self, t: int) -> str:
        return str(t)

    def span(self, d: int) -> str:
        return str(d)

    def interval(self, start: int, end: int) -> str:
        return f"[{start}, {end})"


#: the plain numbers the command line, the files and the tests read
PLAIN: TimeText = PlainTimes()


@dataclass(frozen=True, slots=True)
class At:
    """An instant inside a :data:`Phrase`."""

    t: int

    def text(self, times: TimeText) -> str:
        return times.time(self.t)


@dataclass(frozen=True, slots=True)
class Span:
    """A duration inside a :data:`Phrase`."""

    d: int

    def text(self, times: TimeText) -> str:
        return times.span(self.d)


@dataclass(frozen=True, slots=True)
class Between:
    """The interval ``[start, end)`` inside a :data:`Phrase`.

    With the plain numbers it reads ``240-270``, not :class:`PlainTimes`' ``[240, 270)``: the
    solver's conflicts (the command line, ``--json`` files and their readers) wrote windows so
    before the seam existed.
    """

    start: int
    end: int

    def text(self, times: TimeText) -> str:
        if isinstance(times, PlainTimes):
            return f"{self.start}-{self.end}"
        return times.interval(self.start, self.end)


#: a sentence whose times are still values: words and :class:`At` / :class:`Span` / :class:`Between`
Phrase = tuple[str | At | Span | Between, ...]


def phrase_text(phrase: Phrase, times: TimeText = PLAIN) -> str:
    """``phrase`` written out, each time through ``times``."""
    return "".join(p if isinstance(p, str) else p.text(times) for p in phrase)


@lru_cache(maxsize=64)
def takes_times(check: Callable[..., Any]) -> bool:
    """Whether ``check`` accepts a ``times`` keyword (a kind written before the seam does not).
    Remembered per function: the board checks a candidate plan on every mouse move of a drag."""
    try:
        params = inspect.signature(check).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature: assume the old form
        return False
    return any(p.name == "times" and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD for p in params)


def call_check(check_fn: Callable[..., Any], scenario: Any, schedule: Any, times: TimeText | None = None) -> Any:
    """``check_fn(scenario, schedule)``, with ``times=times`` when one is given and ``check_fn`` takes it."""
    if times is not None and takes_times(check_fn):
        return check_fn(scenario, schedule, times=times)
    return check_fn(scenario, schedule)


__all__ = ["PLAIN", "At", "Between", "Phrase", "PlainTimes", "Span", "TimeText", "call_check", "phrase_text",
           "takes_times"]
