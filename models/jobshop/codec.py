"""The job-shop scenario's codec: the ``"scenario"`` object of a document and back."""

from __future__ import annotations

from typing import Any

from opsplan.models.core import Calendar, Resource, TimeUnit, Window, capacity_from_json, capacity_to_json
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Objective, Operation, SetupMatrix

JsonDict = dict[str, Any]


def to_json(sc: JobShopScenario) -> JsonDict:
    """The ``"scenario"`` object of a job-shop document."""
    return {
        "name": sc.name,
        "description": sc.description,
        "time_unit": TimeUnit(sc.time_unit).value,
        "epoch": sc.epoch,
        "objective": Objective(sc.objective).value,
        "machines": [
            {
                "id": m.id,
                "name": m.name,
                "capacity": capacity_to_json(m.capacity),
                "calendar": [{"start": w.start, "end": w.end, "reason": w.reason} for w in m.calendar.windows],
            }
            for m in sc.machines
        ],
        "jobs": [
            {
                "id": j.id,
                "name": j.name,
                "release": j.release,
                "due": j.due,
                # written only when set, so documents without deadlines keep their old form
                **({} if j.deadline is None else {"deadline": j.deadline}),
                "weight": j.weight,
                "operations": [
                    {
                        "id": op.id,
                        "name": op.name,
                        "modes": [{"resource": m.resource, "duration": m.duration} for m in op.modes],
                    }
                    for op in j.operations
                ],
            }
            for j in sc.jobs
        ],
        "setups": [
            {"machine": s.machine, "jobs": list(s.jobs), "matrix": [list(row) for row in s.matrix]} for s in sc.setups
        ],
    }


def from_json(d: JsonDict) -> JobShopScenario:
    """A job-shop scenario from schema-valid data (defaults filled in)."""
    machines = tuple(
        Resource(
            id=m["id"],
            name=m.get("name", ""),
            capacity=capacity_from_json(m.get("capacity", 1)),
            calendar=Calendar(
                tuple(Window(int(w["start"]), int(w["end"]), w.get("reason", "")) for w in m.get("calendar", ()))
            ),
        )
        for m in d["machines"]
    )
    jobs = tuple(
        Job(
            id=j["id"],
            name=j.get("name", ""),
            release=int(j.get("release", 0)),
            due=None if j.get("due") is None else int(j["due"]),
            weight=int(j.get("weight", 1)),
            deadline=None if j.get("deadline") is None else int(j["deadline"]),
            operations=tuple(
                Operation(
                    id=op["id"],
                    name=op.get("name", ""),
                    modes=tuple(Mode(m["resource"], int(m["duration"])) for m in op["modes"]),
                )
                for op in j["operations"]
            ),
        )
        for j in d["jobs"]
    )
    setups = tuple(
        SetupMatrix(
            machine=s["machine"],
            jobs=tuple(s["jobs"]),
            matrix=tuple(tuple(int(v) for v in row) for row in s["matrix"]),
        )
        for s in d.get("setups", ())
    )
    return JobShopScenario(
        name=d["name"],
        machines=machines,
        jobs=jobs,
        objective=Objective(d.get("objective", Objective.MAKESPAN.value)),
        setups=setups,
        time_unit=TimeUnit(d.get("time_unit", TimeUnit.MINUTE.value)),
        epoch=d.get("epoch"),
        description=d.get("description", ""),
    )
