"""Property tests: any job-shop document survives save -> load unchanged."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opsplan.models import validate
from opsplan.models.core import Calendar, Resource, TimeUnit, Window
from opsplan.models.io.document import Document, dumps, load, loads, save
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Objective, Operation, SetupMatrix
from opsplan.models.schedule import Assignment, Category, Schedule

ids = st.text(min_size=1, max_size=8)
texts = st.text(max_size=12)
times = st.integers(min_value=0, max_value=10**9)
small = st.integers(min_value=0, max_value=500)

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts
json_scalars = json_scalars | st.floats(allow_nan=False, allow_infinity=False)
# Extras as a schedule stores them: arrays are tuples, objects are dicts.
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4).map(tuple) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def windows(draw):
    start = draw(small)
    return Window(start, start + draw(st.integers(1, 100)), draw(texts))


@st.composite
def epochs(draw):
    if draw(st.booleans()):
        return None
    tz = draw(st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30))]))
    moment = draw(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)))
    return moment.replace(tzinfo=tz).isoformat()


@st.composite
def scenarios(draw) -> JobShopScenario:
    machine_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    machines = tuple(
        Resource(mid, draw(texts), 1, Calendar(tuple(draw(st.lists(windows(), max_size=3))))) for mid in machine_ids
    )
    n_jobs = draw(st.integers(1, 4))
    job_ids = draw(st.lists(ids, min_size=n_jobs, max_size=n_jobs, unique=True))
    op_ids = iter(draw(st.lists(ids, min_size=4 * n_jobs, max_size=4 * n_jobs, unique=True)))
    jobs = []
    for jid in job_ids:
        ops = []
        for _ in range(draw(st.integers(1, 4))):
            used = draw(st.lists(st.sampled_from(machine_ids), min_size=1, max_size=3, unique=True))
            ops.append(Operation(next(op_ids), tuple(Mode(m, draw(small)) for m in used), draw(texts)))
        jobs.append(
            Job(
                jid,
                tuple(ops),
                release=draw(small),
                due=draw(st.none() | times),
                weight=draw(st.integers(0, 10)),
                name=draw(texts),
            )
        )
    setups = []
    for mid in draw(st.lists(st.sampled_from(machine_ids), max_size=2, unique=True)):
        listed = draw(st.lists(st.sampled_from(job_ids), max_size=3, unique=True))
        n = len(listed)
        matrix = tuple(tuple(draw(st.lists(small, min_size=n, max_size=n))) for _ in range(n))
        setups.append(SetupMatrix(mid, tuple(listed), matrix))
    return JobShopScenario(
        name=draw(texts),
        machines=machines,
        jobs=tuple(jobs),
        objective=draw(st.sampled_from(list(Objective))),
        setups=tuple(setups),
        time_unit=draw(st.sampled_from(list(TimeUnit))),
        epoch=draw(epochs()),
        description=draw(st.text(max_size=40)),
    )


@st.composite
def schedules(draw, scenario: JobShopScenario) -> Schedule:
    tasks = [op.id for j in scenario.jobs for op in j.operations] + ["setup"]
    resources = [m.id for m in scenario.machines]
    assignments = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(-5, 1000))
        assignments.append(
            Assignment(
                draw(st.sampled_from(tasks)),
                draw(st.sampled_from(resources)),
                start,
                start + draw(st.integers(0, 50)),
                draw(st.sampled_from(list(Category))),
            )
        )
    extras = draw(st.dictionaries(ids, json_values, max_size=3))
    return Schedule(tuple(assignments), draw(texts), tuple(extras.items()))


@st.composite
def documents(draw) -> Document:
    sc = draw(scenarios())
    return Document(sc, tuple(draw(st.lists(schedules(sc), max_size=3))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_save_load_round_trip(doc):
    assert validate(doc.scenario) == []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.json"
        save(doc, path)
        assert load(path) == doc
        assert [p.name for p in Path(folder).iterdir()] == ["doc.json"]


@settings(max_examples=100, deadline=None)
@given(documents())
def test_text_round_trip_is_stable(doc):
    text = dumps(doc)
    again = loads(text)
    assert again == doc
    assert dumps(again) == text
