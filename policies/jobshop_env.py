"""The job-shop dispatch environment: a vectorized :class:`~opsplan.policies.env.DispatchEnv` on the rules' simulator.

:class:`JobShopEnv` holds one :class:`~opsplan.solvers.dispatch.simulator.JobShopSim`
per (scenario, rollout): ``B = len(scenarios) * rollouts`` environments, env
``b`` being rollout ``b % rollouts`` of scenario ``b // rollouts``. At every step
:meth:`JobShopEnv.observe` returns padded numpy arrays (candidates ``[B, K, F]``,
mask ``[B, K]``, globals ``[B, G]``, done ``[B]``) of the job-shop features
(:mod:`opsplan.policies.jobshop_features`), a policy scores the candidates
(``[B, K]``), :func:`~opsplan.policies.env.masked_argmax` or
:func:`~opsplan.policies.env.masked_sample` picks one per environment and
:meth:`JobShopEnv.step` dispatches them.

Decisions with a single candidate are taken automatically (``skip_forced``), as
:meth:`JobShopSim.run` does for the rules, so every observed decision is a real
choice. Every dispatched operation, forced or chosen, is recorded in the env's
:attr:`JobShopEnv.traces` as ``(op_id, machine_id, start)``.

Registered for the ``jobshop`` kind, with :func:`deadline_fallback`, by
:mod:`opsplan.policies.registrations`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
from opsplan.models import objective_value
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Schedule
from opsplan.policies.env import (
    Best,
    Observation,
    TraceStep,
    check_actions,
    masked_argmax,
    masked_sample,
    pack_observation,
    run_rollouts,
    select_best,
)
from opsplan.policies.features import FeatureSpec
from opsplan.policies.jobshop_features import JOBSHOP_V1, KIND, features
from opsplan.solvers.dispatch.jobshop import DispatchError, best_rule, late_jobs
from opsplan.solvers.dispatch.rules import DETERMINISTIC
from opsplan.solvers.dispatch.simulator import JobShopSim

SCHEMES = ("active", "nondelay")  # the first is the default


class JobShopEnv:
    """Vectorized dispatch environment: one simulator per (scenario, rollout).

    Parameters
    ----------
    scenarios
        Validated job-shop scenarios.
    rollouts
        Environments per scenario (best-of-N sampling).
    spec
        Feature specification (a job-shop one).
    seed
        Seed of the environment's generator (used by :meth:`act_sample` and
        :meth:`rollout` when no generator is given).
    scheme
        Schedule-generation scheme of the simulators: ``"active"`` (default:
        Giffler–Thompson, the space that always holds an optimal schedule) or
        ``"nondelay"`` (the rules' default; fewer, greedier candidates).
    skip_forced
        Dispatch lone candidates automatically (default), so that every observed
        decision has at least two candidates.
    pinned, earliest
        Passed to every simulator (meant for one scenario with N rollouts:
        pins/earliest starts of the runtime's ``Params``).
    """

    def __init__(
        self,
        scenarios: Sequence[JobShopScenario],
        rollouts: int = 1,
        spec: FeatureSpec = JOBSHOP_V1,
        seed: int = 0,
        *,
        scheme: str = "active",
        skip_forced: bool = True,
        pinned: Iterable[Assignment] = (),
        earliest: Mapping[str, int] | None = None,
    ) -> None:
        if rollouts < 1:
            raise ValueError(f"rollouts must be at least 1, got {rollouts}")
        if spec.kind != KIND:
            raise ValueError(f"JobShopEnv needs a job-shop feature specification, got {spec.id}")
        self.scenarios: tuple[JobShopScenario, ...] = tuple(scenarios)
        if not self.scenarios:
            raise ValueError("JobShopEnv needs at least one scenario")
        self.rollouts = int(rollouts)
        self.spec = spec
        self.skip_forced = skip_forced
        self.rng = np.random.default_rng(seed)
        pins = tuple(pinned)
        self.sims: list[JobShopSim] = []
        for sc in self.scenarios:
            # one simulator per rollout: the static tables are cheap next to a rollout
            self.sims.extend(JobShopSim(sc, pins, scheme, earliest) for _ in range(self.rollouts))
        self.traces: list[list[TraceStep]] = [[] for _ in self.sims]
        self._obs: Observation | None = None
        self.reset()

    # -- basics ---------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """``B``: the number of environments."""
        return len(self.sims)

    def scenario_of(self, b: int) -> int:
        """Index of the scenario env ``b`` runs."""
        return b // self.rollouts

    @property
    def done(self) -> np.ndarray:
        """bool ``[B]``: which environments have dispatched every operation."""
        return np.fromiter((s.done for s in self.sims), dtype=bool, count=len(self.sims))

    @property
    def all_done(self) -> bool:
        return all(s.done for s in self.sims)

    def reset(self) -> Observation:
        """Start every environment again (pins stay) and return the first observation."""
        for b, sim in enumerate(self.sims):
            sim.reset()
            self.traces[b] = []
            self._skip(b)
        self._obs = None
        return self.observe()

    def _dispatch(self, b: int, index: int) -> None:
        sim = self.sims[b]
        p = sim.candidate_pairs()[index]
        start, _ = sim.step(index)
        self.traces[b].append((sim.op_ids[int(sim.pair_op[p])], sim.machine_ids[int(sim.pair_machine[p])], start))

    def _skip(self, b: int) -> None:
        if not self.skip_forced:
            return
        sim = self.sims[b]
        while not sim.done and len(sim.candidate_pairs()) == 1:
            self._dispatch(b, 0)

    # -- observe / step ---------------------------------------------------------------------
    def observe(self) -> Observation:
        """The current padded observation (cached until the next :meth:`step` or :meth:`reset`)."""
        if self._obs is None:
            spec = self.spec
            self._obs = pack_observation([features(s.batch(), spec) for s in self.sims], spec.n_candidate,
                                         spec.n_global)
        return self._obs

    def step(self, actions: np.ndarray | Sequence[int]) -> Observation:
        """Dispatch ``actions[b]`` (an index into env ``b``'s candidates) in every unfinished env.

        Actions of finished envs are ignored. All actions are checked before any
        is applied.

        Raises
        ------
        ValueError
            When ``actions`` is not ``B`` integers, or an unfinished env's action
            is masked (negative, a padded slot or beyond its candidates); the
            message names the env.
        """
        obs = self.observe()
        a = check_actions(actions, obs)
        for b in range(len(self.sims)):
            if not obs.done[b]:
                self._dispatch(b, int(a[b]))
                self._skip(b)
        self._obs = None
        return self.observe()

    # -- acting -----------------------------------------------------------------------------------
    def act_greedy(self, scores: np.ndarray) -> np.ndarray:
        """Masked arg-max of ``scores [B, K]`` under the current mask."""
        return masked_argmax(scores, self.observe().mask)

    def act_sample(
        self, scores: np.ndarray, rng: np.random.Generator | None = None, temperature: float = 1.0
    ) -> np.ndarray:
        """Masked softmax sample of ``scores [B, K]`` (``rng`` defaults to the env's)."""
        return masked_sample(scores, self.observe().mask, self.rng if rng is None else rng, temperature)

    def rollout(
        self,
        policy_fn: Callable[[Observation], np.ndarray],
        greedy: bool = True,
        *,
        rng: np.random.Generator | None = None,
        temperature: float = 1.0,
        greedy_first: bool = False,
        reset: bool = True,
    ) -> list[Schedule]:
        """Run every environment to the end with ``policy_fn(obs) -> scores [B, K]``; returns :meth:`schedules`.

        :func:`~opsplan.policies.env.run_rollouts` with the env's generator by
        default; starts from a :meth:`reset` unless ``reset`` is False.
        """
        run_rollouts(self, policy_fn, greedy=greedy, greedy_first=greedy_first, temperature=temperature,
                     rng=self.rng if rng is None else rng, reset=reset)
        return self.schedules()

    # -- results ----------------------------------------------------------------------------------
    def schedules(self, name: str = "policy") -> list[Schedule]:
        """The schedule (so far) of every environment, named ``name``."""
        return [sim.schedule(name) for sim in self.sims]

    def best_per_scenario(self, name: str = "policy") -> list[Best]:
        """For each scenario, its best rollout by the scenario's objective.

        A schedule that meets every hard deadline beats one that misses any (as
        :func:`~opsplan.solvers.dispatch.best_rule` does); ties go to the lower rollout.

        Raises
        ------
        ValueError
            When some environment has not finished.
        """
        if not self.all_done:
            raise ValueError(f"environments {np.flatnonzero(~self.done).tolist()} have not finished")
        return select_best(self.scenarios, self.rollouts, self.schedules(name), objective_value, late_jobs)


def deadline_fallback(
    scenario: JobShopScenario, pinned: tuple[Assignment, ...], earliest: Mapping[str, int] | None
) -> tuple[str, Schedule] | None:
    """The best deterministic dispatch rule's schedule when it meets every hard deadline, else None."""
    try:
        rule, schedule, _ = best_rule(scenario, DETERMINISTIC, pinned=pinned, earliest=earliest)
    except DispatchError:
        return None
    if schedule is None or late_jobs(scenario, schedule):
        return None
    return f"dispatch:{rule}", schedule


__all__ = ["SCHEMES", "JobShopEnv", "deadline_fallback"]
