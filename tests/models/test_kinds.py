"""The kind registry, the shared vocabulary (vector capacity, amounts, typed extras) and version-1 files."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from opsplan.models import check, kpis, objective_value, validate
from opsplan.models.core import Resource, Vector, capacity_from_json, capacity_to_json, load_share
from opsplan.models.errors import FileFormatError, OpsPlanError
from opsplan.models.io.document import VERSION, Document, dumps, load, loads, save
from opsplan.models.io.exporters import export_schedule, schedule_from_json
from opsplan.models.kinds import descriptor, kinds, with_objective
from opsplan.models.schedule import Assignment, Category, Schedule, count_changes

V1 = Path(__file__).resolve().parents[1] / "data" / "v1"


@pytest.fixture
def plan(tiny_jobshop):
    """A feasible plan of the tiny job shop, built by a dispatch rule."""
    from opsplan.solvers import solve

    return solve(tiny_jobshop, "dispatch:spt").schedule


# --------------------------------------------------------------------------- registry
def test_jobshop_is_registered_with_its_descriptor(tiny_jobshop):
    """Job shop is the first registered kind, found by name and by scenario."""
    assert kinds()[0] == "jobshop"
    d = descriptor(tiny_jobshop)
    assert d is descriptor("jobshop")
    assert d.label == "Job shop" and d.task_word == "operation" and d.group_word == "job"
    assert set(d.objectives) == {"makespan", "total_weighted_tardiness", "max_lateness"}
    assert d.task_ids(tiny_jobshop) == [op.id for j in tiny_jobshop.jobs for op in j.operations]
    assert d.group_of(tiny_jobshop, tiny_jobshop.jobs[1].operations[0].id) == tiny_jobshop.jobs[1].id
    assert d.horizon(tiny_jobshop) >= sum(op.min_duration for j in tiny_jobshop.jobs for op in j.operations)
    assert "machine_down" in [x.name for x in d.disruptions]
    assert {s.name for s in d.importers} == {"orlib-jobshop", "fjs", "orlib-wt", "jobshop-xlsx", "jobshop-csv"}


def test_unknown_kind_is_a_clear_error():
    """Asking for a kind nobody registered names the known ones."""
    with pytest.raises(OpsPlanError, match="'nosuch' is not supported.*jobshop"):
        descriptor("nosuch")


def test_generic_functions_go_through_the_descriptor(tiny_jobshop, plan):
    """validate, check, objective_value and kpis answer for a job shop through the registry."""
    assert validate(tiny_jobshop) == []
    assert check(tiny_jobshop, plan) == []
    k = kpis(tiny_jobshop, plan)
    assert objective_value(tiny_jobshop, plan) == k["makespan"] == plan.makespan
    for kpi in descriptor(tiny_jobshop).kpi_list:
        assert kpi.key in k and kpi.better in ("lower", "higher", "")


def test_with_objective_overrides_and_refuses_unknown_names(tiny_jobshop):
    """An objective the kind declares replaces the scenario's; an unknown one is refused by name."""
    sc = with_objective(tiny_jobshop, "max_lateness")
    assert sc.objective.value == "max_lateness" and tiny_jobshop.objective.value == "makespan"
    d = descriptor(sc)
    assert d.objective_of(sc) == "max_lateness" and d.objective_of(tiny_jobshop) == "makespan"
    with pytest.raises(OpsPlanError, match="no objective 'speed'.*makespan"):
        with_objective(tiny_jobshop, "speed")


# --------------------------------------------------------------------------- vocabulary
def test_vector_is_an_immutable_hashable_mapping():
    """Named capacities compare per dimension; missing dimensions count as 0."""
    cap = Vector(cpu=8, memory=32)
    req = Vector({"cpu": 2, "memory": 40})
    assert dict(cap) == {"cpu": 8, "memory": 32} and cap["cpu"] == 8
    assert not req.fits_in(cap) and req.over(cap) == ["memory"]
    assert Vector(cpu=2).fits_in(cap) and not Vector(gpu=1).fits_in(cap)
    assert cap + Vector(gpu=1) == Vector(cpu=8, memory=32, gpu=1)
    assert cap - req == Vector(cpu=6, memory=-8)
    assert Vector(cpu=1, gpu=0) == Vector(cpu=1) and hash(Vector(cpu=1, gpu=0)) == hash(Vector(cpu=1))
    assert len({Vector(a=1, b=2), Vector(b=2, a=1)}) == 1
    assert load_share(Vector(cpu=4, memory=8), cap) == 0.5 and load_share(3, 4) == 0.75
    assert capacity_from_json(capacity_to_json(cap)) == cap and capacity_from_json(3) == 3


def test_assignment_amount_and_vector_capacity_round_trip(tiny_jobshop, tmp_path):
    """An amount other than 1 (a count or a vector) is written, read back and exported; 1 stays implicit."""
    sched = Schedule.of([
        Assignment("a", "M0", 0, 5),
        Assignment("b", "M1", 0, 5, Category.WORK, 3),
        Assignment("c", "M2", 0, 5, Category.MIGRATION, Vector(cpu=2, memory=4)),
    ], "amounts")
    doc = Document(tiny_jobshop, (sched,))
    data = json.loads(dumps(doc))
    rows = data["schedules"][0]["assignments"]
    assert "amount" not in rows[0] and rows[1]["amount"] == 3 and rows[2]["amount"] == {"cpu": 2, "memory": 4}
    back = loads(dumps(doc), validate=False).schedules[0]
    assert back == sched
    exported = export_schedule(tiny_jobshop, sched, tmp_path / "s.json")
    assert schedule_from_json(exported, scenario=tiny_jobshop) == sched
    csv = export_schedule(tiny_jobshop, sched, tmp_path / "s.csv").read_text().splitlines()
    assert csv[0].split(",")[-1] == "amount" and csv[2].endswith(",3")


def test_vector_capacity_is_accepted_by_the_schema_and_refused_by_job_shop(tiny_jobshop):
    """The shared schema takes a named capacity; job-shop validation says its machines are unary."""
    m0 = replace(tiny_jobshop.machines[0], capacity=Vector(cpu=4))
    sc = replace(tiny_jobshop, machines=(m0, *tiny_jobshop.machines[1:]))
    text = dumps(Document(sc))
    assert json.loads(text)["scenario"]["machines"][0]["capacity"] == {"cpu": 4}
    issues = loads(text, validate=False).scenario
    assert issues.machines[0].capacity == Vector(cpu=4)
    assert any(i.path == "machines[0].capacity" for i in validate(sc))
    assert Resource("n").unary and not Resource("n", capacity=Vector(cpu=1)).unary


def test_typed_extras_pins_routes_placement():
    """Pins, route order and placement are typed views of the schedule's extras."""
    s = Schedule.of([Assignment("a", "M0", 0, 1), Assignment("b", "M0", 1, 2)])
    p = s.with_pins(["b", "a", "b"])
    assert p.pinned == {"a", "b"} and p.extra("pinned") == ("a", "b")
    assert [a.task for a in p.pinned_assignments()] == ["a", "b"]
    assert p.with_pins([]).extras == () and s.pinned == frozenset()
    r = s.with_routes({"V1": ["b", "a"]}).with_placement({"a": "N1"})
    assert r.routes == {"V1": ("b", "a")} and r.placement == {"a": "N1"}
    assert loads(dumps(Document(_one_machine(), (r.renamed("x"),))), validate=False).schedules[0].routes == r.routes


def _one_machine():
    from opsplan.models.jobshop.build import classic

    return classic("one", [[(0, 1)], [(0, 1)]])


def test_count_changes_counts_moved_reassigned_added_removed():
    """The change count a budget bounds: one per task that differs, within a tolerance."""
    old = Schedule.of([Assignment("a", "M0", 0, 5), Assignment("b", "M0", 5, 9), Assignment("c", "M1", 0, 2)])
    new = Schedule.of([Assignment("a", "M0", 1, 6), Assignment("b", "M1", 5, 9), Assignment("d", "M1", 3, 4)])
    assert count_changes(old, new) == 4  # a moved, b reassigned, c removed, d added
    assert count_changes(old, new, tolerance=1) == 3
    assert count_changes(old, old) == 0


# --------------------------------------------------------------------------- version-1 files
@pytest.mark.parametrize("name", sorted(p.name for p in V1.glob("*.json")))
def test_version_1_samples_open_solve_and_save_as_current(name, tmp_path):
    """Today's samples as version-1 files open, solve and are saved in the current version."""
    from opsplan.solvers import solve

    src = tmp_path / name
    shutil.copy(V1 / name, src)
    assert json.loads(src.read_text())["version"] == 1
    doc = load(src)
    result = solve(doc.scenario, "dispatch:spt")
    if result.schedule is not None:  # the infeasible sample has no plan to keep
        assert check(doc.scenario, result.schedule) == []
        doc = doc.with_schedule(result.schedule.renamed("spt"))
    save(doc, src)
    data = json.loads(src.read_text())
    assert data["version"] == VERSION == 2
    assert load(src).scenario == doc.scenario


def test_version_1_samples_match_the_bundled_ones():
    """The bundled samples hold the same scenarios as their version-1 copies, in the current version."""
    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    for p in V1.glob("*.json"):
        assert json.loads((samples / p.name).read_text())["version"] == VERSION
        assert load(samples / p.name).scenario == load(p).scenario


def test_version_0_and_future_versions_are_refused(tmp_path):
    """A version this build cannot read is a one-line error naming the range it reads."""
    for v, needle in ((0, "expected 1 to"), (VERSION + 1, "newer OpsPlan")):
        p = tmp_path / f"v{v}.json"
        data = json.loads((V1 / "ft06.json").read_text())
        p.write_text(json.dumps({**data, "version": v}))
        with pytest.raises(FileFormatError, match=needle):
            load(p)


def test_lazy_registrations_load_once_ignore_reentry_and_retry_after_a_failure(tmp_path, monkeypatch):
    """A registration module is imported on the first look-up only; a failed import is tried again."""
    import sys

    from opsplan.models.plugins import LazyRegistrations

    (tmp_path / "toy_regs.py").write_text(
        "import toy_state\n"
        "toy_state.calls += 1\n"
        "if toy_state.fail:\n"
        "    raise RuntimeError('broken registration')\n"
        "toy_state.lazy.ensure()  # a look-up while registering is a no-op\n")
    (tmp_path / "toy_state.py").write_text("calls = 0\nfail = True\nlazy = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy_state

    lazy = toy_state.lazy = LazyRegistrations("toy_regs")
    with pytest.raises(RuntimeError, match="broken"):
        lazy.ensure()
    assert not lazy.loaded and toy_state.calls == 1
    sys.modules.pop("toy_regs", None)
    toy_state.fail = False
    assert lazy.ensure() is True and lazy.loaded and toy_state.calls == 2
    assert lazy.ensure() is False and toy_state.calls == 2
    for name in ("toy_regs", "toy_state"):
        sys.modules.pop(name, None)
