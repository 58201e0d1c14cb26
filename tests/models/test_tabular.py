"""Job-shop tables: a planner's workbook or CSV folder in, every bad cell named, and round trips out."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opsplan.models import validate
from opsplan.models.core import Calendar, Resource, TimeUnit, Window
from opsplan.models.errors import FileFormatError, ValidationError
from opsplan.models.io.document import load
from opsplan.models.io.exporters import export_schedule
from opsplan.models.io.importers import detect_format, import_file
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Objective, Operation, SetupMatrix
from opsplan.models.jobshop.tabular import (
    TableFormatError,
    import_jobshop_tables,
    looks_like_tables,
    scenario_tables,
    write_jobshop_tables,
    write_scenario_sheets,
)
from opsplan.models.schedule import Assignment, Schedule

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
FORMATS = ("xlsx", "csv")


# --------------------------------------------------------------------------- helpers
def _write(tmp_path: Path, fmt: str, tables: dict[str, list[list]]) -> Path:
    """Write ``tables`` (sheet name -> rows, row 1 the header) as a workbook or a CSV folder, cell by cell."""
    if fmt == "xlsx":
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in tables.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(list(row))
        path = tmp_path / "plan.xlsx"
        book.save(path)
        return path
    folder = tmp_path / "plan"
    folder.mkdir()
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            for row in rows:
                w.writerow(["" if v is None else v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v
                            for v in row])
    return folder


def _label(fmt: str, name: str) -> str:
    return f"sheet '{name}'" if fmt == "xlsx" else f"file '{name}.csv'"


def _serial(sc: JobShopScenario) -> Schedule:
    """Every operation one after another on its first mode's machine."""
    t, out = 0, []
    for job in sc.jobs:
        for op in job.operations:
            m = op.modes[0]
            out.append(Assignment(op.id, m.resource, t, t + m.duration))
            t += m.duration
    return Schedule(tuple(out), "serial")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def planner_tables() -> dict[str, list[list]]:
    """A small bakery as a planner types it: loose headers, a blank row, a notes column, a due date as a date."""
    return {
        "Scenario": [
            ["Setting", "Value"],
            ["name", "Tiny bakery"],
            ["time unit", "minutes"],
            ["epoch", "2026-12-01T22:00:00"],
            ["objective", "Total weighted tardiness"],
        ],
        "Machines": [
            [" Machine ID ", "Name", "Capacity"],
            ["MIX", "Mixer", 1],
            ["OVN", "Oven", None],
        ],
        "Calendars": [
            ["machine", "start", "end", "reason"],
            ["OVN", 60, 90, "cleaning"],
        ],
        "Orders": [
            ["Order ID", "Name", "Release", "Due Date", "Deadline", "Weight", "Notes"],
            ["A", "Rolls", 0, datetime(2026, 12, 2, 1, 0), None, 2, "call before delivery"],
            ["B", "Bread", 30, None, 240, None, None],
        ],
        "Routings": [
            ["Order", "Seq", "Operation", "Name", "Machine", "Duration (min)"],
            ["A", 10, "A-mix", "Mix", "MIX", 20],
            ["A", 20, "A-bake", "Bake", "OVN", 30],
            [],
            ["B", 10, None, "Mix", "MIX", 25],
            ["B", 20, None, "Bake", "OVN", 40],
            ["B", 20, None, "Bake", "MIX", 50],
        ],
        "Setup times": [
            ["machine", "from job", "to job", "time"],
            ["MIX", "A", "B", 5],
        ],
    }


@pytest.fixture
def planner_scenario() -> JobShopScenario:
    """The scenario ``planner_tables`` describes."""
    return JobShopScenario(
        name="Tiny bakery",
        machines=(
            Resource("MIX", "Mixer", 1),
            Resource("OVN", "Oven", 1, Calendar((Window(60, 90, "cleaning"),))),
        ),
        jobs=(
            Job("A", (Operation("A-mix", (Mode("MIX", 20),), "Mix"), Operation("A-bake", (Mode("OVN", 30),), "Bake")),
                release=0, due=180, weight=2, name="Rolls"),
            Job("B", (Operation("B.10", (Mode("MIX", 25),), "Mix"),
                      Operation("B.20", (Mode("OVN", 40), Mode("MIX", 50)), "Bake")),
                release=30, deadline=240, name="Bread"),
        ),
        objective=Objective.TOTAL_WEIGHTED_TARDINESS,
        setups=(SetupMatrix("MIX", ("A", "B"), ((0, 5), (0, 0))),),
        time_unit=TimeUnit.MINUTE,
        epoch="2026-12-01T22:00:00",
    )


@pytest.fixture
def bakery() -> JobShopScenario:
    """The bundled bakery sample's scenario (flexible operations, calendars, a setup matrix, an epoch)."""
    return load(SAMPLES / "bakery-jobshop.json").scenario


# --------------------------------------------------------------------------- good input
@pytest.mark.parametrize("fmt", FORMATS)
def test_planner_tables_import(fmt, planner_tables, planner_scenario, tmp_path):
    """A workbook and a CSV folder in a planner's spelling give the scenario they describe."""
    doc = import_jobshop_tables(_write(tmp_path, fmt, planner_tables))
    assert doc.scenario == planner_scenario
    assert doc.schedules == ()


def test_csv_file_names_its_folder_and_files_may_be_named_one_by_one(planner_tables, planner_scenario, tmp_path):
    """One CSV of the folder means the folder; a list of files (prefixed names) or a {table: file} map works too."""
    folder = _write(tmp_path, "csv", planner_tables)
    assert import_jobshop_tables(folder / "Orders.csv").scenario == planner_scenario
    renamed = []
    for p in sorted(folder.iterdir()):
        q = p.with_name("bakery-" + p.name.lower().replace(" ", "_"))
        p.rename(q)
        renamed.append(q)
    assert import_jobshop_tables(renamed).scenario == planner_scenario
    by_table = {q.stem.removeprefix("bakery-"): q for q in renamed}
    assert import_jobshop_tables(by_table).scenario == planner_scenario


def test_semicolon_csv_and_steps_without_numbers(planner_scenario, tmp_path):
    """A semicolon CSV (Excel in many locales) reads; without a step column each row is the next step."""
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "machines.csv").write_text("id;name\nM1;Saw\nM2;Drill\n", encoding="utf-8")
    (folder / "orders.csv").write_text("id;weight\nJ1;3\n", encoding="utf-8")
    (folder / "routings.csv").write_text("job;machine;duration\nJ1;M2;4\nJ1;M1;5\n", encoding="utf-8")
    sc = import_jobshop_tables(folder).scenario
    assert sc.name == "shop" and sc.objective == Objective.MAKESPAN and sc.epoch is None
    assert [(op.id, op.modes) for op in sc.jobs[0].operations] == [("J1.1", (Mode("M2", 4),)),
                                                                    ("J1.2", (Mode("M1", 5),))]
    assert sc.jobs[0].weight == 3


def test_windows_1252_csv_reads_and_a_folder_of_tables_is_recognised(tmp_path):
    """A CSV saved by Excel on Windows (Windows-1252, not UTF-8) reads; looks_like_tables spots the folder."""
    folder = tmp_path / "shop"
    folder.mkdir()
    assert not looks_like_tables(folder)
    (folder / "machines.csv").write_bytes("id,name\nM1,Säge\n".encode("cp1252"))
    (folder / "orders.csv").write_bytes("id,name\nJ1,Müller\n".encode("cp1252"))
    (folder / "routings.csv").write_text("job,machine,duration\nJ1,M1,4\n", encoding="utf-8")
    assert looks_like_tables(folder) and looks_like_tables(folder / "orders.csv")
    sc = import_jobshop_tables(folder).scenario
    assert sc.machines[0].name == "Säge" and sc.jobs[0].name == "Müller"


# --------------------------------------------------------------------------- bad cells
def _routing_without_machine(t):
    t["Routings"] = [row[:4] + row[5:] for row in t["Routings"]]


def _no_epoch(t):
    t["Scenario"] = [row for row in t["Scenario"] if row[0] != "epoch"]


BAD_CELLS = {
    # case -> (mutation, table, spreadsheet row, column header or None, piece of the message)
    "duration-not-a-number": (lambda t: t["Routings"][5].__setitem__(5, "twenty"),
                              "Routings", 6, "Duration (min)", "duration 'twenty' is not a number"),
    "unknown-machine": (lambda t: t["Routings"][6].__setitem__(4, "OV9"),
                        "Routings", 7, "Machine", "unknown machine 'OV9'"),
    "negative-time": (lambda t: t["Orders"][2].__setitem__(2, -5), "Orders", 3, "Release", "negative release -5"),
    "missing-column": (_routing_without_machine, "Routings", 1, None, "missing column 'machine'"),
    "date-without-epoch": (_no_epoch, "Orders", 2, "Due Date", "but the scenario has no epoch"),
    "bad-step": (lambda t: t["Routings"][2].__setitem__(1, "2nd"), "Routings", 3, "Seq", "step '2nd' is not a number"),
    "empty-required-cell": (lambda t: t["Routings"][1].__setitem__(4, None), "Routings", 2, "Machine",
                            "'Machine' is empty"),
    "calendar-window-backwards": (lambda t: t["Calendars"][1].__setitem__(2, 50), "Calendars", 2, "end",
                                  "end 50 is not after start 60"),
    "header-unit-disagrees": (lambda t: t["Routings"][0].__setitem__(5, "Duration (h)"), "Routings", 1,
                              "Duration (h)", "the header counts in h but the scenario counts time in min"),
    "two-ids-for-one-step": (lambda t: (t["Routings"][5].__setitem__(2, "B-bake"),
                                        t["Routings"][6].__setitem__(2, "B-oven")),
                             "Routings", 7, "Operation", "step 20 of order 'B' is operation 'B-bake' (row 6)"),
    "unknown-order-in-setups": (lambda t: t["Setup times"][1].__setitem__(2, "Z"), "Setup times", 2, "to job",
                                "unknown order 'Z'"),
    "order-twice": (lambda t: t["Orders"].append(["A", "More rolls", 0, None, None, 1, None]), "Orders", 4,
                    "Order ID", "order 'A' is listed twice (first on row 2)"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_a_bad_cell_is_named_by_sheet_row_and_column(case, fmt, planner_tables, tmp_path):
    """Each kind of bad cell gives one error naming the sheet (or CSV file), the spreadsheet row and the column."""
    mutate, table, row, column, what = BAD_CELLS[case]
    mutate(planner_tables)
    path = _write(tmp_path, fmt, planner_tables)
    with pytest.raises(TableFormatError) as info:
        import_jobshop_tables(path)
    err = info.value
    where = f"{_label(fmt, table)}, row {row}" + (f", column '{column}'" if column else "")
    assert isinstance(err, FileFormatError)
    assert err.path == str(path)
    assert len(err.problems) == 1, err.problems
    assert err.where == where
    assert what in err.what
    assert f"{path} ({where}): " in str(err)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_sheet_is_named(fmt, planner_tables, tmp_path):
    """Without the routings the error names the missing sheet (or file) and what there is instead."""
    del planner_tables["Routings"]
    with pytest.raises(TableFormatError) as info:
        import_jobshop_tables(_write(tmp_path, fmt, planner_tables))
    err = info.value
    assert err.where is None
    if fmt == "xlsx":
        assert err.what.startswith("missing sheet 'routings' (the workbook has 'Scenario', 'Machines'")
    else:
        assert err.what.startswith("missing file 'routings.csv' (found 'Calendars.csv'")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_bad_cell_is_reported_at_once(fmt, planner_tables, tmp_path):
    """Bad cells in several sheets come in one error, in sheet and row order, each with its place."""
    planner_tables["Orders"][2][2] = -5
    planner_tables["Routings"][5][5] = "twenty"
    planner_tables["Routings"][6][4] = "OV9"
    planner_tables["Machines"][2][2] = 0
    with pytest.raises(TableFormatError) as info:
        import_jobshop_tables(_write(tmp_path, fmt, planner_tables))
    err = info.value
    assert [where for where, _ in err.problems] == [
        f"{_label(fmt, 'Machines')}, row 3, column 'Capacity'",
        f"{_label(fmt, 'Orders')}, row 3, column 'Release'",
        f"{_label(fmt, 'Routings')}, row 6, column 'Duration (min)'",
        f"{_label(fmt, 'Routings')}, row 7, column 'Machine'",
    ]
    assert "capacity must be at least 1, got 0" in err.what
    assert str(err).count("\n  also ") == 3


def test_a_valid_table_that_makes_an_unusable_scenario_raises_the_validation_error(planner_tables, tmp_path):
    """Well-formed cells go on to the scenario validation, whose error (every issue) propagates."""
    planner_tables["Orders"][2][4] = 50  # B: release 30 + shortest route 65 > deadline 50
    path = _write(tmp_path, "csv", planner_tables)
    with pytest.raises(ValidationError) as info:
        import_jobshop_tables(path)
    assert info.value.source == str(path)
    assert [i.path for i in info.value.issues] == ["jobs[1].deadline"]


def test_unreadable_inputs_are_file_format_errors(tmp_path):
    """A missing path, a workbook that is no workbook, an old .xls and a second instance: clear errors."""
    with pytest.raises(FileFormatError, match="file not found"):
        import_jobshop_tables(tmp_path / "nowhere.xlsx")
    with pytest.raises(FileFormatError, match="file not found"):
        import_jobshop_tables(tmp_path / "nowhere")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id,name\n")
    with pytest.raises(FileFormatError, match="not a readable Excel workbook"):
        import_jobshop_tables(fake)
    with pytest.raises(FileFormatError, match="save it as .xlsx"):
        import_jobshop_tables(tmp_path / "old.xls")
    with pytest.raises(FileFormatError, match="holds one scenario"):
        import_jobshop_tables(fake, index=2)


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dates", [None, False])
def test_written_tables_read_back_equal(fmt, dates, bakery, planner_scenario, tmp_path):
    """write_jobshop_tables then import_jobshop_tables gives the same scenario (times as dates or as numbers)."""
    for k, sc in enumerate((bakery, planner_scenario)):
        target = tmp_path / (f"s{k}.xlsx" if fmt == "xlsx" else f"s{k}")
        write_jobshop_tables(sc, target, dates=dates)
        assert import_jobshop_tables(target).scenario == sc


def test_odd_text_stays_text_in_a_workbook(planner_scenario, tmp_path):
    """A name such as '=SUM(A1:A9)' is written as text, not a live formula, and 'NA' or 'null' is not
    read as a missing value."""
    from dataclasses import replace

    sc = replace(planner_scenario, description="null",
                 machines=(replace(planner_scenario.machines[0], name="=SUM(A1:A9)"),
                           replace(planner_scenario.machines[1], name="NA")))
    path = write_jobshop_tables(sc, tmp_path / "odd.xlsx")
    assert import_jobshop_tables(path).scenario == sc


def test_sample_workbook_equals_the_json_sample(bakery):
    """resources/samples/bakery-jobshop.xlsx imports to the scenario of bakery-jobshop.json."""
    pytest.importorskip("openpyxl")
    assert import_jobshop_tables(SAMPLES / "bakery-jobshop.xlsx").scenario == bakery


def test_sample_workbook_is_what_the_writer_makes_of_the_json_sample(bakery, tmp_path):
    """Every cell of the bundled workbook is what write_jobshop_tables writes for the JSON sample.

    Regenerate it with:  python -c "from opsplan.models.io.document import load;
    from opsplan.models.jobshop.tabular import write_jobshop_tables as w;
    w(load('resources/samples/bakery-jobshop.json').scenario, 'resources/samples/bakery-jobshop.xlsx')"
    """
    openpyxl = pytest.importorskip("openpyxl")
    fresh = write_jobshop_tables(bakery, tmp_path / "fresh.xlsx")

    def cells(path):
        book = openpyxl.load_workbook(path)
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}

    assert cells(SAMPLES / "bakery-jobshop.xlsx") == cells(fresh)


def test_an_exported_workbook_with_the_scenario_sheets_imports_back(bakery, tmp_path):
    """The schedule export's workbook plus write_scenario_sheets (the exporter's hook) imports to the scenario."""
    pd = pytest.importorskip("pandas")
    openpyxl = pytest.importorskip("openpyxl")
    path = export_schedule(bakery, _serial(bakery), tmp_path / "plan.xlsx", fmt="xlsx")
    # what the hook does inside the exporter's own writer, done here on the finished file
    with pd.ExcelWriter(path, engine="openpyxl", mode="a", if_sheet_exists="replace") as writer:
        write_scenario_sheets(writer, bakery)
    assert import_jobshop_tables(path).scenario == bakery
    names = openpyxl.load_workbook(path).sheetnames
    assert names[:2] == ["Schedule", "KPIs"] and {"scenario", "orders", "routings"} <= set(names)


def test_the_excel_export_imports_back_to_its_scenario(bakery, tmp_path):
    """import(export(doc)) == doc.scenario: the exported workbook carries the scenario sheets."""
    path = export_schedule(bakery, _serial(bakery), tmp_path / "plan.xlsx", fmt="xlsx")
    assert import_jobshop_tables(path).scenario == bakery
    assert import_file(path).scenario == bakery  # found by its suffix through the importer registry


def test_scenario_tables_lists_every_setup_pair(bakery):
    """The setups table holds every pair of each matrix (zeros too), so the matrix reads back whole."""
    headers, rows = scenario_tables(bakery)["setups"]
    assert headers == ["machine", "from_job", "to_job", "time (min)"]
    assert len(rows) == sum(len(s.jobs) ** 2 for s in bakery.setups)


# --------------------------------------------------------------------------- property
ids = st.text(alphabet="ABCXYZ0123456789-._", min_size=1, max_size=6).filter(lambda s: s.strip(" ") == s)
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=10)


@st.composite
def scenarios(draw) -> JobShopScenario:
    machine_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    machines = []
    for mid in machine_ids:
        starts = draw(st.lists(st.integers(0, 500), max_size=2))
        windows = tuple(Window(s, s + draw(st.integers(1, 50)), draw(names)) for s in starts)
        machines.append(Resource(mid, draw(names), 1, Calendar(windows)))
    job_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    op_ids = iter(draw(st.lists(ids, min_size=9, max_size=9, unique=True)))
    jobs = []
    for jid in job_ids:
        ops = []
        for _ in range(draw(st.integers(1, 3))):
            used = draw(st.lists(st.sampled_from(machine_ids), min_size=1, max_size=2, unique=True))
            ops.append(Operation(next(op_ids), tuple(Mode(m, draw(st.integers(0, 99))) for m in used), draw(names)))
        release = draw(st.integers(0, 1000))
        shortest = sum(op.min_duration for op in ops)
        deadline = draw(st.none() | st.integers(release + shortest, release + shortest + 500))
        jobs.append(Job(jid, tuple(ops), release, draw(st.none() | st.integers(0, 2000)), draw(st.integers(0, 9)),
                        draw(names), deadline))
    setups = ()
    if draw(st.booleans()):
        n = len(job_ids)
        matrix = tuple(tuple(draw(st.integers(0, 30)) for _ in range(n)) for _ in range(n))
        setups = (SetupMatrix(machine_ids[0], tuple(job_ids), matrix),)
    epoch = None
    if draw(st.booleans()):
        tz = draw(st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30))]))
        moment = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
        epoch = moment.replace(microsecond=0, tzinfo=tz).isoformat()
    return JobShopScenario(draw(ids), tuple(machines), tuple(jobs), draw(st.sampled_from(list(Objective))), setups,
                           draw(st.sampled_from(list(TimeUnit))), epoch, draw(names))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_any_valid_scenario_survives_a_table_round_trip(fmt, sc, tmp_path_factory):
    """Any valid job-shop scenario written as a workbook or CSV tables reads back equal (dates via the epoch too)."""
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    assume(not validate(sc))
    folder = tmp_path_factory.mktemp("tables")
    target = folder / "plan.xlsx" if fmt == "xlsx" else folder
    write_jobshop_tables(sc, target)
    assert import_jobshop_tables(target).scenario == sc


def test_tables_are_found_through_the_importer_registry(bakery, tmp_path):
    """A workbook by its suffix, a CSV folder (or one of its files) by its layout: no --format needed."""
    book = tmp_path / "plan.xlsx"
    write_jobshop_tables(bakery, book)
    folder = tmp_path / "tables"
    write_jobshop_tables(bakery, folder)
    assert detect_format(book) == "jobshop-xlsx"
    assert detect_format(folder) == "jobshop-csv"
    assert detect_format(folder / "orders.csv") == "jobshop-csv"
    assert import_file(folder).scenario == import_file(book).scenario == bakery
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileFormatError, match="folder of no known layout"):
        detect_format(empty)
