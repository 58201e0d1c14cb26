"""A time writer for tests: times it writes cannot be mistaken for the plain numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarkedTimes:
    """``<t415>`` for an instant, ``<d30>`` for a duration, ``<240..270>`` for an interval."""

    def time(self, t: int) -> str:
        return f"<t{t}>"

    def span(self, d: int) -> str:
        return f"<d{d}>"

    def interval(self, start: int, end: int) -> str:
        return f"<{start}..{end}>"
