"""Validation of job-shop scenarios: every problem, each with a path."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.models import validate
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.jobshop.build import classic
from opsplan.models.jobshop.scenario import JobShopScenario, Mode, SetupMatrix
from opsplan.models.jobshop.validate import validate_jobshop


@pytest.fixture
def good() -> JobShopScenario:
    """A valid 2-job, 2-machine classic job shop."""
    return classic("good", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])


def with_op(sc: JobShopScenario, j: int, k: int, **changes) -> JobShopScenario:
    """``sc`` with operation ``k`` of job ``j`` changed."""
    job = sc.jobs[j]
    ops = list(job.operations)
    ops[k] = replace(ops[k], **changes)
    jobs = list(sc.jobs)
    jobs[j] = replace(job, operations=tuple(ops))
    return replace(sc, jobs=tuple(jobs))


def paths(issues) -> list[str]:
    return [i.path for i in issues]


def test_good_scenario_has_no_issue(good, tiny_jobshop):
    assert validate_jobshop(good) == []
    assert validate_jobshop(tiny_jobshop) == []


def test_deadline_issues(good):
    # J1 = M1(2) M0(4): released at 3 it cannot end before 9
    late = replace(good.jobs[1], release=3, deadline=8)
    issues = validate_jobshop(replace(good, jobs=(good.jobs[0], late)))
    assert paths(issues) == ["jobs[1].deadline"]
    assert issues[0].message == "J1: release 3 + shortest route 6 = 9 > deadline 8"
    ok = replace(late, deadline=9)
    assert validate_jobshop(replace(good, jobs=(good.jobs[0], ok))) == []
    neg = replace(good.jobs[0], deadline=-1)
    issues = validate_jobshop(replace(good, jobs=(neg, good.jobs[1])))
    assert paths(issues) == ["jobs[0].deadline"] and "negative" in issues[0].message


def test_unknown_machine_has_a_path(good):
    sc = with_op(good, 0, 1, modes=(Mode("M9", 2),))
    issues = validate_jobshop(sc)
    assert paths(issues) == ["jobs[0].operations[1].modes[0].resource"]
    assert str(issues[0]) == "jobs[0].operations[1].modes[0].resource: unknown machine 'M9'"


def test_negative_duration(good):
    issues = validate_jobshop(with_op(good, 1, 0, modes=(Mode("M1", -2),)))
    assert paths(issues) == ["jobs[1].operations[0].modes[0].duration"]
    assert "negative duration -2" in issues[0].message


def test_operation_without_mode(good):
    issues = validate_jobshop(with_op(good, 0, 0, modes=()))
    assert paths(issues) == ["jobs[0].operations[0].modes"]
    assert "'J0.0'" in issues[0].message


def test_duplicate_ids(good):
    sc = with_op(good, 1, 1, id="J0.0")
    twin_job = replace(sc.jobs[0], operations=())
    sc = replace(sc, machines=(*sc.machines, Resource("M0")), jobs=(*sc.jobs, twin_job))
    issues = validate_jobshop(sc)
    got = {str(i) for i in issues}
    assert "machines: machine id 'M0' is used 2 times" in got
    assert "jobs: job id 'J0' is used 2 times" in got
    assert "jobs[0].operations[0].id: operation id 'J0.0' is used 2 times" in got
    assert "jobs[1].operations[1].id: operation id 'J0.0' is used 2 times" in got


def test_bad_setup_matrix_shape(good):
    sc = replace(good, setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 1), (1,))),))
    issues = validate_jobshop(sc)
    assert paths(issues) == ["setups[0].matrix"]
    assert "2x2" in issues[0].message


def test_setup_matrix_with_unknown_names(good):
    sc = replace(good, setups=(SetupMatrix("M7", ("J0", "J5"), ((0, 1), (1, -1))),))
    assert paths(validate_jobshop(sc)) == ["setups[0].machine", "setups[0].jobs[1]", "setups[0].matrix"]


def test_a_setup_matrix_listing_a_job_twice(good):
    """Two rows for one job: the later silently won; which one the planner meant is theirs to say."""
    sc = replace(good, setups=(SetupMatrix("M0", ("J0", "J1", "J0"), ((0, 1, 0), (1, 0, 9), (0, 9, 0))),))
    issues = validate_jobshop(sc)
    assert paths(issues) == ["setups[0].jobs[2]"] and "listed twice" in issues[0].message


def test_bad_calendar_window(good):
    m0 = Resource("M0", calendar=Calendar((Window(5, 5, "empty"),)))
    issues = validate_jobshop(replace(good, machines=(m0, good.machines[1])))
    assert paths(issues) == ["machines[0].calendar[0]"]


@pytest.mark.parametrize("epoch", ["yesterday", "2024-13-01T00:00:00", 1700000000])
def test_bad_epoch(good, epoch):
    issues = validate_jobshop(replace(good, epoch=epoch))
    assert paths(issues) == ["epoch"]


def test_good_epoch(good):
    assert validate_jobshop(replace(good, epoch="2024-03-01T06:00:00+01:00")) == []


def test_every_issue_is_listed(good):
    sc = with_op(good, 0, 1, modes=(Mode("M9", -1),))
    sc = with_op(sc, 1, 0, modes=())
    sc = replace(sc, epoch="nope")
    assert paths(validate_jobshop(sc)) == [
        "jobs[0].operations[1].modes[0].resource",
        "jobs[0].operations[1].modes[0].duration",
        "jobs[1].operations[0].modes",
        "epoch",
    ]


def test_public_validate_dispatches(good):
    sc = with_op(good, 0, 1, modes=(Mode("M9", 2),))
    assert validate(sc) == validate_jobshop(sc)
    assert validate(good) == []


def test_numbers_beyond_the_largest_time_are_named(good):
    from opsplan.models.core import MAX_TIME

    huge = MAX_TIME + 1
    sc = with_op(good, 0, 1, modes=(Mode("M1", huge),))
    sc = replace(sc, jobs=(replace(sc.jobs[0], weight=huge, due=huge), sc.jobs[1]),
                 machines=(replace(sc.machines[0], calendar=Calendar((Window(5, huge),))), sc.machines[1]))
    assert sorted(paths(validate_jobshop(sc))) == sorted([
        "jobs[0].operations[1].modes[0].duration", "jobs[0].weight", "jobs[0].due", "machines[0].calendar[0]"])
    assert validate_jobshop(with_op(good, 0, 1, modes=(Mode("M1", MAX_TIME),))) == []


def test_an_id_longer_than_the_file_schema_allows_is_named(good, tmp_path):
    """A 201-character machine id passed validate(), saved, and the file then refused to load."""
    from opsplan.models.io import document as io

    long_id = "M" * 201
    sc = replace(good, machines=(replace(good.machines[0], id=long_id), good.machines[1]))
    sc = with_op(sc, 0, 0, modes=(Mode(long_id, 3),))
    sc = with_op(sc, 1, 1, modes=(Mode(long_id, 4),))
    assert paths(validate_jobshop(sc)) == ["machines[0].id"]
    ok = replace(good, machines=(replace(good.machines[0], id="M" * 200), good.machines[1]))
    ok = with_op(with_op(ok, 0, 0, modes=(Mode("M" * 200, 3),)), 1, 1, modes=(Mode("M" * 200, 4),))
    assert validate_jobshop(ok) == []
    path = io.save(io.Document(ok), tmp_path / "ok.json")
    assert io.load(path).scenario == ok
