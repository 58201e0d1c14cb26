"""Time-axis ticks: nice steps that adapt to zoom, calendar labels when the scenario has an epoch."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from opsplan.app.gui import timeaxis
from opsplan.app.gui.timeaxis import format_time, ticks, unit_seconds
from opsplan.models.core import TimeUnit

EPOCH = "2026-12-01T22:00:00"  # a Tuesday, 22:00


def test_unit_seconds_accepts_enum_and_words():
    assert unit_seconds(TimeUnit.MINUTE) == 60
    assert unit_seconds("s") == unit_seconds("second") == 1
    assert unit_seconds("h") == unit_seconds("hour") == 3600
    assert unit_seconds("day") == 86400
    with pytest.raises(ValueError):
        unit_seconds("fortnight")


def test_plain_ticks_are_multiples_of_a_nice_step():
    ax = ticks(0, 1000, 1.0)
    assert not ax.calendar
    assert ax.step in {1, 2, 5, 10, 15, 30, 60, 100, 200, 500}
    assert [t.t for t in ax.major] == [k * ax.step for k in range(len(ax.major))]
    assert all(t.label == str(int(t.t)) for t in ax.major)
    # labels never collide: neighbouring ticks are at least a label apart
    assert ax.step * 1.0 >= 7 * len(ax.major[-1].label)


def test_step_adapts_to_zoom_and_never_drops_below_one_unit():
    steps = [ticks(0, 5000, ppu).step for ppu in (0.01, 0.1, 1.0, 10.0, 100.0)]
    assert steps == sorted(steps, reverse=True) and len(set(steps)) >= 4
    assert ticks(0, 10, 1000.0).step == 1


def test_minor_ticks_subdivide_and_skip_majors():
    ax = ticks(0, 600, 2.0)
    assert ax.minor_step and ax.step % ax.minor_step == 0
    majors = {t.t for t in ax.major}
    assert ax.minor and not majors & {t.t for t in ax.minor}
    assert all(t.label == "" for t in ax.minor)
    assert all(0 <= t.t <= 600 for t in ax.major + ax.minor)


def test_reversed_and_offset_ranges():
    ax = ticks(950, 120, 1.0)
    assert ax.major[0].t >= 120 and ax.major[-1].t <= 950


def test_calendar_ticks_fall_on_whole_hours_with_weekday_labels():
    # 2 px per minute: hourly ticks, labelled with weekday and clock time
    ax = ticks(0, 600, 2.0, "min", EPOCH)
    assert ax.calendar and ax.step == 60
    labels = [t.label for t in ax.major]
    assert labels[:3] == ["Tue 22:00", "Tue 23:00", "Wed 02 Dec"]  # midnight shows the day
    assert "Wed 06:00" in labels
    epoch = datetime.fromisoformat(EPOCH)
    for t in ax.major:
        dt = epoch + timedelta(minutes=t.t)
        assert dt.minute == 0 and dt.second == 0


def test_calendar_day_labels_at_low_zoom():
    ax = ticks(0, 6 * 1440, 0.1, "min", EPOCH)
    assert ax.step == 1440
    assert ax.step % 1440 == 0
    assert all(t.label[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} for t in ax.major)
    # days start at midnight: 120 minutes after the 22:00 epoch, then every step
    assert ax.major[0].t == 120 and ax.major[0].label == "Wed 02 Dec"


@pytest.mark.parametrize("weeks", [2, 4, 13, 26])
def test_week_multiple_ticks_do_not_move_when_the_view_pans(weeks):
    """Ticks of 2-, 4-, 13- and 26-week steps fall on Mondays counted from a fixed Monday, whatever the view."""
    step_s = weeks * timeaxis.WEEK
    epoch = datetime.fromisoformat(EPOCH)
    seen: set[float] = set()
    for pan_days in range(0, 7 * weeks + 1, 7):
        t0 = pan_days * 1440
        major = timeaxis._calendar_ticks(t0, t0 + 3 * weeks * 7 * 1440, step_s, 60, epoch, label=True)
        assert len(major) >= 2
        for t in major:
            dt = epoch + timedelta(minutes=t.t)
            assert dt.weekday() == 0 and (dt.hour, dt.minute) == (0, 0)
            assert (dt - datetime(1970, 1, 5)).days % (7 * weeks) == 0, (pan_days, t.label)
        seen |= {t.t for t in major}
    # the same few dates whatever the left edge: one tick per step over the whole panned range
    assert len(seen) <= (7 * weeks + 3 * 7 * weeks) // (7 * weeks) + 1


def test_four_week_axis_keeps_its_dates_across_a_pan():
    """At about a year across the Gantt (4-week step) panning by a week leaves the labelled dates where they were."""
    axes = [ticks(d * 1440, d * 1440 + 200 * 1440, 0.003, "min", EPOCH) for d in (0, 7, 14)]
    assert {ax.step for ax in axes} == {4 * 7 * 1440}
    labels = [{t.label for t in ax.major} for ax in axes]
    common = labels[0] & labels[1] & labels[2]
    assert len(common) >= 5, labels


def test_calendar_steps_are_whole_units_and_seconds_show_seconds():
    ax = ticks(0, 30, 60.0, "s", EPOCH)
    assert ax.step >= 1 and ":" in ax.major[1].label and ax.major[1].label.count(":") == 2
    # hour units with a half-past epoch: ticks on whole hours are half-way between units
    ax = ticks(0, 10, 100.0, "h", "2026-12-01T22:30:00")
    assert ax.step == 1 and ax.major[0].t == 0.5 and ax.major[0].label == "Tue 23:00"


def test_bad_or_missing_epoch_means_plain_numbers():
    assert not ticks(0, 100, 5.0, "min", "not a date").calendar
    assert not ticks(0, 100, 5.0, "min", None).calendar
    assert timeaxis.parse_epoch("2026-12-01T22:00:00+02:00") == datetime(2026, 12, 1, 22)


def test_format_time():
    assert format_time(375, "min", EPOCH) == "Wed 02 Dec 04:15"
    assert format_time(375, "min") == "375"
    assert format_time(2.5, "min") == "2.5"


@pytest.mark.parametrize("ppu", [1e-4, 0.003, 0.2, 7.0, 350.0])
def test_tick_count_stays_bounded(ppu):
    width_px = 1600
    ax = ticks(0, width_px / ppu, ppu, "min", EPOCH)
    assert 1 <= len(ax.major) <= width_px / 40
    assert len(ax.minor) <= width_px / 5
