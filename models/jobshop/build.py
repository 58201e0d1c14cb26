"""Convenience constructors for job-shop scenarios (used by importers, generators and tests)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from opsplan.models.core import Resource
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Objective, Operation


def machine_id(i: int) -> str:
    return f"M{i}"


def job_id(j: int) -> str:
    return f"J{j}"


def op_id(j: int, k: int) -> str:
    """Operation ``k`` (0-based) of job ``j`` (0-based) -> ``'J0.0'``."""
    return f"J{j}.{k}"


def from_routes(
    name: str,
    routes: Sequence[Sequence[Sequence[tuple[int, int]]]],
    n_machines: int | None = None,
    *,
    releases: Sequence[int] | None = None,
    dues: Sequence[int | None] | None = None,
    weights: Sequence[int] | None = None,
    objective: Objective = Objective.MAKESPAN,
    description: str = "",
) -> JobShopScenario:
    """Build a scenario from ``routes[j][k] = [(machine_index, duration), ...]`` (one pair per mode).

    Machines are ``M0..M{n-1}``, jobs ``J0..``, operations ``J<j>.<k>``.
    """
    if n_machines is None:
        n_machines = 1 + max((m for r in routes for op in r for m, _ in op), default=-1)
    machines = tuple(Resource(machine_id(i)) for i in range(n_machines))
    jobs = []
    for j, route in enumerate(routes):
        ops = tuple(
            Operation(op_id(j, k), tuple(Mode(machine_id(m), int(d)) for m, d in modes))
            for k, modes in enumerate(route)
        )
        jobs.append(
            Job(
                job_id(j),
                ops,
                release=int(releases[j]) if releases is not None else 0,
                due=(None if dues is None or dues[j] is None else int(dues[j])),
                weight=int(weights[j]) if weights is not None else 1,
            )
        )
    return JobShopScenario(name, machines, tuple(jobs), objective=objective, description=description)


def classic(
    name: str, routes: Sequence[Sequence[tuple[int, int]]], n_machines: int | None = None, **kw
) -> JobShopScenario:
    """A classic job shop: ``routes[j] = [(machine, duration), ...]`` with one mode per operation."""
    return from_routes(name, [[[pair] for pair in r] for r in routes], n_machines, **kw)


def random_jobshop(
    n_jobs: int,
    n_machines: int,
    *,
    seed: int = 0,
    low: int = 1,
    high: int = 99,
    flexible: int = 1,
    name: str | None = None,
) -> JobShopScenario:
    """A Taillard-style random job shop (every job visits every machine once, random order).

    With ``flexible > 1`` each operation gets up to that many alternative machines.
    """
    rng = random.Random(seed)
    routes = []
    for _ in range(n_jobs):
        order = list(range(n_machines))
        rng.shuffle(order)
        route = []
        for m in order:
            k = rng.randint(1, max(1, min(flexible, n_machines)))
            alts = [m] + rng.sample([x for x in range(n_machines) if x != m], k - 1)
            route.append([(a, rng.randint(low, high)) for a in alts])
        routes.append(route)
    return from_routes(name or f"random-{n_jobs}x{n_machines}-s{seed}", routes, n_machines)
