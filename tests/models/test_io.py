"""OpsPlan documents, schema, atomic save, importers on the public benchmarks, exporters."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from opsplan.models import validate
from opsplan.models.core import Calendar, Resource, TimeUnit, Window
from opsplan.models.errors import FileFormatError, OpsPlanError, ValidationError
from opsplan.models.io import document as docmod
from opsplan.models.io.document import (
    VERSION,
    Document,
    dumps,
    from_json_dict,
    load,
    loads,
    save,
    to_json_dict,
)
from opsplan.models.io.exporters import export_schedule, schedule_from_json
from opsplan.models.io.importers import detect_format, import_file, importers
from opsplan.models.io.schema import load_schema, schema_errors
from opsplan.models.jobshop.scenario import Objective, SetupMatrix
from opsplan.models.schedule import Assignment, Category, Schedule

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture
def rich_doc(tiny_jobshop):
    """The tiny job shop with a calendar, setups, an epoch, a due date and two schedules."""
    m0 = replace(tiny_jobshop.machines[0], name="Saw", calendar=Calendar((Window(20, 25, "lunch"),)))
    jobs = (replace(tiny_jobshop.jobs[0], due=9, weight=3, release=1, name="Order A"),) + tiny_jobshop.jobs[1:]
    sc = replace(
        tiny_jobshop,
        machines=(m0,) + tiny_jobshop.machines[1:],
        jobs=jobs,
        setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 2), (1, 0))),),
        epoch="2026-12-01T06:00:00",
        time_unit=TimeUnit.HOUR,
        objective=Objective.TOTAL_WEIGHTED_TARDINESS,
        description="tiny, but with everything",
    )
    s1 = Schedule(
        (Assignment("J0.0", "M0", 1, 4), Assignment("J1.0", "M0", 4, 6), Assignment("x", "M0", 4, 4, Category.SETUP)),
        "first",
        (("note", "hand-made"), ("order", ("J0", "J1"))),
    )
    s2 = Schedule((Assignment("J0.0", "M0", 2, 5),), "second")
    return Document(sc, (s1, s2))


# --------------------------------------------------------------------------- document
def test_round_trip_through_text(rich_doc):
    assert loads(dumps(rich_doc)) == rich_doc


def test_deadline_round_trips(rich_doc):
    sc = rich_doc.scenario
    jobs = (replace(sc.jobs[0], deadline=30),) + sc.jobs[1:]
    doc = replace(rich_doc, scenario=replace(sc, jobs=jobs))
    data = to_json_dict(doc)
    assert data["scenario"]["jobs"][0]["deadline"] == 30
    assert "deadline" not in data["scenario"]["jobs"][1]  # unset: not written
    assert schema_errors(data) == []
    back = loads(dumps(doc))
    assert back == doc
    assert (back.scenario.jobs[0].deadline, back.scenario.jobs[1].deadline) == (30, None)
    data["scenario"]["jobs"][0]["deadline"] = -1
    assert schema_errors(data)


def test_round_trip_through_file(rich_doc, tmp_path):
    path = tmp_path / "plan.opsplan.json"
    save(rich_doc, path)
    back = load(path)
    assert back == rich_doc
    assert back.schedules[0].extra("order") == ("J0", "J1")
    assert back.scenario.setup_time("M0", "J0", "J1") == 2


def test_json_form_has_envelope(rich_doc):
    data = to_json_dict(rich_doc)
    assert (data["format"], data["version"], data["kind"]) == ("opsplan", VERSION, "jobshop")
    assert data["schedules"][0]["assignments"][2]["category"] == "setup"
    assert data["scenario"]["machines"][0]["calendar"] == [{"start": 20, "end": 25, "reason": "lunch"}]
    assert schema_errors(data) == []


def test_minimal_document_gets_defaults():
    data = {
        "format": "opsplan",
        "version": 1,
        "kind": "jobshop",
        "scenario": {
            "name": "m",
            "machines": [{"id": "A"}],
            "jobs": [{"id": "J", "operations": [{"id": "J.1", "modes": [{"resource": "A", "duration": 5}]}]}],
        },
    }
    doc = from_json_dict(data)
    sc = doc.scenario
    assert sc.objective is Objective.MAKESPAN and sc.time_unit is TimeUnit.MINUTE and sc.epoch is None
    assert sc.jobs[0].weight == 1 and sc.jobs[0].due is None and doc.schedules == ()


def test_validation_error_carries_every_issue(rich_doc, tmp_path):
    data = to_json_dict(rich_doc)
    data["scenario"]["jobs"][0]["operations"][0]["modes"][0]["resource"] = "M9"
    data["scenario"]["jobs"][1]["id"] = "J0"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValidationError) as info:
        load(path)
    assert info.value.source == str(path)
    assert [i.path for i in info.value.issues] == [
        "jobs",
        "jobs[0].operations[0].modes[0].resource",
        "setups[0].jobs[1]",
    ]
    assert load(path, validate=False).scenario.jobs[1].id == "J0"


def test_schema_errors_name_the_json_path(rich_doc):
    data = to_json_dict(rich_doc)
    data["scenario"]["jobs"][2]["operations"][0]["modes"][0]["duration"] = -1
    data["scenario"]["machines"][0]["capacity"] = "one"
    with pytest.raises(FileFormatError) as info:
        from_json_dict(data, source="plan.json")
    err = info.value
    assert err.where == "$.scenario.jobs[2].operations[0].modes[0].duration"
    assert "plan.json" in str(err)
    assert "$.scenario.machines[0].capacity" in str(err)  # the other problem is listed too


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"format": "other"}, "$.format"),
        ({"version": VERSION + 1}, "$.version"),
        ({"version": "1"}, "$.version"),
        ({"version": 0}, "$.version"),
        ({"kind": "fleet"}, "$.kind"),
    ],
)
def test_wrong_envelope_is_a_file_format_error(rich_doc, change, where):
    data = {**to_json_dict(rich_doc), **change}
    with pytest.raises(FileFormatError) as info:
        from_json_dict(data)
    assert info.value.where == where


def test_not_an_object_and_duplicate_keys_and_nan_are_refused():
    with pytest.raises(FileFormatError, match="got an array"):
        loads("[]")
    with pytest.raises(FileFormatError, match="duplicate key"):
        loads('{"format": "opsplan", "format": "opsplan"}')
    with pytest.raises(FileFormatError, match="NaN"):
        loads('{"x": NaN}')


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileFormatError, match="file not found"):
        load(tmp_path / "none.json")
    with pytest.raises(FileFormatError, match="folder"):
        load(tmp_path)


def test_an_endless_or_huge_input_is_refused_not_read_forever(tmp_path, monkeypatch):
    """`opsplan solve /dev/zero` used to read until memory ran out."""
    monkeypatch.setattr(docmod, "MAX_INPUT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1001)
    with pytest.raises(FileFormatError, match="larger than"):
        load(big)
    big.write_bytes(b"{}" + b" " * 998)  # exactly at the limit: read, then judged on its content
    with pytest.raises(FileFormatError) as info:
        load(big)
    assert "larger than" not in str(info.value)
    if os.path.exists("/dev/zero"):  # a device is refused before a byte is read (issue 23)
        with pytest.raises(FileFormatError, match="is a device, not a regular file"):
            import_file("/dev/zero")


def test_document_edits_make_new_documents(rich_doc):
    changed = rich_doc.with_schedule(Schedule((), "second"))
    assert len(changed.schedules) == 2 and changed.schedule("second") == Schedule((), "second")
    assert rich_doc.schedule("second").assignments  # original untouched
    assert len(rich_doc.with_schedule(Schedule((), "third")).schedules) == 3
    assert [s.name for s in rich_doc.without_schedule("first").schedules] == ["second"]
    assert rich_doc.kind == "jobshop"


def test_schema_kind_enum_is_the_registry():
    """The document schema's kind enum is built from the registered kinds."""
    from opsplan.models.kinds import kinds

    assert "jobshop" in kinds()
    assert load_schema()["properties"]["kind"]["enum"] == kinds()


# --------------------------------------------------------------------------- atomic save
def test_save_leaves_no_temp_file(rich_doc, tmp_path):
    save(rich_doc, tmp_path / "a.json")
    save(rich_doc, tmp_path / "a.json")  # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_failed_save_does_not_clobber_target(rich_doc, tmp_path, monkeypatch):
    target = tmp_path / "plan.json"
    save(rich_doc, target)
    before = target.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        save(rich_doc.without_schedule("first"), target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_unserializable_document_never_touches_disk(rich_doc, tmp_path):
    target = tmp_path / "plan.json"
    save(rich_doc, target)
    before = target.read_bytes()
    bad = rich_doc.with_schedule(Schedule((), "odd", (("obj", object()),)))
    with pytest.raises(TypeError):
        save(bad, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_save_keeps_file_mode(rich_doc, tmp_path):
    target = tmp_path / "plan.json"
    save(rich_doc, target)
    os.chmod(target, 0o640)
    save(rich_doc, target)
    assert target.stat().st_mode & 0o777 == 0o640


def test_save_never_writes_python_objects(rich_doc):
    text = dumps(rich_doc)
    assert "Objective" not in text and "TimeUnit" not in text and "Category" not in text


def test_files_are_never_evaluated_or_unpickled():
    for module in Path(docmod.__file__).parent.glob("*.py"):
        source = module.read_text()
        for banned in ("import pickle", "eval(", "exec(", "yaml.load", "marshal"):
            assert banned not in source, f"{module.name} uses {banned}"


# --------------------------------------------------------------------------- schema resource
def test_schema_is_a_valid_draft_2020_12_schema():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    text = resources.files("opsplan.resources").joinpath("schema/opsplan-v2.schema.json").read_text()
    assert json.loads(text) == schema, "regenerate with: python -m opsplan.models.io.schema --write"


def test_schema_enums_match_the_code():
    defs = load_schema()["$defs"]
    assert set(defs["jobshop_scenario"]["properties"]["objective"]["enum"]) == {o.value for o in Objective}
    assert set(defs["jobshop_scenario"]["properties"]["time_unit"]["enum"]) == {u.value for u in TimeUnit}
    assert set(defs["assignment"]["properties"]["category"]["enum"]) == {c.value for c in Category}


# --------------------------------------------------------------------------- samples
@pytest.mark.parametrize("name", ["bakery-jobshop.json", "ft06.json"])
def test_samples_load_and_validate(name):
    doc = load(SAMPLES / name)
    assert validate(doc.scenario) == []
    assert loads(dumps(doc)) == doc


def test_bakery_sample_is_realistic():
    sc = load(SAMPLES / "bakery-jobshop.json").scenario
    assert 6 <= len(sc.machines) <= 10 and 10 <= len(sc.jobs) <= 14
    assert all(3 <= len(j.operations) <= 6 for j in sc.jobs)
    assert all(m.name for m in sc.machines) and all(j.name and j.due is not None for j in sc.jobs)
    assert sc.is_flexible and sc.has_setups and sc.epoch
    assert sc.objective is Objective.TOTAL_WEIGHTED_TARDINESS and sc.time_unit is TimeUnit.MINUTE
    assert sum(len(m.calendar.windows) for m in sc.machines) >= 2
    assert any(j.release > 0 for j in sc.jobs)


def test_ft06_sample_matches_the_orlib_file(bench_dir):
    assert (
        load(SAMPLES / "ft06.json").scenario.jobs
        == import_file(bench_dir / "jobshop" / "ft06.txt", "orlib-jobshop").scenario.jobs
    )


# --------------------------------------------------------------------------- importers
def test_registry_names():
    assert set(importers()) == {"orlib-jobshop", "fjs", "orlib-wt", "jobshop-xlsx", "jobshop-csv", "opsplan"}


def test_ft06(bench_dir):
    sc = import_file(bench_dir / "jobshop" / "ft06.txt", "orlib-jobshop").scenario
    assert sc.name == "ft06"
    assert (len(sc.jobs), len(sc.machines)) == (6, 6)
    first = [(op.modes[0].resource, op.modes[0].duration) for op in sc.jobs[0].operations]
    assert first == [("M2", 1), ("M0", 3), ("M1", 6), ("M3", 7), ("M5", 3), ("M4", 6)]
    assert [op.id for op in sc.jobs[0].operations][:2] == ["J0.0", "J0.1"]
    assert not sc.is_flexible and validate(sc) == []


def test_la01(bench_dir):
    sc = import_file(bench_dir / "jobshop" / "la01.txt", "orlib-jobshop").scenario
    assert (len(sc.jobs), len(sc.machines)) == (10, 5)
    assert sc.n_operations == 50


def test_mk01_is_flexible(bench_dir):
    sc = import_file(bench_dir / "fjsp" / "mk01.fjs", "fjs").scenario
    assert (len(sc.jobs), len(sc.machines)) == (10, 6)
    assert sc.is_flexible and validate(sc) == []
    # first job line: "6  2 1 5 3 4  3 5 3 3 5 2 1 ..." -> machines 1 and 3 become M0 and M2
    assert [(m.resource, m.duration) for m in sc.jobs[0].operations[0].modes] == [("M0", 5), ("M2", 4)]


def test_mk06_keeps_declared_machines(bench_dir):
    sc = import_file(bench_dir / "fjsp" / "mk06.fjs", "fjs").scenario
    assert len(sc.machines) == 15 and validate(sc) == []
    used = {m.resource for j in sc.jobs for op in j.operations for m in op.modes}
    assert used <= {f"M{i}" for i in range(10)}


def test_wt40_first_instance(bench_dir):
    sc = import_file(bench_dir / "tardiness" / "wt40.txt", "orlib-wt", index=1).scenario
    assert sc.name == "wt40_001"
    assert len(sc.jobs) == 40 and len(sc.machines) == 1
    assert sc.objective is Objective.TOTAL_WEIGHTED_TARDINESS
    j0 = sc.jobs[0]
    assert (j0.operations[0].modes[0].duration, j0.weight, j0.due) == (26, 1, 1588)
    assert validate(sc) == []


def test_wt_index_range_and_size(bench_dir, tmp_path):
    wt = bench_dir / "tardiness" / "wt40.txt"
    assert import_file(wt, "orlib-wt", index=125).scenario.name == "wt40_125"
    with pytest.raises(FileFormatError, match="out of range 1..125"):
        import_file(wt, "orlib-wt", index=126)
    copy = tmp_path / "tardiness.txt"
    copy.write_bytes(wt.read_bytes())
    with pytest.raises(FileFormatError, match="pass the number of jobs"):
        import_file(copy, "orlib-wt")
    assert len(import_file(copy, "orlib-wt", n=40, index=2).scenario.jobs) == 40


def test_every_benchmark_file_imports(bench_dir):
    for folder, pattern in [("jobshop", "*.txt"), ("fjsp", "*.fjs"), ("tardiness", "wt*.txt")]:
        for path in sorted((bench_dir / folder).glob(pattern)):
            sc = import_file(path).scenario
            assert validate(sc) == [], path


def test_orlib_header_and_comments_are_tolerated(tmp_path):
    path = tmp_path / "mt.txt"
    path.write_text(
        " +++++++++++++++++++++++++++++\n \n instance tiny\n \n +++++++++++++++++++++++++++++\n"
        " A tiny 2x2 instance\n 2 2\n 0 3 1 2\n # a comment\n 1 4 0 1\n +++++++++++++++++++++++++++++\n"
    )
    sc = import_file(path, "orlib-jobshop").scenario
    assert sc.name == "mt" and sc.n_operations == 4
    path.write_text("2 2\n0 3 1 2\n1 4 0 1\n5 5\n")
    with pytest.raises(FileFormatError, match=r"line 4.*unexpected data"):
        import_file(path, "orlib-jobshop")


def test_detect_format(bench_dir, tmp_path):
    assert detect_format(bench_dir / "jobshop" / "ft06.txt") == "orlib-jobshop"
    assert detect_format(bench_dir / "fjsp" / "mk01.fjs") == "fjs"
    assert detect_format(bench_dir / "tardiness" / "wt50.txt") == "orlib-wt"
    assert detect_format(SAMPLES / "ft06.json") == "opsplan"
    fjs_txt = tmp_path / "flex.txt"
    fjs_txt.write_text("1 2 1.5\n1 2 1 3 2 4\n")
    assert detect_format(fjs_txt) == "fjs"
    assert import_file(fjs_txt).scenario.is_flexible


def test_import_opsplan_and_unknown_format():
    assert import_file(SAMPLES / "ft06.json", "opsplan").scenario.name == "ft06"
    with pytest.raises(OpsPlanError, match="unknown import format"):
        import_file(SAMPLES / "ft06.json", "taillard")


# --------------------------------------------------------------------------- exporters
def _solution(sc):
    """A simple feasible-looking serial schedule of every operation."""
    t, out = 0, []
    for job in sc.jobs:
        for op in job.operations:
            m = op.modes[0]
            out.append(Assignment(op.id, m.resource, t, t + m.duration))
            t += m.duration
    return Schedule(tuple(out), "serial")


def test_export_json_and_read_back(rich_doc, tmp_path):
    sc = rich_doc.scenario
    sched = _solution(sc)
    path = export_schedule(sc, sched, tmp_path / "out.json", "json")
    data = json.loads(path.read_text())
    assert data["format"] == "opsplan-schedule" and data["scenario"] == sc.name
    assert len(data["assignments"]) == sc.n_operations
    back = schedule_from_json(path)
    assert back.assignments == sched.assignments and back.name == "serial"
    if importlib.util.find_spec("opsplan.models.jobshop.kpi") is not None:
        assert data["kpis"]["makespan"] == sched.makespan


def test_schedule_from_full_document_takes_the_last(rich_doc, tmp_path):
    path = tmp_path / "plan.json"
    save(rich_doc, path)
    assert schedule_from_json(path) == rich_doc.schedules[-1]
    save(replace(rich_doc, schedules=()), path)
    with pytest.raises(FileFormatError, match="no schedule"):
        schedule_from_json(path)


def test_schedule_from_json_rejects_bad_assignments(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps({"format": "opsplan-schedule", "version": 1, "assignments": [{"task": "a", "resource": "M0"}]})
    )
    with pytest.raises(FileFormatError) as info:
        schedule_from_json(path)
    assert info.value.where == "$.assignments[0].start"
    path.write_text(json.dumps({"format": "something"}))
    with pytest.raises(FileFormatError, match="opsplan-schedule"):
        schedule_from_json(path)


def test_export_csv_with_epoch(rich_doc, tmp_path):
    sc = rich_doc.scenario
    path = export_schedule(sc, _solution(sc), tmp_path / "out.csv")
    rows = list(csv.DictReader(path.open(newline="")))
    assert list(rows[0]) == [
        "task",
        "job",
        "resource",
        "start",
        "end",
        "duration",
        "category",
        "start_time",
        "end_time",
    ]
    first = rows[0]
    assert first["job"] == "J0" and first["start"] == "0" and first["duration"] == first["end"]
    # time unit is hours, epoch 06:00
    assert first["start_time"] == "2026-12-01T06:00:00"
    assert first["end_time"] == f"2026-12-01T{6 + int(first['end']):02d}:00:00"


def test_export_csv_without_epoch(tiny_jobshop, tmp_path):
    path = export_schedule(tiny_jobshop, _solution(tiny_jobshop), tmp_path / "out.csv", "csv")
    header = path.read_text().splitlines()[0]
    assert header == "task,job,resource,start,end,duration,category"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_export_xlsx(rich_doc, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    sc = rich_doc.scenario
    path = export_schedule(sc, _solution(sc), tmp_path / "out.xlsx")
    frame = pd.read_excel(path, sheet_name="Schedule")
    assert len(frame) == sc.n_operations
    assert list(frame.columns)[:7] == ["task", "job", "resource", "start", "end", "duration", "category"]
    assert str(frame["start_time"][0]).startswith("2026-12-01 06:00")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_export_unknown_format(tiny_jobshop, tmp_path):
    with pytest.raises(OpsPlanError, match="unknown export format"):
        export_schedule(tiny_jobshop, Schedule(), tmp_path / "x.pdf")


def test_resource_not_a_machine_still_round_trips(tmp_path):
    """Capacity is written even where validation would refuse it (drafts open with validate=False)."""
    from opsplan.models.jobshop.build import classic

    sc = classic("cap", [[(0, 1)]])
    sc = replace(sc, machines=(Resource("M0", capacity=2),))
    doc = Document(sc)
    path = tmp_path / "cap.json"
    save(doc, path)
    with pytest.raises(ValidationError, match="capacity"):
        load(path)
    assert load(path, validate=False) == doc


def test_save_creates_missing_folders(tmp_path):
    """Saving into a folder that does not exist yet creates it (what `-o out/plan.json` needs)."""
    from opsplan.models.io.document import Document, load, save
    from opsplan.models.jobshop.build import classic

    doc = Document(classic("t", [[(0, 2)]]))
    target = tmp_path / "new" / "deeper" / "plan.json"
    save(doc, target)
    assert load(target) == doc


def test_atomic_write_keeps_a_symlink_and_names_the_target_in_errors(tmp_path):
    from opsplan.models.io.atomic import atomic_write_text

    real = tmp_path / "real"
    real.mkdir()
    (real / "plan.json").write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real / "plan.json")
    atomic_write_text(link, "new")
    assert link.is_symlink() and (real / "plan.json").read_text() == "new"
    # a folder, or a path that cannot exist: the error names what the user typed, not a temporary file
    for bad in (real, Path("/proc/opsplan-no-such/x.json")):
        with pytest.raises(OSError) as info:
            atomic_write_text(bad, "z")
        assert info.value.filename == str(bad) and ".tmp" not in str(info.value)
    # a name near the file system's 255-byte limit still has room for the temporary name
    long = tmp_path / ("x" * 250 + ".json")
    atomic_write_text(long, "ok")
    assert long.read_text() == "ok" and [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_export_xlsx_keeps_odd_ids_as_text(tmp_path):
    """An id such as '=1+2' stays text (it became a live formula) and a control character does not
    abort the export; the KPI sheet holds per-machine values as JSON, not Python reprs."""
    openpyxl = pytest.importorskip("openpyxl")
    pytest.importorskip("pandas")
    from opsplan.models.jobshop.build import classic
    from opsplan.solvers import Params, solve

    sc = classic("odd", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    sc = replace(sc, jobs=(replace(sc.jobs[0], id="=1+2", operations=tuple(
        replace(op, id=f"=1+2.{k}") for k, op in enumerate(sc.jobs[0].operations))),
        replace(sc.jobs[1], id="bell\x07", operations=tuple(
            replace(op, id=f"bell\x07.{k}") for k, op in enumerate(sc.jobs[1].operations)))))
    schedule = solve(sc, "dispatch:spt", Params()).schedule
    path = export_schedule(sc, schedule, tmp_path / "odd.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [c for row in book["Schedule"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == "=1+2.0" and c.data_type == "s" for c in cells)
    assert any(c.value == "bell\ufffd.0" for c in cells)
    kpis = {r[0].value: r[1].value for r in book["KPIs"].iter_rows(min_row=2)}
    assert json.loads(kpis["utilization"])


def test_a_file_name_that_is_not_utf8_still_gives_a_document_that_saves(tmp_path, bench_dir):
    import os

    raw = os.path.join(os.fsencode(tmp_path), b"ft06-b\xe4ckerei.txt")
    with open(raw, "wb") as fh:
        fh.write((bench_dir / "jobshop" / "ft06.txt").read_bytes())
    doc = import_file(os.fsdecode(raw), "orlib-jobshop")
    assert doc.scenario.name == "ft06-b\ufffdckerei"
    saved = docmod.save(doc, tmp_path / "out.json")
    assert docmod.load(saved).scenario.name == doc.scenario.name


def test_a_kind_that_is_not_a_string_and_a_nan_in_extras_are_clean_errors(tiny_jobshop):
    text = json.dumps({"format": "opsplan", "version": 1, "kind": ["jobshop"], "scenario": {}})
    with pytest.raises(FileFormatError, match=r"\$\.kind"):
        docmod.loads(text, "k.json")
    doc = docmod.Document(tiny_jobshop, (Schedule((), "s", extras=(("score", float("nan")),)),))
    with pytest.raises(OpsPlanError, match="cannot write"):
        docmod.dumps(doc)  # NaN is not JSON: the file would not load again


def test_atomic_write_never_replaces_a_device_or_a_pipe(tmp_path):
    """Saving to a FIFO (or, as root, to /dev/null) used to swap it for a plain file."""
    import os
    import stat

    from opsplan.models.io.atomic import atomic_write_text

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file") as err:
        atomic_write_text(fifo, "data")
    assert err.value.filename == str(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary file left
