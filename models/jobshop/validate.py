"""Validation of a job-shop scenario: every problem, each with a path."""

from __future__ import annotations

from collections import Counter

from opsplan.models.core import MAX_ID_LENGTH, MAX_TIME, Issue
from opsplan.models.jobshop.scenario import JobShopScenario


def validate_jobshop(sc: JobShopScenario) -> list[Issue]:
    """List every problem of ``sc``; an empty list means the scenario is usable."""
    issues: list[Issue] = []
    add = lambda path, msg: issues.append(Issue(path, msg))  # noqa: E731

    if not sc.machines:
        add("machines", "a job shop needs at least one machine")
    # ids longer than the file schema allows would save a file that does not load again
    for path, ident in ([(f"machines[{i}].id", m.id) for i, m in enumerate(sc.machines)]
                        + [(f"jobs[{i}].id", j.id) for i, j in enumerate(sc.jobs)]
                        + [(f"jobs[{i}].operations[{k}].id", op.id) for i, j in enumerate(sc.jobs)
                           for k, op in enumerate(j.operations)]):
        if len(ident) > MAX_ID_LENGTH:
            add(path, f"id of {len(ident)} characters is longer than {MAX_ID_LENGTH}: '{ident[:40]}…'")
    for mid, n in Counter(m.id for m in sc.machines).items():
        if n > 1:
            add("machines", f"machine id '{mid}' is used {n} times")
    for i, m in enumerate(sc.machines):
        p = f"machines[{i}]"
        if not m.id:
            add(f"{p}.id", "empty machine id")
        if m.capacity != 1:
            add(f"{p}.capacity", f"job-shop machines are unary (capacity 1), got {m.capacity}")
        for k, w in enumerate(m.calendar.windows):
            if w.end <= w.start:
                add(f"{p}.calendar[{k}]", f"window end {w.end} is not after its start {w.start}")
            if w.start < 0:
                add(f"{p}.calendar[{k}]", f"window start {w.start} is negative")
            if w.end > MAX_TIME:
                add(f"{p}.calendar[{k}]", f"window end {w.end} is beyond the largest time {MAX_TIME}")

    if not sc.jobs:
        add("jobs", "a job shop needs at least one job")
    for jid, n in Counter(j.id for j in sc.jobs).items():
        if n > 1:
            add("jobs", f"job id '{jid}' is used {n} times")
    op_ids = Counter(op.id for j in sc.jobs for op in j.operations)
    machines = sc.machine_index
    for i, job in enumerate(sc.jobs):
        p = f"jobs[{i}]"
        if not job.id:
            add(f"{p}.id", "empty job id")
        if not job.operations:
            add(f"{p}.operations", f"job '{job.id}' has no operation")
        if job.release < 0:
            add(f"{p}.release", f"release {job.release} is negative")
        if job.weight < 0:
            add(f"{p}.weight", f"weight {job.weight} is negative")
        if job.due is not None and job.due < 0:
            add(f"{p}.due", f"due date {job.due} is negative")
        for what, v in (("release", job.release), ("weight", job.weight), ("due", job.due),
                        ("deadline", job.deadline)):
            if v is not None and v > MAX_TIME:
                add(f"{p}.{what}", f"{what} {v} is beyond the largest value {MAX_TIME}")
        if job.deadline is not None:
            shortest = sum(op.min_duration for op in job.operations)
            if job.deadline < 0:
                add(f"{p}.deadline", f"deadline {job.deadline} is negative")
            elif job.release + shortest > job.deadline:
                add(
                    f"{p}.deadline",
                    f"{job.label}: release {job.release} + shortest route {shortest} = "
                    f"{job.release + shortest} > deadline {job.deadline}",
                )
        for k, op in enumerate(job.operations):
            q = f"{p}.operations[{k}]"
            if not op.id:
                add(f"{q}.id", "empty operation id")
            elif op_ids[op.id] > 1:
                add(f"{q}.id", f"operation id '{op.id}' is used {op_ids[op.id]} times")
            if not op.modes:
                add(f"{q}.modes", f"operation '{op.id}' has no mode")
            seen: set[str] = set()
            for r, mode in enumerate(op.modes):
                mp = f"{q}.modes[{r}]"
                if mode.resource not in machines:
                    add(f"{mp}.resource", f"unknown machine '{mode.resource}'")
                if mode.resource in seen:
                    add(f"{mp}.resource", f"machine '{mode.resource}' appears in two modes")
                seen.add(mode.resource)
                if mode.duration < 0:
                    add(f"{mp}.duration", f"negative duration {mode.duration}")
                elif mode.duration > MAX_TIME:
                    add(f"{mp}.duration", f"duration {mode.duration} is beyond the largest time {MAX_TIME}")

    jobs = sc.job_index
    for i, s in enumerate(sc.setups):
        p = f"setups[{i}]"
        if s.machine not in machines:
            add(f"{p}.machine", f"unknown machine '{s.machine}'")
        seen: set[str] = set()
        for k, jid in enumerate(s.jobs):
            if jid not in jobs:
                add(f"{p}.jobs[{k}]", f"unknown job '{jid}'")
            elif jid in seen:  # two rows for one job: which one holds would be a guess
                add(f"{p}.jobs[{k}]", f"job '{jid}' is listed twice")
            seen.add(jid)
        n = len(s.jobs)
        if len(s.matrix) != n or any(len(row) != n for row in s.matrix):
            add(f"{p}.matrix", f"matrix must be {n}x{n} to match its job list")
        elif any(v < 0 for row in s.matrix for v in row):
            add(f"{p}.matrix", "negative setup time")
        elif any(v > MAX_TIME for row in s.matrix for v in row):
            add(f"{p}.matrix", f"a setup time beyond the largest time {MAX_TIME}")
    for mid, n in Counter(s.machine for s in sc.setups).items():
        if n > 1:
            add("setups", f"machine '{mid}' has {n} setup matrices")
    if sc.epoch is not None:
        from datetime import datetime

        try:
            datetime.fromisoformat(sc.epoch)
        except (TypeError, ValueError):
            # TypeError: a non-string epoch (e.g. a number read from JSON) is an issue, not a crash
            add("epoch", f"not an ISO 8601 instant: {sc.epoch!r}")
    return issues

