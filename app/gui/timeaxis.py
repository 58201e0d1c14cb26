"""Ticks of a time axis: which times to mark and how to label them at a given zoom.

Pure functions (no Qt) shared by the Gantt header, its grid lines, the resource
view and the image export. A scenario's time axis is integer *units*
(``s``, ``min`` or ``h``, see :class:`opsplan.models.core.TimeUnit`); when the
scenario has an ``epoch`` (ISO 8601 date-time of time 0) the ticks fall on
calendar boundaries (whole minutes, hours, midnights, Mondays) and are labelled
with weekdays and clock times, otherwise they are plain numbers on multiples of
a nice step.

>>> ax = ticks(0, 100, 10.0)           # 10 px per unit, plain numbers
>>> [t.label for t in ax.major][:3]
['0', '5', '10']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

_UNIT_SECONDS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}

DAY = 86400
WEEK = 7 * DAY
#: calendar steps in seconds, finest first (beyond the list: multiples of 52 weeks)
CALENDAR_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    DAY, 2 * DAY, WEEK, 2 * WEEK, 4 * WEEK, 13 * WEEK, 26 * WEEK, 52 * WEEK,
)
#: plain steps in time units below 100; from 100 on the 1-2-5 decades follow
PLAIN_STEPS = (1, 2, 5, 10, 15, 30, 60)

#: fixed origins of multi-day steps (naive, as epochs are)
_DAY_ZERO = datetime(1970, 1, 1)
_FIRST_MONDAY = datetime(1970, 1, 5)

#: hard cap on the ticks of one kind returned for one range (protects painting)
MAX_TICKS = 4000


@dataclass(frozen=True, slots=True)
class Tick:
    """A marked time ``t`` (in scenario units, may be fractional) and its label ('' for minor ticks)."""

    t: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class Axis:
    """The ticks of one visible range: labelled major ticks, unlabelled minor ticks between them."""

    major: list[Tick] = field(default_factory=list)
    minor: list[Tick] = field(default_factory=list)
    step: float = 1.0  #: major step in time units
    minor_step: float | None = None
    calendar: bool = False


def unit_seconds(time_unit: object) -> int:
    """Seconds in one unit: ``'s'``/``'second'`` -> 1, ``'min'`` -> 60, ``'h'`` -> 3600, ``'day'`` -> 86400."""
    key = str(getattr(time_unit, "value", time_unit) or "min").strip().lower()
    try:
        return _UNIT_SECONDS[key]
    except KeyError:
        raise ValueError(f"unknown time unit {time_unit!r}") from None


@lru_cache(maxsize=64)
def _parse_epoch(epoch: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(epoch)
    except (TypeError, ValueError):
        return None
    return dt.replace(tzinfo=None) if dt.tzinfo is not None else dt


def parse_epoch(epoch: object) -> datetime | None:
    """The epoch as a naive local date-time, or None when absent or not ISO 8601."""
    if not epoch or not isinstance(epoch, str):
        return None
    return _parse_epoch(epoch)


def _plain_steps():
    yield from PLAIN_STEPS
    mag = 100
    while True:
        for m in (1, 2, 5):
            yield m * mag
        mag *= 10


def _calendar_steps():
    yield from CALENDAR_STEPS
    k = 2
    while True:
        yield k * 52 * WEEK
        k = k * 5 // 2 if str(k)[0] == "2" else k * 2


def _calendar_format(step_s: float) -> tuple[str, str]:
    """(format for ordinary ticks, format for ticks at midnight)."""
    if step_s < 60:
        return "%a %H:%M:%S", "%a %d %b"
    if step_s < DAY:
        return "%a %H:%M", "%a %d %b"
    if step_s < 4 * WEEK:
        return "%a %d %b", "%a %d %b"
    return "%d %b %Y", "%d %b %Y"


def _label_px(chars: int, char_px: float) -> float:
    return chars * char_px + 18


def _plain_label(t: float) -> str:
    r = round(t)
    return str(int(r)) if abs(t - r) < 1e-6 else f"{t:g}"


def _minor_divisors(step: float, calendar: bool) -> tuple[int, ...]:
    if not calendar:
        return (5, 4, 2, 3, 6)
    if step % WEEK == 0:
        return (7, 2)
    if step % DAY == 0:
        return (4, 2, 3, 6)
    return (6, 4, 5, 2, 3)


def choose_step(ppu: float, span_hint: float = 0.0, time_unit: object = "min", epoch: object = None,
                char_px: float = 7.0) -> float:
    """The major step (time units) whose labels do not collide at ``ppu`` pixels per unit."""
    return _choose(ppu, span_hint, unit_seconds(time_unit), parse_epoch(epoch), char_px)[0]


def _choose(ppu: float, span_hint: float, unit_s: int, epoch: datetime | None, char_px: float):
    """(major step in units, step in seconds or None) for ``ppu``."""
    ppu = max(float(ppu), 1e-12)
    if epoch is not None:
        for step_s in _calendar_steps():
            if step_s < unit_s or step_s % unit_s:
                continue
            fmt, _ = _calendar_format(step_s)
            sample = epoch.strftime(fmt)
            step = step_s / unit_s
            if step * ppu >= _label_px(len(sample), char_px):
                return step, step_s
    chars = len(_plain_label(abs(span_hint))) if span_hint else 3
    for step in _plain_steps():
        if step * ppu >= _label_px(max(chars, len(str(step))), char_px):
            return float(step), None
    raise AssertionError("unreachable")


def _minor(step: float, ppu: float, calendar: bool, unit_s: int, min_px: float) -> float | None:
    for k in _minor_divisors(step * (unit_s if calendar else 1), calendar):
        m = step / k
        ms = m * unit_s
        if calendar and (abs(ms - round(ms)) > 1e-9 or ms < unit_s or round(ms) % unit_s):
            continue
        if not calendar and abs(m - round(m)) > 1e-9:
            continue
        if m * ppu >= min_px:
            return m
    return None


def ticks(t0: float, t1: float, ppu: float, time_unit: object = "min", epoch: object = None,
          *, char_px: float = 7.0, minor_px: float = 6.0) -> Axis:
    """Ticks for the visible range ``[t0, t1]`` (time units) drawn at ``ppu`` pixels per unit.

    The major step is the smallest nice step (1, 2, 5, 10, 15, 30, 60, 100,
    200, 500, ... units; with an epoch: 1 s .. 30 s, 1 min .. 30 min, 1 h, 2 h,
    3 h, 6 h, 12 h, days, weeks) whose labels (``char_px`` per character) fit
    between neighbouring ticks, never below one time unit. Minor ticks divide
    the major step when they are at least ``minor_px`` apart. Major ticks of a
    calendar axis are labelled ``"Mon 06:00"`` (or ``"Mon 06:00:30"`` under a
    minute, and ``"Tue 02 Dec"`` at midnight and for day steps); without an
    epoch they are plain numbers.
    """
    if t1 < t0:
        t0, t1 = t1, t0
    unit_s = unit_seconds(time_unit)
    ep = parse_epoch(epoch)
    step, step_s = _choose(ppu, max(abs(t0), abs(t1)), unit_s, ep, char_px)
    calendar = step_s is not None
    minor_step = _minor(step, ppu, calendar, unit_s, minor_px)
    if calendar:
        major = _calendar_ticks(t0, t1, step_s, unit_s, ep, label=True)
        minor = _calendar_ticks(t0, t1, round(minor_step * unit_s), unit_s, ep, label=False) if minor_step else []
    else:
        major = _plain_ticks(t0, t1, step, label=True)
        minor = _plain_ticks(t0, t1, minor_step, label=False) if minor_step else []
    if minor:
        majors = {round(t.t, 6) for t in major}
        minor = [t for t in minor if round(t.t, 6) not in majors]
    return Axis(major, minor, step, minor_step, calendar)


def _plain_ticks(t0: float, t1: float, step: float, label: bool) -> list[Tick]:
    if (t1 - t0) / step > MAX_TICKS:
        return []
    k = math.ceil(t0 / step - 1e-9)
    out = []
    while True:
        t = k * step
        if t > t1 + 1e-9:
            break
        out.append(Tick(t, _plain_label(t) if label else ""))
        k += 1
    return out


def _calendar_ticks(t0: float, t1: float, step_s: int, unit_s: int, epoch: datetime, label: bool) -> list[Tick]:
    if (t1 - t0) * unit_s / step_s > MAX_TICKS:
        return []
    start = epoch + timedelta(seconds=t0 * unit_s)
    end_s = t1 * unit_s
    if step_s % DAY == 0:
        # whole days counted from a fixed day, so that multi-day steps do not depend on the view:
        # 1 Jan 1970 for days, Monday 5 Jan 1970 for weeks (4-, 13-, 26-week steps stay put when panning)
        midnight = datetime(start.year, start.month, start.day)
        days = (midnight - (_FIRST_MONDAY if step_s % WEEK == 0 else _DAY_ZERO)).days
        base = midnight - timedelta(days=days % (step_s // DAY))
    else:
        base = datetime(start.year, start.month, start.day)
    offset = (start - base).total_seconds()
    k = math.ceil(offset / step_s - 1e-9)
    fmt, fmt_midnight = _calendar_format(step_s)
    out = []
    while True:
        dt = base + timedelta(seconds=k * step_s)
        s = (dt - epoch).total_seconds()
        if s > end_s + 1e-6:
            break
        text = ""
        if label:
            at_midnight = dt.hour == 0 and dt.minute == 0 and dt.second == 0
            text = dt.strftime(fmt_midnight if at_midnight else fmt)
        out.append(Tick(s / unit_s, text))
        k += 1
    return out


def format_time(t: float, time_unit: object = "min", epoch: object = None) -> str:
    """A time for tooltips and overlays: ``'Tue 02 Dec 06:15'`` with an epoch, else ``'375'``."""
    ep = parse_epoch(epoch)
    if ep is None:
        return _plain_label(t)
    dt = ep + timedelta(seconds=t * unit_seconds(time_unit))
    return dt.strftime("%a %d %b %H:%M:%S" if dt.second else "%a %d %b %H:%M")


__all__ = ["Axis", "Tick", "choose_step", "format_time", "parse_epoch", "ticks", "unit_seconds"]
