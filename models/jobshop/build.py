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


def potts_van_wassenhove(
    n: int,
    tf: float,
    rdd: float,
    *,
    seed: int = 0,
    weighted: bool = False,
    p_max: int = 100,
    name: str | None = None,
) -> JobShopScenario:
    """A single-machine total (weighted) tardiness instance in the Potts–Van Wassenhove scheme.

    Processing times uniform in ``[1, p_max]``; with ``P`` their sum, due dates
    uniform in ``[P (1 - tf - rdd/2), P (1 - tf + rdd/2)]`` (rounded, at least 0),
    where ``tf`` is the tardiness factor and ``rdd`` the relative range of due
    dates. Weights are 1 unless ``weighted`` (then uniform in ``[1, 10]``).
    The objective is total weighted tardiness, which with unit weights is total tardiness.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not (0 <= tf <= 1 and 0 <= rdd <= 1):
        raise ValueError(f"tf and rdd must lie in [0, 1], got tf={tf}, rdd={rdd}")
    rng = random.Random(f"pvw-{n}-{tf}-{rdd}-{seed}-{weighted}")
    p = [rng.randint(1, p_max) for _ in range(n)]
    total = sum(p)
    lo, hi = total * (1 - tf - rdd / 2), total * (1 - tf + rdd / 2)
    dues = [max(0, round(rng.uniform(lo, hi))) for _ in range(n)]
    weights = [rng.randint(1, 10) if weighted else 1 for _ in range(n)]
    label = name or f"pvw-n{n}-tf{tf:g}-rdd{rdd:g}-s{seed}"
    return from_routes(label, [[[(0, d)]] for d in p], 1, dues=dues, weights=weights,
                       objective=Objective.TOTAL_WEIGHTED_TARDINESS,
                       description=f"Potts-Van Wassenhove scheme: n={n}, TF={tf:g}, RDD={rdd:g}, seed {seed}")
