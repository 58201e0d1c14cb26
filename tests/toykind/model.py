"""The toy kind's models package: scenario, codec, schema, validation, checker, KPIs, descriptor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from opsplan.models.core import Issue, Resource, TimeUnit, Violation
from opsplan.models.kinds import KPI, LOWER, Disruption, ImporterSpec, KindDescriptor
from opsplan.models.schedule import Schedule

KIND = "toy"


@dataclass(frozen=True, slots=True)
class ToyTask:
    id: str
    duration: int


@dataclass(frozen=True)
class ToyScenario:
    """Tasks to run once each on any lane; lanes are unary."""

    name: str
    lanes: tuple[Resource, ...]
    tasks: tuple[ToyTask, ...]
    objective: str = "makespan"
    time_unit: TimeUnit = TimeUnit.MINUTE
    epoch: str | None = None
    description: str = ""
    kind: str = field(default=KIND, init=False)

    @property
    def task_index(self) -> dict[str, ToyTask]:
        return {t.id: t for t in self.tasks}


def sample() -> ToyScenario:
    """Five tasks on two lanes: the best makespan is 8 (5+3 | 4+2+2)."""
    return ToyScenario(
        "toy sample",
        (Resource("L1", "Lane 1"), Resource("L2", "Lane 2")),
        (ToyTask("a", 5), ToyTask("b", 4), ToyTask("c", 3), ToyTask("d", 2), ToyTask("e", 2)),
    )


def to_json(sc: ToyScenario) -> dict[str, Any]:
    return {
        "name": sc.name,
        "time_unit": TimeUnit(sc.time_unit).value,
        "objective": sc.objective,
        "lanes": [{"id": r.id, "name": r.name} for r in sc.lanes],
        "tasks": [{"id": t.id, "duration": t.duration} for t in sc.tasks],
    }


def from_json(d: dict[str, Any]) -> ToyScenario:
    return ToyScenario(
        d["name"],
        tuple(Resource(x["id"], x.get("name", "")) for x in d["lanes"]),
        tuple(ToyTask(x["id"], int(x["duration"])) for x in d["tasks"]),
        objective=d.get("objective", "makespan"),
        time_unit=TimeUnit(d.get("time_unit", "min")),
    )


SCHEMA_DEFS = {
    "toy_scenario": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "lanes", "tasks"],
        "properties": {
            "name": {"type": "string"},
            "time_unit": {"enum": ["s", "min", "h"]},
            "objective": {"enum": ["makespan"]},
            "lanes": {"type": "array", "items": {"type": "object", "required": ["id"], "additionalProperties": False,
                                                 "properties": {"id": {"$ref": "#/$defs/id"},
                                                                "name": {"$ref": "#/$defs/text"}}}},
            "tasks": {"type": "array", "items": {"type": "object", "required": ["id", "duration"],
                                                 "additionalProperties": False,
                                                 "properties": {"id": {"$ref": "#/$defs/id"},
                                                                "duration": {"$ref": "#/$defs/time"}}}},
        },
    }
}


def validate(sc: ToyScenario) -> list[Issue]:
    issues = []
    if not sc.lanes:
        issues.append(Issue("lanes", "a toy needs at least one lane"))
    for tid, n in Counter(t.id for t in sc.tasks).items():
        if n > 1:
            issues.append(Issue("tasks", f"task id '{tid}' is used {n} times"))
    for i, t in enumerate(sc.tasks):
        if t.duration <= 0:
            issues.append(Issue(f"tasks[{i}].duration", f"duration {t.duration} must be positive"))
    return issues


def check(sc: ToyScenario, schedule: Schedule) -> list[Violation]:
    out = []
    tasks = sc.task_index
    lanes = {r.id for r in sc.lanes}
    seen = Counter(a.task for a in schedule.work())
    for t in sc.tasks:
        if seen[t.id] != 1:
            out.append(Violation("missing_task" if seen[t.id] == 0 else "duplicate_task",
                                 f"task {t.id} is planned {seen[t.id]} times", (t.id,)))
    per: dict[str, list] = {}
    for a in schedule.work():
        if a.task not in tasks:
            out.append(Violation("unknown_task", f"unknown task {a.task}", (a.task,)))
            continue
        if a.resource not in lanes:
            out.append(Violation("unknown_lane", f"{a.task} on unknown lane {a.resource}", (a.task, a.resource)))
        if a.start < 0 or a.end - a.start != tasks[a.task].duration:
            out.append(Violation("wrong_time", f"{a.task} at {a.start}-{a.end}", (a.task,)))
        per.setdefault(a.resource, []).append(a)
    for lane, lst in per.items():
        lst.sort(key=lambda a: a.start)
        for x, y in zip(lst, lst[1:]):
            if y.start < x.end:
                out.append(Violation("lane_overlap", f"{x.task} and {y.task} overlap on {lane}",
                                     (x.task, y.task, lane)))
    return out


def makespan(sc: ToyScenario, schedule: Schedule) -> int:
    return max((a.end for a in schedule.work() if a.task in sc.task_index), default=0)


def kpis(sc: ToyScenario, schedule: Schedule) -> dict[str, Any]:
    busy = sum(a.end - a.start for a in schedule.work())
    span = makespan(sc, schedule)
    return {"objective": sc.objective, "objective_value": span, "makespan": span,
            "mean_utilization": busy / (span * len(sc.lanes)) if span else 0.0}


def _import_toy_text(path, *, index=None, n=None):  # noqa: ANN001, ANN202
    """A toy text format: one line 'lanes', then one duration per line."""
    from opsplan.models.io.document import Document
    from opsplan.models.io.textfile import Lines

    lines = Lines(path)
    nums = [lines.ints(ln, text) for ln, text in lines.items]
    lanes = tuple(Resource(f"L{i + 1}") for i in range(nums[0][0]))
    tasks = tuple(ToyTask(f"t{k}", row[0]) for k, row in enumerate(nums[1:]))
    return Document(ToyScenario(path.stem, lanes, tasks))


DESCRIPTOR = KindDescriptor(
    kind=KIND,
    label="Toy",
    scenario_type=ToyScenario,
    to_json=to_json,
    from_json=from_json,
    schema_defs=SCHEMA_DEFS,
    schema_root="toy_scenario",
    validate=validate,
    check=check,
    objective_value=makespan,
    kpis=kpis,
    kpi_list=(KPI("makespan", "Makespan", "time", LOWER), KPI("mean_utilization", "Utilization", "%", "higher")),
    objectives=("makespan",),
    with_objective=lambda sc, name: replace(sc, objective=name),
    task_ids=lambda sc: [t.id for t in sc.tasks],
    group_of=lambda sc, task: task,
    horizon=lambda sc: sum(t.duration for t in sc.tasks),
    summary=lambda sc: f"{len(sc.tasks)} tasks, {len(sc.lanes)} lanes",
    resources=lambda sc: sc.lanes,
    new_scenario=sample,
    task_word="task",
    group_word="task",
    resource_word="lane",
    importers=(ImporterSpec("toy-text", _import_toy_text, "toy text", (".toy",)),),
    disruptions=(Disruption("lane_down", "Lane down", "resource", (("at", "Down at", "time"),)),),
    extra_columns=(),
)
