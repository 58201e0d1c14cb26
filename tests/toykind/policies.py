"""The toy kind's policies package: a dispatch environment and its feature spec.

At each decision the candidates are the tasks left (in scenario order), each with the
features (duration, share of the work left); the chosen task goes on the lane that is free
first. What a real kind writes as ``policies/<kind>_env.py`` and registers in
:mod:`opsplan.policies.registrations`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies.env import Best, Observation, TraceStep, check_actions, pack_observation, select_best
from opsplan.policies.features import FeatureSpec

from tests.toykind.model import KIND, ToyScenario, ToyTask, makespan

TOY_V1 = FeatureSpec(KIND, 1, ("duration", "share"), ("progress",))


class ToyEnv:
    """``B = len(scenarios) * rollouts`` toy dispatchers; env ``b`` is rollout ``b % rollouts`` of scenario
    ``b // rollouts``."""

    def __init__(self, scenarios: Sequence[ToyScenario], rollouts: int = 1, spec: FeatureSpec = TOY_V1, *,
                 scheme: str = "serial", pinned: Iterable[Assignment] = (),
                 earliest: Mapping[str, int] | None = None) -> None:
        self.scenarios = tuple(scenarios)
        self.rollouts = rollouts
        self.spec = spec
        self.pinned = tuple(pinned)
        self.earliest = dict(earliest or {})
        self.reset()

    @property
    def batch_size(self) -> int:
        return len(self.scenarios) * self.rollouts

    def reset(self) -> Observation:
        pins = {a.task for a in self.pinned}
        self.left: list[list[ToyTask]] = []
        self.free: list[dict[str, int]] = []
        self.placed: list[list[Assignment]] = []
        for b in range(self.batch_size):
            sc = self.scenarios[b // self.rollouts]
            self.left.append([t for t in sc.tasks if t.id not in pins])
            free = {lane.id: 0 for lane in sc.lanes}
            for a in self.pinned:
                free[a.resource] = max(free.get(a.resource, 0), a.end)
            self.free.append(free)
            self.placed.append(list(self.pinned))
        self.traces: list[list[TraceStep]] = [[] for _ in range(self.batch_size)]
        self._obs: Observation | None = None
        return self.observe()

    def observe(self) -> Observation:
        if self._obs is None:
            rows = []
            for b, left in enumerate(self.left):
                total = sum(t.duration for t in left) or 1
                x = np.asarray([[t.duration, t.duration / total] for t in left], np.float32).reshape(-1, 2)
                n = len(self.scenarios[b // self.rollouts].tasks)
                rows.append((x, np.asarray([1 - len(left) / n], np.float32)))
            self._obs = pack_observation(rows, self.spec.n_candidate, self.spec.n_global)
        return self._obs

    def step(self, actions: np.ndarray | Sequence[int]) -> Observation:
        obs = self.observe()
        a = check_actions(actions, obs)
        for b in np.flatnonzero(~obs.done):
            task = self.left[b].pop(int(a[b]))
            lane = min(self.free[b], key=lambda k: (self.free[b][k], k))
            start = max(self.free[b][lane], self.earliest.get(task.id, 0))
            self.placed[b].append(Assignment(task.id, lane, start, start + task.duration))
            self.free[b][lane] = start + task.duration
            self.traces[b].append((task.id, lane, start))
        self._obs = None
        return self.observe()

    def schedules(self, name: str = "policy") -> list[Schedule]:
        return [Schedule.of(p, name) for p in self.placed]

    def best_per_scenario(self, name: str = "policy") -> list[Best]:
        if not self.observe().done.all():
            raise ValueError("some toy environments have not finished")
        return select_best(self.scenarios, self.rollouts, self.schedules(name), makespan)


def register_policies() -> Callable[[], None]:
    """Register the toy's environment and feature spec, and the ``policy`` backend for toy scenarios."""
    from opsplan.policies import env, features
    from opsplan.solvers.registry import family, register_solver, unregister_solver

    features.register(TOY_V1)
    env.register_environment(KIND, ToyEnv, ("serial",))
    family("policy")  # registered by the policies layer through its entry point
    register_solver("policy", KIND, "opsplan.policies.backend", variants=lambda: ())

    def undo() -> None:
        env.unregister_environment(KIND)
        features.unregister(TOY_V1.id)
        unregister_solver("policy", KIND)

    return undo
