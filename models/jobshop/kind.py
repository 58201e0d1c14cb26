"""The job-shop kind's descriptor: what generic code may ask of a job shop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from opsplan.models.core import Calendar, Resource
from opsplan.models.errors import OpsPlanError
from opsplan.models.jobshop import codec, importers, kpi, schema, tabular
from opsplan.models.jobshop.checker import check_jobshop
from opsplan.models.jobshop.disruptions import MACHINE_DOWN, OPERATION_LATE
from opsplan.models.jobshop.scenario import KIND, Job, JobShopScenario, Mode, Objective, Operation
from opsplan.models.jobshop.validate import validate_jobshop
from opsplan.models.kinds import HIGHER, KPI, LOWER, KindDescriptor
from opsplan.models.schedule import Category


def _task_ids(sc: JobShopScenario) -> list[str]:
    return [op.id for job in sc.jobs for op in job.operations]


def _group_of(sc: JobShopScenario, task: str) -> str:
    entry = sc.operation_index.get(task)
    return entry[0].id if entry else ""


def _task_resources(sc: JobShopScenario, task: str) -> tuple[str, ...]:
    entry = sc.operation_index.get(task)
    return tuple(m.resource for m in entry[2].modes) if entry else ()


def _summary(sc: JobShopScenario) -> str:
    return f"{len(sc.jobs)} jobs, {sc.n_operations} operations, {len(sc.machines)} machines"


def _with_objective(sc: JobShopScenario, name: str) -> JobShopScenario:
    return replace(sc, objective=Objective(name))


def _weights(sc: JobShopScenario) -> dict[str, int]:
    return {j.id: j.weight for j in sc.jobs}


def _with_weights(sc: JobShopScenario, weights: Mapping[str, int]) -> JobShopScenario:
    """``sc`` with the listed jobs' weights; an unknown job is an error naming it."""
    unknown = [k for k in weights if k not in sc.job_index]
    if unknown:
        raise OpsPlanError(f"unknown job {', '.join(unknown)}")
    return replace(sc, jobs=tuple(replace(j, weight=int(weights.get(j.id, j.weight))) for j in sc.jobs))


def new_scenario() -> JobShopScenario:
    """The small template File → New starts from: two machines, one job of two steps."""
    machines = (Resource("M1", "Machine 1", calendar=Calendar()), Resource("M2", "Machine 2", calendar=Calendar()))
    jobs = (Job("J1", (Operation("J1.1", (Mode("M1", 10),)), Operation("J1.2", (Mode("M2", 5),))), name="Job 1"),)
    return JobShopScenario("new job shop", machines, jobs)


DESCRIPTOR = KindDescriptor(
    kind=KIND,
    label="Job shop",
    scenario_type=JobShopScenario,
    to_json=codec.to_json,
    from_json=codec.from_json,
    schema_defs=schema.SCHEMA_DEFS,
    schema_root=schema.ROOT,
    validate=validate_jobshop,
    check=check_jobshop,
    objective_value=kpi.objective_value,
    kpis=kpi.kpis,
    kpi_list=(
        KPI("makespan", "Makespan", "time", LOWER),
        KPI("total_weighted_tardiness", "Weighted tardiness", "time", LOWER),
        KPI("max_lateness", "Max lateness", "time", LOWER),
        KPI("late_jobs", "Late jobs", "count", LOWER),
        KPI("mean_utilization", "Utilization", "%", HIGHER),
    ),
    objectives=tuple(o.value for o in Objective),
    with_objective=_with_objective,
    weights=_weights,
    with_weights=_with_weights,
    weighted_objectives=frozenset({Objective.TOTAL_WEIGHTED_TARDINESS.value}),
    task_ids=_task_ids,
    group_of=_group_of,
    horizon=lambda sc: sc.horizon(),
    summary=_summary,
    resources=lambda sc: sc.machines,
    new_scenario=new_scenario,
    task_word="operation",
    group_word="job",
    resource_word="machine",
    importers=importers.IMPORTERS,
    disruptions=(MACHINE_DOWN, OPERATION_LATE),
    task_resources=_task_resources,
    pinnable=frozenset({Category.WORK}),
    sample="bakery-jobshop.json",
    extra_columns=(("job", _group_of),),
    export_sheets=tabular.write_scenario_sheets,
)

__all__ = ["DESCRIPTOR", "MACHINE_DOWN", "OPERATION_LATE", "new_scenario"]
