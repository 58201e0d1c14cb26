"""A toy kind that lives only in this test runs through the kind-neutral policies layer.

The toy kind: ``N`` tasks, each picked once, scheduled back to back on one resource in
the order picked; its objective is the total weighted completion time (Smith's rule,
weight / duration first, is optimal). It registers an environment and a feature
specification in the policies registries — and nothing at the models level — and then
runs through the generic rollout driver (greedy, best-of-N sampling), the ONNX runtime
and the ``policy`` solver backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from opsplan.models.kinds import is_kind
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies import env as env_mod
from opsplan.policies import features as feat_mod
from opsplan.policies.env import (
    Best,
    DispatchEnv,
    Observation,
    TraceStep,
    check_actions,
    environment_for,
    pack_observation,
    run_rollouts,
    select_best,
)
from opsplan.policies.features import FeatureSpec, spec_for

KIND = "toy"
RESOURCE = "R"
TOY_V1 = FeatureSpec(KIND, 1, ("priority", "duration"), ("progress",))


@dataclass(frozen=True)
class ToyTask:
    id: str
    duration: int
    weight: int


@dataclass(frozen=True)
class ToyScenario:
    tasks: tuple[ToyTask, ...]
    name: str = "toy"
    kind: str = KIND


def weighted_completion(sc: ToyScenario, schedule: Schedule) -> int:
    weight = {t.id: t.weight for t in sc.tasks}
    return sum(weight[a.task] * a.end for a in schedule.assignments)


class ToyEnv:
    """Every env picks the next task among those left; the candidates are the tasks left, in scenario order."""

    def __init__(
        self,
        scenarios: Sequence[ToyScenario],
        rollouts: int = 1,
        spec: FeatureSpec = TOY_V1,
        *,
        scheme: str = "serial",
        pinned: Iterable[Assignment] = (),
        earliest: Mapping[str, int] | None = None,
    ) -> None:
        assert spec.kind == KIND and scheme == "serial" and not tuple(pinned) and not earliest
        self.scenarios = tuple(scenarios)
        self.rollouts = rollouts
        self.spec = spec
        self.reset()

    @property
    def batch_size(self) -> int:
        return len(self.scenarios) * self.rollouts

    def reset(self) -> Observation:
        self.left: list[list[ToyTask]] = [list(self.scenarios[b // self.rollouts].tasks) for b in
                                          range(self.batch_size)]
        self.placed: list[list[Assignment]] = [[] for _ in range(self.batch_size)]
        self.traces: list[list[TraceStep]] = [[] for _ in range(self.batch_size)]
        self._obs: Observation | None = None
        return self.observe()

    def observe(self) -> Observation:
        if self._obs is None:
            rows = []
            for b, left in enumerate(self.left):
                x = np.asarray([[t.weight / t.duration, t.duration] for t in left], np.float32).reshape(-1, 2)
                n = len(self.scenarios[b // self.rollouts].tasks)
                rows.append((x, np.asarray([len(self.placed[b]) / n], np.float32)))
            self._obs = pack_observation(rows, self.spec.n_candidate, self.spec.n_global)
        return self._obs

    def step(self, actions: np.ndarray | Sequence[int]) -> Observation:
        obs = self.observe()
        a = check_actions(actions, obs)
        for b in np.flatnonzero(~obs.done):
            task = self.left[b].pop(int(a[b]))
            start = self.placed[b][-1].end if self.placed[b] else 0
            self.placed[b].append(Assignment(task.id, RESOURCE, start, start + task.duration))
            self.traces[b].append((task.id, RESOURCE, start))
        self._obs = None
        return self.observe()

    def schedules(self, name: str = "policy") -> list[Schedule]:
        return [Schedule.of(p, name) for p in self.placed]

    def best_per_scenario(self, name: str = "policy") -> list[Best]:
        if not self.observe().done.all():
            raise ValueError("some toy environments have not finished")
        return select_best(self.scenarios, self.rollouts, self.schedules(name), weighted_completion)


@pytest.fixture
def toy():
    """The toy kind registered in the policies registries only (removed afterwards)."""
    assert not is_kind(KIND)  # no models-level kind is needed (nor registered)
    feat_mod.register(TOY_V1)
    env_mod.register_environment(KIND, ToyEnv, ("serial",))
    yield environment_for(KIND)
    env_mod.unregister_environment(KIND)
    feat_mod.unregister(TOY_V1.id)
    assert KIND not in env_mod.ENVIRONMENTS and TOY_V1.id not in feat_mod.SPECS


def _scenario(seed: int, n: int = 7) -> ToyScenario:
    rng = np.random.default_rng(seed)
    tasks = tuple(ToyTask(f"T{i}", int(rng.integers(1, 20)), int(rng.integers(1, 10))) for i in range(n))
    return ToyScenario(tasks, name=f"toy-{seed}")


def _order(schedule: Schedule) -> list[str]:
    return [a.task for a in sorted(schedule.assignments, key=lambda a: a.start)]


def _by_score(sc: ToyScenario, score) -> list[str]:  # noqa: ANN001 - task -> float
    """Task ids by descending score, ties to the earlier task (as masked arg-max breaks them)."""
    return [t.id for _, _, t in sorted((-score(t), i, t) for i, t in enumerate(sc.tasks))]


def _assert_back_to_back(sc: ToyScenario, schedule: Schedule) -> None:
    work = sorted(schedule.assignments, key=lambda a: a.start)
    assert sorted(a.task for a in work) == sorted(t.id for t in sc.tasks)  # each task once
    assert work[0].start == 0 and all(a.end == b.start for a, b in zip(work, work[1:], strict=False))
    assert {a.resource for a in work} == {RESOURCE}


def obs_col(obs: Observation, name: str) -> np.ndarray:
    return obs.candidates[..., TOY_V1.candidate.index(name)]


def priority(obs: Observation) -> np.ndarray:
    """The hand-written policy: Smith's rule, the candidate's weight / duration."""
    return obs_col(obs, "priority")


def test_toy_environment_is_registered_and_fits_the_protocol(toy):
    env = toy.factory([_scenario(0)], 2, spec_for(KIND), scheme=toy.schemes[0], pinned=(), earliest=None)
    assert isinstance(env, DispatchEnv) and env.batch_size == 2
    obs = env.observe()
    assert obs.candidates.shape == (2, 7, 2) and obs.globals.shape == (2, 1) and obs.mask.all()
    with pytest.raises(ValueError, match="env 1: action 7 is masked"):
        env.step([0, 7])


def test_greedy_rollouts_follow_the_scores(toy):
    """Greedy: each schedule takes the tasks by descending score, back to back; ascending with the scores negated."""
    scs = [_scenario(s) for s in range(3)]
    env = toy.factory(scs, 1, TOY_V1, scheme="serial", pinned=(), earliest=None)
    run = run_rollouts(env, priority)
    assert run.finished and run.decisions == 3 * 7 and run.inference_calls == 7
    for sc, sched in zip(scs, env.schedules(), strict=True):
        _assert_back_to_back(sc, sched)
        assert _order(sched) == _by_score(sc, lambda t: t.weight / t.duration)
    run_rollouts(env, lambda o: -obs_col(o, "duration"), reset=True)  # SPT
    for sc, sched in zip(scs, env.schedules(), strict=True):
        assert _order(sched) == _by_score(sc, lambda t: -t.duration)


def test_best_of_n_keeps_the_greedy_rollout_and_the_best_sample(toy):
    """Best-of-N: rollout 0 stays greedy, the others sample (and differ); the best is the lowest objective,
    so with Smith's rule (optimal) it is the greedy rollout; with poor scores it beats the greedy one."""
    scs = [_scenario(10), _scenario(11)]
    n = 16
    env = toy.factory(scs, n, TOY_V1, scheme="serial", pinned=(), earliest=None)
    run = run_rollouts(env, priority, greedy=False, greedy_first=True, rng=np.random.default_rng(0), record=True)
    assert run.finished and len(run.actions) == 2 * n
    scheds = env.schedules()
    best = env.best_per_scenario()
    for i, sc in enumerate(scs):
        orders = [_order(scheds[i * n + r]) for r in range(n)]
        for r in range(n):
            _assert_back_to_back(sc, scheds[i * n + r])
        assert orders[0] == _by_score(sc, lambda t: t.weight / t.duration)
        assert any(o != orders[0] for o in orders[1:])  # the others sample
        values = [weighted_completion(sc, scheds[i * n + r]) for r in range(n)]
        assert best[i].value == min(values) == values[0] and best[i].env == i * n  # ties to the lower rollout
    # replaying the recorded choices through a fresh environment rebuilds the same schedules
    again = toy.factory(scs, n, TOY_V1, scheme="serial", pinned=(), earliest=None)
    steps = max(len(a) for a in run.actions)
    for k in range(steps):
        again.step([a[k] if k < len(a) else 0 for a in run.actions])
    assert [s.assignments for s in again.schedules()] == [s.assignments for s in scheds]

    # poor scores (longest weighted-shortest last): sampling finds better orders than greedy
    worst = lambda o: -obs_col(o, "priority")  # noqa: E731
    env = toy.factory(scs, n, TOY_V1, scheme="serial", pinned=(), earliest=None)
    run_rollouts(env, worst, greedy=False, greedy_first=True, rngs=[np.random.default_rng([3, b]) for b in
                                                                     range(2 * n)])
    for i, b in enumerate(env.best_per_scenario()):
        greedy = env.schedules()[i * n]
        assert _order(greedy) == _by_score(scs[i], lambda t: -t.weight / t.duration)
        assert b.value < weighted_completion(scs[i], greedy)


def test_per_env_streams_give_the_same_samples_however_batched(toy):
    """With one generator per env, rollout k's choices do not depend on the batch it runs in."""
    sc = _scenario(4)

    def sampled(rollouts: int, first: int) -> list[list[str]]:
        env = toy.factory([sc], rollouts, TOY_V1, scheme="serial", pinned=(), earliest=None)
        run_rollouts(env, priority, greedy=False, rngs=[np.random.default_rng([5, first + k]) for k in
                                                        range(rollouts)])
        return [_order(s) for s in env.schedules()]

    together = sampled(6, 0)
    assert together == sampled(2, 0) + sampled(4, 2)
    assert sampled(1, 3) == [together[3]]


def test_a_stop_interrupts_the_driver(toy):
    env = toy.factory([_scenario(1)], 3, TOY_V1, scheme="serial", pinned=(), earliest=None)
    calls = iter(range(100))
    run = run_rollouts(env, priority, should_stop=lambda: next(calls) >= 2)
    assert not run.finished and run.inference_calls == 2
    with pytest.raises(ValueError, match="not finished"):
        env.best_per_scenario()
    with pytest.raises(ValueError, match="sampling needs a generator"):
        run_rollouts(env, priority, greedy=False)


def test_toy_policy_runs_through_the_runtime_and_the_backend(toy, tmp_path):
    """A toy ONNX policy (Smith's rule) loads, rolls out best-of-N and solves through the ``policy``
    backend; a policy of another kind is refused with a clear message."""
    pytest.importorskip("onnxruntime")
    from opsplan.models.errors import SolverError
    from opsplan.policies import backend
    from opsplan.policies.runtime import load_policy
    from opsplan.solvers import Params, StopToken

    from tests.policies.tiny_onnx import write

    w = np.asarray([[1.0], [0.0]], np.float32)  # score = priority
    path = write(tmp_path / "toy.onnx", name="toy-smith", w=w, kind=KIND, features=TOY_V1.as_dict(),
                 shapes={"globals": ["batch", TOY_V1.n_global]})
    session = load_policy(path, cache=False)
    assert session.kind == KIND and session.scheme == "serial"
    sc = _scenario(20, n=9)
    smith = _by_score(sc, lambda t: t.weight / t.duration)
    got = session.rollout([sc], samples=8, seed=1)[0]
    assert _order(got.schedule) == smith and got.value == weighted_completion(sc, got.schedule)

    r = backend.solve(sc, Params(seed=0, options={"samples": 8}), None, StopToken(), str(path))
    assert r.status == "feasible" and r.schedule is not None
    _assert_back_to_back(sc, r.schedule)
    assert _order(r.schedule) == smith and r.objective == weighted_completion(sc, r.schedule)
    assert [t for t, _, _ in r.stats["trace"]] == smith and r.stats["samples"] == 8

    jobshop_policy = write(tmp_path / "spt.onnx", name="spt")
    with pytest.raises(SolverError, match="policy 'spt' is for jobshop scenarios, not toy"):
        backend.solve(sc, Params(), None, StopToken(), str(jobshop_policy))
