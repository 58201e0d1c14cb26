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
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

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


# --------------------------------------------------------------------------- the planner's time language
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_WEEKDAYS = {d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SPAN_WORDS = {
    "days": DAY, "day": DAY, "d": DAY,
    "hours": 3600, "hour": 3600, "hrs": 3600, "hr": 3600, "h": 3600,
    "minutes": 60, "minute": 60, "mins": 60, "min": 60, "m": 60,
    "seconds": 1, "second": 1, "secs": 1, "sec": 1, "s": 1,
}
#: one part of a duration: a number and its unit word (longest spellings first: "min" is not "m" + "in")
_SPAN_PART = re.compile(r"\s*(\d+)\s*(" + "|".join(sorted(_SPAN_WORDS, key=len, reverse=True)) + r")?\s*,?")
#: a number without a unit after a part of this size is the next smaller part ('1h30' is 1 h 30 min)
_NEXT_PART = {DAY: 3600, 3600: 60, 60: 1}
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]+(\S+))?")
_DAY_MONTH = re.compile(r"(?:([a-z]{3})[a-z]*\.?,?\s+)?(\d{1,2})\s+([a-z]{3})[a-z]*\.?(?:\s+(\d{4}))?(?:,?\s+(\S+))?")
_SPAN_NAMES = ((DAY, "d"), (3600, "h"), (60, "min"), (1, "s"))
_UNIT_NAMES = {1: ("s", "second"), 60: ("min", "minute"), 3600: ("h", "hour"), DAY: ("d", "day")}


@dataclass(frozen=True)
class Clock:
    """How a scenario's integer times read and are typed: one time language for the whole board.

    With an ``epoch`` an instant reads as a date-time (``'Tue 02 Dec 06:15'``; the year is
    added when it is not the epoch's); without one it is a number of units (``'415 min'``).
    A duration reads in days, hours and minutes (``'1 h 30 min'``) either way.
    :meth:`parse_time` and :meth:`parse_span` read what the planner types back into whole
    units and refuse what is not on the axis with a message naming the accepted forms.
    Pure Python: editor specs, dialogs and tooltips share it, and the checker's messages read
    through it (it is a :class:`opsplan.models.timetext.TimeText`).

    >>> c = Clock("min", datetime(2026, 12, 1, 22, 0))
    >>> c.time(495), c.span(90), c.parse_time("Wed 02 Dec 06:15"), c.parse_span("1h30")
    ('Wed 02 Dec 06:15', '1 h 30 min', 495, 90)
    """

    unit: str = "min"
    epoch: datetime | None = None

    @classmethod
    def of(cls, scenario: object) -> Clock:
        """The clock of ``scenario``: its ``time_unit`` (default minutes) and ``epoch`` (default none)."""
        unit = getattr(scenario, "time_unit", None) or "min"
        return cls(str(getattr(unit, "value", unit)), parse_epoch(getattr(scenario, "epoch", None)))

    @property
    def unit_s(self) -> int:
        """Seconds in one unit of the axis."""
        return unit_seconds(self.unit)

    @property
    def unit_word(self) -> str:
        """The unit as it follows a number: ``'min'``, ``'s'``, ``'h'``."""
        return _UNIT_NAMES[self.unit_s][0]

    @property
    def unit_name(self) -> str:
        """The unit in words, for messages: ``'minute'``."""
        return _UNIT_NAMES[self.unit_s][1]

    # -- reading ------------------------------------------------------------------------------
    def datetime_at(self, t: float) -> datetime | None:
        """The date-time of time ``t``; None without an epoch."""
        return None if self.epoch is None else self.epoch + timedelta(seconds=t * self.unit_s)

    def _on_calendar(self, t: float) -> datetime | None:
        """:meth:`datetime_at`, or None past the calendar's end (year 9999: a checker names such times)."""
        try:
            return self.datetime_at(t)
        except (OverflowError, ValueError):
            return None

    def time(self, t: float | None) -> str:
        """An instant: ``'Tue 02 Dec 06:15'`` with an epoch, else ``'415 min'`` ('' for None)."""
        if t is None:
            return ""
        dt = self._on_calendar(t)
        if dt is None:
            return f"{_plain_label(t)} {self.unit_word}"
        year = " %Y" if dt.year != self.epoch.year else ""
        return dt.strftime(f"%a %d %b{year} %H:%M" + (":%S" if dt.second else ""))

    def interval(self, start: float, end: float) -> str:
        """``[start, end)`` for people: ``'Wed 02 Dec 04:00–04:30'`` (the end's day only when it differs),
        ``'240–270 min'`` without an epoch."""
        da, db = self._on_calendar(start), self._on_calendar(end)
        if da is None or db is None:
            return f"{_plain_label(start)}–{_plain_label(end)} {self.unit_word}"
        a, b = self.time(start), self.time(end)
        same_day = da.date() == db.date()
        return f"{a}–{b.rsplit(' ', 1)[-1]}" if same_day else f"{a} – {b}"

    def span(self, d: float | None) -> str:
        """A duration: ``'1 h 30 min'``, ``'45 min'``, ``'2 d 3 h'``, ``'0 min'`` ('' for None)."""
        if d is None:
            return ""
        if abs(d - round(d)) > 1e-9:  # an average, say: no whole parts to split
            return f"{d:g} {self.unit_word}"
        rest = abs(round(d)) * self.unit_s
        parts = []
        for size, name in _SPAN_NAMES:
            n, rest = divmod(rest, size)
            if n:
                parts.append(f"{n} {name}")
        text = " ".join(parts) or f"0 {self.unit_word}"
        return f"-{text}" if d < 0 else text

    # -- typing -------------------------------------------------------------------------------
    def forms(self) -> str:
        """The forms :meth:`parse_time` accepts, for messages."""
        units = f"a number of {self.unit_name}s from the start"
        if self.epoch is None:  # no date: the scenario's time 0 is no particular day
            return f"{units}, e.g. 415 or '6 h 55 min' (the scenario has no start date)"
        day = (self.epoch + timedelta(days=1)).replace(hour=14, minute=0, second=0)
        return (f"a date and time like '{day.strftime('%a %d %b %H:%M')}', '{day.strftime('%Y-%m-%d %H:%M')}' "
                f"or '14:00', or {units} ({self.time(0)}), e.g. 415")

    def parse_span(self, text: str, what: str = "the duration", minimum: int | None = 0) -> int:
        """A duration typed by the planner, in whole units: ``'90'`` (units), ``'1h30'``,
        ``'1 h 30 min'``, ``'2d'``, ``'45min'``, ``'1:30'`` (hours and minutes).

        A number without a unit after an hour part is minutes (``'1h30'``), after a day part
        hours, after a minute part seconds. Raises ValueError naming the accepted forms."""
        raw = text.strip()
        seconds = self._seconds(raw.lower())
        if seconds is None:
            raise ValueError(f"{what}: '{raw[:40]}' is not a duration; type a number of {self.unit_name}s "
                             f"(e.g. 90) or a duration like '1 h 30 min', '1h30', '45min' or '2d'")
        return self._whole(seconds, what, minimum, raw, self.span)

    def parse_time(self, text: str, what: str = "the time", minimum: int | None = 0,
                   near: int | None = None) -> int:
        """An instant typed by the planner, in whole units from the epoch.

        Accepted: a number of units (``'415'``) or a duration (``'6 h 55 min'``) from the start;
        with an epoch also a date-time: ISO ``'2026-12-02 06:15'`` (``T`` or a space, seconds
        optional, a date alone is midnight), ``'02 Dec 06:15'``, ``'Wed 02 Dec 06:15'``,
        ``'02 Dec 2026 06:15'`` (a day without a year is the one nearest ``near``, else the
        epoch; a weekday typed must match the date), or a bare clock time ``'06:15'``: on the
        day of ``near`` (the value being edited) when given, else the first such time from the
        epoch on. Refused (ValueError, naming the accepted forms): anything else, a time not
        on a whole unit, one below ``minimum`` (by default: before the epoch).
        """
        raw = text.strip()
        t = " ".join(raw.lower().split())
        if not _CLOCK.fullmatch(t):
            seconds = self._seconds(t)
            if seconds is not None:  # units or a duration from the start
                return self._whole(seconds, what, minimum, raw, self.time)
        dt = None
        if self.epoch is not None:
            try:
                dt = self._datetime(t, near)
            except ValueError as exc:
                raise ValueError(f"{what}: {exc}") from None
        if dt is None:
            raise ValueError(f"{what}: '{raw[:40]}' is not a time; type {self.forms()}")
        return self._whole(round((dt - self.epoch).total_seconds()), what, minimum, raw, self.time)

    def _whole(self, seconds: int, what: str, minimum: int | None, raw: str, show: Any) -> int:
        value, rest = divmod(seconds, self.unit_s)
        if rest:
            on = f"on a whole {self.unit_name}" if show == self.time else f"a whole number of {self.unit_name}s"
            raise ValueError(f"{what}: '{raw[:40]}' is not {on} (times are whole {self.unit_name}s)")
        if minimum is not None and value < minimum:
            if minimum == 0 and show == self.time:
                raise ValueError(f"{what}: '{raw[:40]}' is before the start of the plan ({self.time(0)})")
            raise ValueError(f"{what} must be at least {show(minimum)}, got {show(value)}")
        return value

    def _seconds(self, t: str) -> int | None:
        """Seconds of a signed duration (a bare number is units), or None when ``t`` is not one."""
        sign = -1 if t.startswith("-") else 1
        body = t.lstrip("+-").strip()
        if len(body) > 60:  # no time on any axis is that long (and int() refuses 4300 digits)
            return None
        m = _CLOCK.fullmatch(body)
        if m:
            return sign * (int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0))
        if body.isdigit():
            return sign * int(body) * self.unit_s
        total, pos, last = 0, 0, None
        while pos < len(body):
            m = _SPAN_PART.match(body, pos)
            if m is None or m.end() == pos:
                return None
            size = _SPAN_WORDS[m.group(2)] if m.group(2) else _NEXT_PART.get(last)
            if size is None or (last is not None and size >= last):
                return None
            total, pos, last = total + int(m.group(1)) * size, m.end(), size
        return sign * total if last is not None else None

    def _datetime(self, t: str, near: int | None) -> datetime | None:
        ref = self.datetime_at(near) if near is not None else self.epoch
        m = _ISO.fullmatch(t)
        if m:
            return _date(int(m.group(1)), int(m.group(2)), int(m.group(3))) + _clock_of(m.group(4))
        m = _DAY_MONTH.fullmatch(t)
        if m:
            wd, d, mon, year, clock = m.groups()
            if mon not in _MONTHS or (wd is not None and wd not in _WEEKDAYS):
                return None
            if year is not None:
                day = _date(int(year), _MONTHS[mon], int(d))
            else:  # the occurrence nearest the reference: 02 Jan typed in late December is next year's
                days = [x for y in (ref.year - 1, ref.year, ref.year + 1)
                        if (x := _date(y, _MONTHS[mon], int(d), strict=False)) is not None]
                if not days:
                    raise ValueError(f"there is no {int(d)} {mon.capitalize()}")
                day = min(days, key=lambda x: abs(x - ref))
            if wd is not None and day.weekday() != _WEEKDAYS[wd]:
                raise ValueError(f"{day.strftime('%d %b %Y')} is a {_WEEKDAY_NAMES[day.weekday()]}, "
                                 f"not a {_WEEKDAY_NAMES[_WEEKDAYS[wd]]}")
            return day + _clock_of(clock)
        if _CLOCK.fullmatch(t):
            day = datetime(ref.year, ref.month, ref.day) + _clock_of(t)
            return day + timedelta(days=1) if near is None and day < self.epoch else day
        return None


def _date(year: int, month: int, day: int, strict: bool = True) -> datetime | None:
    try:
        return datetime(year, month, day)
    except ValueError:
        if strict:
            raise ValueError(f"there is no {year:04d}-{month:02d}-{day:02d}") from None
        return None


def _clock_of(text: str | None) -> timedelta:
    """``'06:15'`` / ``'06:15:30'`` -> time of day; None is midnight."""
    if text is None:
        return timedelta()
    m = _CLOCK.fullmatch(text)
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        raise ValueError(f"'{text}' is not a clock time (hh:mm, e.g. 06:15)")
    return timedelta(hours=int(m.group(1)), minutes=int(m.group(2)), seconds=int(m.group(3) or 0))


def format_time(t: float, time_unit: object = "min", epoch: object = None) -> str:
    """A time for tooltips and overlays: ``'Tue 02 Dec 06:15'`` with an epoch, else ``'375'``."""
    ep = parse_epoch(epoch)
    if ep is None:
        return _plain_label(t)
    dt = ep + timedelta(seconds=t * unit_seconds(time_unit))
    return dt.strftime("%a %d %b %H:%M:%S" if dt.second else "%a %d %b %H:%M")


__all__ = ["Axis", "Clock", "Tick", "choose_step", "format_time", "parse_epoch", "ticks", "unit_seconds"]
