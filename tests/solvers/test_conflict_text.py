"""A conflict keeps its times as values: with the plain numbers it reads exactly as its message (the
command line, ``--json``), with another :class:`TimeText` (the board's clock) every time is rewritten."""

from __future__ import annotations

from dataclasses import replace

from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop.build import from_routes
from opsplan.models.jobshop.disruptions import MachineDown, OperationLate
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.models.timetext import PLAIN, At, Between, Span
from opsplan.solvers import Params, solve
from opsplan.solvers.reschedule import reschedule
from opsplan.solvers.result import Conflict

from tests.marked_times import MarkedTimes as Marked

P = Params(time_limit=5, threads=1)


MARKED = Marked()


def _by_code(result) -> dict[str, Conflict]:  # noqa: ANN001
    assert result.status == "infeasible"
    out = {c.code: c for c in result.conflicts}
    for c in result.conflicts:
        assert c.parts, c  # every builder keeps its times as values
        assert c.text() == c.text(PLAIN) == c.message  # plain numbers: the message as it always read
    return out


def test_release_deadline_and_window_read_plain_as_before_and_marked_through_times():
    # J0 and J1 both need M0 for 5, released at 10 and 8, due by 16 and 14
    sc = from_routes("t", [[[(0, 5)]], [[(0, 5)]]], 1, releases=[10, 8])
    sc = replace(sc, jobs=(replace(sc.jobs[0], deadline=16), replace(sc.jobs[1], deadline=14)))
    r = solve(sc, "cpsat", P)
    _by_code(r)
    c = {(x.code, x.objects): x for x in r.conflicts}
    assert c["release", ("J0",)].message == "job J0 is released at 10"
    assert c["release", ("J0",)].text(MARKED) == "job J0 is released at <t10>"
    assert c["deadline", ("J0",)].message == "job J0 must end by its deadline 16 (its route needs at least 5)"
    assert c["deadline", ("J0",)].text(MARKED) == ("job J0 must end by its deadline <t16> "
                                                  "(its route needs at least <d5>)")

    sc = from_routes("t", [[[(1, 5)]]], 2)
    sc = replace(sc, jobs=(replace(sc.jobs[0], deadline=12),),
                 machines=(sc.machines[0], replace(sc.machines[1], calendar=Calendar((Window(4, 30, "maintenance"),)))))
    c = _by_code(solve(sc, "cpsat", P))
    assert c["window"].message == "machine M1 unavailable 4-30 (maintenance)"
    assert c["window"].text(MARKED) == "machine M1 unavailable <4..30> (maintenance)"


def test_pin_earliest_and_change_budget():
    sc = from_routes("t", [[[(0, 5)]], [[(0, 3)]], [[(1, 3)]]], 2)
    sc = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=4), sc.jobs[2]))
    pin = Assignment(sc.jobs[0].operations[0].id, "M0", 0, 5, Category.WORK)
    c = _by_code(solve(sc, "cpsat", replace(P, pinned=(pin,))))
    assert c["pin"].message == "operation J0.0 is pinned to M0 at 0"
    assert c["pin"].text(MARKED) == "operation J0.0 is pinned to M0 at <t0>"

    sc = from_routes("t", [[[(0, 5)], [(1, 2)]]], 2)
    sc = replace(sc, jobs=(replace(sc.jobs[0], deadline=20),))
    c = _by_code(solve(sc, "cpsat", replace(P, options={"earliest": {"J0.0": 15}})))
    assert c["earliest"].message == "operation J0.0 may not start before 15"
    assert c["earliest"].text(MARKED) == "operation J0.0 may not start before <t15>"

    # a budget has no times: its text is its message, whatever writes the times
    budget = Conflict.of("change_budget", ("at most 0 operations may change",))
    assert budget.text(MARKED) == budget.message == "at most 0 operations may change"


def test_a_replan_rewrites_its_conflicts_with_their_times_as_values():
    """``started`` (a pin the re-plan set) and an ``earliest`` a delay imposes say their own times."""
    sc = from_routes("t", [[[(0, 4)]], [[(0, 2)]]], 1)
    sc = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=6)),
                 machines=(replace(sc.machines[0], calendar=Calendar(())),))
    plan = Schedule((Assignment("J0.0", "M0", 0, 4), Assignment("J1.0", "M0", 4, 6)), "plan")
    _, r = reschedule(sc, plan, [MachineDown("M0", 4, 1)], "cpsat", P, at=1)
    c = _by_code(r)
    assert c["started"].message == "operation J0.0 started on M0 at 0, before the re-plan time 1, and stays as it is"
    assert c["started"].text(MARKED) == ("operation J0.0 started on M0 at <t0>, before the re-plan time <t1>, "
                                         "and stays as it is")

    sc = from_routes("t", [[[(0, 2)]], [[(1, 2)]]], 2)
    sc = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=5)))
    plan = Schedule((Assignment("J0.0", "M0", 0, 2), Assignment("J1.0", "M1", 2, 4)), "plan")
    _, r = reschedule(sc, plan, [OperationLate("J1.0", 3)], "cpsat", P, at=1)
    c = _by_code(r)
    assert c["earliest"].message == "operation J1.0 may not start before its planned start plus its delay 5"
    assert c["earliest"].text(MARKED) == "operation J1.0 may not start before its planned start plus its delay <t5>"


def test_a_message_replaced_after_the_parts_were_built_is_shown_as_it_is():
    c = Conflict.of("window", ("machine M1 unavailable ", Between(4, 30)), ("M1",), "machines[1].calendar[0]")
    assert c.message == "machine M1 unavailable 4-30" and c.text(MARKED) == "machine M1 unavailable <4..30>"
    told = replace(c, message="the breakdown of M1 at 4")
    assert told.text(MARKED) == told.text() == "the breakdown of M1 at 4"
    # without parts (a kind whose explainer predates them) the message is the text
    assert Conflict("deadline", "due too early", ("J",)).text(MARKED) == "due too early"
    # the parts are how it reads, not what it is: equal conflicts stay equal
    assert c == Conflict("window", "machine M1 unavailable 4-30", ("M1",), "machines[1].calendar[0]")
    assert Conflict.of("x", ("for ", Span(3), " from ", At(2))).message == "for 3 from 2"
