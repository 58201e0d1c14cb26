"""The seam through which a checker's messages write times: plain numbers unless a caller passes dates."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.models import check
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.jobshop.build import classic
from opsplan.models.jobshop.checker import check_jobshop
from opsplan.models.jobshop.scenario import SetupMatrix
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Assignment, Schedule
from opsplan.models.timetext import PLAIN, TimeText, call_check, takes_times

from tests.marked_times import MarkedTimes as Words
from tests.toykind import registered, sample


def test_plain_prints_the_numbers_as_before():
    assert isinstance(PLAIN, TimeText) and isinstance(Words(), TimeText)
    assert (PLAIN.time(415), PLAIN.span(30), PLAIN.interval(240, 270)) == ("415", "30", "[240, 270)")
    assert PLAIN.time(-5) == "-5"


def test_the_seam_passes_times_only_to_a_check_that_takes_them():
    def old(sc, schedule):
        return ["old", sc, schedule]

    def new(sc, schedule, *, times=PLAIN):
        return ["new", times.time(1)]

    assert not takes_times(old) and takes_times(new) and takes_times(check_jobshop)
    assert call_check(old, "sc", "s", Words()) == ["old", "sc", "s"]
    assert call_check(new, "sc", "s", Words()) == ["new", "<t1>"]
    assert call_check(new, "sc", "s") == ["new", "1"]


def test_a_kind_whose_check_takes_no_times_keeps_its_messages():
    with registered(("models",)):
        sc = sample()
        bad = Schedule.of([Assignment("a", "L1", 0, 5)], "short")
        assert not takes_times(descriptor(sc).check)
        plain = [v.message for v in check(sc, bad)]
        assert plain and [v.message for v in check(sc, bad, times=Words())] == plain


@pytest.fixture
def broken():
    """Two jobs whose plan breaks a release, a setup, a machine, a calendar window and a deadline."""
    sc = classic("two", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    m1 = Resource("M1", calendar=Calendar((Window(4, 8, "maintenance"),)))
    sc = replace(sc, machines=(sc.machines[0], m1), setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 2), (5, 0))),),
                 jobs=(replace(sc.jobs[0], deadline=4), replace(sc.jobs[1], release=3)))
    return sc, Schedule.of([Assignment("J0.0", "M0", 0, 3), Assignment("J0.1", "M1", 3, 5),
                            Assignment("J1.0", "M1", 2, 4), Assignment("J1.1", "M0", 4, 8)])


#: the checker's texts as they were before the seam: the CLI and the files keep them exactly
PLAIN_TEXTS = [
    "operation 'J1.0' of job 'J1' starts at 2 on 'M1', before the job's release 3",
    "machine 'M0': setup of 2 needed between operation 'J0.0' of job 'J0' (ends 3) and operation 'J1.1' "
    "of job 'J1' (starts 4), only 1 left",
    "machine 'M1': operation 'J1.0' of job 'J1' [2, 4) overlaps operation 'J0.1' of job 'J0' [3, 5)",
    "operation 'J0.1' of job 'J0' [3, 5) on machine 'M1' overlaps its unavailability 'maintenance' [4, 8)",
    "job 'J0' ends at 5 (operation 'J0.1' on 'M1'), after its deadline 4",
]


def test_jobshop_messages_write_every_time_through_the_formatter(broken):
    sc, s = broken
    assert [v.message for v in check(sc, s)] == PLAIN_TEXTS
    assert [v.message for v in check(sc, s, times=PLAIN)] == PLAIN_TEXTS
    assert [v.message for v in check(sc, s, times=Words())] == [
        "operation 'J1.0' of job 'J1' starts at <t2> on 'M1', before the job's release <t3>",
        "machine 'M0': setup of <d2> needed between operation 'J0.0' of job 'J0' (ends <t3>) and operation "
        "'J1.1' of job 'J1' (starts <t4>), only <d1> left",
        "machine 'M1': operation 'J1.0' of job 'J1' <2..4> overlaps operation 'J0.1' of job 'J0' <3..5>",
        "operation 'J0.1' of job 'J0' <3..5> on machine 'M1' overlaps its unavailability 'maintenance' <4..8>",
        "job 'J0' ends at <t5> (operation 'J0.1' on 'M1'), after its deadline <t4>",
    ]
    negative = Schedule.of([Assignment("J0.0", "M0", -1, 2), *s.assignments[1:]])
    assert "on machine 'M0' starts at <t-1> < <t0>" in check(sc, negative, times=Words())[0].message
