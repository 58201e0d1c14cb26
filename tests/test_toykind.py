"""A toy kind that lives only in the tests is carried through every registry and every layer.

It proves the goal of the kind registry: a new kind is one package per layer plus
registrations; no generic module changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opsplan.models import check, kpis, objective_value, validate
from opsplan.models.errors import FileFormatError
from opsplan.models.io.document import Document, load, save
from opsplan.models.io.exporters import export_schedule, schedule_from_json
from opsplan.models.io.importers import detect_format, formats_for, import_file
from opsplan.models.io.schema import load_schema
from opsplan.models.kinds import descriptor, kinds
from opsplan.models.schedule import Assignment, Schedule

from tests.toykind import KIND, registered, sample


@pytest.fixture
def toy_models():
    """The toy kind registered in the models layer only."""
    with registered(("models",)):
        yield


@pytest.fixture
def toy_plan():
    """A feasible toy plan: a+c on L1, b+d+e on L2 (makespan 8)."""
    return Schedule.of([
        Assignment("a", "L1", 0, 5), Assignment("c", "L1", 5, 8),
        Assignment("b", "L2", 0, 4), Assignment("d", "L2", 4, 6), Assignment("e", "L2", 6, 8),
    ], "by hand")


def test_toy_is_unknown_until_registered():
    """Without its registration the toy kind is refused, by name, at the file's kind."""
    assert KIND not in kinds()
    data = {"format": "opsplan", "version": 2, "kind": KIND, "scenario": {}}
    from opsplan.models.io.document import from_json_dict

    with pytest.raises(FileFormatError, match="unknown scenario kind \"toy\""):
        from_json_dict(data)


def test_toy_file_round_trip_validate_check(toy_models, toy_plan, tmp_path):
    """Registered, the toy kind saves, loads, validates, checks and reports KPIs like a built-in kind."""
    sc = sample()
    assert KIND in kinds() and KIND in load_schema()["properties"]["kind"]["enum"]
    assert validate(sc) == []
    assert check(sc, toy_plan) == []
    assert objective_value(sc, toy_plan) == 8 and kpis(sc, toy_plan)["makespan"] == 8
    bad = Schedule.of([*toy_plan.assignments[:-1], Assignment("e", "L2", 5, 7)])
    assert {v.code for v in check(sc, bad)} == {"lane_overlap"}
    path = save(Document(sc, (toy_plan,)), tmp_path / "toy.json")
    back = load(path)
    assert back.scenario == sc and back.schedules == (toy_plan,)
    data = json.loads(path.read_text())
    data["scenario"]["tasks"][0]["duration"] = "5"
    path.write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match=r"tasks\[0\]\.duration"):
        load(path)


def test_toy_importer_and_exporter(toy_models, toy_plan, tmp_path):
    """The toy kind's importer is found by suffix; a toy schedule exports and reads back."""
    src = tmp_path / "three.toy"
    src.write_text("2\n5\n4\n3\n")
    assert detect_format(src) == "toy-text" and formats_for(KIND) == ["toy-text"]
    doc = import_file(src)
    assert doc.kind == KIND and [t.duration for t in doc.scenario.tasks] == [5, 4, 3]
    out = export_schedule(sample(), toy_plan, tmp_path / "plan.json")
    assert schedule_from_json(out, scenario=sample()) == toy_plan
    rows = export_schedule(sample(), toy_plan, tmp_path / "plan.csv").read_text().splitlines()
    assert rows[0] == "task,resource,start,end,duration,category"
    assert descriptor(KIND).summary(sample()) == "5 tasks, 2 lanes"


# --------------------------------------------------------------------------- every layer
@pytest.fixture
def toy_all():
    """The toy kind registered in every layer: models, solvers, policies and the GUI."""
    with registered():
        yield


@pytest.fixture
def toy_file(toy_all, tmp_path):
    """The toy sample saved as an OpsPlan document."""
    return save(Document(sample()), tmp_path / "toy.json")


def test_toy_cpsat_proves_the_optimum_and_passes_the_checker(toy_all):
    """cpsat solves the toy through the kind's model builder: makespan 8 proved, checker clean."""
    from opsplan.solvers import Params, available, solve

    assert "cpsat" in available(KIND) and "dispatch:longest-first" in available(KIND)
    r = solve(sample(), "cpsat", Params(time_limit=10, threads=1))
    assert r.status == "optimal" and r.objective == 8 and check(sample(), r.schedule) == []


def test_toy_dispatch_rule_and_job_shop_rules_do_not_collide(toy_all):
    """A toy rule name is a variant of the toy kind only; its plan passes the checker."""
    from opsplan.models.errors import SolverError
    from opsplan.solvers import solve
    from opsplan.solvers.registry import variants

    r = solve(sample(), "dispatch:longest-first")
    assert r.schedule is not None and check(sample(), r.schedule) == []
    assert "longest-first" not in variants("dispatch", "jobshop")
    with pytest.raises(SolverError):
        solve(sample(), "dispatch:mwkr")  # a job-shop rule is no toy rule


def test_toy_policy_environment_through_the_policy_backend(toy_all, tmp_path):
    """A toy ONNX policy (longest task first) rolls out on the toy environment through `policy:`."""
    np = pytest.importorskip("numpy")
    from opsplan.solvers import Params, solve

    from tests.policies.tiny_onnx import write
    from tests.toykind.policies import TOY_V1

    w = np.asarray([[1.0], [0.0]], np.float32)  # score = duration: the longest task first (LPT)
    path = write(tmp_path / "toy-lpt.onnx", name="toy-lpt", w=w, kind=KIND, features=TOY_V1.as_dict(),
                 shapes={"globals": ["batch", TOY_V1.n_global]})
    r = solve(sample(), f"policy:{path}", Params(seed=0, options={"samples": 4}))
    assert r.schedule is not None and check(sample(), r.schedule) == []
    assert r.objective == objective_value(sample(), r.schedule) == 8
    assert [t for t, _, _ in r.stats["trace"]][:2] == ["a", "b"]  # the two longest first


def test_opsplan_solve_and_check_on_a_toy_file(toy_file, tmp_path, capsys):
    """`opsplan solve` and `opsplan check` speak the toy's words and exit 0 on its plan."""
    from opsplan.app.cli import main

    out = tmp_path / "solved.json"
    rc = main(["solve", str(toy_file), "--solver", "cpsat", "--time-limit", "10", "-o", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "5 tasks, 2 lanes" in text and "Makespan" in text
    assert main(["check", str(toy_file), str(out)]) == 0
    assert "feasible: 5 tasks, no violations" in capsys.readouterr().out
    broken = load(out)
    plan = broken.schedules[-1]
    moved = Schedule.of([plan.assignments[0].__class__(a.task, a.resource, 0, a.end - a.start) for a in plan])
    save(broken.with_schedule(moved.renamed(plan.name)), out)
    assert main(["check", str(toy_file), str(out)]) == 1
    assert "lane_overlap" in capsys.readouterr().out


def test_the_plan_board_opens_solves_and_screenshots_a_toy(toy_file, tmp_path, capsys):
    """The real main window opens a toy file, solves it with cpsat and renders a screenshot."""
    pytest.importorskip("PySide6")
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from opsplan.app.gui.app import main as gui_main

    png = Path(os.environ.get("OPSPLAN_TOY_SCREENSHOT", tmp_path / "toy.png"))
    rc = gui_main([str(toy_file), "--solve", "cpsat", "--time-limit", "10", "--screenshot", str(png),
                   "--size", "1600x1000"])
    assert rc == 0, capsys.readouterr().err
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    assert (img.width(), img.height()) == (1600, 1000)
    colours = {img.pixel(x, y) for x in range(0, 1600, 10) for y in range(0, 1000, 10)}
    assert len(colours) > 20  # a drawn board (bars, lanes, panels), not a blank window


def test_generic_utilization_for_a_kind_without_its_own(toy_all, toy_plan):
    """The board's utilization table comes from the demand profile when the kind reports none."""
    from opsplan.app.gui.kinds import adapter_for

    assert adapter_for(KIND).utilization(sample(), toy_plan) == {"L1": 1.0, "L2": 1.0}
    half = Schedule.of([Assignment("a", "L1", 0, 5), Assignment("b", "L2", 0, 4), Assignment("c", "L2", 4, 7),
                        Assignment("d", "L2", 7, 9), Assignment("e", "L1", 5, 7)])
    u = adapter_for(KIND).utilization(sample(), half)
    assert u == {"L1": 7 / 9, "L2": 1.0}


def test_the_solve_panel_offers_each_kind_its_own_solvers(toy_all):
    """The plan board's solver list for a kind holds that kind's rules only."""
    from opsplan.app.gui.solve_panel import solver_choices

    toy = [n for n, _, _ in solver_choices(KIND)]
    shop = [n for n, _, _ in solver_choices("jobshop")]
    assert "dispatch:longest-first" in toy and "dispatch:mwkr" not in toy and "cpsat" in toy
    assert "dispatch:mwkr" in shop and "dispatch:longest-first" not in shop
